/**
 * The IP stack against Linux's own TCP/IP stack: a network namespace whose TUN device is
 * the stack's link (test/support/tun-link.ts). Linux's curl, Python and Debian's i386
 * ping and nc (run natively from a small unpacked root) talk to servers on our stack and
 * the other way round. Skipped, with one line saying why, where namespaces are unavailable.
 */
import { after, before, test } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatagramSocket, StreamConn, StreamListener } from '../../src/engine/net/stack.js';
import { parse } from '../../src/net/ip/addr.js';
import { IpStack } from '../../src/net/ip/stack.js';
import { debianRoot } from '../../src/host/node/debian-packages.js';
import { drive, pattern, sha256 } from '../support/net-apps.js';
import { openTunNamespace, type TunNamespace } from '../support/tun-link.js';

const LINUX4 = '100.64.0.1', OURS4 = '100.64.0.2', LINUX6 = 'fd7a:115c:a1e0::1', OURS6 = 'fd7a:115c:a1e0::2';
const NET_ROOT_PACKAGES = ['libc6', 'libgcc-s1', 'gcc-12-base', 'iputils-ping', 'libcap2', 'libidn2-0', 'libunistring2', 'netcat-openbsd', 'libbsd0', 'libmd0'];

let tun: TunNamespace | null = null;
let skip: string | false = false;
let stack: IpStack;
let root = '';
let tmp = '';

before(async () => {
  const t = await openTunNamespace(`webx86-ip-${process.pid}`, [`${LINUX4}/32`, `${LINUX6}/128`], [`${OURS4}/32`, `${OURS6}/128`]);
  if (typeof t === 'string') { skip = `Linux interop skipped: ${t}`; return; }
  tun = t;
  stack = new IpStack(t.link, { addresses: [`${OURS4}/32`, `${OURS6}/128`], routes: [`${LINUX4}/32`, `${LINUX6}/128`] });
  root = debianRoot('net', NET_ROOT_PACKAGES);
  tmp = mkdtempSync(join(tmpdir(), 'webx86-ip-'));
});

/** Every process started in the namespace, killed at the end whatever happened. */
const children: ChildProcess[] = [];
function start(cmd: string[]): ChildProcess {
  const p = tun!.spawn(cmd);
  children.push(p);
  return p;
}

