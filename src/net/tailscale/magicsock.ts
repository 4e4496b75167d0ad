/**
 * The way to each peer, DERP or direct UDP, chosen as tailscale.com/wgengine/magicsock
 * (v1.102.5, endpoint.go) chooses it: every peer starts on DERP; where the machine has a UDP
 * socket (Node: udp-transport.node.ts; a browser has none and stays on DERP) we ping the
 * peer's endpoints (from the netmap, from its CallMeMaybe, and from where its own pings come
 * from) with disco pings, and the first pong makes that ip:port the peer's best address:
 * WireGuard goes there directly. A heartbeat pings the best address while the session is
 * active; when no pong has come for trustUDPAddrDuration the path is no longer trusted and
 * packets go back over DERP while discovery starts again.
 *
 *   WireGuard Device ─send(msg, PeerPath)─▶ MagicBind ─▶ UDP (trusted best address) | DERP
 *   UDP datagram / DERP packet ─▶ MagicBind ─▶ disco (answered here) | WireGuard (device.receive)
 *
 * Every peer has one PeerPath object, the Device's endpoint for it: the device's roaming
 * (peer.endpoint = src) always stores the same object back, and the path inside it decides.
 * A UDP datagram that is not disco is WireGuard only from an ip:port a disco ping or pong has
 * tied to a peer (magicsock's peerMap by epAddr); others are counted and dropped.
 */
import { randomBytes } from '../crypto/primitives.js';
import type { DerpRegions } from '../derp/regions.js';
import {
  DERP_MAGIC_IP16, DiscoType, callMeMaybePayload, isDisco, openDisco, parseCallMeMaybe, parsePong, pingPayload, pongPayload, sealDisco,
} from '../derp/disco.js';
import { format, isV4Mapped, parse } from '../ip/addr.js';
import type { Bind, Device } from '../wireguard/device.js';
import { isStun, parseStunResponse, stunRequest } from './stun.js';

/** tailcfg.EndpointType. */
const ENDPOINT_LOCAL = 1, ENDPOINT_STUN = 2;

/** magicsock.go's timing constants (v1.102.5), ms. */
const TIMING = {
  /** A best address is trusted this long after its last pong. */
  trustUDPAddr: 6500,
  /** The best address is pinged this often while the session is active. */
  heartbeat: 3000,
  /** No endpoint is pinged more often than this (tsconst.DefaultPingInterval). */
  discoPingInterval: 5000,
  /** A ping unanswered this long is forgotten (tsconst.DefaultPingTimeout). */
  pingTimeout: 5000,
  /** A session with nothing sent for this long gets no heartbeats. */
  sessionActive: 45_000,
  /** Our endpoints are re-learnt by STUN this often (magicsock periodicReSTUN: 20–26 s). */
  reStun: 23_000,
} as const;

/** How often our timer looks at the peers (the heartbeat's resolution). */
const TICK_MS = 1000;

/**
 * A UDP socket for direct paths. Datagrams are best effort: send never throws.
 * The Node implementation is udp-transport.node.ts; tests wrap it to block the path.
 */
export interface UdpTransport {
  send(msg: Uint8Array, ip: string, port: number): void;
  onMessage: ((msg: Uint8Array, ip: string, port: number) => void) | null;
  /** Our endpoints as control's MapRequest.Endpoints spells them ("1.2.3.4:41641", "[::1]:41641"). */
  endpoints(): string[];
  /** Whether a datagram to `ip` can leave this socket (one bound to loopback reaches only loopback). */
  reaches(ip: string): boolean;
  close(): void;
}

interface Addr { ip: string; port: number; key: string }
interface Candidate extends Addr { lastPing: number }
interface SentPing { to: Addr; at: number }

