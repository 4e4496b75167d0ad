/**
 * The network map: the control server's full and delta MapResponses folded into one state
 * (tailscale.com/control/controlclient/map.go does the same in Go), and the view the page
 * gets through `netmapUpdateCb` — CheerpX's shape (tsconnect's notifyNetMap JSON, as an
 * object, plus `exitNode` on peers as WebVM reads it; shared/reference/net/
 * tailscale-protocols.md §1.4).
 */
import type { DERPMap, DNSConfig, MapResponse, Node, PeerChange } from './tailcfg.js';

/** What `netmapUpdateCb` receives. */
export interface NetMapView {
  self: { name: string; addresses: string[]; machineKey: string; nodeKey: string; machineStatus: 'MachineAuthorized' | 'MachineUnauthorized'; keyExpiry?: string };
  peers: { name: string; addresses: string[]; machineKey: string; nodeKey: string; online?: boolean; tailscaleSSHEnabled: boolean; exitNode: boolean }[];
  lockedOut: boolean;
  /** Extension: the peer used as exit node, by name, or null. */
  exitNodeInUse: string | null;
  /** Extension: the MagicDNS suffix ("tail1234.ts.net"): the self node's name without its host label, as Tailscale derives it. */
  magicDNSSuffix: string;
}

const isDefaultRoute = (p: string) => p === '0.0.0.0/0' || p === '::/0';

/** A peer that control lets us route everything through. */
export function isExitNode(n: Node): boolean {
  return (n.AllowedIPs ?? []).some(isDefaultRoute);
}

/** The address without its prefix length ("100.64.0.1/32" → "100.64.0.1"). */
export const bareAddr = (p: string) => p.replace(/\/\d+$/, '');

export class NetMap {
  self: Node | null = null;
  readonly peers = new Map<number, Node>();
  derpMap: DERPMap | null = null;
  dns: DNSConfig | null = null;
  domain = '';
  /** The packet filter's named chunks ("base" is MapResponse.PacketFilter); null until control sent one. */
  packetFilters: Map<string, unknown> | null = null;
  /** Bumped when the packet filter changes. */
  filterVersion = 0;
  /** Bumped on every change that alters what the page or the data plane sees. */
  version = 0;

  /** Fold one MapResponse in; returns whether anything changed. */
  apply(r: MapResponse): boolean {
    let changed = false;
    if (r.Node) { this.self = r.Node; changed = true; }
    if (r.DERPMap) { this.derpMap = r.DERPMap; changed = true; }
    if (r.DNSConfig) { this.dns = r.DNSConfig; changed = true; }
    if (r.Domain !== undefined && r.Domain !== this.domain) { this.domain = r.Domain; changed = true; }
    if (this.applyFilter(r)) { this.filterVersion++; changed = true; }
    if (r.Peers) {
      // A full list replaces everything (map.go: "Peers is the complete list").
      this.peers.clear();
      for (const p of r.Peers) this.peers.set(p.ID, p);
      changed = true;
    }
    for (const p of r.PeersChanged ?? []) { this.peers.set(p.ID, p); changed = true; }
    for (const id of r.PeersRemoved ?? []) changed = this.peers.delete(id) || changed;
    for (const c of r.PeersChangedPatch ?? []) changed = this.patch(c) || changed;
    for (const [id, online] of Object.entries(r.OnlineChange ?? {})) {
      const p = this.peers.get(Number(id));
      if (p) { p.Online = online; changed = true; }
    }
    // PeerSeenChange only moves LastSeen, which nothing here shows.
    if (changed) this.version++;
    return changed;
  }

  /** map.go: PacketFilter is the chunk "base"; PacketFilters adds, replaces or deletes chunks ("*": null clears first). */
  private applyFilter(r: MapResponse): boolean {
    let changed = false;
    // Anything but nil replaces the chunk; a chunk that is not a list is kept for filter.ts to report (and allows nothing).
    if (r.PacketFilter !== undefined && r.PacketFilter !== null) { (this.packetFilters ??= new Map()).set('base', r.PacketFilter); changed = true; }
    const named = r.PacketFilters;
    if (named && typeof named === 'object' && !Array.isArray(named)) {
      const m = (this.packetFilters ??= new Map());
      if ('*' in named && named['*'] === null) m.clear();
      for (const [k, v] of Object.entries(named)) {
        if (k === '*') continue;
        if (v === null) m.delete(k); else m.set(k, v);
      }
      changed = true;
    }
    return changed;
  }

