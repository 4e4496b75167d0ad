/**
 * The node's life as Tailscale's ipn backend sees it (tailscale.com/ipn/ipnlocal), reduced to
 * what a page needs: keys, login (auth key, or the interactive AuthURL flow), the control
 * session with its map stream, the home DERP connection, and the state number CheerpX
 * reports through `stateUpdateCb` (ipn.State, ipn/backend.go).
 *
 * Running means what nextStateLocked says: a netmap, the machine authorized, and the home
 * DERP connection live (engineStatus.LiveDERPs > 0). The data plane (WireGuard, the IP
 * stack) hangs off the callbacks; this file knows nothing of packets.
 *
 * Keys: the machine key (ts2021 identity) and the node key (WireGuard and DERP identity) are
 * kept in a `StateStore` so a reload is the same node; the disco key is new on every start,
 * as magicsock does. The auth key is never stored. An ephemeral node stores nothing: control
 * deletes it when it goes away, so a reload logs in anew.
 */
import { encodeKey, fromHex, generatePrivateKey, publicKey, toHex } from '../crypto/index.js';
import { ControlClient, ControlProtocolError, fetchServerKey, type Endpoint } from './control/client.js';
import { NetMap, type NetMapView } from './control/netmap.js';
import { answerPing, type PingAnswerer, type PingOutcome } from './control/ping.js';
import type { DERPRegion, Hostinfo, MapResponse, Node, RegisterResponse } from './control/tailcfg.js';

/** ipn.State (ipn/backend.go), the numbers CheerpX's stateUpdateCb reports. */
export const IpnState = {
  NoState: 0, InUseOtherUser: 1, NeedsLogin: 2, NeedsMachineAuth: 3, Stopped: 4, Starting: 5, Running: 6,
} as const;
export type IpnState = (typeof IpnState)[keyof typeof IpnState];
export const IPN_STATE_NAMES = ['NoState', 'InUseOtherUser', 'NeedsLogin', 'NeedsMachineAuth', 'Stopped', 'Starting', 'Running'] as const;

/** Tailscale's public control server (ipn.DefaultControlURL). */
export const DEFAULT_CONTROL_URL = 'https://controlplane.tailscale.com';

/** Where keys live: IndexedDB in a page (store-idb.ts), a JSON file in Node (store-file.node.ts), memory in tests. */
export interface StateStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string | null): Promise<void>;
}

export class MemoryStore implements StateStore {
  readonly map = new Map<string, string>();
  async get(k: string) { return this.map.get(k) ?? null; }
  async set(k: string, v: string | null) { if (v === null) this.map.delete(k); else this.map.set(k, v); }
}

/** The home DERP connection as the backend needs it: live until onClose fires. */
export interface HomeDerp {
  close(): void;
  onClose: ((reason: string) => void) | null;
}
/** Connect to a DERP region as `nodePrivate` (the data plane owns the connection; see network.ts). */
export type DerpConnect = (region: DERPRegion, nodePrivate: Uint8Array) => Promise<HomeDerp>;

export interface BackendOptions {
  controlUrl?: string;
  authKey?: string;
  hostname?: string;
  ephemeral?: boolean;
  /** 'auto' (the first online exit node, as WebVM does), a peer's name/IP/stable ID, or null for none. Default 'auto'. */
  exitNode?: string | null;
  store: StateStore;
  derp: DerpConnect;
  onState?: (state: IpnState, message: string) => void;
  onLoginUrl?: (url: string) => void;
  /** The page's view, and the full netmap for the data plane. */
  onNetMap?: (view: NetMapView, netmap: NetMap, exitNode: Node | null) => void;
  log?: (msg: string) => void;
  /** Ping a tailnet address by ICMP echo through the tunnel, for control's ICMP PingRequests (the data plane's; see network.ts). */
  pingICMP?: PingAnswerer['icmp'];
  /** Each control ping answered or failed (PingRequest in a map response). */
  onControlPing?: (o: PingOutcome) => void;
  /** Our UDP endpoints for direct paths (network.ts), sent to control in each map request. */
  endpoints?: () => Endpoint[];
  /** The node's services for Hostinfo (network.ts: the peerapi ports). */
  services?: () => { Proto: string; Port: number }[];
  /** Reconnect delays: first, and cap (ms). */
  backoff?: { min: number; max: number };
}

const KEY_MACHINE = 'machine-key', KEY_NODE = 'node-key', KEY_REGISTERED = 'registered-control';

