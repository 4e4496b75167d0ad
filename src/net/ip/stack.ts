/**
 * `IpStack`: a user-space TCP/IP host (not a router) on one point-to-point link that moves
 * raw IPv4/IPv6 packets, such as a WireGuard tunnel (`tailscale0`). It implements the
 * kernel's `NetStack` contract (engine/net/stack.ts). See docs/NETWORK.md "IP stack".
 *
 * Input: link.onPacket → IP checks and reassembly → TCP, UDP, ICMP, ICMPv6. Output: segments
 * and datagrams get an IP header and go to link.send; packets to one of our own addresses
 * are looped back (through the clock, never re-entrantly).
 */
import type {
  DatagramSocket, InetAddr, InetFamily, NetInterface, NetStack, Route, SockOpts, StreamConn, StreamListener, Watched,
} from '../../engine/net/stack.js';
import {
  EADDRINUSE, EADDRNOTAVAIL, EAGAIN, EINVAL, EMSGSIZE, ENETUNREACH,
} from '../../engine/linux/errno.js';
import * as A from './addr.js';
import { checksum, pseudoSum } from './checksum.js';
import { realClock, type Clock } from './clock.js';
import { Dgram, type DatagramHost } from './datagram.js';
import { accepts, bindingOf, overlaps, specificity, view, wire, type Binding } from './endpoint.js';
import {
  ICMP6_DEST_UNREACH, ICMP6_ECHO_REPLY, ICMP6_ECHO_REQUEST, ICMP6_PARAM_PROBLEM, ICMP6_PORT_UNREACH, ICMP6_UNKNOWN_NEXT_HEADER,
  ICMP_DEST_UNREACH, ICMP_ECHO, ICMP_ECHO_REPLY, ICMP_PORT_UNREACH, ICMP_PROT_UNREACH, icmpError, isErrorType,
} from './icmp.js';
import { TcpListener, type ListenerHost } from './listener.js';
import {
  IPV4_HEADER, IPV6_HEADER, PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP, V6_FRAGMENT, V6_FRAGMENT_HEADER, parseIp, writeIpv4, writeIpv6,
  type IpPacket,
} from './packet.js';
import { Reassembler } from './reassembly.js';
import { DEFAULT_TCP, TcpConn, type TcpHost, type TcpParams } from './tcp.js';
import { ACK, RST, TCP_HEADER, parseSegment, writeHeader } from './tcp-segment.js';

/** A link that carries whole IP packets: a tunnel (WireGuard), a TUN device, a test pipe. */
export interface PacketLink {
  /** Largest packet the link carries (1280 for Tailscale). */
  readonly mtu: number;
  /** Send one packet. Must not call the stack's onPacket synchronously. */
  send(packet: Uint8Array): void;
  /** Set by the stack: the link calls it with every packet that arrives. */
  onPacket: ((packet: Uint8Array) => void) | null;
}

export interface IfAddress { family: InetFamily; addr: Uint8Array; prefixLen: number }

export interface IpStackConfig {
  /** NetStack name for messages and /proc (default 'tailscale'). */
  name?: string;
  /** Interface name (default 'tailscale0'), index (default 2: loopback is 1) and IFF_* flags. */
  ifName?: string;
  ifIndex?: number;
  /** Default UP | POINTOPOINT | RUNNING | NOARP | MULTICAST (0x10d1), as Linux shows tailscale0. */
  flags?: number;
  /** The interface's addresses: "100.64.0.1/32", "fd7a:115c:a1e0::1/128", or parsed. */
  addresses: (string | IfAddress)[];
  /**
   * Routes through the link: "100.64.0.0/10", "0.0.0.0/0" (an exit node's default route),
   * or parsed. Each address's own prefix is always on-link.
   */
  routes?: (string | { dst: string; gateway?: string })[];
  /** Time source (default the real clock). */
  clock?: Clock;
  tcp?: Partial<TcpParams>;
  /** Random 32-bit source for ISNs and ports (default crypto.getRandomValues). */
  random32?: () => number;
  /** Default TTL / hop limit (64, as Linux). */
  ttl?: number;
}

const IFF_DEFAULT = 0x1 | 0x10 | 0x40 | 0x80 | 0x1000;
/** Linux's ip_local_port_range default. */
const EPHEMERAL_LOW = 32768, EPHEMERAL_HIGH = 60999;
/** Linux's icmp_msgs_per_sec and icmp_msgs_burst: a token bucket on ICMP errors we send. */
const ICMP_RATE = 1000, ICMP_BURST = 50;

