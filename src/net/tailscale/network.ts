/**
 * Tailscale as the machine's network: the glue between the control plane (ipn.ts), the data
 * plane (net/wireguard over net/derp) and the VM's IP stack (net/ip), giving the kernel a
 * `NetStack` (engine/net/stack.ts) for everything that is not loopback.
 *
 *   guest socket → IpStack → PacketLink → WireGuard Device → MagicBind → DerpRegions → WebSocket
 *                                                                      ↘ UDP (Node: direct paths)
 *
 * From each netmap: the stack's addresses (the node's 100.x and fd7a: addresses, plus quad-100
 * for MagicDNS) and routes (the tailnet ranges, and the default routes when an exit node is in
 * use); WireGuard peers with their allowed IPs (an exit node's 0.0.0.0/0 and ::/0 only for the
 * chosen one), their home DERP region, disco key and endpoints (magicsock.ts picks DERP or a
 * direct UDP path per peer; only with a UdpTransport, which a browser has not). MagicDNS (magicdns.ts) is served by
 * sockets on the stack itself at 100.100.100.100:53, UDP and TCP. Packets from peers pass the
 * tailnet's packet filter (filter.ts) before the stack sees them.
 *
 * Everything here runs in the engine's worker, next to the kernel: packets never cross a
 * postMessage boundary. It is loaded by dynamic import() only when a machine asks for
 * Tailscale, so a page without networking downloads none of it.
 */
import { parseKey } from '../crypto/index.js';
import { DerpRegions, type DERPNode } from '../derp/regions.js';
import type { WebSocketFactory } from '../derp/websocket.js';
import type { DerpState } from '../derp/client.js';
import { IpStack, type PacketLink } from '../ip/index.js';
import { hostUnreachable } from '../ip/unreachable.js';
import { format as formatAddr } from '../ip/addr.js';
import { Device } from '../wireguard/device.js';
import { parseIP, parsePrefix, type Prefix } from '../wireguard/allowedips.js';
import type { DatagramSocket, InetAddr, StreamConn, StreamListener } from '../../engine/net/stack.js';
import { NetMap, isExitNode } from './control/netmap.js';
import type { NetMapView } from './control/netmap.js';
import type { Node } from './control/tailcfg.js';
import { PacketFilter, describePacket, tsmpReject } from './filter.js';
import { IpnState, TailscaleBackend, type BackendOptions, type HomeDerp } from './ipn.js';
import { FORWARD, QUAD100_V4, QUAD100_V6, answerQuery, servfail } from './magicdns.js';
import { DnsForwarder, chooseUpstreams, queryName } from './dns-forward.js';
import { tsmpPong } from './tsmp.js';
import { PeerApi } from './peerapi.js';
import { MagicBind, type MagicBindStats, type PeerPath, type UdpTransport } from './magicsock.js';

/** net/tstun/mtu.go safeTUNMTU: Tailscale's default inner MTU. */
const TAILSCALE_MTU = 1280;
/** tsaddr.CGNATRange and TailscaleULARange: routed to the tunnel even without a peer (unreachable is answered, not leaked). */
const TAILNET_ROUTES = ['100.64.0.0/10', 'fd7a:115c:a1e0::/48'];

export interface TailscaleNetworkOptions extends Omit<BackendOptions, 'derp' | 'onNetMap'> {
  onNetMap?: (view: NetMapView) => void;
  /**
   * DERP over ws:// instead of wss:// (Go's TS_DEBUG_USE_DERP_HTTP), for a derper serving plain
   * HTTP on loopback in tests. Default: true when the control URL is http://.
   */
  derpPlainHttp?: boolean;
  /** The WebSocket the DERP connections use (default the platform's): a proxy, or a fault injector in tests. */
  derpWebSocket?: WebSocketFactory;
  /**
   * A UDP socket for direct paths to peers (Node: NodeUdpTransport); its endpoints are reported
   * to control. Without one every peer is reached over DERP. Closed by close().
   */
  udp?: UdpTransport | null;
}

interface DnsSockets { udp4?: DatagramSocket; udp6?: DatagramSocket; tcp: StreamListener[] }

export interface NetworkStats {
  bytesIn: number; bytesOut: number; packetsIn: number; packetsOut: number;
  /** Packets from peers the packet filter dropped. */
  filtered: number;
}

/** What the packet filter is doing, for status displays and tests. */
export interface FilterStatus {
  /** Rules in effect (0 before control sent a filter: nothing new comes in). */
  rules: number;
  /** The first problem in the rules control sent (those rules were skipped), or null. */
  error: string | null;
  /** The last packet dropped, and why ("100.64.0.2:41000 → 100.64.0.1:81 TCP: no rules matched"). */
  lastDrop: string | null;
}

