/**
 * The VM's packet filter (src/net/tailscale/filter.ts) against Tailscale's own
 * (tailscale.com/wgengine/filter v1.102.5, run by the fixture test/net/go/cmd/filtercheck): the
 * same rules, the same local addresses and the same sequence of packets (a seeded mix of IPv4
 * and IPv6; TCP SYN, SYN-ACK, ACK and RST; UDP before and after the VM sent on the flow; ICMP
 * echo, replies and errors; GRE; later fragments; other destinations; multicast), and every
 * verdict must agree. Rule sets include CIDRs, ranges, port ranges, IPProto lists, `*`, `cap:`
 * sources (one capability table given to both), and malformed entries (skipped by both, with the
 * same first error).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { PacketFilter } from '../../../src/net/tailscale/filter.js';
import { format, parse } from '../../../src/net/ip/addr.js';
import { checksum } from '../../../src/net/ip/checksum.js';
import { writeIpv4, writeIpv6 } from '../../../src/net/ip/packet.js';
import { NO_GO, goBinary, hasGo } from './go-fixtures.js';

const skip = hasGo ? false : NO_GO;
const LOCAL = ['100.64.0.1/32', 'fd7a:115c:a1e0::1/128'];
const SRC4 = ['100.64.0.2', '100.64.0.3', '100.64.0.9', '100.100.1.7', '8.8.8.8'];
const SRC6 = ['fd7a:115c:a1e0::2', 'fd7a:115c:a1e0::3', 'fd7a:115c:a1e0::ab', '2001:db8::1'];
const DST4 = ['100.64.0.1', '100.64.0.1', '100.64.0.1', '100.64.0.5', '224.0.0.251'];
const DST6 = ['fd7a:115c:a1e0::1', 'fd7a:115c:a1e0::1', 'fd7a:115c:a1e0::5', 'ff02::fb'];
const PORTS = [22, 53, 80, 81, 443, 8080, 40000];

/** xorshift32: the same packets on every run. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 2 ** 32; };
}

/** An IPv4 or IPv6 packet with a valid header checksum. */
function packet(v6: boolean, src: string, dst: string, proto: number, l4: Uint8Array, frag?: { offset: number }): Uint8Array {
  const s = parse(src), d = parse(dst);
  if (v6) {
    if (frag) {
      const out = new Uint8Array(40 + 8 + l4.length);
      writeIpv6(out, 44, s, d, 8 + l4.length, 64);
      out[40] = proto; out[42] = (frag.offset >> 8) & 0xff; out[43] = frag.offset & 0xf8; out[47] = 7;
      out.set(l4, 48);
      return out;
    }
    const out = new Uint8Array(40 + l4.length);
    writeIpv6(out, proto, s, d, l4.length, 64);
    out.set(l4, 40);
    return out;
  }
  const out = new Uint8Array(20 + l4.length);
  writeIpv4(out, proto, s, d, out.length, 64, 7, false, frag?.offset ?? 0, false);
  out.set(l4, 20);
  return out;
}

function tcp(sport: number, dport: number, flags: number): Uint8Array {
  const b = new Uint8Array(20);
  b[0] = sport >> 8; b[1] = sport & 0xff; b[2] = dport >> 8; b[3] = dport & 0xff;
  b[12] = 5 << 4; b[13] = flags;
  return b;
}
function udp(sport: number, dport: number): Uint8Array {
  const b = new Uint8Array(12);
  b[0] = sport >> 8; b[1] = sport & 0xff; b[2] = dport >> 8; b[3] = dport & 0xff; b[5] = 12;
  return b;
}
function icmp(type: number, code = 0): Uint8Array {
  const b = new Uint8Array(16);
  b[0] = type; b[1] = code;
  const c = checksum(b, 0, b.length, 0);
  b[2] = c >> 8; b[3] = c & 0xff;
  return b;
}

interface Step { dir: 'in' | 'out'; pkt: Uint8Array }

function steps(seed: number, n: number): Step[] {
  const r = rng(seed);
  const pick = <T>(a: T[]) => a[Math.floor(r() * a.length)];
  const out: Step[] = [];
  for (let i = 0; i < n; i++) {
    const v6 = r() < 0.4;
    const src = pick(v6 ? SRC6 : SRC4), dst = pick(v6 ? DST6 : DST4);
    const sport = pick(PORTS), dport = pick(PORTS);
    const k = r();
    if (k < 0.3) out.push({ dir: 'in', pkt: packet(v6, src, dst, 6, tcp(sport, dport, pick([0x02, 0x12, 0x10, 0x18, 0x04, 0x11]))) });
    else if (k < 0.55) {
      // Sometimes the VM speaks first on the flow (the reply should then pass).
      if (r() < 0.4 && !dst.startsWith('224') && !dst.startsWith('ff')) out.push({ dir: 'out', pkt: packet(v6, dst, src, 17, udp(dport, sport)) });
      out.push({ dir: 'in', pkt: packet(v6, src, dst, 17, udp(sport, dport)) });
    } else if (k < 0.8) out.push({ dir: 'in', pkt: packet(v6, src, dst, v6 ? 58 : 1, icmp(pick(v6 ? [128, 129, 1, 3, 135] : [8, 0, 3, 11, 13]))) });
    else if (k < 0.9) out.push({ dir: 'in', pkt: packet(v6, src, dst, 47, new Uint8Array(8)) });
    else out.push({ dir: 'in', pkt: packet(v6, src, dst, 6, tcp(sport, dport, 0x02), { offset: 64 }) });
  }
  return out;
}