  /**
   * All the filter rules, chunks in key order as map.go concatenates them; null before control
   * sent any. A chunk that is not a list is passed on as is, for filter.ts to report.
   */
  filterRules(): unknown {
    if (!this.packetFilters) return null;
    const out: unknown[] = [];
    for (const k of [...this.packetFilters.keys()].sort()) {
      const v = this.packetFilters.get(k);
      if (!Array.isArray(v)) return v;
      out.push(...v);
    }
    return out;
  }

  private patch(c: PeerChange): boolean {
    const p = this.peers.get(c.NodeID);
    if (!p) return false;
    if (c.DERPRegion !== undefined) p.HomeDERP = c.DERPRegion;
    if (c.Endpoints !== undefined) p.Endpoints = c.Endpoints;
    if (c.Key !== undefined) p.Key = c.Key;
    if (c.DiscoKey !== undefined) p.DiscoKey = c.DiscoKey;
    if (c.Online !== undefined) p.Online = c.Online;
    if (c.LastSeen !== undefined) p.LastSeen = c.LastSeen;
    if (c.KeyExpiry !== undefined) p.KeyExpiry = c.KeyExpiry;
    if (c.CapMap !== undefined && c.CapMap !== null) p.CapMap = c.CapMap;
    return true;
  }

  /** Addresses as prefixes, AllowedIPs defaulting to them (capver 112). */
  static allowedIPs(n: Node): string[] {
    return n.AllowedIPs ?? n.Addresses ?? [];
  }

  /** A peer's home DERP region: HomeDERP, or the legacy "127.3.3.40:N" string. */
  static homeDERP(n: Node): number {
    if (n.HomeDERP) return n.HomeDERP;
    const m = /:(\d+)$/.exec(n.DERP ?? '');
    return m ? Number(m[1]) : 0;
  }

  /** The self node's key has expired (control sets Expired, or KeyExpiry is past). */
  selfExpired(now = Date.now()): boolean {
    const s = this.self;
    if (!s) return false;
    if (s.Expired) return true;
    if (!s.KeyExpiry || s.KeyExpiry.startsWith('0001-')) return false;
    return Date.parse(s.KeyExpiry) <= now;
  }

  /**
   * The exit node to use: `want` names one (stable ID, name, or IP); 'auto' takes the first
   * online exit node by name, as WebVM's "uses the exit node once advertised"; null: none.
   */
  pickExitNode(want: string | null): Node | null {
    if (!want) return null;
    const exits = [...this.peers.values()].filter(isExitNode).sort((a, b) => a.Name.localeCompare(b.Name));
    if (want === 'auto') return exits.find((p) => p.Online !== false) ?? null;
    return exits.find((p) => p.StableID === want || p.Name === want || p.Name.replace(/\.$/, '') === want || p.Name.split('.')[0] === want
      || (p.Addresses ?? []).some((a) => bareAddr(a) === want)) ?? null;
  }

  view(exitNode: Node | null): NetMapView | null {
    const s = this.self;
    if (!s) return null;
    return {
      self: {
        name: s.Name, addresses: (s.Addresses ?? []).map(bareAddr), machineKey: s.Machine ?? '', nodeKey: s.Key,
        machineStatus: s.MachineAuthorized ? 'MachineAuthorized' : 'MachineUnauthorized', keyExpiry: s.KeyExpiry,
      },
      peers: [...this.peers.values()].map((p) => ({
        name: p.Name, addresses: (p.Addresses ?? []).map(bareAddr), machineKey: p.Machine ?? '', nodeKey: p.Key,
        online: p.Online, tailscaleSSHEnabled: !!p.CapMap && 'https://tailscale.com/cap/ssh' in p.CapMap, exitNode: isExitNode(p),
      })),
      lockedOut: false,
      exitNodeInUse: exitNode?.Name ?? null,
      magicDNSSuffix: magicDNSSuffix(s.Name),
    };
  }
}

/** "host.tail1234.ts.net." → "tail1234.ts.net"; '' for a bare name. */
export function magicDNSSuffix(name: string): string {
  const n = name.replace(/\.$/, '');
  const i = n.indexOf('.');
  return i < 0 ? '' : n.slice(i + 1);
}
