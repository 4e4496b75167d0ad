/**
 * The engine's side of the page/worker split: one machine per worker, built from the
 * page's mount list, running programs on the console or on pseudo-terminals, and reporting
 * activity. Everything the page asks for arrives through `EngineApi` (comlink calls).
 */
import { addDisplay, createMachine, spawnOnConsole, type Machine } from '../../engine/machine.js';
import type { HostTerminal, TermSize } from '../../engine/tty/console.js';
import { openHostPty, type HostPty } from '../../engine/tty/host-pty.js';
import { setCtty } from '../../engine/tty/jobctl.js';
import { shellExitCode, type Process } from '../../engine/linux/task.js';
import { EIO, strerror } from '../../engine/linux/errno.js';
import { IdbBlockStore } from '../../engine/block/idb.js';
import { WritebackTimer } from '../../engine/fs/writeback.js';
import { buildMounts, type BuiltMounts } from './mounts.js';
import { DEFAULT_ENV, displayProblem, type DeviceSpec, type EngineApi, type EngineOptions, type EventFn, type MountSpec, type RunOptions, type WriteFn } from './protocol.js';
import type { WorkerNetwork } from './tailscale.js';
import type { RelayStack } from '../../net/relay/stack.js';
import { DisplayPort } from './display-port.js';
import { ActivityReporter } from './activity.js';

/** Console output kept while no console is attached, replayed when one attaches. */
const BACKLOG_LIMIT = 256 * 1024;
/**
 * Written data reaches the disk (the IndexedDB overlay) this long after the guest's writes
 * stop, and never later than WRITEBACK_MAX_MS after the first of them (writeback.ts says
 * why); closing a written file, fsync and sync write back at once.
 */
const WRITEBACK_QUIET_MS = 100;
const WRITEBACK_MAX_MS = 300;

/** Output batched per task slice: one message per burst rather than per write(2). */
class Batcher {
  private parts: Uint8Array[] = [];
  private scheduled = false;
  /** The page's acknowledgement of the last batch sent (see WriteFn). */
  private last: Promise<unknown> = Promise.resolve();
  constructor(private readonly send: (bytes: Uint8Array) => void | Promise<unknown>) {}
  /** Send what is pending now and resolve once the page has handled every batch sent. */
  drained(): Promise<unknown> {
    if (this.scheduled) this.flush();
    return this.last.catch(() => {});
  }
  push(b: Uint8Array): void {
    this.parts.push(b.slice());
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => this.flush());
  }
  private flush(): void {
    if (!this.scheduled) return;
    this.scheduled = false;
    const parts = this.parts;
    this.parts = [];
    let out = parts[0];
    if (parts.length > 1) {
      out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
      let o = 0;
      for (const p of parts) { out.set(p, o); o += p.length; }
    }
    const r = this.send(out);
    if (r instanceof Promise) this.last = r;
  }
}

/** The console as a host terminal whose screen is on the page (or nowhere yet). */
class PageConsole implements HostTerminal {
  private sink: WriteFn | null = null;
  private backlog: Uint8Array[] = [];
  private backlogBytes = 0;
  private sz: TermSize = { cols: 80, rows: 24 };
  private inputCb: (b: Uint8Array) => void = () => {};
  private resizeCb: (s: TermSize) => void = () => {};
  private readonly out = new Batcher((b) => this.deliver(b));

  attach(write: WriteFn | null, cols: number, rows: number): void {
    this.sink = write;
    if (write && this.backlog.length) {
      const old = this.backlog;
      this.backlog = [];
      this.backlogBytes = 0;
      for (const b of old) write(b, 1);
    }
    if (write) this.setSize(cols, rows);
  }

  setSize(cols: number, rows: number): void {
    if (!(cols > 0 && rows > 0) || (cols === this.sz.cols && rows === this.sz.rows)) return;
    this.sz = { cols, rows };
    this.resizeCb(this.sz);
  }

  feed(b: Uint8Array): void { this.inputCb(b); }

  /** Resolves once the page has handled all output written so far (nothing to wait for without a console). */
  drained(): Promise<unknown> { return this.out.drained(); }

  private deliver(b: Uint8Array): void | Promise<void> {
    if (this.sink) return this.sink(b, 1);
    this.backlog.push(b);
    this.backlogBytes += b.length;
    while (this.backlogBytes > BACKLOG_LIMIT && this.backlog.length > 1) this.backlogBytes -= this.backlog.shift()!.length;
  }

