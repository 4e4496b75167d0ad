/**
 * The tailnet's packet filter, applied to packets arriving from WireGuard peers before the VM's
 * IP stack sees them, as tailscaled's wgengine/filter does (tailscale.com v1.102.5, filter.go
 * runIn4/runIn6, tailcfg.go MatchesFromFilterRules, match.go):
 *
 * - The rules come from the netmap (MapResponse.PacketFilter, and the named chunks of
 *   PacketFilters, concatenated in key order: control/controlclient/map.go). Until a netmap
 *   brings one, nothing new may come in (ipnlocal's NewAllowNone).
 * - A packet must be addressed to one of the node's own addresses ("destination not allowed").
 * - TCP: only a SYN (without ACK) is checked against the rules; every other segment belongs to
 *   a connection the VM opened or one a rule let in, and passes.
 * - UDP: a datagram passes when a rule allows it, or when it answers a flow the VM sent
 *   (the reverse of an outbound 5-tuple, remembered for the last 512 flows: lruMax).
 * - ICMP: echo replies and errors pass; an echo request passes when any rule allows the source
 *   to reach the destination on some port (matchIPsOnly).
 * - Other protocols pass only where a rule names them for all ports; later fragments pass.
 *
 * A rule that cannot be parsed is skipped and the first error is reported, the rest apply, as
 * MatchesFromFilterRules returns the rules it could convert with the first error. A rule with
 * the pre-2020 SrcBits or Bits fields makes Go refuse the whole filter (nothing comes in); so do
 * we. `cap:NAME` sources (SrcCaps) match a source address whose node has that capability
 * (ipnlocal srcIPHasCapForFilter: Node.CapMap or Node.Capabilities, asked through `hasCap`).
 */
import { format, parse } from '../ip/addr.js';
import { PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP, parseIp, writeIpv4, type IpPacket } from '../ip/packet.js';

/** IANA protocol numbers of the filter's default set (tailcfg.go defaultProtos). */
const DEFAULT_PROTOS = [PROTO_TCP, PROTO_UDP, PROTO_ICMP, PROTO_ICMPV6];
/** SCTP: tracked like UDP (filter.go). TSMP: Tailscale's own messages, always accepted. */
const PROTO_SCTP = 132, PROTO_TSMP = 99;
/** filter.go lruMax: outbound UDP flows remembered for their replies. */
const FLOW_CACHE = 512;

interface Net { addr: Uint8Array; bits: number }
interface PortRange { net: Net; first: number; last: number }
interface Match { protos: number[]; srcs: Net[]; caps: string[]; dsts: PortRange[] }

/** Whether the node owning address `src` has capability `cap` (filter.CapTestFunc). */
export type HasCap = (src: Uint8Array, cap: string) => boolean;

export interface FilterVerdict { accept: boolean; why: string }

/** A parsed filter; `error` is the first problem met while parsing (null when none). */
export class PacketFilter {
  readonly error: string | null;
  private readonly matches: Match[];
  private readonly local: Net[];
  private readonly flows = new Map<string, true>();

  /**
   * `rules`: the concatenated FilterRules as they came in the JSON (anything: checked here);
   * null means no filter yet (allow nothing new). `localAddresses`: the node's addresses
   * ("100.64.0.1/32").
   */
  constructor(rules: unknown, localAddresses: readonly string[], private readonly hasCap: HasCap | null = null) {
    const local: Net[] = [];
    for (const a of localAddresses) { const n = parseNet(a); if (typeof n !== 'string') local.push(...n); }
    this.local = local;
    const { matches, error } = rules === null ? { matches: [], error: null } : parseRules(rules);
    this.matches = matches;
    this.error = error;
  }

  /** How many rules took effect. */
  get ruleCount(): number { return this.matches.length; }

  /** A packet the VM sends: remember UDP/SCTP flows so their replies come back in (filter.go runOut). */
  noteOutbound(raw: Uint8Array): void {
    const p = decode(raw);
    if (typeof p === 'string' || (p.proto !== PROTO_UDP && p.proto !== PROTO_SCTP) || (p.frag && p.frag.offset) || multicast(p)) return;
    // Keyed as the reply will arrive: (peer, peer's port) → (us, our port).
    const k = flowKey(p.proto, p.dst, port(p.payload, 2), p.src, port(p.payload, 0));
    this.flows.delete(k);
    this.flows.set(k, true);
    if (this.flows.size > FLOW_CACHE) this.flows.delete(this.flows.keys().next().value!);
  }

  /** Copy the outbound flows of an older filter (filter.New's shareStateWith): a new netmap keeps replies flowing. */
  adoptFlows(old: PacketFilter | null): void {
    if (old) for (const k of old.flows.keys()) this.flows.set(k, true);
  }