export class TailscaleBackend {
  state: IpnState = IpnState.NoState;
  message = '';
  readonly netmap = new NetMap();
  exitNode: Node | null = null;
  private machinePrivate!: Uint8Array;
  private nodePrivate!: Uint8Array;
  private readonly discoPrivate = generatePrivateKey();
  private client: ControlClient | null = null;
  private derp: HomeDerp | null = null;
  private derpRegion = 0;
  private derpLive = false;
  /** Bumped on logout/stop: stale loops notice and end. */
  private epoch = 0;
  private loginRunning: Promise<void> | null = null;
  private sessionRunning = false;
  private serverKey: Uint8Array | null = null;
  private readonly controlUrl: string;
  private readonly backoff: { min: number; max: number };
  private loaded = false;

  constructor(private readonly o: BackendOptions) {
    this.controlUrl = (o.controlUrl || DEFAULT_CONTROL_URL).replace(/\/+$/, '');
    this.backoff = o.backoff ?? { min: 1000, max: 30_000 };
  }

  get nodePublic(): Uint8Array { return publicKey(this.nodePrivate); }
  get nodePrivateKey(): Uint8Array { return this.nodePrivate; }
  get discoPrivateKey(): Uint8Array { return this.discoPrivate; }

  private log(m: string): void { this.o.log?.(`tailscale: ${m}`); }

  private setState(s: IpnState, message = ''): void {
    if (s === this.state && message === this.message) return;
    this.state = s;
    this.message = message;
    this.log(`state ${IPN_STATE_NAMES[s]}${message ? `: ${message}` : ''}`);
    try { this.o.onState?.(s, message); } catch (e) { this.log(`stateUpdateCb threw: ${(e as Error).message}`); }
  }

  private get hostinfo(): Hostinfo {
    return {
      IPNVersion: 'webx86', OS: 'linux', GoArch: '386', App: 'webx86', Hostname: this.o.hostname || 'webx86',
      ...(this.derpRegion ? { NetInfo: { PreferredDERP: this.derpRegion } } : {}),
      ...(this.o.services?.().length ? { Services: this.o.services() } : {}),
    };
  }

  /** Send control our Hostinfo again (a service appeared), as the endpoint update does. */
  updateHostinfo(): void {
    void this.client?.updateEndpoints(this.hostinfo).catch((e) => this.log(`endpoint update failed: ${describe(e)}`));
  }

  /** Load (or make) the keys; resume a stored registration, else wait in NeedsLogin. */
  async start(): Promise<void> {
    await this.loadKeys();
    if (!this.o.ephemeral && (await this.o.store.get(KEY_REGISTERED)) === this.controlUrl) {
      this.setState(IpnState.Starting, 'resuming the stored node');
      this.runSession();
    } else {
      this.setState(IpnState.NeedsLogin);
    }
  }

  private async loadKeys(): Promise<void> {
    if (this.loaded) return;
    this.loaded = true;
    const s = this.o.store;
    const persist = !this.o.ephemeral;
    const m = persist ? await s.get(KEY_MACHINE) : null;
    const n = persist ? await s.get(KEY_NODE) : null;
    this.machinePrivate = m ? fromHex(m) : generatePrivateKey();
    this.nodePrivate = n ? fromHex(n) : generatePrivateKey();
    if (persist) {
      if (!m) await s.set(KEY_MACHINE, toHex(this.machinePrivate));
      if (!n) await s.set(KEY_NODE, toHex(this.nodePrivate));
    }
  }

  /** CheerpX networkLogin(): register (auth key, or the login URL), then run. Resolves once the login has started; progress arrives through the callbacks. */
  login(): Promise<void> {
    if (this.loginRunning) return this.loginRunning;
    if (this.state === IpnState.Running || this.state === IpnState.Starting && this.sessionRunning) return Promise.resolve();
    const p = this.doLogin().finally(() => { this.loginRunning = null; });
    this.loginRunning = p;
    return p;
  }

