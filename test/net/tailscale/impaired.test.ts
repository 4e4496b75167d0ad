/**
 * TCP between the VM and a REAL Tailscale node (tsnet, test/net/go/cmd/tspeer) through the
 * REAL derper, with faults injected between the VM's WireGuard tunnel and DERP
 * (impaired-derp.ts: WireGuard packets dropped, duplicated and reordered in both directions),
 * and with the VM's DERP connection cut in the middle of a transfer (the DERP client
 * reconnects; the WireGuard session and the TCP connection carry on). Nothing may be lost:
 * sha256 is checked at both ends.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { NO_GO, hasGo } from './go-fixtures.js';
import { DerpImpairer } from './impaired-derp.js';
import { connect, httpExchange, startTailnet, type Peer, type Tailnet, type Vm } from './tailnet.js';
import { pattern, sha256 } from '../../support/net-apps.js';

const skip = hasGo ? false : NO_GO;
let tn: Tailnet | null = null;
let vm: Vm;
let peer: Peer;
let imp: DerpImpairer;

before(async () => {
  if (!hasGo) return;
  tn = await startTailnet();
  peer = await tn.peer('lossy-peer');
  imp = await DerpImpairer.create();
  vm = await tn.vm('lossy-vm', { derpWebSocket: imp.factory });
}, { timeout: 600_000 });
after(() => tn?.stop());

test('8 MiB each way with 2% loss, 2% duplication and 5% reordering of WireGuard packets both ways', { skip, timeout: 600_000 }, async () => {
  imp.impairment = { loss: 0.02, duplicate: 0.02, reorder: 0.05 };
  try {
    const size = 8 << 20;
    const down = await httpExchange(await connect(vm.net.stack, peer.ip, 80, 60_000), 'GET', `/bytes?n=${size}`);
    assert.equal(down.status, 200);
    assert.equal(down.bytes, size);
    assert.equal(down.sha256, down.headers.get('x-sha256'));
    const data = pattern(size, 5);
    const up = await httpExchange(await connect(vm.net.stack, peer.ip, 80, 60_000), 'POST', '/sha256', data);
    assert.equal(up.text, `${size} ${sha256(data)}\n`);
    const s = imp.stats;
    console.log(`impaired: ${s.packets} packets, ${s.dropped} dropped, ${s.duplicated} duplicated, ${s.reordered} reordered; down ${(down.ms / 1000).toFixed(1)} s, up ${(up.ms / 1000).toFixed(1)} s`);
    assert.ok(s.dropped > 50 && s.duplicated > 50 && s.reordered > 100, JSON.stringify(s));
  } finally {
    imp.impairment = { loss: 0, duplicate: 0, reorder: 0 };
  }
});

test('the VM\'s DERP connection cut twice in the middle of a 32 MiB download and once in an upload: nothing lost', { skip, timeout: 600_000 }, async () => {
  const size = 32 << 20;
  const before = imp.stats.connections;
  const marks = [8 << 20, 20 << 20];
  const down = await httpExchange(await connect(vm.net.stack, peer.ip, 80), 'GET', `/bytes?n=${size}`, undefined, 600_000, (n) => {
    if (marks.length && n >= marks[0]) { marks.shift(); imp.cut(); }
  });
  assert.equal(down.bytes, size);
  assert.equal(down.sha256, down.headers.get('x-sha256'));
  assert.equal(imp.stats.cuts, 2);
  const data = pattern(size, 9);
  const c = await connect(vm.net.stack, peer.ip, 80);
  const cut = setTimeout(() => imp.cut(), 300);
  const up = await httpExchange(c, 'POST', '/sha256', data);
  clearTimeout(cut);
  assert.equal(up.text, `${size} ${sha256(data)}\n`);
  // A new WebSocket after every cut (the DERP client reconnected on its own).
  assert.ok(imp.stats.connections >= before + imp.stats.cuts, JSON.stringify(imp.stats));
  console.log(`cut ${imp.stats.cuts} times: ${imp.stats.connections - before} new DERP connections; down ${(down.ms / 1000).toFixed(1)} s, up ${(up.ms / 1000).toFixed(1)} s`);
});
