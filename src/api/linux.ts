/**
 * `Linux`: the CheerpX 1.x-shaped entry point (shared/reference/cheerpx-api.md §2). Each
 * instance owns one engine worker; calls go to it through comlink and plain data
 * (src/host/worker/protocol.ts). Extensions beyond CheerpX are marked as such.
 */
import { wrap, proxy, transfer, type Remote } from 'comlink';
import type { EngineApi, EngineEvent, JitStats, MountSpec, MountType, NetworkSpec, RunOptions } from '../host/worker/protocol.js';
import { Device, WebDevice, type DeviceHost } from './devices.js';
import { startWorker } from './worker-client.js';
import { checkRelayUrl, displayProblem } from '../host/worker/protocol.js';
import { KmsScreen } from './kms-screen.js';

export interface MountPointConfiguration {
  type: MountType;
  path: string;
  dev?: Device;
}

/**
 * Tailscale networking, as CheerpX's `networkInterface` (shared/reference/cheerpx-api.md §4):
 * the VM joins a tailnet through DERP over WebSocket; `networkLogin()` starts the login.
 */
export interface NetworkInterface {
  /** A pre-auth key ("for registering pre-authenticated users or devices"); without one, the login URL flow. */
  authKey?: string;
  /** The control server (default Tailscale's; a Headscale URL needs CORS on /key). */
  controlUrl?: string;
  /** The interactive login URL: open it for the user. */
  loginUrlCb?: (url: string) => void;
  /** ipn.State: 2 NeedsLogin, 3 NeedsMachineAuth, 4 Stopped, 5 Starting, 6 Running. */
  stateUpdateCb?: (state: number) => void;
  /** The network map: `map.self.addresses[0]` is the VM's tailnet IP; `map.peers[i].exitNode` flags exit nodes. */
  netmapUpdateCb?: (map: NetMap) => void;
  /** Extension: the node's host name in the tailnet (default "webx86"). */
  hostname?: string;
  /** Extension: register as an ephemeral node and store no keys (CheerpX/WebVM always do). */
  ephemeral?: boolean;
  /** Extension: 'auto' (default: the first online exit node), a peer's name or IP, or null for none. */
  exitNode?: string | null;
  /** Extension: IndexedDB database holding the node's keys (default "webx86-tailscale"). */
  stateName?: string;
}

/** What `netmapUpdateCb` receives (tsconnect's notifyNetMap shape, plus `exitNode` as WebVM reads it). */
export interface NetMap {
  self: { name: string; addresses: string[]; machineKey: string; nodeKey: string; machineStatus: string; keyExpiry?: string };
  peers: { name: string; addresses: string[]; machineKey: string; nodeKey: string; online?: boolean; tailscaleSSHEnabled: boolean; exitNode: boolean }[];
  lockedOut: boolean;
  /** Extension: the exit node in use (its name), or null. */
  exitNodeInUse: string | null;
  /** Extension: the tailnet's MagicDNS domain. */
  magicDNSSuffix: string;
}

/** Extension: the network as the elements show it. */
export interface NetworkStatus {
  state: number;
  message: string;
  loginUrl: string | null;
  map: NetMap | null;
  bytesIn: number;
  bytesOut: number;
}

export interface LinuxOptions {
  mounts?: MountPointConfiguration[];
  /**
   * Translate hot code to WebAssembly (default true). `false` runs the interpreter alone:
   * slower, for comparisons and for telling a JIT problem from another. binaryen (1.8 MB
   * compressed) is fetched only once some code has become hot.
   */
  jit?: boolean;
  networkInterface?: NetworkInterface;
  /**
   * Extension: networking without Tailscale. Each guest TCP connection or UDP flow becomes a
   * stream on one WebSocket to a `webx86 relay` the page's owner runs (`url`: ws:// or wss://),
   * which connects only to the destinations on its allow-list. Not with `networkInterface`.
   */
  relay?: { url: string };
  /**
   * Extension: a display of this size from the start, so /dev/dri/card0 and /dev/input/* exist
   * before the first program runs. Without it, `setKmsCanvas` adds the display when called.
   * `refresh`: the connector mode's refresh rate in Hz (default 60, the most frames a second
   * the device sends: a 120 or 144 Hz screen, or a benchmark of the frame pipeline).
   */
  display?: { width: number; height: number; refresh?: number };
}

export type CallbackName = 'cpuActivity' | 'diskActivity' | 'diskLatency' | 'processCreated'
  /** Extensions: download totals, disk failures, engine diagnostics. */
  | 'diskProgress' | 'diskError' | 'warning' | 'log'
  /** Extension: any change of `networkStatus` (value: the NetworkStatus). */
  | 'networkStatus';

/** Callback value by event: CheerpX's states and numbers, objects for the extensions. */
export type CallbackValue = string | number | DiskProgress | NetworkStatus;

