/**
 * Control pings (MapResponse.PingRequest) against the real testcontrol (tailscale.com v1.102.5):
 * a c2n request to "/echo" (testcontrol's SendC2N, control's probe of whether a node is alive)
 * is answered over the Noise channel; a HEAD ping reaches its URL (plain HTTP, and over Noise);
 * an ICMP ping to a real tsnet peer posts a PingResponse with the peer's address and latency.
 * Bad requests (a URL that fails, a c2n answer control refuses, an unknown type) end in a
 * failed outcome with the cause, and the node stays Running.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { PingOutcome } from '../../../src/net/tailscale/control/ping.js';
import { NO_GO, hasGo } from './go-fixtures.js';
import { startTailnet, until, type Peer, type Tailnet, type Vm } from './tailnet.js';

const skip = hasGo ? false : NO_GO;
let tn: Tailnet | null = null;
let vm: Vm, peer: Peer;
const outcomes: PingOutcome[] = [];

before(async () => {
  if (!hasGo) return;
  tn = await startTailnet();
  peer = await tn.peer('pingpeer');
  vm = await tn.vm('vm-ping', { onControlPing: (o) => outcomes.push(o) });
  await until(() => !!vm.view()?.peers.some((q) => q.addresses.includes(peer.ip)), () => 'the peer in the VM\'s netmap');
}, { timeout: 600_000 });
after(() => tn?.stop());

const node = () => encodeURIComponent(vm.net.backend.nodeKeyText);
async function ping(pr: Record<string, unknown>): Promise<void> {
  const r = await tn!.hook(`ping?node=${node()}`, pr);
  assert.equal(r.status, 200, r.text);
}
/** Poll the fixture for what reached /test/hit/TOKEN. */
async function waitHits(token: string): Promise<{ method: string; body: string }[]> {
  const end = Date.now() + 30_000;
  for (;;) {
    const r = await tn!.hook(`hits/${token}`);
    const lines = r.text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { method: string; body: string });
    if (lines.length) return lines;
    if (Date.now() > end) throw new Error(`nothing reached /test/hit/${token}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}
const outcome = (pred: (o: PingOutcome) => boolean, what: string) => until(() => outcomes.some(pred), () => `${what}; outcomes so far: ${JSON.stringify(outcomes)}`, 30_000).then(() => outcomes.find(pred)!);

test('c2n: control\'s /echo probe is answered over Noise; an unknown path gets 400', { skip, timeout: 120_000 }, async () => {
  const r = await tn!.hook(`c2n?node=${node()}&path=/echo`, 'are you there?');
  assert.equal(r.text, '200\nare you there?');
  const u = await tn!.hook(`c2n?node=${node()}&path=/debug/nothing`, '');
  assert.equal(u.text, '400\nunknown c2n path\n');
});

test('a HEAD ping reaches its URL, plain and over Noise', { skip, timeout: 120_000 }, async () => {
  await ping({ URL: `${tn!.controlUrl}/test/hit/head1`, Log: true });
  assert.deepEqual((await waitHits('head1')).map((h) => h.method), ['HEAD']);
  // testcontrol answers /generate_204 on its Noise mux too.
  await ping({ URL: 'https://unused/generate_204', URLIsNoise: true });
  const o = await outcome((x) => x.url === 'https://unused/generate_204', 'the Noise HEAD ping');
  assert.equal(o.ok, true, o.detail);
  assert.match(o.detail, /HTTP 204/);
});

test('an ICMP ping to a real peer posts a PingResponse with its address and latency', { skip, timeout: 120_000 }, async () => {
  await ping({ URL: `${tn!.controlUrl}/test/hit/icmp1`, Types: 'ICMP', IP: peer.ip });
  const [h] = await waitHits('icmp1');
  assert.equal(h.method, 'POST');
  const res = JSON.parse(h.body) as { Type: string; IP: string; NodeIP: string; NodeName: string; LatencySeconds: number; Err?: string };
  assert.equal(res.Err, undefined, h.body);
  assert.equal(res.Type, 'ICMP');
  assert.equal(res.IP, peer.ip);
  assert.equal(res.NodeIP, peer.ip);
  assert.equal(res.NodeName, 'pingpeer');
  assert.ok(res.LatencySeconds > 0, h.body);
  // A kind we do not do is answered with the reason.
  await ping({ URL: `${tn!.controlUrl}/test/hit/disco1`, Types: 'disco', IP: peer.ip });
  const [d] = await waitHits('disco1');
  assert.match(JSON.parse(d.body).Err, /disco pings are not supported/);
});

test('bad ping requests end with a clear outcome; the node keeps running and answering', { skip, timeout: 120_000 }, async () => {
  // A URL nobody serves.
  await ping({ URL: 'http://127.0.0.1:1/nobody' });
  const dead = await outcome((x) => x.url === 'http://127.0.0.1:1/nobody', 'the failed HEAD ping');
  assert.equal(dead.ok, false);
  assert.match(dead.detail, /^http:\/\/127\.0\.0\.1:1\/nobody: /);
  // A c2n request whose payload is not HTTP, answered to a token control never issued.
  await ping({ URL: 'https://unused/c2n/no-such-token', Types: 'c2n', Payload: Buffer.from('garbage').toString('base64') });
  const c2n = await outcome((x) => x.url === 'https://unused/c2n/no-such-token', 'the refused c2n answer');
  assert.equal(c2n.ok, false);
  assert.match(c2n.detail, /refused the c2n answer: HTTP 500 unknown c2n token/);
  // An unknown ping type, and an ICMP ping to an address no node has.
  await ping({ URL: `${tn!.controlUrl}/test/hit/bogus`, Types: 'bogus', IP: peer.ip });
  await outcome((x) => x.kind === 'bogus' && !x.ok && /unsupported ping request type "bogus"/.test(x.detail), 'the unsupported type');
  await ping({ URL: `${tn!.controlUrl}/test/hit/icmp-none`, Types: 'ICMP', IP: '100.64.99.99' });
  const [none] = await waitHits('icmp-none');
  assert.match(JSON.parse(none.body).Err, /100\.64\.99\.99/);
  assert.equal(vm.net.state, 6);
  const r = await tn!.hook(`c2n?node=${node()}&path=/echo`, 'still there?');
  assert.equal(r.text, '200\nstill there?');
});