export class TailscaleNetwork {
  readonly backend: TailscaleBackend;
  /** The machine's non-loopback NetStack. */
  readonly stack: IpStack;
  readonly stats: NetworkStats = { bytesIn: 0, bytesOut: 0, packetsIn: 0, packetsOut: 0, filtered: 0 };
  /** The packet filter (none until a netmap: nothing new comes in, as ipnlocal's NewAllowNone). */
  private filter = new PacketFilter(null, []);
  private filterKey = '';
  private lastDrop: string | null = null;
  private dropLogs = 0;
  private forwarder: DnsForwarder | null = null;
  private dnsSource = '';
  private dnsErrors = 0;
  private device: Device<PeerPath> | null = null;
  private regions: DerpRegions | null = null;
  private bind: MagicBind | null = null;
  private deviceKey: Uint8Array | null = null;
  private readonly link: PacketLink;
  /** Answers peers' `tailscale ping --peerapi`; its port is in our Hostinfo.Services. */
  readonly peerApi: PeerApi;
  private homeWaiters: ((s: DerpState) => void)[] = [];
  private homeState: DerpState = 'idle';
  private dns: DnsSockets | null = null;
  private readonly log: (m: string) => void;
  private readonly plainHttp: boolean;

  constructor(private readonly o: TailscaleNetworkOptions) {
    this.log = o.log ?? (() => {});
    this.plainHttp = o.derpPlainHttp ?? /^http:/i.test(o.controlUrl ?? '');
    this.link = {
      mtu: TAILSCALE_MTU,
      onPacket: null,
      send: (p) => {
        this.stats.packetsOut++;
        this.stats.bytesOut += p.length;
        this.filter.noteOutbound(p);
        // No peer owns the destination: answer as a route to nowhere does (EHOSTUNREACH at once),
        // later, since the stack's send must not call back into it.
        if (!this.device?.send(p)) {
          const u = hostUnreachable(p);
          if (u) queueMicrotask(() => this.link.onPacket?.(u));
        }
      },
    };
    this.stack = new IpStack(this.link, { name: 'tailscale', ifName: 'tailscale0', addresses: [] });
    this.peerApi = new PeerApi(this.stack, this.log);
    this.backend = new TailscaleBackend({
      ...o,
      derp: (region, nodePrivate) => this.connectHome(region.RegionID, nodePrivate),
      endpoints: o.udp ? () => this.bind?.endpoints() ?? [] : undefined,
      services: () => this.peerApi.services(),
      onNetMap: (view, nm, exit) => { this.applyNetMap(nm, exit); o.onNetMap?.(view); },
      pingICMP: (ip, ms) => this.pingICMP(ip, ms),
    });
  }

  get state(): IpnState { return this.backend.state; }

  /** Each peer's path ("direct 127.0.0.1:41641" or "derp") and the data plane's counters. */
  get paths(): { peer: string; path: string; latencyMs: number | null }[] {
    const names = new Map([...this.backend.netmap.peers.values()].map((p) => [p.Key.replace(/^nodekey:/, ''), p.Name]));
    return (this.bind?.paths() ?? []).map((p) => ({ peer: names.get(hex(p.key)) ?? hex(p.key).slice(0, 16), path: p.path, latencyMs: p.latencyMs }));
  }

  get pathStats(): MagicBindStats | null { return this.bind?.stats ?? null; }

  /** Our endpoints as reported to control (STUN's, then the UDP socket's own); none without UDP. */
  get endpoints(): { addr: string; type: number }[] { return this.bind?.endpoints() ?? []; }

  get filterStatus(): FilterStatus {
    return { rules: this.filter.ruleCount, error: this.filter.error, lastDrop: this.lastDrop };
  }

  /** A packet the filter refused: counted, the last one kept, the first few logged; a refused TCP SYN gets tstun's TSMP reject. */
  private dropped(p: Uint8Array, why: string): void {
    this.stats.filtered++;
    this.lastDrop = `${describePacket(p)}: ${why}`;
    if (this.dropLogs < 20) { this.dropLogs++; this.log(`tailscale: packet filter dropped ${this.lastDrop}`); }
    const rj = tsmpReject(p);
    if (rj) queueMicrotask(() => this.device?.send(rj));
  }

