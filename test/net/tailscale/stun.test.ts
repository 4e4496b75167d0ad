/**
 * STUN (stun.ts) against the real derper's STUN server (tailscale.com v1.102.5, `-stun-port` on
 * 127.0.0.1; the DERP map from testcontrol names the port): the VM-side node with a UDP socket
 * asks it for its outside address, which the server only answers for a request carrying
 * SOFTWARE "tailnode" and a correct FINGERPRINT; the XOR-MAPPED-ADDRESS must be our socket's
 * address, and the endpoint goes to control as a STUN endpoint, so other nodes see it in the
 * netmap.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { NodeUdpTransport } from '../../../src/net/tailscale/udp-transport.node.js';
import { NO_GO, freeUdpPort, hasGo } from './go-fixtures.js';
import { startTailnet, until, type Tailnet, type Vm } from './tailnet.js';

const skip = hasGo ? false : NO_GO;
let tn: Tailnet | null = null;
let vm: Vm, other: Vm;
let udp: NodeUdpTransport;

before(async () => {
  if (!hasGo) return;
  tn = await startTailnet({ stunPort: await freeUdpPort() });
  udp = await NodeUdpTransport.listen('127.0.0.1');
  vm = await tn.vm('stun-vm', { udp });
  other = await tn.vm('stun-other');
}, { timeout: 600_000 });
after(() => tn?.stop());

test('the derper\'s STUN server tells the VM its address; control passes it to other nodes', { skip, timeout: 120_000 }, async () => {
  const me = `127.0.0.1:${udp.port}`;
  await until(() => (vm.net.pathStats?.stunAnswers ?? 0) > 0, () => `a STUN answer (${JSON.stringify(vm.net.pathStats)})`);
  assert.ok(vm.net.pathStats!.stunSent >= 1);
  assert.deepEqual(vm.net.endpoints, [{ addr: me, type: 2 }], 'the STUN endpoint (it equals the loopback socket\'s own address, listed once)');
  await until(() => !!other.view()?.peers.length && [...other.net.backend.netmap.peers.values()].some((p) => p.Name.startsWith('stun-vm.') && (p.Endpoints ?? []).includes(me)),
    () => `the other node to see ${me} among our endpoints`);
});
