import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drive, pattern, sha256 } from '../support/net-apps.js';
import { A4, A6, B4, B6, addr, connected, ok, pair } from './ip-fixture.js';
import { format } from '../../src/net/ip/addr.js';
import type { TcpConn } from '../../src/net/ip/tcp.js';
import type { StreamConn } from '../../src/engine/net/stack.js';

const ECONNREFUSED = 111, ECONNRESET = 104, ETIMEDOUT = 110, EPIPE = 32;

test('TCP handshake: both ends connected, addresses and ports as each side sees them', () => {
  const p = pair();
  const { client, server } = connected(p);
  assert.equal(format(client.local.addr), A4);
  assert.equal(format(client.remote.addr), B4);
  assert.equal(client.remote.port, 8080);
  assert.equal(format(server.remote.addr), A4);
  assert.equal(server.remote.port, client.local.port);
  assert.ok(client.local.port >= 32768 && client.local.port <= 60999, 'ephemeral port in Linux range');
  // MSS from the 1280 MTU: 1280 - 20 - 20.
  assert.equal((client as TcpConn).mss, 1240);
});

test('an AF_INET6 listener on :: accepts IPv4 (v4-mapped peer) and IPv6', () => {
  const p = pair();
  const l = ok(p.b.listen(addr('::', 9000), 5, {}));
  const c4 = ok(p.a.connect(addr(B4, 9000), null, {}));
  let s4: StreamConn | null = null;
  p.clock.run(() => c4.state === 'connected' && (s4 ??= l.accept()) !== null);
  assert.equal(s4!.remote.family, 10);
  assert.equal(format(s4!.remote.addr), '::ffff:6440:1', '::ffff:100.64.0.1');
  assert.equal(format(s4!.local.addr), '::ffff:6440:2');
  const c6 = ok(p.a.connect(addr(B6, 9000), null, {}));
  let s6: StreamConn | null = null;
  p.clock.run(() => c6.state === 'connected' && (s6 ??= l.accept()) !== null);
  assert.equal(format(s6!.remote.addr), A6);
  assert.equal(format(c6.local.addr), A6);
  assert.equal((c6 as TcpConn).mss, 1220, 'MSS 1280 - 40 - 20 over IPv6');
});

for (const v6 of [false, true]) {
  test(`several MB both ways at once over IPv${v6 ? 6 : 4} with 2% loss, reordering, duplication and delay: same sha256`, () => {
    const im = { loss: 0.02, duplicate: 0.02, reorder: 0.1, reorderMs: 15, delayMs: 10 };
    const p = pair({ ab: im, ba: im, seed: v6 ? 11 : 12 });
    const { client, server } = connected(p, v6);
    const up = pattern(3 << 20, 1), down = pattern(2 << 20, 2);
    const c = drive(client, { send: up }), s = drive(server, { send: down });
    assert.ok(p.clock.run(() => c.eof && s.eof, 600_000), `transfer finished (client got ${c.received}, server ${s.received})`);
    assert.equal(s.received, up.length);
    assert.equal(c.received, down.length);
    assert.equal(s.sha256(), sha256(up));
    assert.equal(c.sha256(), sha256(down));
    assert.equal(c.error, 0); assert.equal(s.error, 0);
  });
}

test('window scaling lets one connection exceed 64 KiB per round trip (RTT 200 ms, 8 MB in well under 25 s)', () => {
  const p = pair({ ab: { delayMs: 100 }, ba: { delayMs: 100 }, tcp: { rcvBuf: 4 << 20, sndBuf: 4 << 20 } });
  const { client, server } = connected(p);
  const data = pattern(8 << 20, 3);
  const t0 = p.clock.now();
  drive(client, { send: data });
  const s = drive(server);
  assert.ok(p.clock.run(() => s.eof));
  const secs = (p.clock.now() - t0) / 1000;
  // Without scaling: at most 65535 bytes per 200 ms = 320 KiB/s, 25 s for 8 MiB.
  assert.ok(secs < 8, `took ${secs.toFixed(1)} s of simulated time`);
  assert.equal(s.sha256(), sha256(data));
});

