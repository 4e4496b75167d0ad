/**
 * The tailnet's packet filter, against the real testcontrol and two real tsnet peers
 * (tailscale.com v1.102.5): control sends the VM a PacketFilter (testcontrol's AddRawMapResponse,
 * through the fixture's /test/rawmap hook) that lets peer A reach port 80 only; A gets through
 * on 80 and is refused on 81, peer B is refused everywhere (TCP and ping), while connections the
 * VM opens to B still work (their answers are not new connections). Malformed rules are
 * reported and skipped, the rest apply.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { InetAddr, StreamListener } from '../../../src/engine/net/stack.js';
import { NO_GO, hasGo } from './go-fixtures.js';
import { connect, httpExchange, startTailnet, until, type Peer, type Tailnet, type Vm } from './tailnet.js';

const skip = hasGo ? false : NO_GO;
let tn: Tailnet | null = null;
let vm: Vm, pa: Peer, pb: Peer;
const accepted: Record<number, number> = { 80: 0, 81: 0 };
const listeners: StreamListener[] = [];

before(async () => {
  if (!hasGo) return;
  tn = await startTailnet();
  [pa, pb] = await Promise.all([tn.peer('pa'), tn.peer('pb')]);
  vm = await tn.vm('vm-filter');
  await until(() => [pa, pb].every((p) => !!vm.view()?.peers.some((q) => q.addresses.includes(p.ip))), () => 'both peers in the VM\'s netmap');
  // Two tiny HTTP servers in the VM's stack.
  for (const port of [80, 81]) {
    const l = vm.net.stack.listen({ family: 2, addr: new Uint8Array(4), port } as InetAddr, 8, {});
    if (typeof l === 'number') throw new Error(`listen ${port}: errno ${-l}`);
    listeners.push(l);
    l.onChange = () => {
      for (let c; (c = l.accept()); ) {
        accepted[port]++;
        const conn = c;
        conn.onChange = () => {
          const b = new Uint8Array(4096);
          if (conn.read(b) > 0) {
            const body = `port ${port} of the VM\n`;
            conn.write(new TextEncoder().encode(`HTTP/1.0 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`));
            conn.shutdown(1);
          }
        };
      }
    };
  }
}, { timeout: 600_000 });
after(() => { for (const l of listeners) l.close(); tn?.stop(); });

/** Ask a tspeer (over the tailnet, from the VM) to GET a URL through its own tailnet connection. */
async function peerGet(peer: Peer, path: string): Promise<{ status: number; text: string }> {
  const c = await connect(vm.net.stack, peer.ip, 80);
  const r = await httpExchange(c, 'GET', path, undefined, 60_000);
  return { status: r.status, text: r.text };
}
const fetchVm = (peer: Peer, port: number, timeout = '4s') => peerGet(peer, `/fetch?timeout=${timeout}&url=${encodeURIComponent(`http://${vm.ip}:${port}/`)}`);

async function sendFilter(rules: unknown[]): Promise<void> {
  const r = await tn!.hook(`rawmap?node=${encodeURIComponent(vm.net.backend.nodeKeyText)}`, { PacketFilter: rules });
  assert.equal(r.status, 200, r.text);
}

test('testcontrol\'s own filter (allow all): both peers reach both ports', { skip, timeout: 120_000 }, async () => {
  await until(() => vm.net.filterStatus.rules > 0, () => 'a filter from control');
  assert.equal(vm.net.filterStatus.error, null);
  for (const p of [pa, pb]) for (const port of [80, 81]) {
    const r = await fetchVm(p, port, '30s');
    assert.equal(r.status, 200, `${p.ip} → ${port}: ${r.text}`);
    assert.equal(r.text, `port ${port} of the VM\n`);
  }
});

test('a filter from control: peer A on port 80 only; B refused (TCP and ping); the VM still reaches B', { skip, timeout: 180_000 }, async () => {
  await sendFilter([{ SrcIPs: [pa.ip], DstPorts: [{ IP: '*', Ports: { First: 80, Last: 80 } }] }]);
  await until(() => vm.net.filterStatus.rules === 1, () => `the new filter (${JSON.stringify(vm.net.filterStatus)})`);
  const before = { ...accepted }, dropped = vm.net.stats.filtered;

  const ok = await fetchVm(pa, 80, '30s');
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.text, 'port 80 of the VM\n');

  const a81 = await fetchVm(pa, 81);
  assert.equal(a81.status, 502, `A → 81 should be refused: ${a81.text}`);
  const b80 = await fetchVm(pb, 80);
  assert.equal(b80.status, 502, `B → 80 should be refused: ${b80.text}`);
  assert.equal(accepted[81], before[81], 'nothing reached port 81');
  assert.equal(accepted[80], before[80] + 1, 'only A reached port 80');
  assert.ok(vm.net.stats.filtered > dropped, 'the filter counted its drops');
  // The last drop is B's SYN or a retransmission of A's to port 81.
  const esc = (s: string) => s.replace(/\./g, '\\.');
  assert.match(vm.net.filterStatus.lastDrop ?? '', new RegExp(`^(${esc(pa.ip)}|${esc(pb.ip)}):\\d+ → ${esc(vm.ip)}:8[01] TCP: no rules matched$`));

  // ICMP: an echo request passes where any port is open to the source (matchIPsOnly).
  const pingA = await peerGet(pa, `/ping?ip=${vm.ip}`);
  assert.equal(pingA.status, 200, pingA.text);
  const pingB = await peerGet(pb, `/ping?ip=${vm.ip}`);
  assert.equal(pingB.status, 502, `B's ping should go unanswered: ${pingB.text}`);

  // Outbound from the VM: B's answers are not new connections, so they pass.
  const c = await connect(vm.net.stack, pb.ip, 80);
  const r = await httpExchange(c, 'GET', '/', undefined, 60_000);
  assert.equal(r.text, 'hello from pb\n');
});

