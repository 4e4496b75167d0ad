/**
 * DNS for names outside the tailnet, forwarded through a real exit node (tailscale.com v1.102.5):
 * a tsnet peer advertises 0.0.0.0/0 and ::/0 (tspeer -exit-node; testcontrol approves them with
 * the fixture's /test/routes hook), the VM uses it as its exit node, and MagicDNS at
 * 100.100.100.100 forwards what it cannot answer to the exit node's peerapi as DNS over HTTPS.
 * The exit node resolves with the first nameserver of its /etc/resolv.conf, which here is a DNS
 * server of the test's own on a loopback address (port 53; the exit node runs in a mount
 * namespace where a file naming it is bound over /etc/resolv.conf). Needs root for the mount
 * namespace and port 53; otherwise it skips with one line.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StreamConn } from '../../../src/engine/net/stack.js';
import { NO_GO, hasGo } from './go-fixtures.js';
import { startTailnet, until, type Peer, type Tailnet, type Vm } from './tailnet.js';

const canMount = spawnSync('unshare', ['-m', 'sh', '-c', 'mount --bind /dev/null /dev/null'], { stdio: 'ignore' }).status === 0;
const skip = !hasGo ? NO_GO : !canMount || process.getuid?.() !== 0 ? 'needs root (a mount namespace for the exit node\'s /etc/resolv.conf, and port 53)' : false;
/** A loopback address of our own for the DNS server (port 53 is the only port resolv.conf can name). */
const DNS_IP = `127.77.${(process.pid >> 8) & 0xff}.${(process.pid & 0xff) || 1}`;
const NAME = 'files.corp.example', ADDR = [192, 0, 2, 80];

let tn: Tailnet | null = null;
let vm: Vm, exit: Peer;
let udp: Socket | null = null;
let tcp: Server | null = null;
let dir = '';
const asked: string[] = [];
const logs: string[] = [];

/** Our DNS server's answer: A for NAME, NXDOMAIN for anything else (RFC 1035 §4.1). */
function answer(q: Buffer): Buffer {
  let o = 12;
  const labels: string[] = [];
  while (o < q.length && q[o] !== 0) { labels.push(q.subarray(o + 1, o + 1 + q[o]).toString()); o += 1 + q[o]; }
  const question = q.subarray(12, o + 5);
  const name = labels.join('.').toLowerCase();
  const qtype = q.readUInt16BE(o + 1);
  asked.push(`${name} ${qtype}`);
  const hit = name === NAME;
  const head = Buffer.from([q[0], q[1], 0x81, hit ? 0x80 : 0x83, 0, 1, 0, hit && qtype === 1 ? 1 : 0, 0, 0, 0, 0]);
  const rr = hit && qtype === 1 ? Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, ...ADDR]) : Buffer.alloc(0);
  return Buffer.concat([head, question, rr]);
}

before(async () => {
  if (skip) return;
  udp = createSocket('udp4');
  udp.on('message', (m, r) => udp!.send(answer(m), r.port, r.address));
  await new Promise<void>((r) => udp!.bind(53, DNS_IP, r));
  tcp = createServer((c) => {
    let buf = Buffer.alloc(0);
    c.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const a = answer(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
        const len = Buffer.alloc(2); len.writeUInt16BE(a.length);
        c.write(Buffer.concat([len, a]));
      }
    });
    c.on('error', () => {});
  });
  await new Promise<void>((r) => tcp!.listen(53, DNS_IP, r));
  dir = mkdtempSync(join(tmpdir(), 'webx86-dnsfwd-'));
  writeFileSync(join(dir, 'resolv.conf'), `nameserver ${DNS_IP}\n`);
  tn = await startTailnet();
  exit = await tn.peer('exit', {}, {
    args: ['-exit-node'],
    wrap: `exec unshare -m sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' ${join(dir, 'resolv.conf')} "$@"`,
  });
  const r = await tn.hook(`routes?node=${encodeURIComponent(exit.key)}`, ['0.0.0.0/0', '::/0']);
  assert.equal(r.status, 200, r.text);
  vm = await tn.vm('vm-dns', { log: (m) => logs.push(m) });
  await until(() => vm.view()?.exitNodeInUse?.startsWith('exit.') ?? false, () => `the exit node in use (view: ${JSON.stringify(vm.view()?.exitNodeInUse)})`);
}, { timeout: 600_000 });
after(() => { tn?.stop(); udp?.close(); tcp?.close(); if (dir) rmSync(dir, { recursive: true, force: true }); });

function query(name: string, qtype = 1): Uint8Array {
  const labels = name.split('.').flatMap((l) => [l.length, ...new TextEncoder().encode(l)]);
  return Uint8Array.from([0x4a, 0x17, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, ...labels, 0, 0, qtype, 0, 1]);
}

