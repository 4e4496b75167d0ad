/**
 * The parts of Tailscale's wire types (tailscale.com/tailcfg, v1.102.5) this client reads or
 * writes, with Go's JSON field names. Unknown fields are ignored; a nil (absent) field in a
 * MapResponse means "unchanged" (tailcfg.MapResponse doc).
 */

/**
 * The capability version we claim, also the ts2021 protocol version. 113 is headscale's
 * minimum (hscontrol/capver MinSupportedCapabilityVersion); what it implies we honour:
 * Node.HomeDERP (111), nil AllowedIPs meaning Addresses (112), delta map responses. We stay
 * below 144 (TSMP disco-key advertisements inside WireGuard, which we do not speak).
 */
export const CAPABILITY_VERSION = 113;

/** tailcfg.DerpMagicIPAddr: the fake endpoint meaning "over DERP". */
export const DERP_MAGIC_IP = '127.3.3.40';

/**
 * The single endpoint a client without UDP reports. Control needs at least one or it does
 * not stream map responses (wgengine/magicsock determineEndpoints, js build); peers that try
 * it fail and stay on DERP.
 */
export const FAKE_ENDPOINT = '[fe80:123:456:789::1]:12345';

export interface Hostinfo {
  IPNVersion?: string;
  BackendLogID?: string;
  OS?: string;
  OSVersion?: string;
  Hostname?: string;
  GoArch?: string;
  App?: string;
  NetInfo?: { PreferredDERP?: number };
  RoutableIPs?: string[];
  /** The node's services (peerapi4/peerapi6 ports, tailcfg.Service). */
  Services?: { Proto: string; Port: number }[];
}

export interface RegisterRequest {
  Version: number;
  NodeKey: string;
  OldNodeKey: string;
  NLKey?: string;
  Auth?: { AuthKey?: string };
  Expiry?: string;
  Followup?: string;
  Hostinfo: Hostinfo;
  Ephemeral?: boolean;
  Timestamp?: string;
}

export interface RegisterResponse {
  User?: { ID: number; DisplayName?: string; LoginName?: string };
  Login?: { LoginName?: string; DisplayName?: string };
  NodeKeyExpired?: boolean;
  MachineAuthorized?: boolean;
  AuthURL?: string;
  Error?: string;
}

// The DERP map's types belong to the DERP client, which reads them (src/net/derp/regions.ts).
import type { DERPMap } from '../../derp/regions.js';
export type { DERPNode, DERPRegion, DERPMap } from '../../derp/regions.js';

export interface Node {
  ID: number;
  StableID?: string;
  Name: string;
  User?: number;
  Key: string;
  KeyExpiry?: string;
  Machine?: string;
  DiscoKey?: string;
  Addresses?: string[];
  AllowedIPs?: string[];
  Endpoints?: string[];
  HomeDERP?: number;
  /** Legacy "127.3.3.40:<region>" form of HomeDERP. */
  DERP?: string;
  Hostinfo?: Hostinfo & { Services?: { Proto: string; Port: number }[] };
  /** The peer's capability version (testcontrol and Tailscale's control send it). */
  Cap?: number;
  Online?: boolean;
  MachineAuthorized?: boolean;
  Expired?: boolean;
  LastSeen?: string;
  PrimaryRoutes?: string[];
  Tags?: string[];
  CapMap?: Record<string, unknown>;
}

/** tailcfg.PeerChange: a partial update of one peer. */
export interface PeerChange {
  NodeID: number;
  DERPRegion?: number;
  Cap?: number;
  Endpoints?: string[];
  Key?: string;
  DiscoKey?: string;
  Online?: boolean;
  LastSeen?: string;
  KeyExpiry?: string;
  /** The peer's whole capability map, replaced (non-nil only). */
  CapMap?: Record<string, unknown> | null;
}

/** dnstype.Resolver: an address or DoH URL; UseWithExitNode keeps it in use with an exit node that proxies DNS. */
export interface DNSResolver { Addr: string; UseWithExitNode?: boolean }
export interface DNSRecord { Name: string; Type?: string; Value: string }

export interface DNSConfig {
  Resolvers?: DNSResolver[];
  Routes?: Record<string, DNSResolver[] | null>;
  FallbackResolvers?: DNSResolver[];
  Domains?: string[];
  Proxied?: boolean;
  Nameservers?: string[];
  ExtraRecords?: DNSRecord[];
}

export interface MapRequest {
  Version: number;
  Compress?: string;
  KeepAlive?: boolean;
  NodeKey: string;
  DiscoKey?: string;
  Endpoints?: string[];
  EndpointTypes?: number[];
  Stream: boolean;
  Hostinfo?: Hostinfo;
  OmitPeers?: boolean;
  ReadOnly?: boolean;
}

export interface PingRequest {
  URL: string;
  URLIsNoise?: boolean;
  Log?: boolean;
  Types?: string;
  IP?: string;
  /** For Types "c2n": an HTTP/1.1 request, base64 in the JSON ([]byte in Go). */
  Payload?: string;
}

/** tailcfg.PingResponse: what a ping of Types TSMP/disco/ICMP/peerapi posts to PingRequest.URL. */
export interface PingResponse {
  Type: string;
  IP?: string;
  NodeIP?: string;
  NodeName?: string;
  Err?: string;
  LatencySeconds?: number;
}

export interface MapResponse {
  KeepAlive?: boolean;
  PingRequest?: PingRequest;
  PopBrowserURL?: string;
  Node?: Node;
  DERPMap?: DERPMap;
  Peers?: Node[];
  PeersChanged?: Node[];
  PeersRemoved?: number[];
  PeersChangedPatch?: PeerChange[];
  PeerSeenChange?: Record<string, boolean>;
  OnlineChange?: Record<string, boolean>;
  DNSConfig?: DNSConfig;
  Domain?: string;
  CollectServices?: string;
  /** FilterRules (filter.ts checks their shape); nil = unchanged, [] = allow nothing. */
  PacketFilter?: unknown[] | null;
  /** Named chunks of rules (capver 81); a null value deletes a chunk, "*": null deletes all first. */
  PacketFilters?: Record<string, unknown[] | null> | null;
  UserProfiles?: unknown[];
  Health?: string[];
  ControlTime?: string;
}