/** diskProgress's value: download totals, and what is going wrong right now (a stall being retried) or null. */
export interface DiskProgress { bytes: number; requests: number; inFlight: number; cacheHits: number; cacheMisses: number; problem: string | null }

/** A program on a pseudo-terminal of its own (extension: a second terminal on the page). */
export interface TerminalHandle {
  input(data: string | Uint8Array): void;
  resize(cols: number, rows: number): void;
  /** Hang up: the program's session gets SIGHUP. */
  close(): void;
  /** The exit status (code, or 128 + signal). */
  readonly exit: Promise<number>;
}

const SYSTEM_MOUNTS: MountPointConfiguration[] = [
  { type: 'devs', path: '/dev' },
  { type: 'devpts', path: '/dev/pts' },
  { type: 'proc', path: '/proc' },
  { type: 'sys', path: '/sys' },
];

const encoder = new TextEncoder();
const toBytes = (d: string | Uint8Array) => (typeof d === 'string' ? encoder.encode(d) : d);

export class Linux {
  private readonly callbacks = new Map<string, Set<(v: CallbackValue) => void>>();
  private deleted = false;
  private readonly deviceHost: DeviceHost;

  private constructor(
    private readonly engine: Remote<EngineApi>,
    private readonly worker: Worker,
    private readonly failed: Promise<never>,
    private readonly devices: Device[],
  ) {
    const self = this;
    this.deviceHost = {
      get alive() { return !self.deleted; },
      dataWriteFile: (id, path, data) => engine.dataWriteFile(id, path, data),
      readDeviceFile: (dev, path) => engine.readDeviceFile(dev, path),
    };
  }