/** One query to 100.100.100.100:53 over UDP from the VM's stack. */
function viaUdp(q: Uint8Array): Promise<Uint8Array> {
  const s = vm.net.stack.datagram('udp', { family: 2, addr: new Uint8Array(4), port: 0 }, {});
  if (typeof s === 'number') throw new Error(`datagram: errno ${-s}`);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { s.close(); reject(new Error('no DNS answer within 30 s')); }, 30_000);
    s.onChange = () => { const r = s.recv(); if (r) { clearTimeout(t); s.close(); resolve(r.data); } };
    s.send(q, { family: 2, addr: Uint8Array.of(100, 100, 100, 100), port: 53 });
  });
}

/** The same over TCP (2-byte length prefix). */
function viaTcp(q: Uint8Array): Promise<Uint8Array> {
  const c = vm.net.stack.connect({ family: 2, addr: Uint8Array.of(100, 100, 100, 100), port: 53 }, null, {});
  if (typeof c === 'number') throw new Error(`connect: errno ${-c}`);
  const msg = new Uint8Array(2 + q.length);
  msg[0] = q.length >> 8; msg[1] = q.length & 0xff; msg.set(q, 2);
  let sent = false;
  let got = new Uint8Array(0);
  const buf = new Uint8Array(4096);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { c.close(); reject(new Error('no DNS answer over TCP within 30 s')); }, 30_000);
    const step = (conn: StreamConn) => {
      if (conn.state !== 'connected') return;
      if (!sent) { sent = conn.write(msg) === msg.length; }
      for (let n; (n = conn.read(buf)) > 0; ) { const g = new Uint8Array(got.length + n); g.set(got); g.set(buf.subarray(0, n), got.length); got = g; }
      if (got.length >= 2 && got.length >= 2 + ((got[0] << 8) | got[1])) { clearTimeout(t); conn.close(); resolve(got.slice(2, 2 + ((got[0] << 8) | got[1]))); }
    };
    c.onChange = () => step(c);
    step(c);
  });
}

test('a name outside the tailnet resolves through the exit node\'s DoH and our loopback DNS server', { skip, timeout: 120_000 }, async () => {
  const a = await viaUdp(query(NAME));
  assert.deepEqual([a[0], a[1]], [0x4a, 0x17], 'the query\'s ID');
  assert.equal(a[3] & 0xf, 0, 'NOERROR');
  assert.equal(a[7], 1, 'one answer');
  assert.deepEqual([...a.subarray(a.length - 4)], ADDR);
  assert.ok(asked.includes(`${NAME} 1`), `our server was asked: ${asked.join(', ')}`);
  assert.ok(logs.some((l) => /DNS for names outside the tailnet goes to the exit node exit\.tail\.test\. \(DoH at http:\/\/100\.64\.\d+\.\d+:\d+\/dns-query\)/.test(l)), logs.filter((l) => /DNS/.test(l)).join('\n'));
  // Over TCP to quad-100 too.
  const t = await viaTcp(query(NAME));
  assert.deepEqual([...t.subarray(t.length - 4)], ADDR);
});

test('the upstream\'s NXDOMAIN comes back; tailnet names are still answered locally', { skip, timeout: 120_000 }, async () => {
  const before = asked.length;
  const nx = await viaUdp(query('nosuch.corp.example'));
  assert.equal(nx[3] & 0xf, 3, 'NXDOMAIN from upstream');
  assert.ok(asked.slice(before).includes('nosuch.corp.example 1'));
  const n = asked.length;
  const local = await viaUdp(query('exit.tail.test'));
  assert.equal(local[3] & 0xf, 0);
  assert.deepEqual([...local.subarray(local.length - 4)], exit.ip.split('.').map(Number));
  assert.equal(asked.length, n, 'a tailnet name never reaches the upstream');
});

test('when the upstream does not answer, SERVFAIL with the reason logged; the next query works', { skip, timeout: 120_000 }, async () => {
  // Silence our server: the exit node's forwarder times out and its DoH answer is an error.
  const saved = udp!.listeners('message');
  udp!.removeAllListeners('message');
  tcp!.close();
  tcp = null;
  try {
    const a = await viaUdp(query('late.corp.example'));
    assert.equal(a[3] & 0xf, 2, 'SERVFAIL');
    assert.deepEqual([a[0], a[1]], [0x4a, 0x17]);
    assert.ok(logs.some((l) => /DNS forwarding failed \(SERVFAIL\): http:\/\/100\.64\.\d+\.\d+:\d+\/dns-query: /.test(l)), logs.filter((l) => /DNS/.test(l)).join('\n'));
  } finally {
    for (const l of saved) udp!.on('message', l as (m: Buffer, r: { port: number; address: string }) => void);
  }
  const ok = await viaUdp(query(NAME));
  assert.deepEqual([...ok.subarray(ok.length - 4)], ADDR);
});
