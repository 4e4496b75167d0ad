/**
 * Direct UDP paths (magicsock.ts) against a real tsnet peer (tspeer) that runs WITHOUT
 * TS_DEBUG_ALWAYS_USE_DERP, so its magicsock looks for a direct path too: both sides start on
 * DERP, find each other's 127.0.0.1 endpoints with disco pings, and WireGuard goes over UDP.
 * Shown from both ends: our path table and counters, and the peer's own LocalAPI status
 * (CurAddr = our UDP socket, as `tailscale status` shows a direct peer). Then the UDP path is
 * blocked (every datagram dropped both ways, as a firewall would): traffic goes on over DERP;
 * unblocked, it goes direct again. And the peer's `tailscale ping --disco / --tsmp / --peerapi` equivalents
 * (LocalClient.Ping) are answered.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { InetAddr } from '../../../src/engine/net/stack.js';
import type { UdpTransport } from '../../../src/net/tailscale/magicsock.js';
import { NodeUdpTransport } from '../../../src/net/tailscale/udp-transport.node.js';
import { NO_GO, hasGo } from './go-fixtures.js';
import { connect, httpExchange, startTailnet, until, type Peer, type Tailnet, type Vm } from './tailnet.js';

const skip = hasGo ? false : NO_GO;
let tn: Tailnet | null = null;
let peer: Peer;
let vm: Vm;
let udp: NodeUdpTransport;
/** The VM's socket, wrapped so that a test can drop every datagram both ways. */
const wall = { blocked: false };

function blockable(inner: NodeUdpTransport): UdpTransport {
  const t: UdpTransport = {
    onMessage: null,
    send: (m, ip, port) => { if (!wall.blocked) inner.send(m, ip, port); },
    endpoints: () => inner.endpoints(),
    reaches: (ip) => inner.reaches(ip),
    close: () => inner.close(),
  };
  inner.onMessage = (m, ip, port) => { if (!wall.blocked) t.onMessage?.(m, ip, port); };
  return t;
}

before(async () => {
  if (!hasGo) return;
  tn = await startTailnet();
  peer = await tn.peer('dpeer');
  udp = await NodeUdpTransport.listen('127.0.0.1');
  vm = await tn.vm('dvm', { udp: blockable(udp) });
  await until(() => !!vm.view()?.peers.some((p) => p.name.startsWith('dpeer.')), () => 'the peer in the netmap');
}, { timeout: 600_000 });
after(() => tn?.stop());

async function peerGet(path: string, ms = 60_000): Promise<{ status: number; text: string }> {
  const c = await connect(vm.net.stack, peer.ip, 80);
  const r = await httpExchange(c, 'GET', path, undefined, ms);
  return { status: r.status, text: r.text };
}

const ourPath = () => vm.net.paths.find((p) => p.peer.startsWith('dpeer.'))?.path ?? 'none';
/** The peer's view of us: CurAddr (set when direct) from its LocalAPI status. */
async function peerSeesUs(): Promise<string> {
  const st = await peerGet('/status');
  const line = st.text.split('\n').find((l) => l.startsWith('dvm '));
  assert.ok(line, `the peer's status lists us: ${st.text}`);
  return /cur="([^"]*)"/.exec(line)![1];
}