test('a slow reader with a small buffer: the window closes, zero-window probes keep it alive, every byte arrives', () => {
  const p = pair({ ab: { delayMs: 5 }, ba: { delayMs: 5 }, tcp: { sndBuf: 16384 }, tcpB: { rcvBuf: 8192, sndBuf: 8192 } });
  const { client, server } = connected(p);
  const data = pattern(256 << 10, 4);
  const c = drive(client, { send: data });
  const s = drive(server, { noRead: true });
  // Nobody reads for 5 s: the sender fills the 8 KiB window and probes.
  let zeroWindowAcks = 0;
  p.lb.tap = (pkt) => { if (pkt[9] === 6 && pkt[20 + 14] === 0 && pkt[20 + 15] === 0 && (pkt[20 + 13] & 0x04) === 0) zeroWindowAcks++; };
  p.clock.advance(5000);
  assert.ok(c.sent <= 16384 + 8192, `writer blocked (sent ${c.sent})`);
  assert.ok(s.received === 0);
  assert.ok(zeroWindowAcks >= 3, `receiver answered window probes with a zero window (${zeroWindowAcks})`);
  assert.equal(client.state, 'connected');
  // Now read 1 KiB every 20 ms.
  const slow = drive(server, { readBytes: 1024, readEveryMs: 20, clock: p.clock });
  assert.ok(p.clock.run(() => slow.eof, 120_000));
  assert.equal(slow.sha256(), sha256(data));
  void c;
});

test('half-close: the client shuts down writing, the server reads EOF, replies, and both reach CLOSED through TIME-WAIT', () => {
  const p = pair();
  const { client, server } = connected(p);
  const c = drive(client, { send: new TextEncoder().encode('request'), shutdown: true });
  const s = drive(server);
  p.clock.run(() => s.eof);
  p.clock.advance(10);
  assert.equal(new TextDecoder().decode(s.head()), 'request');
  assert.equal(server.eof, true);
  assert.equal((server as TcpConn).tcpState, 'CLOSE-WAIT');
  assert.equal((client as TcpConn).tcpState, 'FIN-WAIT-2');
  assert.equal(client.write(new Uint8Array(1)), -EPIPE);
  s.write(new TextEncoder().encode('response'), true);
  p.clock.run(() => c.eof);
  assert.equal(new TextDecoder().decode(c.head()), 'response');
  p.clock.advance(100);
  assert.equal((client as TcpConn).tcpState, 'TIME-WAIT');
  assert.equal((server as TcpConn).tcpState, 'CLOSED');
  p.clock.advance(2100);
  assert.equal((client as TcpConn).tcpState, 'CLOSED', 'TIME-WAIT lasts 2 s');
  assert.equal(client.state, 'closed');
});

test('simultaneous close: both ends send FIN at once, go through CLOSING and end CLOSED', () => {
  const p = pair({ ab: { delayMs: 20 }, ba: { delayMs: 20 } });
  const { client, server } = connected(p);
  client.shutdown(1); server.shutdown(1);
  const states = new Set<string>();
  p.clock.run(() => { states.add((client as TcpConn).tcpState); return (client as TcpConn).tcpState === 'TIME-WAIT' && (server as TcpConn).tcpState === 'TIME-WAIT'; }, 5000);
  assert.ok(states.has('CLOSING'), `states seen: ${[...states].join(', ')}`);
  p.clock.advance(3000);
  assert.equal((client as TcpConn).tcpState, 'CLOSED');
  assert.equal((server as TcpConn).tcpState, 'CLOSED');
});

test('RST: close with SO_LINGER 0 resets; the peer reads ECONNRESET, then EOF, and writes fail', () => {
  const p = pair();
  const { client, server } = connected(p);
  client.close(true);
  p.clock.advance(50);
  assert.equal(server.state, 'closed');
  assert.equal(server.read(new Uint8Array(10)), -ECONNRESET);
  assert.equal(server.read(new Uint8Array(10)), 0);
  assert.equal(server.write(new Uint8Array(1)), -EPIPE);
});

test('closing with unread data sends RST instead of FIN (RFC 2525 §2.17)', () => {
  const p = pair();
  const { client, server } = connected(p);
  client.write(new Uint8Array(100));
  p.clock.advance(50);
  assert.equal(server.readable(), 100);
  server.close();
  p.clock.advance(50);
  assert.equal(client.takeError(), ECONNRESET);
  assert.equal(client.state, 'closed');
});