/** One peer's paths: its DERP region, its disco key, the UDP candidates and the best of them. */
export class PeerPath {
  /** The DERP region to send on (0 = our home): where we last heard the peer, else its home. */
  region = 0;
  disco: Uint8Array | null = null;
  readonly candidates = new Map<string, Candidate>();
  best: (Addr & { latencyMs: number; lastPing: number }) | null = null;
  trustUntil = 0;
  lastFullPing = -Infinity;
  lastSend = -Infinity;
  readonly pings = new Map<string, SentPing>();
  /** Set once the path went direct, so that a fallback is logged once per loss. */
  wasDirect = false;
  constructor(readonly key: Uint8Array, readonly keyHex: string) {}

  /** "direct 127.0.0.1:41641" or "derp" (for status displays and tests). */
  describe(now = performance.now()): string {
    return this.best && now < this.trustUntil ? `direct ${hostPort(this.best)}` : 'derp';
  }
}

export interface MagicBindStats {
  derpIn: number; derpOut: number; directIn: number; directOut: number;
  discoIn: number; pingsSent: number; pongsIn: number; pingsAnswered: number; callMeMaybeIn: number; callMeMaybeOut: number;
  /** Datagrams that were neither disco nor from an address tied to a peer. */
  unknownUdp: number;
  sendFailed: number;
  stunSent: number; stunAnswers: number;
}

export interface MagicBindOptions {
  discoPrivate: Uint8Array;
  nodePublic: Uint8Array;
  /** Direct paths; null keeps every peer on DERP (a browser). */
  udp: UdpTransport | null;
  /** Our endpoints changed (a STUN answer brought a new one): tell control. */
  onEndpoints?: () => void;
  log?: (m: string) => void;
  now?: () => number;
}

export class MagicBind implements Bind<PeerPath> {
  readonly stats: MagicBindStats = { derpIn: 0, derpOut: 0, directIn: 0, directOut: 0, discoIn: 0, pingsSent: 0, pongsIn: 0, pingsAnswered: 0, callMeMaybeIn: 0, callMeMaybeOut: 0, unknownUdp: 0, sendFailed: 0, stunSent: 0, stunAnswers: 0 };
  private device: Device<PeerPath> | null = null;
  private readonly peers = new Map<string, PeerPath>();
  private readonly byDisco = new Map<string, PeerPath>();
  private readonly byAddr = new Map<string, PeerPath>();
  private readonly timer: ReturnType<typeof setInterval> | null;
  private readonly log: (m: string) => void;
  private readonly now: () => number;
  private readonly udp: UdpTransport | null;
  private regions: DerpRegions | null = null;
  private stunServers: { ip: string; port: number }[] = [];
  private readonly stunPending = new Set<string>();
  private lastStun = -Infinity;
  /** Endpoints STUN found ("ip:port" as control spells them). */
  private readonly stunEndpoints = new Set<string>();

  constructor(private readonly o: MagicBindOptions) {
    this.log = o.log ?? (() => {});
    this.now = o.now ?? (() => performance.now());
    this.udp = o.udp;
    if (this.udp) this.udp.onMessage = (m, ip, port) => this.receiveUdp(m, ip, port);
    this.timer = this.udp ? setInterval(() => this.tick(), TICK_MS) : null;
  }

  attach(device: Device<PeerPath>): void { this.device = device; }

  /** The DERP connections (made once control sent the DERP map). */
  setRegions(regions: DerpRegions): void {
    this.regions = regions;
    regions.onPacket = (src, packet, region) => this.receiveDerp(src, packet, region);
  }

  private derpSend(p: PeerPath, msg: Uint8Array): boolean {
    return this.regions?.send(p.key, msg, p.region) ?? false;
  }

  /** The PeerPath for a node key (made on first use: a packet may come before the netmap names its sender). */
  path(key: Uint8Array): PeerPath {
    const h = hex(key);
    let p = this.peers.get(h);
    if (!p) { p = new PeerPath(key.slice(), h); this.peers.set(h, p); }
    return p;
  }

  /**
   * The DERP map's STUN servers to ask for our outside address (the home region's nodes with
   * a STUN port: 0 means 3478, negative none); asked now and every 23 s.
   */
  setStunServers(servers: { ip: string; port: number }[]): void {
    const key = (l: { ip: string; port: number }[]) => l.map(hostPort).join(',');
    if (key(servers) === key(this.stunServers)) return;
    this.stunServers = servers.filter((s) => this.udp?.reaches(s.ip));
    this.lastStun = -Infinity;
    this.stun(this.now());
  }