  /** The verdict for a packet from a peer (filter.go RunIn). */
  runIn(raw: Uint8Array): FilterVerdict {
    if (raw.length === 0) return { accept: true, why: 'keepalive' };
    if (raw.length < 20) return { accept: false, why: 'too short' };
    const p = decode(raw);
    if (typeof p === 'string') return { accept: false, why: p };
    if (multicast(p)) return { accept: false, why: 'multicast' };
    if (p.frag && p.frag.offset) return { accept: true, why: 'fragment' };
    if (!this.local.some((n) => contains(n, p.dst))) return { accept: false, why: 'destination not allowed' };
    const icmp = p.v6 ? PROTO_ICMPV6 : PROTO_ICMP;
    switch (p.proto) {
      case icmp: {
        if (p.payload.length < 8) break;
        const [type, code] = p.payload;
        if (p.v6 ? (type === 129 && code === 0) || type === 1 || type === 2 || type === 3 || type === 4
          : (type === 0 && code === 0) || type === 3 || type === 11 || type === 12) return { accept: true, why: 'icmp response ok' };
        if (this.matchIPsOnly(p)) return { accept: true, why: 'icmp ok' };
        break;
      }
      case PROTO_TCP: {
        if (p.payload.length < 14) break;
        if ((p.payload[13] & 0x12) !== 0x02) return { accept: true, why: 'tcp non-syn' };
        if (this.match(p, port(p.payload, 2))) return { accept: true, why: 'tcp ok' };
        break;
      }
      case PROTO_UDP: case PROTO_SCTP: {
        if (p.payload.length < 4) break;
        if (this.flows.has(flowKey(p.proto, p.src, port(p.payload, 0), p.dst, port(p.payload, 2)))) return { accept: true, why: 'cached' };
        if (this.match(p, port(p.payload, 2))) return { accept: true, why: 'ok' };
        break;
      }
      case PROTO_TSMP:
        return { accept: true, why: 'tsmp ok' };
      default:
        if (this.matchAllPorts(p)) return { accept: true, why: 'other-portless ok' };
        return { accept: false, why: `unknown-protocol-${p.proto}` };
    }
    return { accept: false, why: 'no rules matched' };
  }

  /** match.go srcMatches: by address, or by a capability of the source's node. */
  private srcMatches(m: Match, src: Uint8Array): boolean {
    return m.srcs.some((n) => contains(n, src)) || (this.hasCap !== null && m.caps.some((c) => this.hasCap!(src, c)));
  }

  private match(p: IpPacket, dstPort: number): boolean {
    return this.matches.some((m) => m.protos.includes(p.proto) && this.srcMatches(m, p.src)
      && m.dsts.some((d) => contains(d.net, p.dst) && dstPort >= d.first && dstPort <= d.last));
  }

  /**
   * match.go matchIPsOnly: a rule's address sources with one of its destinations; or, as Go
   * has it, any rule of the packet's family (one with a destination of that family) granting
   * a capability the source has, whatever its destinations.
   */
  private matchIPsOnly(p: IpPacket): boolean {
    if (this.matches.some((m) => m.srcs.some((n) => contains(n, p.src)) && m.dsts.some((d) => contains(d.net, p.dst)))) return true;
    return this.hasCap !== null && this.matches.some((m) => m.dsts.some((d) => d.net.addr.length === p.dst.length) && m.caps.some((c) => this.hasCap!(p.src, c)));
  }

  private matchAllPorts(p: IpPacket): boolean {
    return this.matches.some((m) => m.protos.includes(p.proto) && m.srcs.some((n) => contains(n, p.src))
      && m.dsts.some((d) => d.first === 0 && d.last === 65535 && contains(d.net, p.dst)));
  }
}

/**
 * tstun's answer to a refused TCP SYN (net/tstun/wrap.go, IPv4 only): a TSMP "rejected"
 * message (net/packet/tsmp.go) from the refused destination back to the source, so the peer's
 * tailscaled can say why its connection hangs. Null when none is due.
 */
export function tsmpReject(raw: Uint8Array): Uint8Array | null {
  const p = parseIp(raw);
  if (typeof p === 'string' || p.v6 || p.proto !== PROTO_TCP || p.payload.length < 14 || !(p.payload[13] & 0x02)) return null;
  const out = new Uint8Array(20 + 7);
  writeIpv4(out, PROTO_TSMP, p.dst, p.src, out.length, 64, 0, false);
  out[20] = 0x21; // '!': TSMPTypeRejectedConn
  out[21] = PROTO_TCP;
  out[22] = 0x41; // 'A': RejectedDueToACLs
  out.set(p.payload.subarray(0, 4), 23); // the flow's source port, then its destination port
  return out;
}