test('connection refused: SYN to a port nobody listens on is answered with RST', () => {
  const p = pair();
  const c = ok(p.a.connect(addr(B4, 1234), null, {}));
  let changed = 0;
  c.onChange = () => changed++;
  p.clock.advance(100);
  assert.equal(c.state, 'closed');
  assert.equal(c.takeError(), ECONNREFUSED);
  assert.equal(c.takeError(), 0, 'SO_ERROR clears on read');
  assert.ok(changed > 0, 'onChange fired');
});

test('no answer at all: SYN retransmissions back off and the connect fails with ETIMEDOUT', () => {
  const p = pair({ tcp: { synRetries: 3 } });
  p.la.down = true;
  const c = ok(p.a.connect(addr(B4, 80), null, {}));
  const t0 = p.clock.now();
  p.clock.run(() => c.state === 'closed', 60_000);
  // 1 + 2 + 4 + 8 s (RFC 6298 initial RTO 1 s, doubling).
  assert.equal(Math.round((p.clock.now() - t0) / 1000), 15);
  assert.equal(c.takeError(), ETIMEDOUT);
  assert.ok(p.la.sent === 4, `4 SYNs sent (${p.la.sent})`);
});

test('an established connection whose peer vanishes times out after its retransmissions', () => {
  const p = pair({ tcp: { retries: 4 } });
  const { client } = connected(p);
  p.la.down = true;
  client.write(new Uint8Array(1000));
  p.clock.run(() => client.state === 'closed', 600_000);
  assert.equal(client.takeError(), ETIMEDOUT);
});

test('keepalive: an idle connection whose peer vanished is found dead after idle + probes', () => {
  const p = pair({ tcp: { keepIdleMs: 10_000, keepIntvlMs: 1000, keepCnt: 3 } });
  const { client, server } = connected(p);
  client.setOptions({ keepAlive: true });
  // Peer alive: probes are answered, the connection stays up past several idle periods.
  p.clock.advance(35_000);
  assert.equal(client.state, 'connected');
  assert.ok(p.la.sent >= 4, 'keepalive probes went out');
  // Peer gone.
  p.lb.down = true; p.la.down = true;
  const t0 = p.clock.now();
  p.clock.run(() => client.state === 'closed', 60_000);
  assert.equal(client.takeError(), ETIMEDOUT);
  assert.ok(p.clock.now() - t0 <= 10_000 + 4 * 1000 + 1, `dead after ${p.clock.now() - t0} ms`);
  void server;
});

test('many concurrent connections (64) with loss all complete with the right data', () => {
  const im = { loss: 0.01, reorder: 0.05, reorderMs: 5, delayMs: 3 };
  const p = pair({ ab: im, ba: im, seed: 5 });
  const l = ok(p.b.listen(addr('0.0.0.0', 7), 128, {}));
  const servers: ReturnType<typeof drive>[] = [];
  l.onChange = () => { for (let c; (c = l.accept());) servers.push(drive(c, { send: pattern(40_000, 100 + servers.length) })); };
  const clients = Array.from({ length: 64 }, () => drive(ok(p.a.connect(addr(B4, 7), null, {})), { send: pattern(30_000, 9) }));
  assert.ok(p.clock.run(() => clients.every((c) => c.eof) && servers.length === 64 && servers.every((s) => s.eof), 600_000));
  const expect = new Set(Array.from({ length: 64 }, (_, i) => sha256(pattern(40_000, 100 + i))));
  for (const c of clients) assert.ok(expect.has(c.sha256()));
  for (const s of servers) assert.equal(s.sha256(), sha256(pattern(30_000, 9)));
  const ports = new Set(clients.map((_, i) => i));
  assert.equal(ports.size, 64);
});