  private async doLogin(): Promise<void> {
    await this.loadKeys();
    const epoch = this.epoch;
    let followup: string | undefined;
    let oldNode: Uint8Array | null = null;
    for (let attempt = 0; ; attempt++) {
      if (epoch !== this.epoch) return;
      let res: RegisterResponse;
      try {
        const c = await this.connect();
        res = await c.register({ authKey: this.o.authKey, followup, oldNodePrivate: oldNode, hostinfo: this.hostinfo, ephemeral: this.o.ephemeral });
      } catch (e) {
        const msg = describe(e);
        // A server that is not a control server, or refuses us, will not get better by retrying at once.
        this.setState(IpnState.NeedsLogin, `login failed: ${msg}`);
        if (e instanceof ControlProtocolError || attempt >= 2) return;
        await sleep(this.backoff.min);
        continue;
      }
      if (epoch !== this.epoch) return;
      if (res.Error) {
        this.setState(IpnState.NeedsLogin, `login refused by the control server: ${res.Error}`);
        return;
      }
      if (res.NodeKeyExpired) {
        // Rotate the node key and register again (direct.go regenerates it the same way);
        // a server that calls the new key expired too gets no third try.
        if (oldNode) {
          this.setState(IpnState.NeedsLogin, 'the node key expired and the control server refuses a new one: log in again later or with a new auth key');
          return;
        }
        oldNode = this.nodePrivate;
        this.nodePrivate = generatePrivateKey();
        if (!this.o.ephemeral) await this.o.store.set(KEY_NODE, toHex(this.nodePrivate));
        this.client?.close();
        this.client = null;
        followup = undefined;
        this.setState(IpnState.NeedsLogin, 'the node key expired: logging in again with a new one');
        continue;
      }
      if (res.AuthURL) {
        followup = res.AuthURL;
        this.setState(IpnState.NeedsLogin, `waiting for the login at ${res.AuthURL}`);
        try { this.o.onLoginUrl?.(res.AuthURL); } catch (e) { this.log(`loginUrlCb threw: ${(e as Error).message}`); }
        continue;
      }
      if (!this.o.ephemeral) await this.o.store.set(KEY_REGISTERED, this.controlUrl);
      if (res.MachineAuthorized === false) this.setState(IpnState.NeedsMachineAuth, 'an admin must approve this machine');
      else this.setState(IpnState.Starting, 'logged in');
      this.runSession();
      return;
    }
  }

  private async connect(): Promise<ControlClient> {
    if (this.client && !this.client.isClosed) return this.client;
    this.serverKey ??= await fetchServerKey(this.controlUrl);
    const c = await ControlClient.connect(this.controlUrl, { machinePrivate: this.machinePrivate, nodePrivate: this.nodePrivate, discoPublic: publicKey(this.discoPrivate), endpoints: this.o.endpoints }, this.serverKey);
    c.onClose = (reason) => this.log(`control connection closed: ${reason}`);
    this.client = c;
    return c;
  }

  /** The map session: connect, send our endpoints, follow the stream; reconnect with backoff. */
  private runSession(): void {
    if (this.sessionRunning) return;
    this.sessionRunning = true;
    const epoch = this.epoch;
    void (async () => {
      let delay = this.backoff.min;
      while (epoch === this.epoch) {
        let got = false;
        try {
          const c = await this.connect();
          await c.updateEndpoints(this.hostinfo);
          await c.pollMap(this.hostinfo, (m) => { got = true; this.onMap(m, epoch); });
          if (epoch !== this.epoch) break;
          throw new ControlProtocolError('the control server ended the map stream');
        } catch (e) {
          if (epoch !== this.epoch) break;
          if (got) delay = this.backoff.min;
          const wait = Math.min(delay, this.backoff.max) * (0.75 + Math.random() / 2);
          const msg = `control connection lost (${describe(e)}); retrying in ${(wait / 1000).toFixed(1)} s`;
          this.log(msg);
          // Without a netmap there is nothing to run on: say so. With one, peers keep working (Go stays Running too).
          if (!this.netmap.self) this.setState(this.state === IpnState.NoState ? IpnState.Starting : this.state, msg);
          this.client?.close();
          this.client = null;
          await sleep(wait);
          delay = Math.min(delay * 2, this.backoff.max);
        }
      }
      this.sessionRunning = false;
    })();
  }

  private onMap(m: MapResponse, epoch: number): void {
    if (epoch !== this.epoch) return;
    if (m.PopBrowserURL) { try { this.o.onLoginUrl?.(m.PopBrowserURL); } catch { /* the page's callback */ } }
    if (m.PingRequest) void answerPing(m.PingRequest, this.pingAnswerer(), this.o.onControlPing);
    if (!this.netmap.apply(m)) return;
    if (this.netmap.selfExpired()) {
      this.expired();
      return;
    }
    if (this.netmap.derpMap) this.ensureDerp();
    this.exitNode = this.netmap.pickExitNode(this.o.exitNode === undefined ? 'auto' : this.o.exitNode);
    const view = this.netmap.view(this.exitNode);
    if (view) { try { this.o.onNetMap?.(view, this.netmap, this.exitNode); } catch (e) { this.log(`netmapUpdateCb threw: ${(e as Error).message}`); } }
    this.updateState();
  }

