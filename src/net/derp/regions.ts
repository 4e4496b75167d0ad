/**
 * DERP regions (tailcfg.DERPMap) and one client per region in use: the home region stays
 * connected and marked preferred; a peer homed elsewhere is reached through its own region,
 * connected on demand and closed after a minute without sends (magicsock's
 * derpInactiveCleanupTime). A region's nodes are tried in order: after repeated failures
 * without a connection the next node is used.
 */
import { DerpClient, type DerpState } from './client.js';
import type { WebSocketFactory } from './websocket.js';

/** The fields of tailcfg.DERPNode and DERPRegion that a WebSocket client uses (JSON names). */
export interface DERPNode {
  Name: string;
  RegionID: number;
  HostName: string;
  IPv4?: string;
  IPv6?: string;
  DERPPort?: number;
  STUNPort?: number;
  STUNOnly?: boolean;
  InsecureForTests?: boolean;
  CanPort80?: boolean;
}

export interface DERPRegion {
  RegionID: number;
  RegionCode?: string;
  RegionName?: string;
  Avoid?: boolean;
  Nodes: DERPNode[];
}

export interface DERPMap {
  Regions: Record<string, DERPRegion>;
  OmitDefaultRegions?: boolean;
}

/**
 * The WebSocket URL of a node: wss://HostName[:DERPPort]/derp, as derphttp's urlString
 * builds https://… (ws:// with `plainHttp`, like Go's TS_DEBUG_USE_DERP_HTTP, for servers
 * that serve plain HTTP on loopback in tests).
 */
export function derpNodeURL(node: DERPNode, plainHttp = false): string {
  const host = node.HostName.includes(':') && !node.HostName.startsWith('[') ? `[${node.HostName}]` : node.HostName;
  const port = node.DERPPort && node.DERPPort !== (plainHttp ? 80 : 443) ? `:${node.DERPPort}` : '';
  return `${plainHttp ? 'ws' : 'wss'}://${host}${port}/derp`;
}

export interface DerpRegionsOptions {
  privateKey: Uint8Array;
  derpMap: DERPMap;
  homeRegion: number;
  webSocket?: WebSocketFactory;
  plainHttp?: boolean;
  onPacket?: (src: Uint8Array, packet: Uint8Array, region: number) => void;
  onPeerGone?: (peer: Uint8Array, region: number) => void;
  /** The home region's connection state changed (ipn: Running needs a live home DERP). */
  onHomeState?: (state: DerpState) => void;
  onError?: (err: Error, region: number) => void;
  idleCloseMs?: number;
  log?: (msg: string) => void;
}

interface RegionConn {
  client: DerpClient;
  nodeIndex: number;
  failures: number;
  lastSend: number;
}

export class DerpRegions {
  onPacket: ((src: Uint8Array, packet: Uint8Array, region: number) => void) | null;
  private map: DERPMap;
  private home: number;
  private readonly conns = new Map<number, RegionConn>();
  private readonly idleTimer: ReturnType<typeof setInterval>;
  private closed = false;

  constructor(private readonly o: DerpRegionsOptions) {
    this.map = o.derpMap;
    this.home = o.homeRegion;
    this.onPacket = o.onPacket ?? null;
    this.idleTimer = setInterval(() => this.closeIdle(), 5_000);
    (this.idleTimer as { unref?: () => void }).unref?.();
    if (this.home) this.conn(this.home);
  }

  get homeRegion(): number {
    return this.home;
  }

  /** The home region's client (null before a home region is known). */
  homeClient(): DerpClient | null {
    return this.conns.get(this.home)?.client ?? null;
  }

  /** Regions with a live connection (ipn's LiveDERPs). */
  liveRegions(): number[] {
    return [...this.conns].filter(([, c]) => c.client.state === 'connected').map(([id]) => id);
  }

  setDerpMap(map: DERPMap): void {
    this.map = map;
    for (const [id, c] of this.conns) {
      const region = map.Regions[String(id)];
      const node = region?.Nodes[c.nodeIndex % Math.max(1, region.Nodes.length)];
      if (!region || !node || derpNodeURL(node, this.o.plainHttp) !== c.client.url) this.drop(id);
    }
    if (this.home && !this.conns.has(this.home)) this.conn(this.home);
  }

  setHomeRegion(id: number): void {
    if (id === this.home) return;
    this.conns.get(this.home)?.client.notePreferred(false);
    this.home = id;
    const c = this.conn(id);
    c?.client.notePreferred(true);
  }

  /** Send to node `dst` through `region` (0 or absent: our home region). */
  send(dst: Uint8Array, packet: Uint8Array, region = 0): boolean {
    const c = this.conn(region || this.home);
    if (!c) return false;
    c.lastSend = Date.now();
    return c.client.send(dst, packet);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.idleTimer);
    for (const id of [...this.conns.keys()]) this.drop(id);
  }

  private conn(id: number): RegionConn | null {
    if (this.closed) return null;
    const existing = this.conns.get(id);
    if (existing) return existing;
    const region = this.map.Regions[String(id)];
    const nodes = region?.Nodes.filter((n) => !n.STUNOnly) ?? [];
    if (!nodes.length) {
      this.o.onError?.(new Error(`DERP region ${id} is not in the DERP map (or has no DERP nodes)`), id);
      return null;
    }
    return this.connectNode(id, 0);
  }

  private connectNode(id: number, nodeIndex: number): RegionConn {
    const nodes = this.map.Regions[String(id)].Nodes.filter((n) => !n.STUNOnly);
    const node = nodes[nodeIndex % nodes.length];
    const rc: RegionConn = { client: null as unknown as DerpClient, nodeIndex, failures: 0, lastSend: Date.now() };
    rc.client = new DerpClient({
      url: derpNodeURL(node, this.o.plainHttp),
      privateKey: this.o.privateKey,
      webSocket: this.o.webSocket,
      preferred: id === this.home,
      log: this.o.log,
      onPacket: (src, p) => this.onPacket?.(src, p, id),
      onPeerGone: (peer) => this.o.onPeerGone?.(peer, id),
      onState: (s) => {
        if (s === 'connected') rc.failures = 0;
        if (id === this.home) this.o.onHomeState?.(s);
      },
      onError: (e) => {
        this.o.onError?.(e, id);
        if (rc.client.state !== 'connected' && ++rc.failures >= 3 && nodes.length > 1) {
          // Try the region's next node.
          this.drop(id);
          const next = this.connectNode(id, nodeIndex + 1);
          this.conns.set(id, next);
        }
      },
    });
    this.conns.set(id, rc);
    rc.client.start();
    return rc;
  }

  private drop(id: number): void {
    const c = this.conns.get(id);
    if (!c) return;
    this.conns.delete(id);
    c.client.close();
  }

  private closeIdle(): void {
    const now = Date.now();
    const idle = this.o.idleCloseMs ?? 60_000;
    for (const [id, c] of this.conns) if (id !== this.home && now - c.lastSend > idle) this.drop(id);
  }
}