  /** A new filter when the rules or our addresses changed (flows the VM opened keep their replies). */
  private updateFilter(nm: NetMap): void {
    const rules = nm.filterRules();
    const addrs = nm.self?.Addresses ?? [];
    const key = `${nm.filterVersion} ${addrs.join(',')}`;
    if (key === this.filterKey) return;
    this.filterKey = key;
    const f = new PacketFilter(rules, addrs, (src, cap) => this.hasCap(src, cap));
    f.adoptFlows(this.filter);
    if (f.error && f.error !== this.filter.error) this.log(`tailscale: packet filter: ${f.error} (the rule was skipped; ${f.ruleCount} rules apply)`);
    this.filter = f;
  }

  /**
   * For the filter's `cap:` sources (ipnlocal srcIPHasCapForFilter): the node owning `src` has
   * `cap` in its CapMap, read from the current netmap (deltas change it without a new filter).
   */
  private hasCap(src: Uint8Array, cap: string): boolean {
    if (!cap) return false;
    const nm = this.backend.netmap;
    const ip = formatAddr(src);
    const owns = (n: Node) => (n.Addresses ?? []).some((a) => a.split('/')[0] === ip);
    for (const n of [nm.self, ...nm.peers.values()]) if (n && owns(n)) return !!n.CapMap && Object.hasOwn(n.CapMap, cap);
    return false;
  }

  /** Load keys; resume a stored login (state 5 → 6) or wait for login() in state 2. */
  start(): Promise<void> { return this.backend.start(); }
  /** CheerpX's networkLogin(). */
  login(): Promise<void> { return this.backend.login(); }
  logout(): Promise<void> { return this.backend.logout(); }

  close(): void {
    this.backend.stop();
    this.regions?.close();
    this.device?.close();
    this.bind?.close();
    this.o.udp?.close();
    this.peerApi.close();
    this.stack.close();
  }

  // ---- data plane -----------------------------------------------------------------------

  /** The WireGuard device for the node key (a new one if the key changed: expiry, logout). */
  private ensureDevice(nodePrivate: Uint8Array): void {
    if (this.device && this.deviceKey && equal(this.deviceKey, nodePrivate)) return;
    this.regions?.close();
    this.device?.close();
    this.bind?.close();
    this.regions = null;
    this.deviceKey = nodePrivate;
    this.bind = new MagicBind({ discoPrivate: this.backend.discoPrivateKey, nodePublic: this.backend.nodePublic, udp: this.o.udp ?? null, log: this.log, onEndpoints: () => this.backend.updateHostinfo() });
    const bind = this.bind;
    this.device = new Device<PeerPath>({
      privateKey: nodePrivate, bind, mtu: TAILSCALE_MTU, log: this.log,
      onPacket: (p) => {
        this.stats.packetsIn++;
        this.stats.bytesIn += p.length;
        const v = this.filter.runIn(p);
        if (!v.accept) { this.dropped(p, v.why); return; }
        // A TSMP ping (`tailscale ping --tsmp`) is answered by the node, as tstun does: the stack never sees it.
        const pong = tsmpPong(p, this.peerApi.port);
        if (pong) { queueMicrotask(() => this.device?.send(pong)); return; }
        this.link.onPacket?.(p);
      },
    });
    bind.attach(this.device);
  }

  /** ipn's DerpConnect: resolves when the home region is connected; the handle's onClose fires when it drops. */
  private async connectHome(regionId: number, nodePrivate: Uint8Array): Promise<HomeDerp> {
    this.ensureDevice(nodePrivate);
    const map = this.backend.netmap.derpMap;
    if (!map) throw new Error('no DERP map yet');
    if (!this.regions) {
      this.homeState = 'connecting';
      this.regions = new DerpRegions({
        privateKey: nodePrivate, derpMap: map, homeRegion: regionId, plainHttp: this.plainHttp, log: this.log, webSocket: this.o.derpWebSocket,
        onHomeState: (s) => { this.homeState = s; for (const w of this.homeWaiters.splice(0)) w(s); },
        onError: (e, r) => this.log(`DERP region ${r}: ${e.message}`),
      });
      this.bind!.setRegions(this.regions);
    } else {
      this.regions.setDerpMap(map);
      this.regions.setHomeRegion(regionId);
    }
    this.bind!.setStunServers(stunServers(map.Regions[String(regionId)]?.Nodes ?? []));
    while (this.homeState !== 'connected') {
      const s = await new Promise<DerpState>((r) => this.homeWaiters.push(r));
      if (s === 'closed') throw new Error(`the DERP connection to region ${regionId} closed`);
    }
    const handle: HomeDerp = {
      onClose: null,
      close: () => {},
    };
    const watch = () => this.homeWaiters.push((s) => {
      if (s === 'connected') { watch(); return; }
      handle.onClose?.(`home DERP ${s}`);
    });
    watch();
    return handle;
  }