test('listen backlog: handshakes beyond the accept queue wait (final ACK dropped, SYN-ACK resent) and complete once accepted', () => {
  const p = pair();
  const l = ok(p.b.listen(addr('0.0.0.0', 81), 1, {}));
  const cs = Array.from({ length: 4 }, () => ok(p.a.connect(addr(B4, 81), null, {})));
  p.clock.advance(500);
  assert.equal(l.pending(), 2, 'backlog 1 holds 2 (Linux: full when more than backlog wait)');
  const first = [l.accept(), l.accept()];
  assert.equal(l.accept(), null);
  p.clock.advance(5000);
  assert.equal(l.pending(), 2, 'the other two completed after their SYN-ACKs were resent');
  const all = [...first, l.accept(), l.accept()];
  assert.deepEqual(all.map((c) => c!.remote.port).sort(), cs.map((c) => c.local.port).sort());
});

test('EADDRINUSE for a second listener on a port, unless both set SO_REUSEPORT; EADDRNOTAVAIL for a foreign address', () => {
  const p = pair();
  ok(p.b.listen(addr('0.0.0.0', 90), 5, {}));
  assert.equal(p.b.listen(addr('0.0.0.0', 90), 5, {}), -98);
  assert.equal(p.b.listen(addr(B4, 90), 5, {}), -98);
  assert.equal(p.b.listen(addr('::', 90), 5, {}), -98, ':: covers IPv4 too');
  ok(p.b.listen(addr('::', 90), 5, { v6only: true }));
  ok(p.b.listen(addr('0.0.0.0', 91), 5, { reusePort: true }));
  ok(p.b.listen(addr('0.0.0.0', 91), 5, { reusePort: true }));
  assert.equal(p.b.listen(addr('10.0.0.1', 92), 5, {}), -99);
  assert.equal(p.a.connect(addr('192.168.1.1', 80), null, {}), -101, 'no route: ENETUNREACH');
});

test('Nagle: small writes coalesce while data is in flight; TCP_NODELAY sends each at once', () => {
  for (const noDelay of [false, true]) {
    const p = pair({ ab: { delayMs: 50 }, ba: { delayMs: 50 } });
    const { client, server } = connected(p);
    client.setOptions({ noDelay });
    const before = p.la.sent;
    for (let i = 0; i < 10; i++) client.write(new Uint8Array(10));
    const segs = p.la.sent - before;
    const s = drive(server);
    p.clock.run(() => s.received === 100);
    if (noDelay) assert.equal(segs, 10);
    else assert.equal(segs, 1, 'only the first small segment goes out before its ACK');
  }
});

test('delayed ACK: a lone segment is acknowledged after 40 ms, two full segments at once', () => {
  const p = pair({ ab: { delayMs: 1 }, ba: { delayMs: 1 } });
  const { client, server } = connected(p);
  drive(server);
  // Get past the quickack segments at the start.
  for (let i = 0; i < 20; i++) { client.write(new Uint8Array(1)); p.clock.advance(100); }
  const acks: number[] = [];
  p.lb.tap = () => acks.push(p.clock.now());
  const t0 = p.clock.now();
  client.write(new Uint8Array(1));
  p.clock.advance(100);
  assert.equal(acks.length, 1);
  assert.ok(acks[0] - t0 >= 40 && acks[0] - t0 < 45, `ACK after ${acks[0] - t0} ms`);
  acks.length = 0;
  const t1 = p.clock.now();
  client.setOptions({ noDelay: true });
  client.write(new Uint8Array(2 * 1240));
  p.clock.advance(100);
  assert.equal(acks.length, 1);
  assert.ok(acks[0] - t1 < 5, `ACK after ${acks[0] - t1} ms`);
});

test('fast retransmit: one lost segment in a window is resent after 3 duplicate ACKs, well before the RTO', () => {
  const p = pair({ ab: { delayMs: 10 }, ba: { delayMs: 10 } });
  const { client, server } = connected(p);
  const s = drive(server);
  // Warm up so the congestion window is large and the RTO known.
  drive(client, { send: pattern(200_000, 8), shutdown: false });
  p.clock.run(() => s.received === 200_000);
  let n = 0, lostAt = -1, resentAt = -1, lostSeq = -1;
  p.la.tap = (pkt) => {
    const seq = ((pkt[24] << 24) | (pkt[25] << 16) | (pkt[26] << 8) | pkt[27]) >>> 0;
    if (pkt.length > 100 && ++n === 3) { lostSeq = seq; lostAt = p.clock.now(); p.la.down = true; }
    else { p.la.down = false; if (seq === lostSeq && resentAt < 0) resentAt = p.clock.now(); }
  };
  drive(client, { send: pattern(20 * 1240, 9), shutdown: false });
  p.clock.run(() => s.received === 200_000 + 20 * 1240, 10_000);
  assert.ok(resentAt > 0, 'lost segment resent');
  assert.ok(resentAt - lostAt < 100, `resent after ${resentAt - lostAt} ms (RTO is at least 200 ms)`);
});