  // HostTerminal
  write(b: Uint8Array): void { this.out.push(b); }
  onInput(cb: (b: Uint8Array) => void): void { this.inputCb = cb; }
  size(): TermSize { return this.sz; }
  onResize(cb: (s: TermSize) => void): void { this.resizeCb = cb; }
}

export class EngineHost implements EngineApi {
  private machine: Machine | null = null;
  private built: BuiltMounts | null = null;
  private events: EventFn = () => {};
  private readonly console = new PageConsole();
  private loop: Promise<void> | null = null;
  private readonly exits = new Map<Process, (status: number) => void>();
  private readonly ptys = new Map<number, HostPty>();
  private nextPty = 1;
  private activity: ActivityReporter | null = null;
  private writeback: WritebackTimer | null = null;
  private readonly warned = new Set<string>();
  private network: WorkerNetwork | null = null;
  /** The relay backend (src/net/relay), when the page asked for one instead of Tailscale. */
  private relay: RelayStack | null = null;
  private resolvConf = '';
  private dnsSuffix: string | null = null;
  private displayPort: DisplayPort | null = null;

  async create(mounts: MountSpec[], events: EventFn, options: EngineOptions = {}): Promise<void> {
    if (this.machine) throw new Error('this Linux instance is already created');
    this.events = events;
    this.built = await buildMounts(mounts);
    const network = options.network;
    // Loaded only here: a page without networking never fetches the network code.
    if (network?.kind === 'tailscale') {
      const { startTailscale } = await import('./tailscale.js');
      this.network = await startTailscale(network, (e) => this.events(e), (suffix) => { this.dnsSuffix = suffix; void this.writeResolvConf(suffix); });
    } else if (network?.kind === 'relay') {
      const { startRelay } = await import('../../net/relay/worker.js');
      this.relay = startRelay(network, (message) => this.events({ type: 'log', message }));
    } else if (network) throw new Error(`unknown network kind ${JSON.stringify((network as { kind: unknown }).kind)}`);
    const m = await createMachine({
      root: this.built.root, mounts: this.built.mounts, terminal: this.console, jit: options.jit === 'off' ? 'off' : 'on',
      debug: (message) => this.events({ type: 'log', message }), network: this.network?.net.stack ?? this.relay ?? undefined,
      display: options.display ? checkDisplay(options.display.width, options.display.height, options.display.refresh) : undefined,
    });
    this.machine = m;
    if (this.dnsSuffix !== null) void this.writeResolvConf(this.dnsSuffix);
    m.kernel.sched.onProcessExit = (p) => {
      const done = this.exits.get(p);
      if (done) { this.exits.delete(p); done(p.exitStatus); }
    };
    // Coalesced (activity.ts): reported per change, it was two messages per blocking system call.
    this.activity = new ActivityReporter((busy) => this.events({ type: 'cpuActivity', state: busy ? 'wait' : 'ready' }));
    const activity = this.activity;
    m.kernel.sched.onActivity = (busy) => activity.set(busy);
    m.kernel.processCreatedHooks.push((p) => this.events({ type: 'processCreated', pid: p.pid }));
    this.watchDisks(this.built);
    for (const w of this.built.warnings) this.events({ type: 'warning', message: w });
    const built = this.built;
    const timer = new WritebackTimer(async () => {
      for (const fs of built.ext2) {
        try {
          await fs.writeBackChanges();
        } catch (e) {
          this.events({ type: 'diskError', message: `writing back to disk failed: ${(e as Error).message}` });
        }
      }
    }, { quietMs: WRITEBACK_QUIET_MS, maxMs: WRITEBACK_MAX_MS });
    for (const fs of built.ext2) {
      fs.onChange = (urgent) => timer.changed(urgent);
      // What a guest's EIO stood for: the page hears it (the program only says "Input/output error").
      fs.onError = (r) => this.warn(`${r.message} (${r.advice})`);
    }
    this.writeback = timer;
  }

  private needNetwork(): WorkerNetwork {
    if (!this.network) throw new Error('this machine has no network: pass networkInterface to Linux.create');
    return this.network;
  }

  async networkLogin(): Promise<void> { await this.needNetwork().net.login(); }
  async networkLogout(): Promise<void> { await this.needNetwork().net.logout(); }

