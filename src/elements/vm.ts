import { LitElement, html, css } from 'lit';
import { property } from 'lit/decorators.js';
import { ContextProvider } from '@lit/context';
import { Linux, type CallbackValue, type DiskProgress, type MountPointConfiguration, type NetworkInterface, type NetworkStatus } from '../api/linux.js';
import { DEFAULT_ENV, type RunOptions } from '../host/worker/protocol.js';
import { mergeEnv, parseList } from './attributes.js';
import { vmContext, type PtySession, type TerminalSession, type TerminalSink, type VmHost, type VmStatus } from './context.js';
import type { XDisk } from './disk.js';
import { define } from './define.js';
import { emit } from './events.js';

const INITIAL_STATUS: VmStatus = {
  phase: 'idle', message: 'Not started', bytesDownloaded: 0, requests: 0, inFlight: 0, cacheHits: 0, cacheMisses: 0,
  cpu: 'ready', disk: 'ready', latencyMs: null, latencySamples: 0, error: null, exitStatus: null, diskProblem: null,
};

/** `env`: KEY=VALUE words (or a JSON array of them); they are added to (and override) the defaults. */
export function parseEnv(v: string | null | undefined): string[] {
  const words = parseList(v, 'env');
  const bad = words.find((w) => w.indexOf('=') <= 0);
  if (bad !== undefined) throw new Error(`env entries are KEY=VALUE, got "${bad}"`);
  return mergeEnv(DEFAULT_ENV, words);
}

/**
 * A Linux machine. It owns the engine (a Web Worker), mounts the `<x-disk>` elements inside
 * it, runs `cmd` on the console and provides itself to the `<x-terminal>`, `<x-vm-status>`
 * and other elements inside it.
 *
 * @summary A Linux machine: boots from the `<x-disk>` elements inside it and runs `cmd` on the console.
 * @tag x-vm
 * @fires {VmReadyEvent} vm-ready - The machine is up and `cmd` is starting. detail: `{ linux }`.
 * @fires {VmExitEvent} vm-exit - `cmd` exited. detail: `{ status }` (the exit code, or 128 + the signal).
 * @fires {VmErrorEvent} vm-error - Boot or run failed. detail: `{ message }`, words for people ("…/debian.ext2: HTTP 404 Not Found").
 * @fires {VmWarningEvent} vm-warning - Something worth telling that did not stop the machine (a persistent directory that was not closed cleanly and is mounted anyway). detail: `{ message }`.
 * @fires {VmStatusEvent} vm-status - Anything in `status` changed. detail: the new `VmStatus`.
 * @fires {VmActivityEvent} vm-activity - CPU or disk went busy or idle, or a block arrived. detail: `{ cpu, disk, latencyMs }`.
 * @slot - `<x-disk>`, `<x-terminal>`, `<x-vm-status>`, `<x-kms-display>` (the machine gets a display), `<x-tailscale-login>` (boots the VM with Tailscale networking) and any other content.
 */
export class XVm extends LitElement implements VmHost {
  static override styles = css`:host { display: block; }`;

  /** Program run on the console. `cmd=""` boots with nothing on the console: for pages that use `run()` or `<x-terminal cmd>` only. */
  @property({ type: String }) accessor cmd: string = '/bin/bash';
  /** Its arguments: a JSON array (`'["-c","echo hi"]'`) or words separated by spaces. */
  @property({ type: String }) accessor args: string = '';
  /** `KEY=VALUE` words (or a JSON array of them) added to (and overriding) the defaults `PATH=… HOME=/root TERM=xterm-256color LANG=C.UTF-8`. */
  @property({ type: String }) accessor env: string = '';
  /** Working directory. */
  @property({ type: String }) accessor cwd: string = '/';
  /** User id. */
  @property({ type: Number }) accessor uid: number = 0;
  /** Group id. */
  @property({ type: Number }) accessor gid: number = 0;
  /** Boot when connected; `autostart="false"` (or `off`, `0`, `no`) waits for `start()`. */
  @property({ converter: { fromAttribute: (v: string | null) => v === null || !/^(false|off|0|no)$/i.test(v) } }) accessor autostart: boolean = true;
  /** Run `cmd` again whenever it exits (a shell that always comes back, as in WebVM). */
  @property({ type: Boolean }) accessor restart: boolean = false;
  /** `off` runs the interpreter alone (slower; for comparisons); `on` translates hot code to WebAssembly (binaryen is fetched only once code gets hot). Changing it reboots the machine; another value is a `vm-error`. */
  @property({ type: String }) accessor jit: string = 'on';
  /** `relay`: guest connections go through the `webx86 relay` at `relay-url` ([NETWORK.md](../NETWORK.md#relay-srcnetrelay)). Absent: Tailscale when an `<x-tailscale-login>` is inside, otherwise loopback only. Another value is a `vm-error`. Read at boot. */
  @property({ type: String }) accessor network: string = '';
  /** The relay's ws:// or wss:// URL, for `network="relay"`. */
  @property({ type: String, attribute: 'relay-url' }) accessor relayUrl: string = '';