  private applyNetMap(nm: NetMap, exit: Node | null): void {
    const self = nm.self;
    if (!self) return;
    this.ensureDevice(this.backend.nodePrivateKey);
    // WireGuard peers: key, allowed IPs, home DERP region.
    const want = new Set<string>();
    for (const p of nm.peers.values()) {
      let key: Uint8Array;
      try { key = parseKey('nodePublic', p.Key); } catch { continue; }
      want.add(hex(key));
      const allowed = NetMap.allowedIPs(p).filter((a) => p === exit || !/^(0\.0\.0\.0|::)\/0$/.test(a));
      const prefixes: Prefix[] = [];
      for (const a of allowed) { try { prefixes.push(parsePrefix(a)); } catch { /* a prefix we cannot parse is skipped */ } }
      let disco: Uint8Array | null = null;
      try { if (p.DiscoKey) disco = parseKey('discoPublic', p.DiscoKey); } catch { /* no direct path without a disco key */ }
      const endpoint = this.bind!.setPeer(key, { homeRegion: NetMap.homeDERP(p), disco, endpoints: p.Endpoints ?? [] });
      this.device!.setPeer({ publicKey: key, allowedIPs: prefixes, endpoint });
    }
    for (const peer of this.device!.allPeers()) if (!want.has(hex(peer.publicKey))) { this.device!.removePeer(peer.publicKey); this.bind!.removePeer(peer.publicKey); }
    // The stack: our addresses, quad-100, the tailnet, and the exit node's default routes.
    const addresses = [...(self.Addresses ?? []), `${QUAD100_V4}/32`, `${QUAD100_V6}/128`];
    const routes = [...TAILNET_ROUTES, ...(exit && isExitNode(exit) ? ['0.0.0.0/0', '::/0'] : [])];
    this.stack.configure({ addresses, routes });
    if (!this.peerApi.port) {
      const mine: Uint8Array[] = [];
      for (const a of self.Addresses ?? []) { try { mine.push(parseIP(a.split('/')[0])); } catch { /* skipped */ } }
      this.peerApi.listen(mine);
      if (this.peerApi.port) this.backend.updateHostinfo();
    }
    this.updateFilter(nm);
    this.startDns(nm);
  }