/** Describe a packet for a drop log line: "100.64.0.2:41000 → 100.64.0.1:81 TCP". */
export function describePacket(raw: Uint8Array): string {
  const p = parseIp(raw);
  if (typeof p === 'string') return p;
  const names: Record<number, string> = { [PROTO_TCP]: 'TCP', [PROTO_UDP]: 'UDP', [PROTO_ICMP]: 'ICMP', [PROTO_ICMPV6]: 'ICMPv6' };
  const ports = (p.proto === PROTO_TCP || p.proto === PROTO_UDP) && p.payload.length >= 4;
  return `${format(p.src)}${ports ? `:${port(p.payload, 0)}` : ''} → ${format(p.dst)}${ports ? `:${port(p.payload, 2)}` : ''} ${names[p.proto] ?? `proto ${p.proto}`}`;
}

/** tailcfg/net/packet minFragBlks: a later fragment starting inside the first 80 bytes could rewrite the transport header (RFC 1858). */
const MIN_FRAG_OFFSET = 80;
/** Transport headers net/packet requires whole before it reads ports (tcpHeaderLength, udpHeaderLength, ...). */
const MIN_HEADER: Record<number, number> = { [PROTO_TCP]: 20, [PROTO_UDP]: 8, [PROTO_SCTP]: 12, [PROTO_TSMP]: 7 };

/**
 * Parse as net/packet's Parsed.Decode does, which the filter relies on: a string (dropped as
 * "unknown proto") for what it cannot classify — IPv6 extension headers other than one fragment
 * header right after the base header, a later fragment within the first 80 bytes, a first
 * fragment too short for its transport header, protocol 0.
 */
function decode(raw: Uint8Array): IpPacket | string {
  const p = parseIp(raw);
  if (typeof p === 'string') return p;
  if (p.v6 && raw[6] !== p.proto && raw[6] !== 44) return 'unknown proto (IPv6 extension header)';
  if (p.v6 && raw[6] === 44 && (raw[40] === 0 || raw[40] === 43 || raw[40] === 60 || raw[40] === 44)) return 'unknown proto (IPv6 extension header)';
  if (p.frag && p.frag.offset) return p.frag.offset < MIN_FRAG_OFFSET ? 'unknown proto (tiny fragment offset)' : p;
  if (p.proto === 0) return 'unknown proto';
  const icmp = p.v6 ? PROTO_ICMPV6 : PROTO_ICMP;
  const min = p.proto === icmp ? 8 : MIN_HEADER[p.proto] ?? 0;
  if (p.payload.length < min) return 'unknown proto (transport header cut short)';
  return p;
}

const multicast = (p: IpPacket) => (p.v6 ? p.dst[0] === 0xff : (p.dst[0] & 0xf0) === 0xe0);

function parseRules(rules: unknown): { matches: Match[]; error: string | null } {
  let error: string | null = null;
  const fail = (m: string) => { error ??= m; };
  if (!Array.isArray(rules)) return { matches: [], error: `the packet filter is not a list of rules (${typeof rules})` };
  const matches: Match[] = [];
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i] as Record<string, unknown> | null;
    const at = `rule ${i + 1}`;
    if (!r || typeof r !== 'object' || Array.isArray(r)) { fail(`${at} is not an object`); continue; }
    // Go refuses the whole filter for these (the 2020 encoding no current control sends).
    if (Array.isArray(r.SrcBits) && r.SrcBits.length) return { matches: [], error: `${at}: unexpected SrcBits; control plane should not send this to this client version` };
    const srcIPs = strings(r.SrcIPs), dstPorts = r.DstPorts ?? [];
    if (!srcIPs) { fail(`${at}: SrcIPs is not a list of strings`); continue; }
    if (!Array.isArray(dstPorts)) { fail(`${at}: DstPorts is not a list`); continue; }
    let protos = DEFAULT_PROTOS;
    if (r.IPProto !== undefined && r.IPProto !== null) {
      if (!Array.isArray(r.IPProto) || r.IPProto.some((n) => typeof n !== 'number')) { fail(`${at}: IPProto is not a list of numbers`); continue; }
      if (r.IPProto.length) protos = (r.IPProto as number[]).filter((n) => Number.isInteger(n) && n >= 0 && n <= 0xff);
    }
    const m: Match = { protos, srcs: [], caps: [], dsts: [] };
    for (const s of srcIPs) {
      if (s.startsWith('cap:')) { m.caps.push(s.slice(4)); continue; }
      const n = parseNet(s);
      if (typeof n === 'string') { fail(`${at}: ${n}`); continue; }
      m.srcs.push(...n);
    }
    for (const d of dstPorts as unknown[]) {
      const o = d as { IP?: unknown; Bits?: unknown; Ports?: { First?: unknown; Last?: unknown } } | null;
      if (!o || typeof o !== 'object' || typeof o.IP !== 'string') { fail(`${at}: a DstPorts entry has no IP`); continue; }
      if (o.Bits !== undefined && o.Bits !== null) return { matches: [], error: `${at}: unexpected DstBits; control plane should not send this to this client version` };
      if (o.IP.startsWith('cap:')) { fail(`${at}: unexpected capability ${JSON.stringify(o.IP)} in DstPorts`); continue; }
      const first = o.Ports?.First ?? 0, last = o.Ports?.Last ?? 0;
      if (!isPort(first) || !isPort(last)) { fail(`${at}: the ports of ${o.IP} are not numbers 0-65535`); continue; }
      const n = parseNet(o.IP);
      if (typeof n === 'string') { fail(`${at}: ${n}`); continue; }
      for (const net of n) m.dsts.push({ net, first, last });
    }
    matches.push(m);
  }
  return { matches, error };
}

