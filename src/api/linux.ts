/**
 * `Linux`: the CheerpX 1.x-shaped entry point (shared/reference/cheerpx-api.md §2). Each
 * instance owns one engine worker; calls go to it through comlink and plain data
 * (src/host/worker/protocol.ts). Extensions beyond CheerpX are marked as such.
 */
import { wrap, proxy, type Remote } from 'comlink';
import type { EngineApi, EngineEvent, JitStats, MountSpec, MountType, RunOptions } from '../host/worker/protocol.js';
import { Device, WebDevice, type DeviceHost } from './devices.js';
import { startWorker } from './worker-client.js';

export interface MountPointConfiguration {
  type: MountType;
  path: string;
  dev?: Device;
}

export interface LinuxOptions {
  mounts?: MountPointConfiguration[];
  /**
   * Translate hot code to WebAssembly (default true). `false` runs the interpreter alone:
   * slower, for comparisons and for telling a JIT problem from another. binaryen (1.8 MB
   * compressed) is fetched only once some code has become hot.
   */
  jit?: boolean;
  /** Tailscale networking: not available in this version; passing it is an error rather than silently offline. */
  networkInterface?: unknown;
}

export type CallbackName = 'cpuActivity' | 'diskActivity' | 'diskLatency' | 'processCreated'
  /** Extensions: download totals, disk failures, engine diagnostics. */
  | 'diskProgress' | 'diskError' | 'warning' | 'log';

/** Callback value by event: CheerpX's states and numbers, objects for the extensions. */
export type CallbackValue = string | number | DiskProgress;

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
    if (opts.networkInterface) throw new Error('networking (networkInterface) is not available in this version of webx86');
    if (opts.jit !== undefined && typeof opts.jit !== 'boolean') throw new TypeError(`Linux.create: jit must be true or false, got ${JSON.stringify(opts.jit)}`);
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
    try {
      await Promise.race([engine.create(specs, proxy((e: EngineEvent) => linux.dispatch(e)), { jit: opts.jit === false ? 'off' : 'on' }), w.failed]);
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

  private dispatch(e: EngineEvent): void {
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
    for (const d of this.devices) d.detach(this.deviceHost);
    this.worker.terminate();
  }

  /** A plain summary: the comlink remote inside must not be walked (JSON.stringify would call into the worker). */
  toJSON(): { type: string; deleted: boolean } {
    return { type: 'webx86.Linux', deleted: this.deleted };
  }

}

function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (e && typeof e === 'object' && 'message' in e) return String((e as { message: unknown }).message);
  return String(e);
}