export class IpStack implements NetStack, TcpHost, DatagramHost, ListenerHost {
  readonly name: string;
  readonly clock: Clock;
  readonly params: TcpParams;
  private readonly base: Clock;
  private ifName: string;
  private ifIndex: number;
  private flags: number;
  private addrs: IfAddress[] = [];
  private routeTable: Route[] = [];
  private readonly ttl: number;
  private readonly rand: () => number;
  private readonly conns = new Map<string, TcpConn>();
  private readonly listeners = new Map<number, TcpListener[]>();
  private readonly dgrams: Record<'udp' | 'icmp4' | 'icmp6', Map<number, Dgram[]>> = { udp: new Map(), icmp4: new Map(), icmp6: new Map() };
  private readonly reasm = new Reassembler();
  private ipId = 0;
  private portCursor: number;
  private depth = 0;
  private readonly woken = new Set<Watched>();
  private icmpTokens = ICMP_BURST;
  private icmpLast = 0;
  private closed = false;
  private readonly isnSecret: number;
  /** Packets dropped, by reason (for diagnostics and tests). */
  readonly drops = new Map<string, number>();
  readonly counters = { rx: 0, tx: 0 };

  constructor(private readonly link: PacketLink, config: IpStackConfig) {
    this.name = config.name ?? 'tailscale';
    this.ifName = config.ifName ?? 'tailscale0';
    this.ifIndex = config.ifIndex ?? 2;
    this.flags = config.flags ?? IFF_DEFAULT;
    this.ttl = config.ttl ?? 64;
    this.params = { ...DEFAULT_TCP, ...config.tcp };
    this.base = config.clock ?? realClock;
    // Timer callbacks run like packet input: readiness callbacks wait until the handler is done.
    this.clock = {
      now: () => this.base.now(),
      setTimer: (fn, ms) => this.base.setTimer(() => this.guard(fn), ms),
      clearTimer: (h) => this.base.clearTimer(h),
    };
    this.rand = config.random32 ?? (() => crypto.getRandomValues(new Uint32Array(1))[0]);
    this.isnSecret = this.rand() >>> 0;
    this.portCursor = EPHEMERAL_LOW + (this.rand() % (EPHEMERAL_HIGH - EPHEMERAL_LOW + 1));
    this.configure(config);
    link.onPacket = (p) => this.input(p);
  }

  /** Replace the addresses and routes (a new netmap). Existing connections keep running. */
  configure(config: Pick<IpStackConfig, 'addresses' | 'routes'>): void {
    this.addrs = config.addresses.map((a) => {
      if (typeof a !== 'string') return a;
      const c = A.parseCidr(a);
      return { family: c.addr.length === 4 ? 2 : 10, addr: c.addr, prefixLen: c.prefixLen } as IfAddress;
    });
    const routes: Route[] = this.addrs.map((a) => ({ family: a.family, dst: maskPrefix(a.addr, a.prefixLen), prefixLen: a.prefixLen, gateway: null, ifIndex: this.ifIndex }));
    for (const r of config.routes ?? []) {
      const spec = typeof r === 'string' ? { dst: r } : r;
      const c = A.parseCidr(spec.dst);
      routes.push({
        family: c.addr.length === 4 ? 2 : 10, dst: maskPrefix(c.addr, c.prefixLen), prefixLen: c.prefixLen,
        gateway: spec.gateway ? A.parse(spec.gateway) : null, ifIndex: this.ifIndex,
      });
    }
    this.routeTable = routes;
  }

  // ---- NetStack ---------------------------------------------------------------------------

  interfaces(): NetInterface[] {
    return [{ name: this.ifName, index: this.ifIndex, flags: this.flags, mtu: this.link.mtu, mac: new Uint8Array(0), addresses: this.addrs.map((a) => ({ ...a })) }];
  }

  routes(): Route[] { return this.routeTable.map((r) => ({ ...r })); }

