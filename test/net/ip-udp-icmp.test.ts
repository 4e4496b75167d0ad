import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DatagramSocket } from '../../src/engine/net/stack.js';
import { format, parse } from '../../src/net/ip/addr.js';
import { drive, pattern, sha256 } from '../support/net-apps.js';
import { rng } from '../support/net-link.js';
import { checksum, pseudoSum } from '../../src/net/ip/checksum.js';
import { A4, A6, B4, B6, addr, connected, ok, pair } from './ip-fixture.js';

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

test('20 000 random packets (valid IP headers, random payloads, some with valid checksums and our ports) never throw, and the connections and sockets keep working', () => {
  const p = pair();
  const { client, server } = connected(p);
  const u = ok(p.b.datagram('udp', addr('0.0.0.0', 53), {})) as DatagramSocket;
  const r = rng(42);
  const A = parse(A4), B = parse(B4);
  let expectDelivered = 0, expectBadSum = 0, delivered = 0;
  for (let i = 0; i < 20_000; i++) {
    const proto = [1, 6, 17, 99][Math.floor(r() * 4)];
    const len = Math.floor(r() * 80);
    const body = new Uint8Array(len);
    for (let j = 0; j < len; j++) body[j] = Math.floor(r() * 256);
    if (proto === 6 && len >= 20 && r() < 0.7) {
      // Aimed at the live connection: its ports, a plain header length.
      body[0] = client.local.port >> 8; body[1] = client.local.port & 0xff; body[2] = 8080 >> 8; body[3] = 8080 & 0xff; body[12] = 0x50;
    }
    const frag = r() < 0.2; // MF or an offset: held for reassembly, never complete
    const aimed = proto === 17 && len >= 8 && r() < 0.5;
    if (aimed) { body[2] = 0; body[3] = 53; body[4] = len >> 8; body[5] = len & 0xff; }
    const summed = (proto === 6 || proto === 17) && len >= 18 && r() < 0.8;
    if (aimed && summed && !frag) expectDelivered++;
    if (aimed && !summed && !frag && (body[6] | body[7]) !== 0) expectBadSum++;
    if (summed) {
      const o = proto === 6 ? 16 : 6;
      body[o] = 0; body[o + 1] = 0;
      const c = checksum(body, 0, len, pseudoSum(A, B, proto, len));
      body[o] = c >> 8; body[o + 1] = c & 0xff;
    }
    if (proto === 1 && len >= 4 && r() < 0.8) { body[2] = 0; body[3] = 0; const c = checksum(body, 0, len); body[2] = c >> 8; body[3] = c & 0xff; }
    const pkt = new Uint8Array(20 + len);
    pkt.set([0x45, 0, (20 + len) >> 8, (20 + len) & 0xff, 0, i & 0xff, frag ? 0x20 : 0, frag && r() < 0.5 ? 8 : 0, 64, proto, 0, 0, ...A, ...B]);
    const c = checksum(pkt, 0, 20);
    pkt[10] = c >> 8; pkt[11] = c & 0xff;
    pkt.set(body, 20);
    p.b.input(pkt);
    while (u.recv()) delivered++;
    if (i % 1000 === 0) p.clock.advance(50);
  }
  p.clock.advance(1000);
  assert.equal(delivered, expectDelivered, 'exactly the datagrams with valid checksums reached the socket');
  assert.equal(p.b.drops.get('UDP checksum mismatch'), expectBadSum);
  assert.ok(p.b.drops.get('TCP checksum mismatch')! > 1000);
  // Random segments with valid checksums may legitimately reset the connection (an in-window RST):
  // either it still carries data intact, or it is closed; it is never corrupted.
  if (server.state === 'connected') {
    const data = pattern(200_000, 8);
    const s = drive(server);
    drive(client, { send: data });
    p.clock.run(() => s.eof || s.error !== 0, 60_000);
    if (!s.error) assert.equal(s.sha256(), sha256(data));
  }
  const c2 = ok(p.a.datagram('udp', addr('0.0.0.0', 0), {})) as DatagramSocket;
  c2.send(new Uint8Array([1, 2, 3]), addr(B4, 53));
  p.clock.advance(10);
  let last: Uint8Array | null = null;
  for (let d; (d = u.recv());) last = d.data;
  assert.deepEqual(last, new Uint8Array([1, 2, 3]));
  assert.ok(p.b.drops.size > 5);
});