/**
 * One SrcIPs / DstPorts IP form (filter/tailcfg.go parseIPSet): "*", an address, a CIDR
 * without host bits, or an inclusive range "a-b" (as the prefixes that cover it). A string
 * names what is wrong.
 */
export function parseNet(s: string): Net[] | string {
  if (s === '*') return [{ addr: new Uint8Array(4), bits: 0 }, { addr: new Uint8Array(16), bits: 0 }];
  try {
    if (s.includes('/')) {
      const [a, b] = s.split('/');
      const addr = parse(a);
      if (!/^\d+$/.test(b ?? '') || Number(b) > addr.length * 8) return `bad prefix ${JSON.stringify(s)}`;
      const bits = Number(b);
      if (!equalBytes(masked(addr, bits), addr)) return `${s} contains non-network bits set`;
      return [{ addr, bits }];
    }
    if (s.split('-').length === 2) {
      const [a, b] = s.split('-').map(parse);
      if (a.length !== b.length || compare(a, b) > 0) return `invalid IP range ${JSON.stringify(s)}`;
      return rangePrefixes(a, b);
    }
    const addr = parse(s);
    return [{ addr, bits: addr.length * 8 }];
  } catch {
    return `invalid IP address ${JSON.stringify(s)}`;
  }
}

/** The fewest prefixes covering [a, b] (netipx.IPRange.Prefixes). */
function rangePrefixes(a: Uint8Array, b: Uint8Array): Net[] {
  const out: Net[] = [];
  const width = a.length * 8;
  let cur: Uint8Array | null = a.slice();
  while (cur && compare(cur, b) <= 0) {
    // The largest block starting at cur that stays within b.
    let bits = width;
    while (bits > 0) {
      const wider = bits - 1;
      if (!equalBytes(masked(cur, wider), cur)) break;
      if (compare(lastOf(cur, wider), b) > 0) break;
      bits = wider;
    }
    out.push({ addr: cur.slice(), bits });
    cur = increment(lastOf(cur, bits));
  }
  return out;
}

function masked(a: Uint8Array, bits: number): Uint8Array {
  const o = a.slice();
  for (let i = 0; i < o.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    o[i] &= (0xff << (8 - keep)) & 0xff;
  }
  return o;
}
function lastOf(a: Uint8Array, bits: number): Uint8Array {
  const o = a.slice();
  for (let i = 0; i < o.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    o[i] |= 0xff >> keep;
  }
  return o;
}
/** a + 1, or null past the last address. */
function increment(a: Uint8Array): Uint8Array | null {
  const o = a.slice();
  for (let i = o.length - 1; i >= 0; i--) { if (o[i] !== 0xff) { o[i]++; return o; } o[i] = 0; }
  return null;
}
function compare(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}
function equalBytes(a: Uint8Array, b: Uint8Array): boolean { return compare(a, b) === 0; }

function contains(n: Net, a: Uint8Array): boolean {
  if (n.addr.length !== a.length) return false;
  let bits = n.bits;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((n.addr[i] & mask) !== (a[i] & mask)) return false;
  }
  return true;
}

function strings(v: unknown): string[] | null {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v as string[] : null;
}
const isPort = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 65535;
const port = (b: Uint8Array, o: number) => (b[o] << 8) | b[o + 1];
const flowKey = (proto: number, src: Uint8Array, sport: number, dst: Uint8Array, dport: number) => `${proto} ${format(src)} ${sport} ${format(dst)} ${dport}`;