/** Requests until `pred` holds (paths change on traffic and on magicsock's timers, seconds apart). */
async function trafficUntil(pred: () => Promise<boolean> | boolean, what: string, ms = 90_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const r = await peerGet('/');
    assert.equal(r.status, 200);
    if (await pred()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: our path ${ourPath()}, stats ${JSON.stringify(vm.net.pathStats)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('a real tsnet peer and the VM find the direct UDP path on loopback; traffic flows both ways over it', { skip, timeout: 300_000 }, async () => {
  const endpoint = `127.0.0.1:${udp.port}`;
  await trafficUntil(() => ourPath().startsWith('direct 127.0.0.1:'), 'our path to go direct');
  await trafficUntil(async () => (await peerSeesUs()) === endpoint, 'the peer to see us direct');

  // VM → peer: 2 MB with a matching sha256, over UDP (DERP carries next to nothing meanwhile).
  const s0 = { ...vm.net.pathStats! };
  const c = await connect(vm.net.stack, peer.ip, 80);
  const r = await httpExchange(c, 'GET', '/bytes?n=2000000', undefined, 120_000);
  assert.equal(r.status, 200);
  assert.equal(r.bytes, 2_000_000);
  assert.equal(r.sha256, r.headers.get('x-sha256'));
  // Peer → VM: the peer fetches from a server in the VM's stack.
  const l = vm.net.stack.listen({ family: 2, addr: new Uint8Array(4), port: 8080 } as InetAddr, 8, {});
  if (typeof l === 'number') throw new Error(`listen: errno ${-l}`);
  l.onChange = () => {
    for (let a; (a = l.accept()); ) {
      const conn = a;
      conn.onChange = () => { if (conn.read(new Uint8Array(4096)) > 0) { conn.write(new TextEncoder().encode('HTTP/1.0 200 OK\r\n\r\nfrom the VM, directly\n')); conn.shutdown(1); } };
    }
  };
  const f = await peerGet(`/fetch?url=${encodeURIComponent(`http://${vm.ip}:8080/`)}`);
  l.close();
  assert.equal(f.status, 200, f.text);
  assert.equal(f.text, 'from the VM, directly\n');
  const s1 = vm.net.pathStats!;
  const directIn = s1.directIn - s0.directIn, derpIn = s1.derpIn - s0.derpIn, directOut = s1.directOut - s0.directOut, derpOut = s1.derpOut - s0.derpOut;
  assert.ok(directIn > 1000, `2 MB came over UDP (${directIn} datagrams)`);
  assert.ok(directOut > 100, `our ACKs and the VM's answer went over UDP (${directOut} datagrams)`);
  assert.ok(derpIn + derpOut < (directIn + directOut) / 20, `DERP carried next to nothing (${derpIn} in, ${derpOut} out)`);
});

test('the peer\'s disco, TSMP and peerapi pings are answered (tailscale ping --disco, --tsmp, --peerapi)', { skip, timeout: 120_000 }, async () => {
  const disco = await peerGet(`/ping?ip=${vm.ip}&type=disco`);
  assert.equal(disco.status, 200, disco.text);
  assert.match(disco.text, new RegExp(`^pong ${vm.ip.replace(/\./g, '\\.')} disco endpoint="127\\.0\\.0\\.1:${udp.port}"`));
  const tsmp = await peerGet(`/ping?ip=${vm.ip}&type=TSMP`);
  assert.equal(tsmp.status, 200, tsmp.text);
  assert.match(tsmp.text, new RegExp(`^pong ${vm.ip.replace(/\./g, '\\.')} TSMP `));
  // peerapi: a HEAD of our peerapi base URL (the port from our Hostinfo.Services) must answer 200.
  const api = await peerGet(`/ping?ip=${vm.ip}&type=peerapi`);
  assert.equal(api.status, 200, api.text);
  assert.match(api.text, new RegExp(`^pong ${vm.ip.replace(/\./g, '\\.')} peerapi .*peerapi="http://${vm.ip.replace(/\./g, '\\.')}:${vm.net.peerApi.port}"`));
  assert.ok(vm.net.peerApi.requests > 0);
});

test('with the UDP path blocked, traffic falls back to DERP; unblocked, it goes direct again', { skip, timeout: 300_000 }, async () => {
  await trafficUntil(() => ourPath().startsWith('direct'), 'a direct path to start from');
  wall.blocked = true;
  try {
    // magicsock trusts a path 6.5 s after its last pong: then both ends go back to DERP.
    await trafficUntil(() => ourPath() === 'derp', 'our path to fall back to DERP');
    await trafficUntil(async () => (await peerSeesUs()) === '', 'the peer to fall back to DERP');
    const s0 = { ...vm.net.pathStats! };
    const c = await connect(vm.net.stack, peer.ip, 80);
    const r = await httpExchange(c, 'GET', '/bytes?n=500000', undefined, 120_000);
    assert.equal(r.sha256, r.headers.get('x-sha256'));
    const s1 = vm.net.pathStats!;
    assert.equal(s1.directIn - s0.directIn, 0, 'nothing came over the blocked UDP path');
    assert.ok(s1.derpIn - s0.derpIn > 300, `500 kB came over DERP (${s1.derpIn - s0.derpIn} packets)`);
  } finally {
    wall.blocked = false;
  }
  await trafficUntil(() => ourPath().startsWith('direct 127.0.0.1:'), 'our path to go direct again');
});