  /**
   * MagicDNS for the guest's resolver: /etc/resolv.conf names 100.100.100.100 and searches the
   * tailnet's domain, as tailscaled does on Linux (net/dns direct mode). Best effort: a
   * read-only root keeps its own file, with a warning.
   */
  private async writeResolvConf(suffix: string): Promise<void> {
    const text = `# written by webx86: Tailscale MagicDNS\nnameserver 100.100.100.100\n${suffix ? `search ${suffix}\n` : ''}`;
    if (!this.machine || text === this.resolvConf) return;
    this.resolvConf = text;
    const r = await this.machine.kernel.vfs.writeFile('/etc/resolv.conf', text);
    if (r < 0) this.events({ type: 'warning', message: `cannot write /etc/resolv.conf for MagicDNS (${strerror(-r)}): tailnet names will not resolve by name` });
  }

  /** Write back what the guest wrote and make it durable (the page going hidden, `Linux.sync`). */
  async sync(): Promise<void> {
    if (!this.built) return;
    try {
      await this.built.sync();
    } catch (e) {
      this.events({ type: 'diskError', message: `writing back to disk failed: ${(e as Error).message}` });
    }
  }

  private watchDisks(b: BuiltMounts): void {
    let waiting = 0;
    /** The retry under way, for status displays (a stall shows while it lasts). */
    let problem: string | null = null;
    const progress = () => {
      const t = { bytes: 0, requests: 0, inFlight: 0, cacheHits: 0, cacheMisses: 0, problem };
      for (const m of b.meters) {
        const s = m.stats;
        t.bytes += s.bytesFetched; t.requests += s.requests; t.inFlight += s.inFlight;
        t.cacheHits += s.cacheHits; t.cacheMisses += s.cacheMisses;
      }
      this.events({ type: 'diskProgress', ...t });
    };
    for (const meter of b.meters) {
      meter.on((e) => {
        if (e.type === 'state') {
          const before = waiting;
          waiting += e.state === 'wait' ? 1 : -1;
          if ((before === 0) !== (waiting === 0)) this.events({ type: 'diskActivity', state: waiting ? 'wait' : 'ready' });
          progress();
        } else if (e.type === 'fetch') {
          problem = null;
          this.events({ type: 'diskLatency', ms: e.ms });
          progress();
        } else if (e.type === 'retry') {
          // Said once per episode as a warning; the status shows it until a fetch succeeds.
          if (problem === null) this.warn(`disk: ${e.reason}; retrying`);
          problem = `${e.reason}; retrying (attempt ${e.attempt + 1})`;
          progress();
        } else if (e.type === 'giveup') {
          // The reads that needed it fail now (the file system reports why): nothing is stalled.
          problem = null;
          progress();
        } else if (e.type === 'error') {
          this.events({ type: 'diskError', message: e.message });
        }
      });
    }
  }

  /** A warning for the page, each distinct message once (a program retrying a bad read would repeat it). */
  private warn(message: string): void {
    if (this.warned.has(message) || this.warned.size > 200) return;
    this.warned.add(message);
    this.events({ type: 'warning', message });
  }

  /** "cannot run PATH: why", with the disk failure behind an EIO. */
  private cannotRun(path: string, err: number): Error {
    let cause = '';
    if (err === -EIO) {
      const last = this.built?.ext2.map((f) => f.lastError).filter((x) => x !== null).sort((a, b) => b.at - a.at)[0];
      if (last) cause = `: ${last.message} (${last.advice})`;
    }
    return new Error(`cannot run ${path}: ${strerror(-err)}${cause}`);
  }

  jitStats() {
    return this.machine?.kernel.jit?.snapshot() ?? null;
  }

  private need(): Machine {
    if (!this.machine) throw new Error('Linux is not created yet (await Linux.create first)');
    return this.machine;
  }

  /** Keep the scheduler going while anything runs; it returns when the last task is gone. */
  private ensureRunning(m: Machine): void {
    if (this.loop) return;
    this.loop = m.kernel.sched.run().finally(() => { this.loop = null; });
  }

  private spawnOpts(path: string, args: string[], o: RunOptions) {
    return {
      argv: [path, ...args],
      env: o.env ?? [...DEFAULT_ENV],
      cwd: o.cwd ?? '/',
      uid: o.uid ?? 0,
      gid: o.gid ?? 0,
      diag: (message: string) => this.events({ type: 'log', message }),
    };
  }

  private waitExit(m: Machine, p: Process): Promise<number> {
    const r = new Promise<number>((resolve) => this.exits.set(p, resolve));
    this.ensureRunning(m);
    return r;
  }

  async run(path: string, args: string[], opts: RunOptions): Promise<{ status: number }> {
    const m = this.need();
    const p = await spawnOnConsole(m, path, this.spawnOpts(path, args, opts));
    if (typeof p === 'number') throw this.cannotRun(path, p);
    const status = shellExitCode(await this.waitExit(m, p));
    await this.console.drained();
    return { status };
  }

