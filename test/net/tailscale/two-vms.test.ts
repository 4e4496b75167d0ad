/**
 * Two VMs on one tailnet: two VM-side nodes (each its own TailscaleNetwork: IP stack, WireGuard
 * device, DERP client, control session) registered with the REAL testcontrol and talking through
 * the REAL derper (tailscale.com v1.102.5) on loopback. TCP both ways with 4 MiB each direction
 * on every connection (sha256 checked), then real Debian i386 programs in two engines, one per
 * VM: curl in VM B fetches from `python3 -m http.server` in VM A, and `ping` goes both ways. A
 * tailnet address that no node has is unreachable at once (EHOSTUNREACH, "No route to host").
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { InetAddr, StreamConn } from '../../../src/engine/net/stack.js';
import { debianRoot } from '../../../src/host/node/debian-packages.js';
import { HostFs } from '../../../src/host/node/hostfs.js';
import { createMachine } from '../../../src/engine/machine.js';
import { CaptureFile, InputFile, runGuest } from '../../support/guest.js';
import { ROOT_ENV } from '../../support/debian-root.js';
import { drive, pattern, sha256 } from '../../support/net-apps.js';
import { NO_GO, hasGo } from './go-fixtures.js';
import { NET_ROOT_PACKAGES, connect, startTailnet, until, type Tailnet, type Vm } from './tailnet.js';

const skip = hasGo ? false : NO_GO;
const ENV = Object.entries(ROOT_ENV).map(([k, v]) => `${k}=${v}`);
let root = '';
let tn: Tailnet | null = null;
let a: Vm, b: Vm;

before(async () => {
  if (!hasGo) return;
  root = debianRoot('net-ts', NET_ROOT_PACKAGES);
  tn = await startTailnet();
  a = await tn.vm('vm-a');
  b = await tn.vm('vm-b');
  // Each sees the other in its netmap before traffic starts (WireGuard needs the peer's key).
  await until(() => !!a.view()?.peers.some((p) => p.addresses.includes(b.ip)) && !!b.view()?.peers.some((p) => p.addresses.includes(a.ip)), () => 'each VM in the other\'s netmap');
}, { timeout: 600_000 });
after(() => tn?.stop());

/** Accept one connection on `vm`'s port and exchange `send` for what the other side sends. */
function serveOnce(vm: Vm, port: number, send: Uint8Array): Promise<{ got: string; bytes: number }> {
  const l = vm.net.stack.listen({ family: 2, addr: new Uint8Array(4), port } as InetAddr, 4, {});
  if (typeof l === 'number') throw new Error(`listen: errno ${-l}`);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`nothing accepted on ${vm.ip}:${port}`)), 300_000);
    l.onChange = () => {
      const c: StreamConn | null = l.accept();
      if (!c) return;
      l.close();
      const d = drive(c, { send });
      const check = setInterval(() => {
        if (!(d.eof && d.sent === send.length) && !d.error) return;
        clearInterval(check); clearTimeout(t); c.close();
        if (d.error) reject(new Error(`server side: errno ${d.error}`)); else resolve({ got: d.sha256(), bytes: d.received });
      }, 10);
    };
  });
}

async function exchange(from: Vm, to: Vm, port: number): Promise<void> {
  const up = pattern(4 << 20, port), down = pattern(4 << 20, port + 1);
  const server = serveOnce(to, port, down);
  const c = await connect(from.net.stack, to.ip, port);
  const d = drive(c, { send: up });
  // Both halves done: everything handed to the stack (then FIN), and the server's FIN read.
  await until(() => (d.eof && d.sent === up.length) || d.error !== 0, () => `EOF from ${to.ip}:${port} (${d.received} bytes in, ${d.sent} out)`, 300_000);
  c.close();
  assert.equal(d.error, 0);
  assert.equal(d.received, down.length);
  assert.equal(d.sha256(), sha256(down), 'what the client received');
  const s = await server;
  assert.equal(s.bytes, up.length);
  assert.equal(s.got, sha256(up), 'what the server received');
}

test('TCP from VM A to VM B and from VM B to VM A: 4 MiB each way on each connection', { skip, timeout: 300_000 }, async () => {
  assert.notEqual(a.ip, b.ip);
  await exchange(a, b, 7001);
  await exchange(b, a, 7002);
});

test('curl in VM B fetches from python3 -m http.server in VM A; ping both ways (Debian i386 programs in two engines)', { skip, timeout: 300_000 }, async () => {
  const { kernel } = await createMachine({ root: new HostFs(root), network: a.net.stack });
  const err = new CaptureFile();
  const p = await kernel.spawn('/usr/bin/python3', {
    argv: ['python3', '-m', 'http.server', '--bind', '0.0.0.0', '--directory', '/etc', '8000'],
    env: ENV, cwd: '/', stdio: [new InputFile(new Uint8Array(0)), new CaptureFile(), err],
  });
  assert.ok(typeof p !== 'number', `spawn: ${String(p)}`);
  const running = kernel.sched.run();
  const inB = (argv: string[]) => runGuest(argv, { root: new HostFs(root), env: ENV, cwd: '/', network: b.net.stack });
  try {
    // Python starts in seconds alone, much slower on a loaded machine: a deadline, not a delay.
    let g = await inB(['/usr/bin/curl', '-sS', '--retry', '40', '--retry-connrefused', '--retry-delay', '2', '--max-time', '200', `http://${a.ip}:8000/passwd`]);
    assert.equal(g.status, 0, `curl: ${g.stderr}; python3: ${err.text()}`);
    assert.match(g.stdout, /^root:x:0:0:root:\/root:\/bin\/bash$/m);
    assert.match(err.text(), new RegExp(`${b.ip.replace(/\./g, '\\.')} - - .*"GET /passwd HTTP/1\\.1" 200`));
    g = await inB(['/bin/ping', '-c', '2', '-i', '0.5', '-W', '10', a.ip]);
    assert.match(g.stdout, /2 packets transmitted, 2 received, 0% packet loss/, g.stderr);
    const back = await runGuest(['/bin/ping', '-c', '2', '-i', '0.5', '-W', '10', b.ip], { root: new HostFs(root), env: ENV, cwd: '/', network: a.net.stack });
    assert.match(back.stdout, /2 packets transmitted, 2 received, 0% packet loss/, back.stderr);
  } finally {
    kernel.signalProcess(p as Exclude<typeof p, number>, { signo: 15, code: 0, pid: 0, uid: 0 });
    await running;
  }
});

test('a tailnet address no node has: connect fails at once with EHOSTUNREACH (the tunnel answers host unreachable)', { skip, timeout: 60_000 }, async () => {
  // Without the answer the SYN would be retransmitted six times (about two minutes) before ETIMEDOUT.
  await assert.rejects(connect(a.net.stack, '100.127.99.99', 80, 10_000), /failed: errno 113$/);
  const g = await runGuest(['/usr/bin/curl', '-sSv', '--max-time', '20', 'http://100.127.99.99/'], { root: new HostFs(root), env: ENV, cwd: '/', network: b.net.stack });
  assert.equal(g.status, 7, g.stderr);
  // curl -v names connect(2)'s errno.
  assert.match(g.stderr, /connect to 100\.127\.99\.99 port 80 failed: No route to host/);
});