test('malformed rules are reported and skipped; the well-formed ones apply', { skip, timeout: 120_000 }, async () => {
  await sendFilter([
    { SrcIPs: ['not-an-ip', pb.ip], DstPorts: [{ IP: '*', Ports: { First: 81, Last: 81 } }] },
    { SrcIPs: ['*'], DstPorts: [{ IP: '100.64.0.0/9', Ports: { First: 0, Last: 65535 } }] },
  ]);
  await until(() => vm.net.filterStatus.error !== null, () => 'the filter error');
  assert.equal(vm.net.filterStatus.error, 'rule 1: invalid IP address "not-an-ip"');
  assert.equal(vm.net.filterStatus.rules, 2);
  const b81 = await fetchVm(pb, 81, '30s');
  assert.equal(b81.status, 200, `B → 81 is allowed by the good half of rule 1: ${b81.text}`);
  const a80 = await fetchVm(pa, 80);
  assert.equal(a80.status, 502, `A → 80 is no longer allowed (rule 2's destination had host bits and was skipped): ${a80.text}`);
  assert.equal(vm.net.state, 6, 'still Running');
});

test('a cap: rule lets in the peer whose node holds the capability (its CapMap from a map delta), not the other', { skip, timeout: 180_000 }, async () => {
  const a = [...vm.net.backend.netmap.peers.values()].find((p) => (p.Addresses ?? []).includes(`${pa.ip}/32`));
  assert.ok(a, 'peer A in the netmap');
  const r = await tn!.hook(`rawmap?node=${encodeURIComponent(vm.net.backend.nodeKeyText)}`, {
    PacketFilter: [{ SrcIPs: ['cap:example.com/cap/web'], DstPorts: [{ IP: '*', Ports: { First: 80, Last: 80 } }] }],
    PeersChangedPatch: [{ NodeID: a.ID, CapMap: { 'example.com/cap/web': null } }],
  });
  assert.equal(r.status, 200, r.text);
  await until(() => vm.net.filterStatus.rules === 1 && !!a.CapMap && 'example.com/cap/web' in a.CapMap, () => `the cap filter and A's capability (${JSON.stringify(vm.net.filterStatus)})`);
  const a80 = await fetchVm(pa, 80, '30s');
  assert.equal(a80.status, 200, `A holds the capability: ${a80.text}`);
  const b80 = await fetchVm(pb, 80);
  assert.equal(b80.status, 502, `B does not: ${b80.text}`);
  assert.equal(vm.net.filterStatus.error, null);
});