  /**
   * Start an engine and mount `mounts` (the first must be "/"). /dev, /dev/pts, /proc and
   * /sys are always there. With no mounts, the page's own directory is the root (a
   * WebDevice), as in CheerpX. Rejects with a readable Error when a disk cannot be used.
   */
  static async create(opts: LinuxOptions = {}): Promise<Linux> {
    if (opts.jit !== undefined && typeof opts.jit !== 'boolean') throw new TypeError(`Linux.create: jit must be true or false, got ${JSON.stringify(opts.jit)}`);
    const ni = opts.networkInterface;
    if (ni !== undefined && (ni === null || typeof ni !== 'object')) throw new TypeError('networkInterface is an object { authKey, controlUrl, loginUrlCb, stateUpdateCb, netmapUpdateCb }');
    if (ni?.controlUrl !== undefined && !/^https?:\/\//i.test(ni.controlUrl)) throw new TypeError(`networkInterface.controlUrl must be an http(s) URL, got ${JSON.stringify(ni.controlUrl)}`);
    const relay = opts.relay;
    if (relay !== undefined) {
      if (ni) throw new TypeError('Linux.create: give either networkInterface (Tailscale) or relay, not both');
      const bad = relay === null || typeof relay !== 'object' ? 'relay is an object { url }' : checkRelayUrl(relay.url);
      if (bad) throw new TypeError(`Linux.create: ${bad}`);
    }
    const network: NetworkSpec | undefined = ni ? {
      kind: 'tailscale', authKey: ni.authKey || undefined, controlUrl: ni.controlUrl || undefined, hostname: ni.hostname,
      ephemeral: ni.ephemeral, exitNode: ni.exitNode, stateName: ni.stateName,
    } : relay ? { kind: 'relay', url: relay.url } : undefined;
    const mounts = opts.mounts?.length ? opts.mounts : [{ type: 'dir' as const, path: '/', dev: await WebDevice.create('.') }];
    const specs: MountSpec[] = mounts.map((m) => {
      if (!m || typeof m !== 'object') throw new TypeError('each mount is an object { type, path, dev }');
      if (m.dev !== undefined && !(m.dev instanceof Device)) throw new TypeError(`the device of the mount at ${m.path} is not a webx86 device`);
      return { type: m.type, path: m.path, dev: m.dev?.spec() };
    });
    for (const s of SYSTEM_MOUNTS) if (!specs.some((m) => m.type === s.type)) specs.push({ type: s.type, path: s.path });
    const w = startWorker();
    const engine = wrap<EngineApi>(w.worker);
    const devices = mounts.flatMap((m) => (m.dev ? [m.dev] : []));
    const linux = new Linux(engine, w.worker, w.failed, devices);
    linux.networkInterface = ni ?? null;
    try {
      const display = opts.display ? checkDisplay('Linux.create display', opts.display.width, opts.display.height, opts.display.refresh) : undefined;
      await Promise.race([engine.create(specs, proxy((e: EngineEvent) => linux.dispatch(e)), { jit: opts.jit === false ? 'off' : 'on', network, display }), w.failed]);
    } catch (e) {
      w.worker.terminate();
      throw new Error(messageOf(e));
    } finally {
      w.started();
    }
    for (const d of devices) d.attach(linux.deviceHost);
    return linux;
  }

  private call<T>(p: Promise<T>): Promise<T> {
    if (this.deleted) return Promise.reject(new Error('this Linux instance was deleted'));
    return Promise.race([p, this.failed]).catch((e) => { throw new Error(messageOf(e)); });
  }

  /** Run a program with the console as its terminal; resolves when it exits. */
  run(fileName: string, args: string[] = [], opts: RunOptions = {}): Promise<{ status: number }> {
    if (typeof fileName !== 'string' || !fileName) return Promise.reject(new TypeError('run() needs a program path'));
    return this.call(this.engine.run(fileName, args.map(String), opts));
  }

  /**
   * Console output goes to `write(bytes, vt)`; returns the function that types input, one
   * character code per call (CheerpX), or — an extension — a whole string or byte array.
   */
  setCustomConsole(write: (buf: Uint8Array, vt: number) => void, cols: number, rows: number): (key: number | string | Uint8Array) => void {
    void this.call(this.engine.setConsole(proxy(write), cols, rows));
    let pending = '';
    return (key) => {
      if (typeof key !== 'number') { void this.engine.consoleInput(toBytes(key)); return; }
      // Character codes are UTF-16 units: gather a burst so surrogate pairs encode as one character.
      if (pending === '') queueMicrotask(() => { const s = pending; pending = ''; void this.engine.consoleInput(encoder.encode(s)); });
      pending += String.fromCharCode(key);
    };
  }

  /** Extension: the console's size changed (TIOCGWINSZ answers it; the foreground job gets SIGWINCH). */
  resizeConsole(cols: number, rows: number): void {
    void this.engine.consoleResize(cols, rows);
  }

  private kms: KmsScreen | null = null;

  /**
   * CheerpX: the machine's KMS display (/dev/dri/card0, with the keyboard and pointer as
   * /dev/input/event0-1) draws into `canvas`, at `width`x`height` screen pixels. Calling it
   * again with the same canvas resizes the screen (a hotplug the guest's X follows); another
   * canvas takes the display over. Keyboard and pointer input come from the canvas (it is made
   * focusable). Extension: returns the `KmsScreen` (frames painted, the screen's size, `close()`).
   */
  setKmsCanvas(canvas: HTMLCanvasElement, width: number, height: number): KmsScreen {
    if (!(canvas instanceof HTMLCanvasElement)) throw new TypeError('setKmsCanvas needs a <canvas> element');
    checkDisplay('setKmsCanvas', width, height);
    if (this.deleted) throw new Error('this Linux instance was deleted');
    if (this.kms && this.kms.canvas === canvas) {
      this.kms.resize(width, height);
      return this.kms;
    }
    this.kms?.close();
    const ch = new MessageChannel();
    this.kms = new KmsScreen(canvas, ch.port1, width, height);
    this.call(this.engine.attachDisplay(transfer(ch.port2, [ch.port2]), width, height)).catch((e: Error) => {
      for (const cb of this.callbacks.get('warning') ?? []) cb(`setKmsCanvas: ${e.message}`);
    });
    return this.kms;
  }

  /** A basic console in `element` (CheerpX's `setConsole`): an xterm.js terminal sized to the element. */
  async setConsole(element: HTMLElement): Promise<void> {
    const { mountBasicConsole } = await import('./basic-console.js');
    mountBasicConsole(this, element);
  }

  /** CheerpX compatibility: there is a single text console (VT 1); the callback is kept and never called. */
  setActivateConsole(cb: (idx: number) => void): (idx: number) => void {
    void cb;
    return () => {};
  }

  /** Extension: start a program on a new pseudo-terminal whose screen is `write`. */
  async openTerminal(path: string, args: string[], opts: RunOptions, write: (buf: Uint8Array) => void, cols: number, rows: number): Promise<TerminalHandle> {
    let resolveExit!: (s: number) => void;
    const exit = new Promise<number>((r) => { resolveExit = r; });
    const id = await this.call(this.engine.openTerminal(path, args, opts, proxy((b: Uint8Array) => write(b)), cols, rows, proxy((s: number) => resolveExit(s))));
    return {
      input: (d) => { void this.engine.terminalInput(id, toBytes(d)); },
      resize: (c, r) => { void this.engine.terminalResize(id, c, r); },
      close: () => { void this.engine.closeTerminal(id); },
      exit,
    };
  }

  registerCallback(eventName: CallbackName, cb: (value: CallbackValue) => void): void {
    let set = this.callbacks.get(eventName);
    if (!set) this.callbacks.set(eventName, (set = new Set()));
    set.add(cb);
  }

  unregisterCallback(eventName: CallbackName, cb: (value: CallbackValue) => void): void {
    this.callbacks.get(eventName)?.delete(cb);
  }

  private networkInterface: NetworkInterface | null = null;
  private net: NetworkStatus = { state: 0, message: '', loginUrl: null, map: null, bytesIn: 0, bytesOut: 0 };

  /** Extension: the network's last state, login URL, map and byte counts (null without networkInterface). */
  get networkStatus(): NetworkStatus | null { return this.networkInterface ? this.net : null; }

  /**
   * CheerpX: start the Tailscale login. With an auth key the node registers and connects
   * (state 5, then 6); without one, `loginUrlCb` gets the URL the user must visit. Resolves
   * once the login has begun; progress arrives through the callbacks.
   */
  networkLogin(): Promise<void> {
    if (!this.networkInterface) return Promise.reject(new Error('this Linux instance has no network: pass networkInterface to Linux.create'));
    return this.call(this.engine.networkLogin());
  }

  /** Extension: log out of the tailnet and forget the node (state 2). */
  networkLogout(): Promise<void> {
    if (!this.networkInterface) return Promise.reject(new Error('this Linux instance has no network: pass networkInterface to Linux.create'));
    return this.call(this.engine.networkLogout());
  }

  private dispatchNetwork(e: Extract<EngineEvent, { type: `network${string}` }>): void {
    const ni = this.networkInterface;
    const safe = (f: (() => void) | undefined) => { try { f?.(); } catch (err) { console.error(err); } };
    switch (e.type) {
      case 'networkState':
        this.net = { ...this.net, state: e.state, message: e.message, loginUrl: e.state === 2 ? this.net.loginUrl : null };
        safe(() => ni?.stateUpdateCb?.(e.state));
        break;
      case 'networkLoginUrl':
        this.net = { ...this.net, loginUrl: e.url };
        safe(() => ni?.loginUrlCb?.(e.url));
        break;
      case 'networkMap':
        this.net = { ...this.net, map: e.map as NetMap };
        safe(() => ni?.netmapUpdateCb?.(e.map as NetMap));
        break;
      case 'networkActivity':
        this.net = { ...this.net, bytesIn: e.bytesIn, bytesOut: e.bytesOut };
        break;
    }
    for (const cb of this.callbacks.get('networkStatus') ?? []) safe(() => cb(this.net));
  }

  private dispatch(e: EngineEvent): void {
    if (e.type === 'networkState' || e.type === 'networkLoginUrl' || e.type === 'networkMap' || e.type === 'networkActivity') return this.dispatchNetwork(e);
    const value: CallbackValue =
      e.type === 'cpuActivity' || e.type === 'diskActivity' ? e.state
        : e.type === 'diskLatency' ? e.ms
          : e.type === 'processCreated' ? e.pid
            : e.type === 'diskError' || e.type === 'warning' || e.type === 'log' ? e.message
              : { bytes: e.bytes, requests: e.requests, inFlight: e.inFlight, cacheHits: e.cacheHits, cacheMisses: e.cacheMisses, problem: e.problem };
    for (const cb of this.callbacks.get(e.type) ?? []) {
      try { cb(value); } catch (err) { console.error(err); }
    }
  }

  /**
   * Extension: the JIT's figures for this machine (binaryen's load time, regions compiled and
   * reused, compile time, entries and exits by kind, Wasm bytes kept), or null when it was
   * created with `jit: false`.
   */
  jitStats(): Promise<JitStats | null> {
    return this.call(this.engine.jitStats());
  }

  /** Extension: write back what the guest wrote to its disks now, durably (the worker also writes back within 300 ms of a write). */
  sync(): Promise<void> {
    return this.call(this.engine.sync());
  }

  /** Stop every program, write back disks and end the worker. The instance is unusable after. */
  async delete(): Promise<void> {
    if (this.deleted) return;
    try { await Promise.race([this.engine.shutdown(), this.failed, new Promise((r) => setTimeout(r, 5000))]); } catch { /* the worker is going anyway */ }
    this.deleted = true;
    this.kms?.close();
    this.kms = null;
    for (const d of this.devices) d.detach(this.deviceHost);
    this.worker.terminate();
  }

  /** A plain summary: the comlink remote inside must not be walked (JSON.stringify would call into the worker). */
  toJSON(): { type: string; deleted: boolean } {
    return { type: 'webx86.Linux', deleted: this.deleted };
  }

}

/** Screen sizes are whole pixels, 1..16384 (the engine checks the same). */
function checkDisplay(what: string, width: number, height: number, refresh?: number): { width: number; height: number; refresh?: number } {
  const bad = displayProblem(width, height, refresh);
  if (bad !== null) throw new TypeError(`${what}: ${bad}`);
  return refresh === undefined ? { width, height } : { width, height, refresh };
}

function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (e && typeof e === 'object' && 'message' in e) return String((e as { message: unknown }).message);
  return String(e);
}