  /** One ICMP echo to a tailnet address through the tunnel (control's ICMP PingRequest): who answered and how fast. */
  private pingICMP(ip: string, ms: number): Promise<{ nodeIP: string; nodeName: string; seconds: number }> {
    let addr: Uint8Array;
    try { addr = parseIP(ip); } catch { return Promise.reject(new Error(`not an IP address: ${JSON.stringify(ip)}`)); }
    const v6 = addr.length === 16;
    const s = this.stack.datagram('icmp', { family: v6 ? 10 : 2, addr: new Uint8Array(addr.length), port: 0 }, {});
    if (typeof s === 'number') return Promise.reject(new Error(`cannot open an ICMP socket (errno ${-s})`));
    // Echo request (RFC 792 type 8 / RFC 4443 type 128); the stack sets the identifier and checksum.
    const req = Uint8Array.of(v6 ? 128 : 8, 0, 0, 0, 0, 0, 0, 1, 0x77, 0x65, 0x62, 0x78, 0x38, 0x36);
    const t0 = performance.now();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { s.close(); reject(new Error(`no ICMP echo reply from ${ip} within ${ms / 1000} s`)); }, ms);
      s.onChange = () => {
        const err = s.takeError();
        if (err) { clearTimeout(timer); s.close(); reject(new Error(`ICMP echo to ${ip} failed (errno ${err})`)); return; }
        for (let d; (d = s.recv()); ) {
          if (d.data[0] !== (v6 ? 129 : 0)) continue;
          clearTimeout(timer);
          s.close();
          const node = [...this.backend.netmap.peers.values()].find((p) => (p.Addresses ?? []).some((a) => a.replace(/\/\d+$/, '') === ip));
          resolve({ nodeIP: ip, nodeName: node?.Name.split('.')[0] ?? '', seconds: (performance.now() - t0) / 1000 });
          return;
        }
      };
      const n = s.send(req, { family: v6 ? 10 : 2, addr, port: 0 });
      if (n < 0) { clearTimeout(timer); s.close(); reject(new Error(`ICMP echo to ${ip} could not be sent (errno ${-n})`)); }
    });
  }

  // ---- MagicDNS -------------------------------------------------------------------------

  private startDns(nm: NetMap): void {
    if (this.dns) return;
    const dns: DnsSockets = { tcp: [] };
    this.dns = dns;
    for (const [family, text, bytes] of [[2, QUAD100_V4, v4(QUAD100_V4)], [10, QUAD100_V6, v6Quad100()]] as const) {
      const at: InetAddr = { family, addr: bytes, port: 53 };
      const u = this.stack.datagram('udp', at, {});
      if (typeof u === 'number') { this.log(`MagicDNS: cannot bind UDP ${text}:53 (errno ${-u})`); continue; }
      u.onChange = () => {
        for (let d; (d = u.recv()); ) {
          const a = answerQuery(d.data, this.backend.netmap, true);
          if (a === FORWARD) { const from = d.from; void this.forwardDns(d.data).then((r) => { if (r) u.send(r, from); }); }
          else if (a) u.send(a, d.from);
        }
      };
      if (family === 2) dns.udp4 = u; else dns.udp6 = u;
      const l = this.stack.listen(at, 16, {});
      if (typeof l === 'number') { this.log(`MagicDNS: cannot listen on TCP ${text}:53 (errno ${-l})`); continue; }
      l.onChange = () => { for (let c; (c = l.accept()); ) this.serveDnsTcp(c); };
      dns.tcp.push(l);
    }
    void nm;
  }

  /** DNS over TCP (RFC 1035 §4.2.2): each message prefixed with its 2-byte length. */
  private serveDnsTcp(c: StreamConn): void {
    let buf = new Uint8Array(0);
    const chunk = new Uint8Array(4096);
    c.onChange = () => {
      for (;;) {
        const n = c.read(chunk);
        if (n <= 0) { if (n === 0 || c.state === 'closed') c.close(); break; }
        const nb = new Uint8Array(buf.length + n); nb.set(buf); nb.set(chunk.subarray(0, n), buf.length); buf = nb;
      }
      while (buf.length >= 2) {
        const len = (buf[0] << 8) | buf[1];
        if (buf.length < 2 + len) break;
        const q = buf.slice(2, 2 + len);
        const a = answerQuery(q, this.backend.netmap, true);
        buf = buf.slice(2 + len);
        // Answers may leave out of order (RFC 7766 §7): each carries its query's ID.
        if (a === FORWARD) void this.forwardDns(q).then((r) => { if (r && c.state !== 'closed') c.write(framed(r)); });
        else if (a) c.write(framed(a));
      }
    };
  }

  /** A query for a name outside the tailnet, to the upstreams tailscaled would pick (dns-forward.ts); SERVFAIL when none answers. */
  private async forwardDns(q: Uint8Array): Promise<Uint8Array | null> {
    const { upstreams, source } = chooseUpstreams(this.backend.netmap, this.backend.exitNode, queryName(q));
    if (source !== this.dnsSource) { this.dnsSource = source; this.log(`tailscale: DNS for names outside the tailnet goes to ${source}`); }
    this.forwarder ??= new DnsForwarder(this.stack, this.log);
    const r = upstreams.length ? await this.forwarder.forward(q, upstreams) : new Error('no upstream resolver');
    if (r instanceof Error) {
      this.dnsErrors++;
      if (this.dnsErrors <= 20) this.log(`tailscale: DNS forwarding failed (SERVFAIL): ${r.message}`);
      return servfail(q);
    }
    return r;
  }
}

/** A region's STUN servers (tailcfg.DERPNode: STUNPort 0 means 3478, negative none; an IPv4 literal, as the engine resolves no names). */
function stunServers(nodes: readonly DERPNode[]): { ip: string; port: number }[] {
  const out = [];
  for (const n of nodes) {
    const port = n.STUNPort ?? 0;
    if (port < 0) continue;
    const ip = n.IPv4 && n.IPv4 !== 'none' ? n.IPv4 : n.HostName;
    if (/^\d+\.\d+\.\d+\.\d+$/.test(ip ?? '')) out.push({ ip: ip!, port: port || 3478 });
  }
  return out;
}

/** A DNS message with its 2-byte length (DNS over TCP, RFC 1035 §4.2.2). */
function framed(a: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 + a.length);
  out[0] = a.length >> 8; out[1] = a.length & 0xff; out.set(a, 2);
  return out;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}
function v4(s: string): Uint8Array { return Uint8Array.from(s.split('.').map(Number)); }
/** fd7a:115c:a1e0::53 */
function v6Quad100(): Uint8Array { return Uint8Array.of(0xfd, 0x7a, 0x11, 0x5c, 0xa1, 0xe0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53); }

export { IpnState };