  /** How control pings are answered: over this session's Noise channel, fetch() outside it, ICMP from the data plane. */
  private pingAnswerer(): PingAnswerer {
    return {
      noise: async (method, url, body) => {
        const c = this.client;
        if (!c || c.isClosed) throw new Error('the control connection is closed');
        return c.noise(method, url, body);
      },
      plain: async (method, url, body) => {
        let u: URL;
        try { u = new URL(url); } catch { throw new Error(`not a URL: ${JSON.stringify(url.slice(0, 100))}`); }
        if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`not an http(s) URL: ${u.protocol}`);
        const ctl = new AbortController();
        const t = setTimeout(() => ctl.abort(), 15_000);
        try {
          const r = await fetch(u, { method, body: body ? (body.slice().buffer as ArrayBuffer) : undefined, signal: ctl.signal, ...(body ? { headers: { 'content-type': 'application/json' } } : {}) });
          await r.arrayBuffer().catch(() => undefined);
          return { status: r.status };
        } catch (e) {
          throw new Error(ctl.signal.aborted ? 'no answer within 15 s' : (e as Error).message);
        } finally { clearTimeout(t); }
      },
      icmp: this.o.pingICMP,
      log: (m) => this.log(m),
    };
  }

  /** Control says our key expired: stop the session, log in again (the auth key, if any, is reused). */
  private expired(): void {
    this.stopSession();
    this.setState(IpnState.NeedsLogin, 'the node key expired: log in again');
    if (this.o.authKey) void this.login();
  }

  private updateState(): void {
    const self = this.netmap.self;
    if (!self) return;
    if (self.MachineAuthorized === false) { this.setState(IpnState.NeedsMachineAuth, 'an admin must approve this machine'); return; }
    if (this.derpLive) this.setState(IpnState.Running);
    else this.setState(IpnState.Starting, this.derpRegion ? `connecting to DERP region ${this.derpRegion}` : 'waiting for a DERP map');
  }

  /** The home region: the lowest-numbered region not marked Avoid (no latency probe; see docs/NETWORK.md). */
  private ensureDerp(): void {
    const regions = Object.values(this.netmap.derpMap!.Regions).filter((r) => r && r.Nodes?.length).sort((a, b) => Number(!!a.Avoid) - Number(!!b.Avoid) || a.RegionID - b.RegionID);
    const home = regions[0];
    if (!home || (this.derp && this.derpRegion === home.RegionID)) return;
    this.derp?.close();
    this.derp = null;
    this.derpLive = false;
    this.derpRegion = home.RegionID;
    const epoch = this.epoch;
    void this.connectDerp(home, epoch);
  }

  private async connectDerp(region: DERPRegion, epoch: number): Promise<void> {
    let delay = this.backoff.min;
    while (epoch === this.epoch && this.derpRegion === region.RegionID) {
      try {
        const d = await this.o.derp(region, this.nodePrivate);
        if (epoch !== this.epoch || this.derpRegion !== region.RegionID) { d.close(); return; }
        this.derp = d;
        this.derpLive = true;
        this.updateState();
        // Tell control our home region so peers send to us there.
        void this.client?.updateEndpoints(this.hostinfo).catch((e) => this.log(`endpoint update failed: ${describe(e)}`));
        await new Promise<void>((resolve) => { d.onClose = (reason) => { this.log(`DERP region ${region.RegionID} closed: ${reason}`); resolve(); }; });
        this.derp = null;
        this.derpLive = false;
        if (epoch !== this.epoch) return;
        this.updateState();
        delay = this.backoff.min;
      } catch (e) {
        this.log(`DERP region ${region.RegionID}: ${describe(e)}`);
        if (this.netmap.self) this.setState(IpnState.Starting, `cannot connect to DERP region ${region.RegionID}: ${describe(e)}`);
      }
      await sleep(Math.min(delay, this.backoff.max));
      delay *= 2;
    }
  }

  private stopSession(): void {
    this.epoch++;
    this.client?.close();
    this.client = null;
    this.derp?.close();
    this.derp = null;
    this.derpLive = false;
    this.derpRegion = 0;
  }

  /** Log out: tell control (RegisterRequest with an expiry in the past, as Go's logout does), forget the node. */
  async logout(): Promise<void> {
    const c = this.client;
    this.stopSession();
    try {
      const cc = c && !c.isClosed ? c : await this.connect();
      await cc.register({ hostinfo: this.hostinfo, expiry: new Date(123_000) });
    } catch (e) {
      this.log(`logout request failed (forgetting the node anyway): ${describe(e)}`);
    }
    this.client?.close();
    this.client = null;
    this.netmap.self = null;
    this.netmap.peers.clear();
    this.exitNode = null;
    this.nodePrivate = generatePrivateKey();
    if (!this.o.ephemeral) {
      await this.o.store.set(KEY_REGISTERED, null);
      await this.o.store.set(KEY_NODE, toHex(this.nodePrivate));
    }
    this.setState(IpnState.NeedsLogin, 'logged out');
  }

  /** Stop everything (the machine is going away). */
  stop(): void {
    this.stopSession();
    this.setState(IpnState.Stopped);
  }

  /** For logs and the element: `nodekey:…`. */
  get nodeKeyText(): string { return encodeKey('nodePublic', this.nodePublic); }
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