after(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  stack?.close();
  tun?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function addr(s: string, port: number) { const a = parse(s); return { family: (a.length === 4 ? 2 : 10) as 2 | 10, addr: a, port }; }
function ok<T>(x: T | number): T { if (typeof x === 'number') throw new Error(`errno ${-x}`); return x; }
const until = async (cond: () => boolean, ms = 30_000, what = 'condition') => {
  const t0 = Date.now();
  while (!cond()) { if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`); await new Promise((r) => setTimeout(r, 5)); }
};
/** Run a command in the namespace without blocking the event loop (our stack answers it). */
function run(cmd: string[], input?: Uint8Array): Promise<{ code: number; out: string; err: string; ms: number }> {
  const t0 = performance.now();
  const p = start(cmd);
  let out = '', err = '';
  p.stdout!.on('data', (d) => { out += d; });
  p.stderr!.on('data', (d) => { err += d; });
  if (input) p.stdin!.end(input); else p.stdin!.end();
  return new Promise((resolve) => p.on('close', (code) => resolve({ code: code ?? -1, out, err, ms: performance.now() - t0 })));
}
const chrooted = (argv: string[]) => ['chroot', root, ...argv];

/** A minimal HTTP/1.0 server on our stack: answers every request with `body`. */
function httpServer(port: number, v6: boolean, body: Uint8Array): StreamListener {
  const l = ok(stack.listen(addr(v6 ? '::' : '0.0.0.0', port), 16, {}));
  l.onChange = () => {
    for (let c; (c = l.accept());) {
      const conn = c;
      let req = '';
      const buf = new Uint8Array(4096);
      conn.onChange = () => {
        for (let n; (n = conn.read(buf)) > 0;) req += new TextDecoder().decode(buf.subarray(0, n));
        if (req.includes('\r\n\r\n') && !req.startsWith('DONE')) {
          req = 'DONE';
          const head = new TextEncoder().encode(`HTTP/1.0 200 OK\r\nContent-Length: ${body.length}\r\nContent-Type: text/plain\r\n\r\n`);
          const all = new Uint8Array(head.length + body.length);
          all.set(head); all.set(body, head.length);
          drive(conn, { send: all });
        }
      };
    }
  };
  return l;
}

test('Linux (Debian ping) pings our stack over IPv4 and IPv6', { timeout: 300_000 }, async (t) => {
  if (skip) { t.skip(skip); return; }
  for (const [flag, target] of [['-4', OURS4], ['-6', OURS6]]) {
    const r = await run(chrooted(['/bin/ping', flag, '-c', '3', '-i', '0.2', '-W', '2', target]));
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /3 packets transmitted, 3 received, 0% packet loss/);
  }
});

test('our stack pings Linux (ICMP echo sockets, IPv4 and IPv6)', { timeout: 300_000 }, async (t) => {
  if (skip) { t.skip(skip); return; }
  for (const [target, v6] of [[LINUX4, false], [LINUX6, true]] as const) {
    const s = ok(stack.datagram('icmp', addr(v6 ? '::' : '0.0.0.0', 0), {})) as DatagramSocket;
    const payload = pattern(56, 1);
    const m = new Uint8Array(64);
    m[0] = v6 ? 128 : 8; m[7] = 1; m.set(payload, 8);
    assert.equal(s.send(m, addr(target, 0)), 64);
    await until(() => s.nextSize() > 0, 5000, 'echo reply');
    const r = s.recv()!;
    assert.equal(r.data[0], v6 ? 129 : 0);
    assert.deepEqual(r.data.subarray(8), payload);
    s.close();
  }
});

test('Linux curl fetches a page from a server on our stack (IPv4 and IPv6)', { timeout: 300_000 }, async (t) => {
  if (skip) { t.skip(skip); return; }
  const body = new TextEncoder().encode('hello from the webx86 IP stack\n'.repeat(1000));
  const l4 = httpServer(8080, false, body), l6 = httpServer(8086, true, body);
  for (const url of [`http://${OURS4}:8080/`, `http://[${OURS6}]:8086/`]) {
    const r = await run(['curl', '-sS', '--max-time', '20', '-g', url]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, new TextDecoder().decode(body));
  }
  l4.close(); l6.close();
});

test('our stack fetches from Python\'s http.server in the namespace; connect to a closed Linux port is refused', { timeout: 300_000 }, async (t) => {
  if (skip) { t.skip(skip); return; }
  writeFileSync(join(tmp, 'index.html'), 'served by Linux\n');
  const srv = start(['python3', '-m', 'http.server', '--bind', LINUX4, '--directory', tmp, '8000']);
  try {
    let c: StreamConn | null = null;
    await until(() => {
      if (c?.state === 'connected') return true;
      c = ok(stack.connect(addr(LINUX4, 8000), null, {}));
      return false;
    }, 20_000, 'http.server up');
    const d = drive(c!, { send: new TextEncoder().encode(`GET /index.html HTTP/1.0\r\nHost: ${LINUX4}\r\n\r\n`), shutdown: false });
    await until(() => d.eof, 10_000, 'response');
    const text = new TextDecoder().decode(d.head());
    assert.match(text, /^HTTP\/1\.0 200 OK/);
    assert.match(text, /served by Linux\n$/);
  } finally { srv.kill(); }
  const refused = ok(stack.connect(addr(LINUX4, 1), null, {}));
  await until(() => refused.state === 'closed', 5000, 'RST');
  assert.equal(refused.takeError(), 111);
});