  setConsole(write: WriteFn | null, cols: number, rows: number): void {
    this.console.attach(write, cols, rows);
  }

  consoleInput(bytes: Uint8Array): void { this.console.feed(bytes); }
  consoleResize(cols: number, rows: number): void { this.console.setSize(cols, rows); }

  async openTerminal(path: string, args: string[], opts: RunOptions, write: WriteFn, cols: number, rows: number, exit: (status: number) => void): Promise<number> {
    const m = this.need();
    const id = this.nextPty++;
    const out = new Batcher((b) => write(b, 0));
    const pty = openHostPty(m.devpts, cols, rows, (b) => out.push(b));
    if (typeof pty === 'number') throw new Error(`cannot open a pseudo-terminal: ${strerror(-pty)}`);
    const p = await m.kernel.spawn(path, { ...this.spawnOpts(path, args, opts), stdio: [pty.slave, pty.slave, pty.slave] });
    if (typeof p === 'number') { pty.close(); throw this.cannotRun(path, p); }
    setCtty(p, pty.pair.slave);
    this.ptys.set(id, pty);
    void this.waitExit(m, p).then(async (st) => {
      this.ptys.delete(id);
      pty.close();
      await out.drained();
      exit(shellExitCode(st));
    });
    return id;
  }

  terminalInput(id: number, bytes: Uint8Array): void { this.ptys.get(id)?.input(bytes); }
  terminalResize(id: number, cols: number, rows: number): void { this.ptys.get(id)?.resize(cols, rows); }
  closeTerminal(id: number): void {
    const p = this.ptys.get(id);
    this.ptys.delete(id);
    p?.close();
  }

  attachDisplay(port: MessagePort, width: number, height: number): void {
    const m = this.need();
    const size = checkDisplay(width, height);
    const d = addDisplay(m, size.width, size.height);
    d.resize(size.width, size.height);
    this.displayPort?.close();
    this.displayPort = new DisplayPort(d, port);
  }

  async dataWriteFile(id: number, path: string, data: Uint8Array): Promise<void> {
    const fs = this.built?.data.get(id);
    if (!fs) throw new Error('this DataDevice is not mounted in this Linux instance');
    fs.writeFile(path, data);
  }

  async readDeviceFile(dev: DeviceSpec, path: string): Promise<Uint8Array> {
    const m = this.need();
    const mount = this.built?.byDevice.find((x) => sameDevice(x.dev, dev));
    if (!mount) throw new Error('the device is not mounted in this Linux instance');
    const rel = path.startsWith('/') ? path : `/${path}`;
    return m.kernel.vfs.readFile(mount.path === '/' ? rel : mount.path + rel);
  }

  async resetIdb(name: string): Promise<void> {
    const used = this.built?.byDevice.some((x) => usesIdb(x.dev, name));
    if (used) throw new Error(`IndexedDB "${name}" is in use by the running machine: delete() it first, then reset`);
    await IdbBlockStore.deleteDatabase(name);
  }

  async shutdown(): Promise<void> {
    const m = this.machine;
    if (!m) return;
    this.writeback?.stop();
    this.activity?.stop();
    for (const pty of this.ptys.values()) pty.close();
    this.ptys.clear();
    for (const p of [...m.kernel.processes.values()]) if (!p.zombie) m.kernel.sched.exitProcess(p, 9);
    this.network?.close();
    this.network = null;
    this.relay?.close();
    this.relay = null;
    this.displayPort?.close();
    this.displayPort = null;
    await this.built?.close();
    this.machine = null;
  }
}

/** A display the engine accepts (protocol.ts displayProblem; DRM's mode limits are far above a page's). */
function checkDisplay(width: number, height: number, refresh?: number): { width: number; height: number; refresh?: number } {
  const bad = displayProblem(width, height, refresh);
  if (bad !== null) throw new Error(`a display: ${bad}`);
  return refresh === undefined ? { width, height } : { width, height, refresh };
}

function sameDevice(a: DeviceSpec, b: DeviceSpec): boolean {
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b));
}
/** DataDevice specs carry their files; identity is the id. */
function strip(d: DeviceSpec): unknown {
  return d.kind === 'data' ? { kind: 'data', id: d.id } : d.kind === 'overlay' ? { ...d, base: strip(d.base), store: strip(d.store) } : d;
}
function usesIdb(d: DeviceSpec, name: string): boolean {
  return (d.kind === 'idb' && d.name === name) || (d.kind === 'overlay' && (usesIdb(d.base, name) || usesIdb(d.store, name)));
}