test('garbage from the link is counted and dropped; the stack keeps working', () => {
  const p = pair({ ab: { corrupt: 0.05 }, ba: { corrupt: 0.05 }, seed: 3 });
  for (const junk of [new Uint8Array(0), new Uint8Array([0x45]), new Uint8Array(40).fill(0x45), new Uint8Array(60).fill(0x60), new Uint8Array(30).fill(0xff)]) p.b.input(junk);
  const { client, server } = connected(p);
  const data = pattern(500_000, 6);
  drive(client, { send: data });
  const s = drive(server);
  assert.ok(p.clock.run(() => s.eof));
  assert.equal(s.sha256(), sha256(data));
  const reasons = [...p.b.drops.keys()].join('; ');
  assert.match(reasons, /checksum mismatch/);
  assert.match(reasons, /IP version 15/);
});

test('a new SYN on a 4-tuple in TIME-WAIT starts a new connection at once (RFC 6191)', () => {
  const p = pair();
  const l = ok(p.b.listen(addr('0.0.0.0', 80), 5, {}));
  const c1 = ok(p.a.connect(addr(B4, 80), addr(A4, 40000), {}));
  let s1 = null as StreamConn | null;
  p.clock.run(() => c1.state === 'connected' && (s1 ??= l.accept()) !== null);
  // The server closes first, so the server side ends in TIME-WAIT.
  s1!.close();
  p.clock.advance(10);
  c1.close();
  p.clock.advance(50);
  assert.equal((s1 as TcpConn).tcpState, 'TIME-WAIT');
  assert.equal((c1 as TcpConn).tcpState, 'CLOSED');
  const t0 = p.clock.now();
  const c2 = ok(p.a.connect(addr(B4, 80), addr(A4, 40000), {}));
  p.clock.run(() => c2.state === 'connected' && l.pending() === 1, 5000);
  assert.ok(p.clock.now() - t0 < 100, `connected after ${p.clock.now() - t0} ms, without waiting out TIME-WAIT or a SYN retransmission`);
});

test('ICMP fragmentation needed lowers the MSS of a connection (path MTU discovery, RFC 1191)', () => {
  const p = pair();
  const { client, server } = connected(p);
  const s = drive(server);
  // Whatever A sends with more than 1000 bytes is answered with "fragmentation needed, MTU 1000", as a router would.
  p.la.tap = (pkt) => {
    if (pkt.length <= 1000) return;
    const m = new Uint8Array(8 + 28);
    m[0] = 3; m[1] = 4; m[6] = 1000 >> 8; m[7] = 1000 & 0xff;
    m.set(pkt.subarray(0, 28), 8);
    let sum = 0;
    for (let i = 0; i < m.length; i += 2) sum += (m[i] << 8) | m[i + 1];
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    m[2] = (~sum >> 8) & 0xff; m[3] = ~sum & 0xff;
    const ip = new Uint8Array(20 + m.length);
    ip.set([0x45, 0, 0, ip.length, 0, 0, 0, 0, 64, 1, 0, 0, 100, 64, 0, 2, 100, 64, 0, 1]);
    let h = 0;
    for (let i = 0; i < 20; i += 2) h += (ip[i] << 8) | ip[i + 1];
    while (h > 0xffff) h = (h & 0xffff) + (h >>> 16);
    ip[10] = (~h >> 8) & 0xff; ip[11] = ~h & 0xff;
    ip.set(m, 20);
    p.la.down = true;
    p.clock.setTimer(() => { p.la.down = false; p.a.input(ip); }, 1);
  };
  const data = pattern(100_000, 12);
  drive(client, { send: data });
  assert.ok(p.clock.run(() => s.eof, 60_000));
  assert.equal(s.sha256(), sha256(data));
  assert.equal((client as TcpConn).mss, 1000 - 40);
});
