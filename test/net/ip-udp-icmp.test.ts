import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DatagramSocket } from '../../src/engine/net/stack.js';
import { format } from '../../src/net/ip/addr.js';
import { pattern } from '../support/net-apps.js';
import { A4, A6, B4, B6, addr, ok, pair } from './ip-fixture.js';

const ECONNREFUSED = 111, EINVAL = 22, EDESTADDRREQ = 89;

function echoRequest(seq: number, payload: Uint8Array, v6: boolean): Uint8Array {
  const m = new Uint8Array(8 + payload.length);
  m[0] = v6 ? 128 : 8; m[6] = seq >> 8; m[7] = seq & 0xff;
  m.set(payload, 8);
  return m;
}

for (const v6 of [false, true]) {
  const [a, b, any] = v6 ? [A6, B6, '::'] : [A4, B4, '0.0.0.0'];
  test(`UDP over IPv${v6 ? 6 : 4}: datagrams both ways with the sender's address, boundaries kept`, () => {
    const p = pair();
    const server = ok(p.b.datagram('udp', addr(any, 5353), {})) as DatagramSocket;
    const client = ok(p.a.datagram('udp', addr(any, 0), {})) as DatagramSocket;
    assert.ok(client.local.port >= 32768);
    assert.equal(client.send(new TextEncoder().encode('one'), addr(b, 5353)), 3);
    assert.equal(client.send(new TextEncoder().encode('two!'), addr(b, 5353)), 4);
    p.clock.advance(10);
    assert.equal(server.nextSize(), 3);
    const d1 = server.recv()!, d2 = server.recv()!;
    assert.equal(new TextDecoder().decode(d1.data), 'one');
    assert.equal(new TextDecoder().decode(d2.data), 'two!');
    assert.equal(format(d1.from.addr), a);
    assert.equal(d1.from.port, client.local.port);
    assert.equal(server.recv(), null);
    server.send(new TextEncoder().encode('reply'), d1.from);
    p.clock.advance(10);
    const r = client.recv()!;
    assert.equal(new TextDecoder().decode(r.data), 'reply');
    assert.equal(format(r.from.addr), b);
    assert.equal(r.from.port, 5353);
  });

  test(`UDP over IPv${v6 ? 6 : 4}: a datagram larger than the MTU is fragmented and reassembled`, () => {
    const p = pair();
    const server = ok(p.b.datagram('udp', addr(any, 7000), {})) as DatagramSocket;
    const client = ok(p.a.datagram('udp', addr(any, 0), {})) as DatagramSocket;
    const big = pattern(5000, 3);
    const before = p.la.sent;
    assert.equal(client.send(big, addr(b, 7000)), 5000);
    assert.equal(p.la.sent - before, v6 ? 5 : 4, 'fragments of at most 1280 bytes: 1256 (IPv4) or 1232 (IPv6) bytes of payload each');
    p.clock.advance(10);
    assert.deepEqual(server.recv()!.data, big);
  });

  test(`UDP over IPv${v6 ? 6 : 4}: a closed port answers ICMP port unreachable; a connected socket gets ECONNREFUSED`, () => {
    const p = pair();
    const s = ok(p.a.datagram('udp', addr(any, 0), {})) as DatagramSocket;
    assert.equal(s.send(new Uint8Array(1), null), -EDESTADDRREQ);
    s.send(new Uint8Array(4), addr(b, 9));
    p.clock.advance(10);
    assert.equal(s.takeError(), 0, 'unconnected sockets do not see it (Linux without IP_RECVERR)');
    assert.equal(s.connect(addr(b, 9)), 0);
    assert.equal(format(s.local.addr), a, 'connect picks the source address');
    let woke = 0;
    s.onChange = () => woke++;
    s.send(new Uint8Array(4), null);
    p.clock.advance(10);
    assert.equal(s.takeError(), ECONNREFUSED);
    assert.ok(woke > 0);
    assert.ok(p.b.drops.get('UDP port unreachable')! >= 2);
  });

  test(`ICMP echo over IPv${v6 ? 6 : 4}: a ping socket gets replies from the peer stack with its payload; bad requests are EINVAL`, () => {
    const p = pair();
    const s = ok(p.a.datagram('icmp', addr(any, 0), {})) as DatagramSocket;
    const payload = pattern(56, 5);
    for (let seq = 1; seq <= 3; seq++) assert.equal(s.send(echoRequest(seq, payload, v6), addr(b, 0)), 64);
    p.clock.advance(10);
    for (let seq = 1; seq <= 3; seq++) {
      const r = s.recv()!;
      assert.equal(r.data[0], v6 ? 129 : 0, 'echo reply');
      assert.equal((r.data[4] << 8) | r.data[5], s.local.port, 'identifier is the socket port');
      assert.equal((r.data[6] << 8) | r.data[7], seq);
      assert.deepEqual(r.data.subarray(8), payload);
      assert.equal(format(r.from.addr), b);
    }
    assert.equal(s.send(new Uint8Array([v6 ? 129 : 0, 0, 0, 0, 0, 0, 0, 0]), addr(b, 0)), -EINVAL, 'only echo requests');
    assert.equal(s.send(new Uint8Array(4), addr(b, 0)), -EINVAL, 'shorter than an ICMP header');
  });
}

test('IPv4 reassembly: out-of-order and duplicated fragments make one datagram; a missing one makes none', () => {
  const p = pair({ ab: { reorder: 1, reorderMs: 20, duplicate: 0.5 }, seed: 9 });
  const server = ok(p.b.datagram('udp', addr('0.0.0.0', 7001), {})) as DatagramSocket;
  const client = ok(p.a.datagram('udp', addr('0.0.0.0', 0), {})) as DatagramSocket;
  const big = pattern(12_000, 4);
  client.send(big, addr(B4, 7001));
  p.clock.advance(100);
  assert.deepEqual(server.recv()!.data, big);
  assert.equal(server.recv(), null, 'duplicates did not make a second datagram');
  let n = 0;
  p.la.impair = {};
  p.la.tap = () => { p.la.down = ++n === 3; };
  client.send(big, addr(B4, 7001));
  p.clock.advance(100);
  assert.equal(server.recv(), null);
});

test('an unknown protocol gets ICMP protocol unreachable; the stack carries on', () => {
  const p = pair();
  // An IPv4 packet with protocol 253 (experimental), from A to B, valid header checksum.
  const pkt = new Uint8Array(28);
  pkt.set([0x45, 0, 0, 28, 0, 1, 0, 0, 64, 253, 0, 0, 100, 64, 0, 1, 100, 64, 0, 2]);
  let s = 0;
  for (let i = 0; i < 20; i += 2) s += (pkt[i] << 8) | pkt[i + 1];
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  pkt[10] = (~s >> 8) & 0xff; pkt[11] = ~s & 0xff;
  const sentBefore = p.lb.sent;
  p.b.input(pkt);
  assert.equal(p.lb.sent - sentBefore, 1);
  assert.equal(p.b.drops.get('protocol 253'), 1);
});
