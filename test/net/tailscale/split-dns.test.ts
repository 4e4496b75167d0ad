/**
 * Split DNS (DNSConfig.Routes: a suffix to its own resolvers) on a tailnet of real pieces: the
 * DNS config reaches the VM from the real testcontrol (AddRawMapResponse, the fixture's
 * /test/rawmap), and the route's resolver is a DNS server on another node of the tailnet (a
 * second VM-side node serving UDP port 53 on its tailnet address), reached through WireGuard
 * over the real derper. MagicDNS at 100.100.100.100 sends names under the routed suffix there,
 * answers names under a route with no resolvers itself (NXDOMAIN), and keeps SERVFAIL for
 * everything else (no default resolvers in this config).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { DatagramSocket } from '../../../src/engine/net/stack.js';
import { NO_GO, hasGo } from './go-fixtures.js';
import { startTailnet, until, type Tailnet, type Vm } from './tailnet.js';

const skip = hasGo ? false : NO_GO;
let tn: Tailnet | null = null;
let vm: Vm, server: Vm;
let dns: DatagramSocket | null = null;
const asked: string[] = [];
const v4 = (s: string) => Uint8Array.from(s.split('.').map(Number));

/** The question's name and type (RFC 1035 §4.1.2). */
function question(q: Uint8Array): { name: string; end: number } {
  const labels: string[] = [];
  let o = 12;
  while (q[o] !== 0) { labels.push(new TextDecoder().decode(q.subarray(o + 1, o + 1 + q[o]))); o += 1 + q[o]; }
  return { name: labels.join('.').toLowerCase(), end: o + 5 };
}

/** The other node's DNS server: A 192.0.2.80 for files.corp.example, NXDOMAIN otherwise. */
function answer(q: Uint8Array): Uint8Array {
  const { name, end } = question(q);
  asked.push(name);
  const hit = name === 'files.corp.example';
  const head = [q[0], q[1], 0x81, hit ? 0x80 : 0x83, 0, 1, 0, hit ? 1 : 0, 0, 0, 0, 0];
  const rr = hit ? [0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 80] : [];
  return Uint8Array.from([...head, ...q.subarray(12, end), ...rr]);
}

before(async () => {
  if (!hasGo) return;
  tn = await startTailnet();
  server = await tn.vm('sdns-server');
  // On its tailnet address: MagicDNS holds 100.100.100.100:53 on the same stack.
  const s = server.net.stack.datagram('udp', { family: 2, addr: v4(server.ip), port: 53 }, {});
  if (typeof s === 'number') throw new Error(`bind :53: errno ${-s}`);
  dns = s as DatagramSocket;
  dns.onChange = () => { for (let d; (d = dns!.recv()); ) dns!.send(answer(d.data), d.from); };
  vm = await tn.vm('sdns-vm');
  await until(() => !!vm.view()?.peers.some((p) => p.addresses.includes(server.ip)), () => 'the DNS node in the VM\'s netmap');
  const r = await tn.hook(`rawmap?node=${encodeURIComponent(vm.net.backend.nodeKeyText)}`, {
    DNSConfig: { Proxied: true, Domains: ['tail.test'], Routes: { 'corp.example.': [{ Addr: server.ip }], 'internal.example.': [] } },
  });
  assert.equal(r.status, 200, r.text);
  await until(() => !!vm.net.backend.netmap.dns?.Routes, () => 'the split-DNS routes in the VM\'s netmap');
}, { timeout: 600_000 });
after(() => { dns?.close(); tn?.stop(); });

/** One query (type A) from the VM's stack to 100.100.100.100: the rcode and the first answer's address. */
function query(name: string): Promise<{ rcode: number; addr: string | null }> {
  const s = vm.net.stack.datagram('udp', { family: 2, addr: new Uint8Array(4), port: 0 }, {});
  if (typeof s === 'number') throw new Error(`datagram: errno ${-s}`);
  const labels = name.split('.').flatMap((l) => [l.length, ...new TextEncoder().encode(l)]);
  const q = Uint8Array.from([0x51, 0x7e, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, ...labels, 0, 0, 1, 0, 1]);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { s.close(); reject(new Error(`no DNS answer for ${name}`)); }, 30_000);
    s.onChange = () => {
      const r = s.recv();
      if (!r) return;
      clearTimeout(t); s.close();
      const a = r.data;
      assert.deepEqual([a[0], a[1]], [0x51, 0x7e], 'the answer carries the query\'s ID');
      resolve({ rcode: a[3] & 0xf, addr: a[7] ? [...a.subarray(a.length - 4)].join('.') : null });
    };
    s.send(q, { family: 2, addr: v4('100.100.100.100'), port: 53 });
  });
}

test('names under a routed suffix go to the route\'s resolver on the tailnet; an empty route is answered locally; others get SERVFAIL', { skip, timeout: 180_000 }, async () => {
  assert.deepEqual(await query('files.corp.example'), { rcode: 0, addr: '192.0.2.80' });
  assert.deepEqual(await query('Other.CORP.example'), { rcode: 3, addr: null }, 'the resolver\'s NXDOMAIN');
  assert.deepEqual(asked, ['files.corp.example', 'other.corp.example']);
  assert.deepEqual(await query('x.internal.example'), { rcode: 3, addr: null }, 'a route without resolvers: NXDOMAIN from MagicDNS');
  assert.deepEqual(await query('example.com'), { rcode: 2, addr: null }, 'no default resolvers: SERVFAIL');
  assert.deepEqual(await query('sdns-server.tail.test'), { rcode: 0, addr: server.ip }, 'tailnet names still from MagicDNS');
  assert.deepEqual(asked, ['files.corp.example', 'other.corp.example'], 'only the routed names reached the resolver');
});