/** Which sources' nodes hold which capabilities (for `cap:` sources), given to both filters. */
const CAPS: Record<string, string[]> = {
  '100.64.0.3': ['example.com/cap/a'], '100.64.0.9': ['example.com/cap/b'],
  'fd7a:115c:a1e0::3': ['example.com/cap/a', 'example.com/cap/c'], '8.8.8.8': ['example.com/cap/c'], '100.100.1.7': ['example.com/cap/d'],
};
const hasCap = (src: Uint8Array, cap: string) => cap !== '' && (CAPS[format(src)] ?? []).includes(cap);

function goVerdicts(rules: unknown[], s: Step[]): string[] {
  const r = spawnSync(goBinary('filtercheck')!, [], {
    input: JSON.stringify({ rules, local: LOCAL, caps: CAPS, steps: s.map((x) => ({ dir: x.dir, hex: Buffer.from(x.pkt).toString('hex') })) }), encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n');
}

function ourVerdicts(rules: unknown[], s: Step[]): string[] {
  const f = new PacketFilter(rules, LOCAL, hasCap);
  const out = s.map((x) => {
    if (x.dir === 'out') { f.noteOutbound(x.pkt); return 'out'; }
    return f.runIn(x.pkt).accept ? 'Accept' : 'Drop';
  });
  return [...out, `error: ${f.error ?? 'none'}`];
}

const RULE_SETS: [string, unknown[]][] = [
  ['testcontrol\'s allow-all', [{ SrcIPs: ['*'], DstPorts: [{ IP: '*', Ports: { First: 0, Last: 65535 } }] }]],
  ['one peer, one port', [{ SrcIPs: ['100.64.0.2', 'fd7a:115c:a1e0::2'], DstPorts: [{ IP: '*', Ports: { First: 80, Last: 80 } }] }]],
  ['CIDRs, a range, port ranges, UDP only', [
    { SrcIPs: ['100.64.0.0/30'], DstPorts: [{ IP: '100.64.0.1/32', Ports: { First: 22, Last: 81 } }] },
    { SrcIPs: ['100.64.0.8-100.64.0.10', 'fd7a:115c:a1e0::a0-fd7a:115c:a1e0::af'], DstPorts: [{ IP: '*', Ports: { First: 53, Last: 53 } }], IPProto: [17] },
  ]],
  ['GRE and ICMP by protocol', [
    { SrcIPs: ['*'], DstPorts: [{ IP: '*', Ports: { First: 0, Last: 65535 } }], IPProto: [47] },
    { SrcIPs: ['100.64.0.3'], DstPorts: [{ IP: '100.64.0.1', Ports: { First: 443, Last: 443 } }], IPProto: [1, 6] },
  ]],
  ['malformed entries beside good ones', [
    { SrcIPs: ['not-an-ip', '100.64.0.2'], DstPorts: [{ IP: '*', Ports: { First: 80, Last: 81 } }] },
    { SrcIPs: ['*'], DstPorts: [{ IP: '100.64.0.0/9', Ports: { First: 0, Last: 65535 } }, { IP: '100.64.0.1', Ports: { First: 8080, Last: 8080 } }] },
    { SrcIPs: ['100.64.0.9-100.64.0.3', 'cap:some-cap', 'fd7a:115c:a1e0::3'], DstPorts: [{ IP: '*', Ports: { First: 40000, Last: 40000 } }] },
  ]],
  ['cap: sources (a node\'s capabilities)', [
    { SrcIPs: ['cap:example.com/cap/a'], DstPorts: [{ IP: '*', Ports: { First: 80, Last: 443 } }] },
    { SrcIPs: ['100.64.0.2', 'cap:example.com/cap/b', 'cap:'], DstPorts: [{ IP: '100.64.0.1', Ports: { First: 22, Last: 22 } }], IPProto: [6, 1] },
    { SrcIPs: ['cap:example.com/cap/c'], DstPorts: [{ IP: 'fd7a:115c:a1e0::1', Ports: { First: 53, Last: 53 } }] },
    { SrcIPs: ['cap:example.com/cap/nobody-has'], DstPorts: [{ IP: '*', Ports: { First: 0, Last: 65535 } }] },
    // Go's matchIPsOnly lets an ICMP echo in for any capability rule of the family, whatever its destination.
    { SrcIPs: ['cap:example.com/cap/d'], DstPorts: [{ IP: '100.64.0.5', Ports: { First: 8080, Last: 8080 } }] },
  ]],
  ['no rules: nothing new comes in', []],
];

for (const [name, rules] of RULE_SETS) {
  test(`filter verdicts equal wgengine/filter's: ${name}`, { skip }, () => {
    const s = steps(name.length * 7919 + 1, 600);
    const go = goVerdicts(rules, s), ours = ourVerdicts(rules, s);
    const diffs: string[] = [];
    for (let i = 0; i < s.length; i++) if (go[i] !== ours[i]) diffs.push(`step ${i} (${s[i].dir} ${Buffer.from(s[i].pkt).toString('hex')}): go ${go[i]}, ours ${ours[i]}`);
    assert.deepEqual(diffs, []);
    // Ours names the rule too ("rule 1: …").
    assert.equal(ours.at(-1)!.replace(/^error: rule \d+: /, 'error: '), go.at(-1), 'the first error');
    assert.ok(go.includes('Accept') || rules.length === 0, 'some packets pass');
    assert.ok(go.includes('Drop'), 'some packets are dropped');
  });
}