  /** The running machine's [JS API](../API.md) object (null before boot and after `stop()`). */
  linux: Linux | null = null;
  private _status: VmStatus = INITIAL_STATUS;
  private _ready!: Promise<Linux>;
  private resolveReady!: (l: Linux) => void;
  private rejectReady!: (e: Error) => void;
  private generation = 0;
  private console: { sink: TerminalSink; cols: number; rows: number } | null = null;
  private sendConsole: ((d: string | Uint8Array) => void) | null = null;
  private queuedInput: (string | Uint8Array)[] = [];
  private restartTimer: ReturnType<typeof setTimeout> | null = null;

  constructor() {
    super();
    this.newReady();
    new ContextProvider(this, { context: vmContext, initialValue: this });
    this.addEventListener('disk-change', () => this.scheduleRestart());
    // Disks added or removed after boot (or after a boot that failed for want of one).
    new MutationObserver((records) => {
      const isDisk = (n: Node) => n instanceof Element && (n.localName === 'x-disk' || n.querySelector('x-disk') !== null);
      if (records.some((r) => [...r.addedNodes, ...r.removedNodes].some(isDisk))) this.scheduleRestart();
    }).observe(this, { childList: true, subtree: true });
  }

  /**
   * Leaving the page: push the last writes to IndexedDB. Best effort: the worker dies with
   * the page, and it writes back within 300 ms of a write anyway. `visibilitychange` to
   * hidden comes first when a tab is switched away, minimised or closed, and leaves time
   * to finish (pagehide alone often does not: the worker is gone before the commit).
   */
  private readonly onPageHide = () => { void this.linux?.sync().catch(() => {}); };
  private readonly onVisibility = () => { if (document.visibilityState === 'hidden') this.onPageHide(); };

  /** Phase, message, bytes downloaded, requests, CPU/disk activity, latency, error, last exit status (a new object on every change). */
  get status(): VmStatus { return this._status; }
  /** Resolves with the `Linux` instance once booted; rejects with a readable `Error`. A new promise after `stop()`. */
  get ready(): Promise<Linux> { return this._ready; }

  private newReady(): void {
    this._ready = new Promise<Linux>((res, rej) => { this.resolveReady = res; this.rejectReady = rej; });
    this._ready.catch(() => {}); // errors are reported as vm-error; awaiting callers still see them
  }

  override render() { return html`<slot></slot>`; }

