/**
 * 100 MB each way between the VM's network (TailscaleNetwork: our IP stack, WireGuard and DERP
 * over WebSocket) and a REAL Tailscale node (tsnet from tailscale.com v1.102.5, the engine of
 * tailscaled with a userspace netstack, test/net/go/cmd/tspeer) through the REAL derper and
 * testcontrol on loopback. The data is checked by sha256 at both ends; the throughput is
 * printed (the bench, bench/tailscale.ts, records it; nothing here is timed).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { NO_GO, hasGo } from './go-fixtures.js';
import { connect, httpExchange, startTailnet, type Peer, type Tailnet, type Vm } from './tailnet.js';
import { pattern, sha256 } from '../../support/net-apps.js';

const SIZE = 100 * 1024 * 1024;
const skip = hasGo ? false : NO_GO;
let tn: Tailnet | null = null;
let vm: Vm;
let peer: Peer;

before(async () => {
  if (!hasGo) return;
  tn = await startTailnet();
  peer = await tn.peer('bulk-peer');
  vm = await tn.vm('bulk-vm');
}, { timeout: 600_000 });
after(() => tn?.stop());

const mbit = (bytes: number, ms: number) => `${(bytes * 8 / 1e6 / (ms / 1000)).toFixed(1)} Mbit/s`;

test('100 MB from the real peer to the VM: sha256 matches the peer\'s', { skip, timeout: 900_000 }, async () => {
  const r = await httpExchange(await connect(vm.net.stack, peer.ip, 80), 'GET', `/bytes?n=${SIZE}`);
  assert.equal(r.status, 200);
  assert.equal(r.bytes, SIZE);
  assert.equal(r.sha256, r.headers.get('x-sha256'));
  console.log(`peer → VM: ${SIZE} bytes in ${(r.ms / 1000).toFixed(1)} s, ${mbit(SIZE, r.ms)}`);
});

test('100 MB from the VM to the real peer: the peer\'s sha256 matches ours', { skip, timeout: 900_000 }, async () => {
  const data = pattern(SIZE, 7);
  const r = await httpExchange(await connect(vm.net.stack, peer.ip, 80), 'POST', '/sha256', data);
  assert.equal(r.status, 200);
  assert.equal(r.text, `${SIZE} ${sha256(data)}\n`);
  console.log(`VM → peer: ${SIZE} bytes in ${(r.ms / 1000).toFixed(1)} s, ${mbit(SIZE, r.ms)}`);
});