  connect(remote: InetAddr, local: InetAddr | null, opts: SockOpts): StreamConn | number {
    if (this.closed) return -ENETUNREACH;
    const r = wire(remote);
    if (remote.port === 0 || A.isAny(r.addr)) return -ENETUNREACH; // Linux: connect to port 0 / 0.0.0.0 fails
    if (!this.route(r.v6, r.addr)) return -ENETUNREACH;
    let src: Uint8Array | null = null;
    if (local && !A.isAny(wire(local).addr)) {
      const l = wire(local);
      if (l.v6 !== r.v6 || !this.isLocal(l.addr)) return -EADDRNOTAVAIL;
      src = l.addr;
    } else src = this.sourceFor(r.v6);
    if (!src) return -ENETUNREACH;
    let port = local?.port ?? 0;
    if (port === 0) {
      const p = this.ephemeral((q) => !this.tcpPortUsed(q));
      if (p < 0) return -EADDRNOTAVAIL;
      port = p;
    } else if (this.conns.has(connKey(r.addr, remote.port, port, src))) return -EADDRINUSE;
    const c = new TcpConn(this, r.v6, src, port, r.addr, remote.port, remote.family, this.link.mtu, opts);
    this.conns.set(connKey(r.addr, remote.port, port, src), c);
    this.guard(() => c.connect());
    return c;
  }

  listen(local: InetAddr, backlog: number, opts: SockOpts): StreamListener | number {
    if (this.closed) return -ENETUNREACH;
    const b = bindingOf(local, opts.v6only ?? false, opts.reuseAddr ?? false, opts.reusePort ?? false);
    if (b.addr && !A.isAny(b.addr) && !this.isLocal(b.addr)) return -EADDRNOTAVAIL;
    if (b.port === 0) {
      const p = this.ephemeral((q) => !this.tcpPortUsed(q));
      if (p < 0) return -EADDRINUSE;
      b.port = p;
    } else {
      for (const l of this.listeners.get(b.port) ?? []) if (overlaps(l.binding, b) && !(l.binding.reusePort && b.reusePort)) return -EADDRINUSE;
      // Without SO_REUSEADDR a port that live connections use stays taken (Linux inet_csk_bind_conflict).
      if (!b.reuseAddr) {
        for (const c of this.conns.values()) {
          if (c.localPort === b.port && c.state !== 'closed' && overlaps(b, { ...b, addr: c.localAddr, family: c.v6 ? 10 : 2, v6only: false })) return -EADDRINUSE;
        }
      }
    }
    const l = new TcpListener(this, b, view(local.family, b.addr ?? (local.family === 2 ? A.ANY4 : A.ANY6), b.port), Math.max(0, Math.min(backlog, 4096)), opts);
    const list = this.listeners.get(b.port) ?? [];
    list.push(l);
    this.listeners.set(b.port, list);
    return l;
  }