  /** Our endpoints for control (MapRequest.Endpoints/EndpointTypes): STUN's first, then the socket's own. */
  endpoints(): { addr: string; type: number }[] {
    const out = [...this.stunEndpoints].map((addr) => ({ addr, type: ENDPOINT_STUN }));
    for (const addr of this.udp?.endpoints() ?? []) if (!this.stunEndpoints.has(addr)) out.push({ addr, type: ENDPOINT_LOCAL });
    return out;
  }

  private stun(now: number): void {
    if (!this.udp || !this.stunServers.length || now - this.lastStun < TIMING.reStun) return;
    this.lastStun = now;
    this.stunPending.clear();
    for (const s of this.stunServers) {
      const txid = randomBytes(12);
      this.stunPending.add(hex(txid));
      this.udp.send(stunRequest(txid), s.ip, s.port);
      this.stats.stunSent++;
    }
  }

  /** What the netmap says of a peer: home region, disco key, endpoints (candidates for direct paths). */
  setPeer(key: Uint8Array, o: { homeRegion: number; disco: Uint8Array | null; endpoints: readonly string[] }): PeerPath {
    const p = this.path(key);
    if (p.region === 0) p.region = o.homeRegion;
    if (o.disco && (!p.disco || hex(p.disco) !== hex(o.disco))) {
      // A new disco key is a restarted peer: what we knew of its paths is stale.
      if (p.disco) { this.byDisco.delete(hex(p.disco)); this.forgetPaths(p); }
      p.disco = o.disco.slice();
      this.byDisco.set(hex(p.disco), p);
    }
    for (const e of o.endpoints) { const a = parseHostPort(e); if (a) this.addCandidate(p, a); }
    return p;
  }

  removePeer(key: Uint8Array): void {
    const p = this.peers.get(hex(key));
    if (!p) return;
    this.peers.delete(p.keyHex);
    if (p.disco) this.byDisco.delete(hex(p.disco));
    this.forgetPaths(p);
  }

  /** Every peer's path, for status displays and tests. */
  paths(): { key: Uint8Array; path: string; latencyMs: number | null }[] {
    const now = this.now();
    return [...this.peers.values()].map((p) => ({ key: p.key, path: p.describe(now), latencyMs: p.best && now < p.trustUntil ? p.best.latencyMs : null }));
  }