  /** What the console runs changed while running: start over with it (the disks' blocks are cached). */
  protected override updated(changed: Map<string, unknown>): void {
    const what = ['cmd', 'args', 'env', 'cwd', 'uid', 'gid'];
    if (this.linux && [...changed.keys()].some((k) => what.includes(k) && changed.get(k) !== undefined)) this.scheduleRestart();
    // The JIT is chosen when the machine is created: a change needs a new machine.
    if (this.linux && changed.has('jit') && changed.get('jit') !== undefined) void this.reboot();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    addEventListener('pagehide', this.onPageHide);
    document.addEventListener('visibilitychange', this.onVisibility);
    if (this.autostart && !this.linux && this._status.phase !== 'loading' && this._status.phase !== 'booting') {
      // Let the children parse and upgrade (innerHTML, appended later in the same task).
      setTimeout(() => { if (this.isConnected && this.autostart && this._status.phase === 'idle') void this.start(); }, 0);
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    removeEventListener('pagehide', this.onPageHide);
    document.removeEventListener('visibilitychange', this.onVisibility);
    // Moving the element (disconnect then connect in one task) keeps the machine.
    setTimeout(() => { if (!this.isConnected) void this.stop(); }, 0);
  }

  private setStatus(p: Partial<VmStatus>): void {
    this._status = { ...this._status, ...p };
    emit(this, 'vm-status', this._status);
  }

  private fail(message: string): void {
    this.setStatus({ phase: 'error', message, error: message });
    emit(this, 'vm-error', { message });
  }

  private async collectMounts(): Promise<MountPointConfiguration[]> {
    await customElements.whenDefined('x-disk');
    const disks = [...this.querySelectorAll('x-disk')].filter((d) => d.closest('x-vm') === this) as XDisk[];
    const mounts = await Promise.all(disks.map((d) => d.toMount()));
    const roots = mounts.filter((m) => m.path === '/');
    if (roots.length === 0) throw new Error('no root disk: put an <x-disk path="/" src="…"> inside <x-vm>');
    if (roots.length > 1) throw new Error('more than one <x-disk> has path="/"');
    const seen = new Set<string>();
    for (const m of mounts) {
      if (seen.has(m.path)) throw new Error(`two disks are mounted at ${m.path}`);
      seen.add(m.path);
    }
    // The root first, then parents before children.
    return mounts.sort((a, b) => a.path.split('/').length - b.path.split('/').length || a.path.localeCompare(b.path));
  }

  /** Tailscale networking when an `<x-tailscale-login>` is inside (the first one configures it). */
  private collectNetwork(): NetworkInterface | undefined {
    const el = [...this.querySelectorAll('x-tailscale-login')].find((d) => d.closest('x-vm') === this) as (Element & { networkInterface?: () => NetworkInterface }) | undefined;
    return el?.networkInterface?.();
  }

  /** A display from the start (its devices exist before `cmd` runs) when an `<x-kms-display>` is inside, at its size. */
  private collectDisplay(): { width: number; height: number } | undefined {
    const el = [...this.querySelectorAll('x-kms-display')].find((d) => d.closest('x-vm') === this) as (Element & { wantedScreenSize?: () => { width: number; height: number } }) | undefined;
    return el?.wantedScreenSize?.();
  }

  /** Boot (if not running) and run `cmd`. Resolves when the machine is up. */
  async start(): Promise<void> {
    if (this.linux || this._status.phase === 'loading' || this._status.phase === 'booting') return;
    const gen = ++this.generation;
    if (this._status.phase !== 'idle') this.newReady();
    this.setStatus({ ...INITIAL_STATUS, phase: 'loading', message: 'Preparing disks…' });
    let linux: Linux;
    try {
      const mounts = await this.collectMounts();
      this.setStatus({ phase: 'booting', message: 'Starting the engine and reading the disk…' });
      const jit = this.jit.trim().toLowerCase();
      if (jit !== 'on' && jit !== 'off' && jit !== '') throw new Error(`<x-vm jit="${this.jit}">: jit is "on" or "off"`);
      const network = this.network.trim().toLowerCase();
      if (network !== '' && network !== 'relay') throw new Error(`<x-vm network="${this.network}">: network is "relay" or absent`);
      if (network === 'relay' && !this.relayUrl) throw new Error('<x-vm network="relay"> needs relay-url="ws://…" (the webx86 relay to use)');
      linux = await Linux.create(network === 'relay'
        ? { mounts, jit: jit !== 'off', relay: { url: this.relayUrl }, display: this.collectDisplay() }
        : { mounts, jit: jit !== 'off', networkInterface: this.collectNetwork(), display: this.collectDisplay() });
    } catch (e) {
      if (gen !== this.generation) return;
      const message = (e as Error).message;
      this.fail(message);
      this.rejectReady(new Error(message));
      return;
    }
    if (gen !== this.generation) { void linux.delete(); return; }
    this.linux = linux;
    this.listen(linux);
    if (this.console) this.connectConsole();
    this.setStatus({ phase: 'running', message: this.cmd ? `Running ${this.cmd}` : 'Ready' });
    this.resolveReady(linux);
    emit(this, 'vm-ready', { linux });
    // cmd="" boots a machine for run() and terminals of its own, with nothing on the console.
    if (this.cmd) void this.runLoop(linux, gen);
  }

  private async runLoop(linux: Linux, gen: number): Promise<void> {
    for (;;) {
      let status: number;
      try {
        const opts: RunOptions = { env: parseEnv(this.env), cwd: this.cwd || '/', uid: this.uid || 0, gid: this.gid || 0 };
        ({ status } = await linux.run(this.cmd, parseList(this.args, 'args'), opts));
      } catch (e) {
        if (gen !== this.generation) return;
        this.fail((e as Error).message);
        return;
      }
      if (gen !== this.generation) return;
      this.setStatus({ exitStatus: status, message: `${this.cmd} exited with status ${status}` });
      emit(this, 'vm-exit', { status });
      if (!this.restart) { this.setStatus({ phase: 'exited' }); return; }
      this.setStatus({ message: `Running ${this.cmd}` });
    }
  }

  private listen(linux: Linux): void {
    const activity = () => emit(this, 'vm-activity', { cpu: this._status.cpu, disk: this._status.disk, latencyMs: this._status.latencyMs });
    linux.registerCallback('cpuActivity', (v) => { this.setStatus({ cpu: v as 'ready' | 'wait' }); activity(); });
    linux.registerCallback('diskActivity', (v) => { this.setStatus({ disk: v as 'ready' | 'wait' }); activity(); });
    linux.registerCallback('diskLatency', (v) => {
      this.setStatus({ latencyMs: v as number, latencySamples: (this._status.latencySamples ?? 0) + 1 });
      activity();
    });
    linux.registerCallback('diskProgress', (v: CallbackValue) => {
      const p = v as DiskProgress;
      this.setStatus({ bytesDownloaded: p.bytes, requests: p.requests, inFlight: p.inFlight, cacheHits: p.cacheHits, cacheMisses: p.cacheMisses, diskProblem: p.problem });
    });
    linux.registerCallback('diskError', (v) => this.fail(`disk: ${v as string}`));
    linux.registerCallback('log', (v) => console.debug(`webx86: ${v as string}`));
    if (linux.networkStatus) {
      // Network activity for <x-vm-status>: byte totals through the tunnel.
      this.setStatus({ netBytesIn: 0, netBytesOut: 0 });
      linux.registerCallback('networkStatus', (v) => {
        const n = v as NetworkStatus;
        if (n.bytesIn !== this._status.netBytesIn || n.bytesOut !== this._status.netBytesOut) this.setStatus({ netBytesIn: n.bytesIn, netBytesOut: n.bytesOut });
      });
    }
    linux.registerCallback('warning', (v) => {
      console.warn(`webx86: ${v as string}`);
      emit(this, 'vm-warning', { message: v as string });
    });
  }

  /** Stop the machine: every program ends, disks are written back, the worker goes. */
  async stop(): Promise<void> {
    this.generation++;
    const linux = this.linux;
    this.linux = null;
    this.sendConsole = null;
    if (linux) await linux.delete();
    if (this._status.phase !== 'idle') {
      this.newReady();
      this.setStatus({ ...INITIAL_STATUS });
    }
  }

  /** Stop and start again (new disks, new attributes). */
  async reboot(): Promise<void> {
    await this.stop();
    await this.start();
  }

  private scheduleRestart(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.linux || this._status.phase === 'error') void this.reboot();
      else if (this._status.phase === 'idle' && this.autostart && this.isConnected) void this.start();
    }, 0);
  }

  /** Run a program with the console as its terminal (as `Linux.run`), after boot. */
  async run(path: string, args: string[] = [], opts: RunOptions = {}): Promise<{ status: number }> {
    const linux = await this.ready;
    return linux.run(path, args, opts);
  }

  attachConsole(sink: TerminalSink, cols: number, rows: number): TerminalSession | null {
    if (this.console) return null;
    const mine = { sink, cols, rows };
    this.console = mine;
    if (this.linux) this.connectConsole();
    return {
      input: (d) => {
        if (this.console !== mine) return;
        if (this.sendConsole) this.sendConsole(d); else this.queuedInput.push(d);
      },
      resize: (c, r) => {
        if (this.console !== mine) return;
        mine.cols = c; mine.rows = r;
        this.linux?.resizeConsole(c, r);
      },
      close: () => {
        if (this.console !== mine) return;
        this.console = null;
        this.sendConsole = null;
      },
    };
  }

  private connectConsole(): void {
    const c = this.console!;
    const linux = this.linux!;
    this.sendConsole = linux.setCustomConsole((buf, vt) => { if (vt === 1 && this.console === c) c.sink.write(buf); }, c.cols, c.rows);
    for (const d of this.queuedInput.splice(0)) this.sendConsole(d);
  }

  async openTerminal(cmd: string, args: string[], opts: RunOptions, sink: TerminalSink, cols: number, rows: number): Promise<PtySession> {
    const linux = await this.ready;
    // The terminal's variables go over the VM's, by name (PATH and HOME stay unless overridden).
    const env = mergeEnv(parseEnv(this.env), opts.env ?? []);
    return linux.openTerminal(cmd, args, { cwd: this.cwd || '/', uid: this.uid || 0, gid: this.gid || 0, ...opts, env }, (b) => sink.write(b), cols, rows);
  }
}

define('x-vm', XVm);

declare global {
  interface HTMLElementTagNameMap { 'x-vm': XVm }
}