  datagram(protocol: 'udp' | 'icmp', local: InetAddr, opts: SockOpts): DatagramSocket | number {
    if (this.closed) return -ENETUNREACH;
    const b = bindingOf(local, opts.v6only ?? false, opts.reuseAddr ?? false, opts.reusePort ?? false);
    if (b.addr && !A.isAny(b.addr) && !this.isLocal(b.addr)) return -EADDRNOTAVAIL;
    const table = this.dgrams[protocol === 'udp' ? 'udp' : local.family === 2 ? 'icmp4' : 'icmp6'];
    if (b.port === 0) {
      const p = this.ephemeral((q) => !table.has(q));
      if (p < 0) return -EAGAIN;
      b.port = p;
    } else {
      for (const s of table.get(b.port) ?? []) {
        if (overlaps(s.binding, b) && !(s.binding.reuseAddr && b.reuseAddr) && !(s.binding.reusePort && b.reusePort)) return -EADDRINUSE;
      }
    }
    const s = new Dgram(this, protocol, b, view(local.family, b.addr ?? (local.family === 2 ? A.ANY4 : A.ANY6), b.port), opts);
    const list = table.get(b.port) ?? [];
    list.push(s);
    table.set(b.port, list);
    return s;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const c of [...this.conns.values()]) c.finish(0);
    for (const list of this.listeners.values()) for (const l of [...list]) l.close();
    for (const t of Object.values(this.dgrams)) for (const list of t.values()) for (const s of [...list]) s.close();
    if (this.link.onPacket) this.link.onPacket = null;
  }

  // ---- Hosts for TCP, datagrams, listeners ------------------------------------------------

  ipHeaderLen(v6: boolean): number { return v6 ? IPV6_HEADER : IPV4_HEADER; }

  /**
   * RFC 6528: ISN = M + F(4-tuple, secret), M a 4 µs clock, so that a new connection on a
   * 4-tuple starts above the old one (what lets a SYN reopen TIME-WAIT). F here is FNV-1a
   * over the tuple and a random secret, not a cryptographic PRF: the stack runs inside a
   * WireGuard tunnel, where off-path injection is already excluded.
   */
  isn(c: TcpConn): number {
    let h = this.isnSecret;
    const mix = (b: number) => { h = Math.imul(h ^ b, 16777619) >>> 0; };
    for (const b of c.localAddr) mix(b);
    for (const b of c.remoteAddr) mix(b);
    mix(c.localPort >> 8); mix(c.localPort & 0xff); mix(c.remotePort >> 8); mix(c.remotePort & 0xff);
    return (h + Math.floor(this.clock.now() * 250)) >>> 0;
  }

  sendTcp(conn: TcpConn, pkt: Uint8Array): void {
    const hl = conn.v6 ? IPV6_HEADER : IPV4_HEADER;
    // TCP never fragments (the MSS fits the MTU): DF set for path MTU discovery, as Linux.
    if (conn.v6) writeIpv6(pkt, PROTO_TCP, conn.localAddr, conn.remoteAddr, pkt.length - hl, this.ttl);
    else writeIpv4(pkt, PROTO_TCP, conn.localAddr, conn.remoteAddr, pkt.length, this.ttl, this.nextId(), true);
    this.transmit(pkt, conn.remoteAddr);
  }

  release(conn: TcpConn): void {
    const k = connKey(conn.remoteAddr, conn.remotePort, conn.localPort, conn.localAddr);
    if (this.conns.get(k) === conn) this.conns.delete(k);
    const l = conn.listener as TcpListener | null;
    if (l) {
      l.synQueue.delete(conn);
      const i = l.acceptQueue.indexOf(conn);
      if (i >= 0) l.acceptQueue.splice(i, 1);
    }
  }

  established(conn: TcpConn): void {
    const l = conn.listener as TcpListener | null;
    if (!l) return;
    l.synQueue.delete(conn);
    l.acceptQueue.push(conn);
    this.wake(l);
  }

  acceptQueueFull(conn: TcpConn): boolean {
    const l = conn.listener as TcpListener | null;
    return l !== null && l.acceptQueue.length > l.backlog;
  }

  wake(w: Watched): void {
    if (this.depth > 0) this.woken.add(w);
    else w.onChange?.();
  }

  closeListener(l: TcpListener): void {
    const list = this.listeners.get(l.binding.port);
    if (list) {
      const i = list.indexOf(l);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.listeners.delete(l.binding.port);
    }
    // Linux resets the connections nobody accepted (inet_csk_listen_stop).
    this.guard(() => { for (const c of [...l.synQueue, ...l.acceptQueue]) c.close(true); });
  }

  connectDatagram(s: Dgram, to: InetAddr): number {
    const r = wire(to);
    if (!this.route(r.v6, r.addr)) return -ENETUNREACH;
    if (s.binding.addr === null || A.isAny(s.binding.addr)) {
      const src = this.sourceFor(r.v6);
      if (!src) return -ENETUNREACH;
      s.local = view(s.local.family, src, s.local.port);
    }
    s.remoteWire = { addr: r.addr, port: to.port };
    return 0;
  }

  sendDatagram(s: Dgram, data: Uint8Array, to: InetAddr): number {
    const r = wire(to);
    if (s.local.family === 2 && to.family !== 2) return -EINVAL;
    if (!this.route(r.v6, r.addr)) return -ENETUNREACH;
    const src = s.binding.addr && !A.isAny(s.binding.addr) ? s.binding.addr : this.sourceFor(r.v6);
    if (!src || src.length !== r.addr.length) return -ENETUNREACH;
    const ttl = s.ttl ?? this.ttl;
    if (s.protocol === 'udp') {
      if (to.port === 0) return -EINVAL;
      if (data.length > 65535 - 8 - (r.v6 ? 0 : IPV4_HEADER)) return -EMSGSIZE;
      const u = new Uint8Array(8 + data.length);
      const port = s.binding.port;
      u[0] = port >> 8; u[1] = port & 0xff; u[2] = to.port >> 8; u[3] = to.port & 0xff;
      u[4] = u.length >> 8; u[5] = u.length & 0xff;
      u.set(data, 8);
      let c = checksum(u, 0, u.length, pseudoSum(src, r.addr, PROTO_UDP, u.length));
      if (c === 0) c = 0xffff; // RFC 768: a computed zero is sent as all ones
      u[6] = c >> 8; u[7] = c & 0xff;
      this.sendUpper(r.v6, PROTO_UDP, src, r.addr, ttl, u);
      return data.length;
    }
    // ICMP echo socket (Linux ping_v4_sendmsg / ping_v6_sendmsg): an echo request, code 0.
    if (data.length < 8 || data[0] !== (r.v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO) || data[1] !== 0) return -EINVAL;
    if (data.length > 65535 - (r.v6 ? 0 : IPV4_HEADER)) return -EMSGSIZE;
    const m = data.slice();
    m[4] = s.binding.port >> 8; m[5] = s.binding.port & 0xff;
    m[2] = 0; m[3] = 0;
    const c = checksum(m, 0, m.length, r.v6 ? pseudoSum(src, r.addr, PROTO_ICMPV6, m.length) : 0);
    m[2] = c >> 8; m[3] = c & 0xff;
    this.sendUpper(r.v6, r.v6 ? PROTO_ICMPV6 : PROTO_ICMP, src, r.addr, ttl, m);
    return data.length;
  }

  releaseDatagram(s: Dgram): void {
    const table = this.dgrams[s.protocol === 'udp' ? 'udp' : s.local.family === 2 ? 'icmp4' : 'icmp6'];
    const list = table.get(s.binding.port);
    if (!list) return;
    const i = list.indexOf(s);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) table.delete(s.binding.port);
  }

  // ---- Addresses, routes, ports -----------------------------------------------------------

  isLocal(a: Uint8Array): boolean { return this.addrs.some((x) => A.equal(x.addr, a)); }

  /** Longest-prefix match; our own addresses are always reachable. */
  private route(v6: boolean, dst: Uint8Array): Route | null {
    let best: Route | null = null;
    if (this.isLocal(dst)) return { family: v6 ? 10 : 2, dst, prefixLen: dst.length * 8, gateway: null, ifIndex: this.ifIndex };
    for (const r of this.routeTable) {
      if ((r.family === 10) !== v6) continue;
      if (A.inPrefix(dst, r.dst, r.prefixLen) && (!best || r.prefixLen > best.prefixLen)) best = r;
    }
    return best;
  }

  private sourceFor(v6: boolean): Uint8Array | null {
    return this.addrs.find((a) => (a.family === 10) === v6)?.addr ?? null;
  }

  private tcpPortUsed(port: number): boolean {
    if (this.listeners.has(port)) return true;
    for (const c of this.conns.values()) if (c.localPort === port) return true;
    return false;
  }

  private ephemeral(free: (port: number) => boolean): number {
    const n = EPHEMERAL_HIGH - EPHEMERAL_LOW + 1;
    for (let i = 0; i < n; i++) {
      const p = this.portCursor;
      this.portCursor = p === EPHEMERAL_HIGH ? EPHEMERAL_LOW : p + 1;
      if (free(p)) return p;
    }
    return -1;
  }

  private nextId(): number { this.ipId = (this.ipId + 1) & 0xffff; return this.ipId; }

  // ---- Output -----------------------------------------------------------------------------

  private transmit(pkt: Uint8Array, dst: Uint8Array): void {
    this.counters.tx++;
    if (this.isLocal(dst)) { this.clock.setTimer(() => this.input(pkt), 0); return; }
    this.link.send(pkt);
  }

  /** Send an upper-layer message (checksum done), fragmenting it when it exceeds the MTU. */
  private sendUpper(v6: boolean, proto: number, src: Uint8Array, dst: Uint8Array, ttl: number, upper: Uint8Array): void {
    const hl = v6 ? IPV6_HEADER : IPV4_HEADER;
    const mtu = this.link.mtu;
    if (hl + upper.length <= mtu) {
      const pkt = new Uint8Array(hl + upper.length);
      pkt.set(upper, hl);
      if (v6) writeIpv6(pkt, proto, src, dst, upper.length, ttl);
      else writeIpv4(pkt, proto, src, dst, pkt.length, ttl, this.nextId(), false);
      this.transmit(pkt, dst);
      return;
    }
    // Fragment (RFC 791 §3.2; RFC 8200 §4.5 with a fragment header): 8-byte multiples but the last.
    const per = Math.floor((mtu - hl - (v6 ? V6_FRAGMENT_HEADER : 0)) / 8) * 8;
    const id = v6 ? this.rand() >>> 0 : this.nextId();
    for (let off = 0; off < upper.length; off += per) {
      const len = Math.min(per, upper.length - off), more = off + len < upper.length;
      if (v6) {
        const pkt = new Uint8Array(IPV6_HEADER + V6_FRAGMENT_HEADER + len);
        writeIpv6(pkt, V6_FRAGMENT, src, dst, V6_FRAGMENT_HEADER + len, ttl);
        const f = IPV6_HEADER;
        pkt[f] = proto; pkt[f + 1] = 0;
        const fo = off | (more ? 1 : 0);
        pkt[f + 2] = fo >> 8; pkt[f + 3] = fo & 0xff;
        pkt[f + 4] = id >>> 24; pkt[f + 5] = (id >>> 16) & 0xff; pkt[f + 6] = (id >>> 8) & 0xff; pkt[f + 7] = id & 0xff;
        pkt.set(upper.subarray(off, off + len), IPV6_HEADER + V6_FRAGMENT_HEADER);
        this.transmit(pkt, dst);
      } else {
        const pkt = new Uint8Array(IPV4_HEADER + len);
        writeIpv4(pkt, proto, src, dst, pkt.length, ttl, id, false, off, more);
        pkt.set(upper.subarray(off, off + len), IPV4_HEADER);
        this.transmit(pkt, dst);
      }
    }
  }

  /** An ICMP error about `orig` (RFC 1812 §4.3.2.3 / RFC 4443 §2.4(c): as much of it as fits 576 / 1280 bytes). */
  private sendIcmpError(orig: IpPacket, type: number, code: number): void {
    const now = this.clock.now();
    this.icmpTokens = Math.min(ICMP_BURST, this.icmpTokens + ((now - this.icmpLast) * ICMP_RATE) / 1000);
    this.icmpLast = now;
    if (this.icmpTokens < 1) { this.drop('ICMP error rate limited'); return; }
    this.icmpTokens--;
    const v6 = orig.v6;
    const quote = orig.raw.subarray(0, Math.min(orig.raw.length, (v6 ? 1280 - IPV6_HEADER : 576 - IPV4_HEADER) - 8));
    const m = new Uint8Array(8 + quote.length);
    m[0] = type; m[1] = code;
    m.set(quote, 8);
    const c = checksum(m, 0, m.length, v6 ? pseudoSum(orig.dst, orig.src, PROTO_ICMPV6, m.length) : 0);
    m[2] = c >> 8; m[3] = c & 0xff;
    this.sendUpper(v6, v6 ? PROTO_ICMPV6 : PROTO_ICMP, orig.dst, orig.src, this.ttl, m);
  }

  // ---- Input ------------------------------------------------------------------------------

  private drop(reason: string): void { this.drops.set(reason, (this.drops.get(reason) ?? 0) + 1); }

  /** Run `fn` with readiness callbacks deferred until it returns. */
  private guard(fn: () => void): void {
    this.depth++;
    try { fn(); } finally {
      if (--this.depth === 0 && this.woken.size) {
        const ws = [...this.woken];
        this.woken.clear();
        for (const w of ws) w.onChange?.();
      }
    }
  }

  /** One packet from the link. Bad packets are counted in `drops` and never throw. */
  input(raw: Uint8Array): void {
    if (this.closed) return;
    this.counters.rx++;
    this.guard(() => this.inputPacket(raw));
  }

  private inputPacket(raw: Uint8Array): void {
    let p = parseIp(raw);
    if (typeof p === 'string') { this.drop(p); return; }
    if (!this.isLocal(p.dst)) { this.drop('not for one of our addresses'); return; }
    if (p.frag) {
      const k = `${p.v6 ? 6 : 4}|${A.key(p.src)}|${A.key(p.dst)}|${p.proto}|${p.frag.id}`;
      const whole = this.reasm.add(k, this.clock.now(), p.frag.offset, p.frag.more, p.payload, p.v6);
      if (!whole) return;
      p = { ...p, payload: whole, frag: null };
    }
    switch (p.proto) {
      case PROTO_TCP: this.tcpInput(p); break;
      case PROTO_UDP: this.udpInput(p); break;
      case PROTO_ICMP: if (!p.v6) this.icmpInput(p); else this.drop('ICMPv4 in IPv6'); break;
      case PROTO_ICMPV6: if (p.v6) this.icmpInput(p); else this.drop('ICMPv6 in IPv4'); break;
      default:
        this.drop(`protocol ${p.proto}`);
        if (p.v6) this.sendIcmpError(p, ICMP6_PARAM_PROBLEM, ICMP6_UNKNOWN_NEXT_HEADER);
        else this.sendIcmpError(p, ICMP_DEST_UNREACH, ICMP_PROT_UNREACH);
    }
  }

  private tcpInput(p: IpPacket): void {
    const b = p.payload;
    if (checksum(b, 0, b.length, pseudoSum(p.src, p.dst, PROTO_TCP, b.length)) !== 0) { this.drop('TCP checksum mismatch'); return; }
    const seg = parseSegment(b);
    if (typeof seg === 'string') { this.drop(seg); return; }
    const c = this.conns.get(connKey(p.src, seg.srcPort, seg.dstPort, p.dst));
    if (c && !c.yieldsToSyn(seg)) { c.input(seg); return; }
    const l = this.findListener(p.v6, p.dst, seg.dstPort);
    if (l && (seg.flags & (2 | RST | ACK)) === 2) {
      if (l.full) { this.drop('listen queue full'); return; }
      const nc = new TcpConn(this, p.v6, p.dst, seg.dstPort, p.src, seg.srcPort, l.binding.family, this.link.mtu, l.opts);
      nc.listener = l;
      l.synQueue.add(nc);
      this.conns.set(connKey(p.src, seg.srcPort, seg.dstPort, p.dst), nc);
      nc.acceptSyn(seg);
      return;
    }
    if (seg.flags & RST) return;
    // No connection: RST (RFC 9293 §3.10.7.1).
    const segLen = seg.data.length + (seg.flags & 2 ? 1 : 0) + (seg.flags & 1 ? 1 : 0);
    const hl = p.v6 ? IPV6_HEADER : IPV4_HEADER;
    const pkt = new Uint8Array(hl + TCP_HEADER);
    if (seg.flags & ACK) writeHeader(pkt, hl, seg.dstPort, seg.srcPort, seg.ack, 0, RST, 0, null);
    else writeHeader(pkt, hl, seg.dstPort, seg.srcPort, 0, (seg.seq + segLen) >>> 0, RST | ACK, 0, null);
    const cs = checksum(pkt, hl, TCP_HEADER, pseudoSum(p.dst, p.src, PROTO_TCP, TCP_HEADER));
    pkt[hl + 16] = cs >> 8; pkt[hl + 17] = cs & 0xff;
    if (p.v6) writeIpv6(pkt, PROTO_TCP, p.dst, p.src, TCP_HEADER, this.ttl);
    else writeIpv4(pkt, PROTO_TCP, p.dst, p.src, pkt.length, this.ttl, this.nextId(), true);
    this.transmit(pkt, p.src);
  }

  private findListener(v6: boolean, dst: Uint8Array, port: number): TcpListener | null {
    let best: TcpListener | null = null;
    for (const l of this.listeners.get(port) ?? []) {
      if (!accepts(l.binding, v6, dst)) continue;
      if (!best || specificity(l.binding) > specificity(best.binding)) best = l;
    }
    return best;
  }

  private findDgram(table: Map<number, Dgram[]>, v6: boolean, dst: Uint8Array, port: number, src: Uint8Array, srcPort: number | null): Dgram | null {
    let best: Dgram | null = null, bestScore = -1;
    for (const s of table.get(port) ?? []) {
      if (!accepts(s.binding, v6, dst)) continue;
      let score = specificity(s.binding);
      if (s.remoteWire) {
        // A connected socket receives only from its peer.
        if (!A.equal(s.remoteWire.addr, src) || (srcPort !== null && s.remoteWire.port !== srcPort)) continue;
        score += 2;
      }
      if (score > bestScore) { best = s; bestScore = score; }
    }
    return best;
  }

  private udpInput(p: IpPacket): void {
    const b = p.payload;
    if (b.length < 8) { this.drop('UDP datagram shorter than its header'); return; }
    const len = (b[4] << 8) | b[5];
    if (len < 8 || len > b.length) { this.drop('UDP length out of range'); return; }
    const hasSum = b[6] !== 0 || b[7] !== 0;
    if (p.v6 && !hasSum) { this.drop('UDP over IPv6 without checksum'); return; }
    if (hasSum && checksum(b, 0, len, pseudoSum(p.src, p.dst, PROTO_UDP, len)) !== 0) { this.drop('UDP checksum mismatch'); return; }
    const sport = (b[0] << 8) | b[1], dport = (b[2] << 8) | b[3];
    const s = this.findDgram(this.dgrams.udp, p.v6, p.dst, dport, p.src, sport);
    if (!s) {
      this.drop('UDP port unreachable');
      if (p.v6) this.sendIcmpError(p, ICMP6_DEST_UNREACH, ICMP6_PORT_UNREACH);
      else this.sendIcmpError(p, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH);
      return;
    }
    s.deliver(b.slice(8, len), p.src, sport);
  }

  private icmpInput(p: IpPacket): void {
    const m = p.payload, v6 = p.v6;
    if (m.length < 8) { this.drop('ICMP message too short'); return; }
    if (checksum(m, 0, m.length, v6 ? pseudoSum(p.src, p.dst, PROTO_ICMPV6, m.length) : 0) !== 0) { this.drop('ICMP checksum mismatch'); return; }
    const type = m[0];
    if (type === (v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO)) {
      // Answer pings to our addresses (RFC 792; RFC 4443 §4.2): same identifier, sequence and data.
      const r = m.slice();
      r[0] = v6 ? ICMP6_ECHO_REPLY : ICMP_ECHO_REPLY; r[2] = 0; r[3] = 0;
      const c = checksum(r, 0, r.length, v6 ? pseudoSum(p.dst, p.src, PROTO_ICMPV6, r.length) : 0);
      r[2] = c >> 8; r[3] = c & 0xff;
      this.sendUpper(v6, v6 ? PROTO_ICMPV6 : PROTO_ICMP, p.dst, p.src, this.ttl, r);
      return;
    }
    if (type === (v6 ? ICMP6_ECHO_REPLY : ICMP_ECHO_REPLY)) {
      const id = (m[4] << 8) | m[5];
      const s = this.findDgram(this.dgrams[v6 ? 'icmp6' : 'icmp4'], v6, p.dst, id, p.src, null);
      if (s) s.deliver(m.slice(), p.src, 0);
      else this.drop('echo reply for no socket');
      return;
    }
    if (!isErrorType(v6, type)) { this.drop(`ICMP type ${type}`); return; }
    const e = icmpError(v6, type, m[1], m);
    if (!e) { this.drop(`ICMP error type ${type}`); return; }
    // The quoted packet: our own, so its source is us and its destination the peer.
    const q = parseQuoted(m.subarray(8), v6);
    if (!q || !this.isLocal(q.src)) { this.drop('ICMP error quoting no packet of ours'); return; }
    if (q.proto === PROTO_TCP && q.ports) {
      const c = this.conns.get(connKey(q.dst, q.ports[1], q.ports[0], q.src));
      if (!c) return;
      if (e.mtu !== null) { c.pathMtu(e.mtu); return; }
      c.icmpError(e.errno);
    } else if ((q.proto === PROTO_UDP || q.proto === PROTO_ICMP || q.proto === PROTO_ICMPV6) && q.ports) {
      const udp = q.proto === PROTO_UDP;
      const table = this.dgrams[udp ? 'udp' : v6 ? 'icmp6' : 'icmp4'];
      const port = udp ? q.ports[0] : q.ports[2];
      const s = this.findDgram(table, v6, q.src, port, q.dst, udp ? q.ports[1] : null);
      if (s && s.remoteWire && e.fatal) s.icmpError(e.errno);
    }
  }
}