  /** Stops the timer and lets go of the socket (its owner closes it). */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.udp) this.udp.onMessage = null;
    this.device = null;
  }

  // ---- sending ----------------------------------------------------------------------------

  send(msg: Uint8Array, p: PeerPath): void {
    const now = this.now();
    p.lastSend = now;
    if (this.udp && p.best && now < p.trustUntil) {
      this.udp.send(msg, p.best.ip, p.best.port);
      this.stats.directOut++;
      return;
    }
    if (p.wasDirect) { p.wasDirect = false; this.log(`magicsock: the direct path to ${short(p)} went silent; back to DERP region ${p.region || 'home'}`); }
    if (this.derpSend(p, msg)) this.stats.derpOut++;
    else this.stats.sendFailed++;
    if (this.udp && p.disco && now - p.lastFullPing >= TIMING.discoPingInterval) this.discover(p, now);
  }

  endpointBytes(p: PeerPath): Uint8Array { return p.key; }

  /** Ping every candidate not pinged lately; tell the peer our endpoints over DERP so it pings us too (sendDiscoPingsLocked). */
  private discover(p: PeerPath, now: number): void {
    p.lastFullPing = now;
    let sent = false;
    for (const c of p.candidates.values()) {
      if (now - c.lastPing < TIMING.discoPingInterval) continue;
      c.lastPing = now;
      this.ping(p, c, now);
      sent = true;
    }
    const mine = this.endpoints().flatMap((e) => { const a = parseHostPort(e.addr); return a ? [{ ip16: ip16(a.ip), port: a.port }] : []; });
    if ((sent || p.candidates.size === 0) && mine.length && p.disco) {
      if (this.derpSend(p, sealDisco(this.o.discoPrivate, p.disco, DiscoType.CallMeMaybe, callMeMaybePayload(mine)))) this.stats.callMeMaybeOut++;
    }
  }

  private ping(p: PeerPath, to: Addr, now: number): void {
    if (!this.udp || !p.disco) return;
    const txid = randomBytes(12);
    p.pings.set(hex(txid), { to, at: now });
    this.udp.send(sealDisco(this.o.discoPrivate, p.disco, DiscoType.Ping, pingPayload(txid, this.o.nodePublic)), to.ip, to.port);
    this.stats.pingsSent++;
  }

  /** Heartbeats for active sessions on a direct path; forget unanswered pings (endpoint.heartbeat). */
  private tick(): void {
    const now = this.now();
    this.stun(now);
    for (const p of this.peers.values()) {
      for (const [id, s] of p.pings) if (now - s.at > TIMING.pingTimeout) p.pings.delete(id);
      if (!p.best || now - p.lastSend > TIMING.sessionActive) continue;
      if (now - p.best.lastPing >= TIMING.heartbeat) { p.best.lastPing = now; this.ping(p, p.best, now); }
      // Untrusted (no pong lately): look for a path again, as a send would.
      if (now >= p.trustUntil && now - p.lastFullPing >= TIMING.discoPingInterval) this.discover(p, now);
    }
  }

  // ---- receiving --------------------------------------------------------------------------

  private receiveUdp(msg: Uint8Array, ipRaw: string, port: number): void {
    const ip = unmap(ipRaw);
    if (isStun(msg)) {
      const r = parseStunResponse(msg);
      if (!r || !this.stunPending.delete(hex(r.txid))) return;
      this.stats.stunAnswers++;
      const addr = hostPort(r);
      if (!this.stunEndpoints.has(addr)) {
        this.stunEndpoints.add(addr);
        this.log(`magicsock: STUN says our UDP socket is ${addr} outside`);
        this.o.onEndpoints?.();
      }
      return;
    }
    if (isDisco(msg)) { this.disco(msg, { ip, port, key: `${ip}|${port}` }, null, 0); return; }
    const p = this.byAddr.get(`${ip}|${port}`);
    if (!p) { this.stats.unknownUdp++; return; }
    this.stats.directIn++;
    this.device?.receive(msg, p);
  }

  private receiveDerp(src: Uint8Array, packet: Uint8Array, region: number): void {
    if (isDisco(packet)) { this.disco(packet, null, src, region); return; }
    const p = this.path(src);
    if (region) p.region = region;
    this.stats.derpIn++;
    this.device?.receive(packet, p);
  }

  /** A disco message from a UDP address, or over DERP from node `derpSrc` in `region`. */
  private disco(packet: Uint8Array, from: Addr | null, derpSrc: Uint8Array | null, region: number): void {
    this.stats.discoIn++;
    const m = openDisco(this.o.discoPrivate, packet);
    if (!m) return;
    const p = derpSrc ? this.path(derpSrc) : this.byDisco.get(hex(m.sender));
    if (!p) return;
    const now = this.now();
    switch (m.type) {
      case DiscoType.Ping: {
        if (m.payload.length < 12) return;
        const txid = m.payload.subarray(0, 12);
        if (from) {
          // Pings carry the sender's node key: one that disagrees with the disco key's owner is not believed.
          if (m.payload.length >= 44 && hex(m.payload.subarray(12, 44)) !== p.keyHex) return;
          this.byAddr.set(from.key, p);
          const fresh = !p.candidates.has(from.key);
          this.addCandidate(p, from);
          if (!this.udp) return;
          this.udp.send(sealDisco(this.o.discoPrivate, m.sender, DiscoType.Pong, pongPayload(txid, ip16(from.ip), from.port)), from.ip, from.port);
          // A new address that reaches us may be the way back: ping it (handlePingLocked adds it as a candidate).
          if (fresh) { const c = p.candidates.get(from.key); if (c) { c.lastPing = now; this.ping(p, c, now); } }
        } else {
          if (!this.regions?.send(p.key, sealDisco(this.o.discoPrivate, m.sender, DiscoType.Pong, pongPayload(txid, DERP_MAGIC_IP16, region)), region)) return;
        }
        this.stats.pingsAnswered++;
        return;
      }
      case DiscoType.Pong: {
        const pong = parsePong(m.payload);
        if (!pong || !from) return;
        const sent = p.pings.get(hex(pong.txid));
        if (!sent || sent.to.key !== from.key) return;
        p.pings.delete(hex(pong.txid));
        this.stats.pongsIn++;
        const latencyMs = now - sent.at;
        this.byAddr.set(from.key, p);
        // A better (or the first, or the same) address becomes the best (handlePongConnLocked; betterAddr by latency).
        if (!p.best || p.best.key === from.key || now >= p.trustUntil || latencyMs < p.best.latencyMs) {
          if (!p.wasDirect || p.best?.key !== from.key) this.log(`magicsock: direct path to ${short(p)} at ${hostPort(from)} (${latencyMs.toFixed(1)} ms)`);
          p.best = { ...from, latencyMs, lastPing: sent.at };
          p.wasDirect = true;
        }
        if (p.best.key === from.key) p.trustUntil = now + TIMING.trustUDPAddr;
        return;
      }
      case DiscoType.CallMeMaybe: {
        if (!derpSrc) return;
        const eps = parseCallMeMaybe(m);
        if (!eps) return;
        this.stats.callMeMaybeIn++;
        for (const e of eps) { try { this.addCandidate(p, { ip: format(isV4Mapped(e.ip16) ? e.ip16.subarray(12) : e.ip16), port: e.port }); } catch { /* skipped */ } }
        // The peer is pinging us now: ping back at once, whatever the rate limit says.
        for (const c of p.candidates.values()) c.lastPing = -Infinity;
        this.discover(p, now);
        return;
      }
      default:
    }
  }

  private addCandidate(p: PeerPath, a: { ip: string; port: number }): void {
    if (!this.udp || a.port === 0 || !this.udp.reaches(a.ip)) return;
    const key = `${a.ip}|${a.port}`;
    if (!p.candidates.has(key)) p.candidates.set(key, { ip: a.ip, port: a.port, key, lastPing: -Infinity });
  }

  private forgetPaths(p: PeerPath): void {
    for (const [k, v] of this.byAddr) if (v === p) this.byAddr.delete(k);
    p.candidates.clear();
    p.pings.clear();
    p.best = null;
    p.trustUntil = 0;
  }
}

/** "1.2.3.4:5" or "[v6]:5" → address and port; null for anything else (control's endpoints are not trusted input). */
export function parseHostPort(s: string): { ip: string; port: number } | null {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|(\d+\.\d+\.\d+\.\d+)):(\d{1,5})$/.exec(s);
  if (!m || Number(m[3]) > 65535) return null;
  try { return { ip: format(parse(m[1] ?? m[2])), port: Number(m[3]) }; } catch { return null; }
}

function hostPort(a: { ip: string; port: number }): string {
  return a.ip.includes(':') ? `[${a.ip}]:${a.port}` : `${a.ip}:${a.port}`;
}

/** An address as disco carries it: 16 bytes, IPv4 mapped into ::ffff:0:0/96. */
function ip16(ip: string): Uint8Array {
  const a = parse(ip);
  if (a.length === 16) return a;
  const out = new Uint8Array(16);
  out[10] = 0xff; out[11] = 0xff; out.set(a, 12);
  return out;
}

/** A dual-stack socket reports IPv4 senders as ::ffff:a.b.c.d. */
function unmap(ip: string): string {
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(ip) ? ip.slice(7) : ip;
}

function short(p: PeerPath): string { return `[${p.keyHex.slice(0, 10)}]`; }

function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}