test('Debian nc and our stack: UDP both ways, ICMP port unreachable from Linux, and TCP refused by our stack', { timeout: 300_000 }, async (t) => {
  if (skip) { t.skip(skip); return; }
  const s = ok(stack.datagram('udp', addr('0.0.0.0', 5000), {})) as DatagramSocket;
  const r = await run(chrooted(['/bin/nc.openbsd', '-u', '-w', '1', OURS4, '5000']), new TextEncoder().encode('datagram from Linux\n'));
  assert.equal(r.code, 0, r.err);
  await until(() => s.nextSize() > 0, 5000, 'datagram');
  const d = s.recv()!;
  assert.equal(new TextDecoder().decode(d.data), 'datagram from Linux\n');
  assert.equal(d.from.addr.join('.'), LINUX4);
  // Linux answers a datagram to a closed port with ICMP port unreachable: a connected socket reports ECONNREFUSED.
  const c = ok(stack.datagram('udp', addr('0.0.0.0', 0), {})) as DatagramSocket;
  assert.equal(c.connect(addr(LINUX4, 9)), 0);
  c.send(new Uint8Array(8), null);
  await until(() => { const e = c.takeError(); if (e) { assert.equal(e, 111); return true; } return false; }, 5000, 'ECONNREFUSED');
  s.close(); c.close();
  // nc to a port nobody listens on here: our RST refuses it.
  const n = await run(chrooted(['/bin/nc.openbsd', '-z', '-w', '2', OURS4, '4444']));
  assert.notEqual(n.code, 0);
});

const BIG = 100 << 20;

test('100 MB from Linux to our stack and 100 MB back, sha256 compared, throughput reported', { timeout: 300_000 }, async (t) => {
  if (skip) { t.skip(skip); return; }
  const data = pattern(BIG, 77);
  const file = join(tmp, 'big');
  writeFileSync(file, data);
  const want = sha256(data);
  // Linux → us: Python's sendfile on a connection our stack opened.
  const send = start(['python3', '-c', `import socket
s = socket.create_server(('${LINUX4}', 9100)); print('up', flush=True)
c, _ = s.accept(); c.sendfile(open('${file}', 'rb')); c.close()`]);
  await new Promise((r) => send.stdout!.once('data', r));
  let t0 = performance.now();
  const c = ok(stack.connect(addr(LINUX4, 9100), null, {}));
  const got = drive(c);
  await until(() => got.eof, 120_000, 'download');
  const down = BIG / 1e6 / ((performance.now() - t0) / 1000);
  assert.equal(got.received, BIG);
  assert.equal(got.sha256(), want);
  c.close();
  // us → Linux: Python reads it all and prints the sha256.
  const recv = start(['python3', '-c', `import socket, hashlib
s = socket.create_server(('${LINUX6}', 9101), family=socket.AF_INET6); print('up', flush=True)
c, _ = s.accept(); h = hashlib.sha256(); n = 0
while True:
    b = c.recv(1 << 20)
    if not b: break
    h.update(b); n += len(b)
print(n, h.hexdigest(), flush=True)`]);
  let out = '';
  recv.stdout!.on('data', (d) => { out += d; });
  await until(() => out.includes('up'), 10_000, 'receiver');
  t0 = performance.now();
  const u = ok(stack.connect(addr(LINUX6, 9101), null, {}));
  drive(u, { send: data });
  await until(() => out.trim().split('\n').length >= 2, 120_000, 'upload');
  const upMBs = BIG / 1e6 / ((performance.now() - t0) / 1000);
  assert.equal(out.trim().split('\n')[1], `${BIG} ${want}`);
  t.diagnostic(`throughput with Linux over TUN: Linux→stack ${down.toFixed(0)} MB/s (IPv4), stack→Linux ${upMBs.toFixed(0)} MB/s (IPv6)`);
  send.kill(); recv.kill();
});