/** The header of the packet an ICMP error quotes and its first 8 payload bytes: [src port, dst port, echo id]. */
function parseQuoted(b: Uint8Array, v6: boolean): { src: Uint8Array; dst: Uint8Array; proto: number; ports: [number, number, number] | null } | null {
  let off: number, proto: number, src: Uint8Array, dst: Uint8Array;
  if (!v6) {
    if (b.length < 20 || b[0] >> 4 !== 4) return null;
    off = (b[0] & 15) * 4; proto = b[9]; src = b.slice(12, 16); dst = b.slice(16, 20);
  } else {
    if (b.length < 40 || b[0] >> 4 !== 6) return null;
    off = 40; proto = b[6]; src = b.slice(8, 24); dst = b.slice(24, 40);
    if (proto === V6_FRAGMENT && b.length >= 48) { proto = b[40]; off = 48; }
  }
  const ports: [number, number, number] | null = b.length >= off + 8
    ? [(b[off] << 8) | b[off + 1], (b[off + 2] << 8) | b[off + 3], (b[off + 4] << 8) | b[off + 5]] : null;
  return { src, dst, proto, ports };
}

function connKey(remote: Uint8Array, remotePort: number, localPort: number, local: Uint8Array): string {
  return `${A.key(remote)}|${remotePort}|${localPort}|${A.key(local)}`;
}

function maskPrefix(a: Uint8Array, prefixLen: number): Uint8Array {
  const out = a.slice();
  for (let i = 0; i < out.length; i++) {
    const bits = Math.max(0, Math.min(8, prefixLen - i * 8));
    out[i] &= (0xff << (8 - bits)) & 0xff;
  }
  return out;
}

