/**
 * `<x-vm-status>`: what the machine is doing, in words, for the people waiting on it (boot
 * progress, download, CPU and disk activity, errors), as WebVM's side panel shows it.
 */
import { LitElement, css, html, nothing } from 'lit';
import { property, state } from 'lit/decorators.js';
import type { VmHost, VmPhase, VmStatus } from './context.js';
import { VmConsumer } from './vm-consumer.js';
import { define } from './define.js';

const PHASE_WORDS: Record<VmPhase, string> = {
  idle: 'Not started',
  loading: 'Loading',
  booting: 'Booting',
  running: 'Running',
  exited: 'Stopped',
  error: 'Error',
};

/** WebVM's figures: CPU use over the trailing 10 s, latency as the mean of the last 30 fetches. */
const CPU_WINDOW_MS = 10_000;
const LATENCY_SAMPLES = 30;

/**
 * Shows the state of the enclosing `<x-vm>`: the boot phase and what it is doing, bytes
 * downloaded and requests made, CPU and disk activity (the dots pulse while busy), disk
 * latency, cache hit rate, and errors in words.
 *
 * @summary What the enclosing `<x-vm>` is doing, in words: boot phase, download, CPU and disk activity, errors.
 * @tag x-vm-status
 *
 * @csspart phase - The phase and message line (a polite live region).
 * @csspart cpu - The CPU indicator and its use over the last 10 s.
 * @csspart disk - The disk indicator, latency and cache hit rate.
 * @csspart disk-problem - What is going wrong with the disk while it lasts (a stalled server being retried); absent otherwise.
 * @csspart bytes - Bytes downloaded and requests.
 * @csspart network - Bytes received and sent through the VM's network (only with networking, e.g. `<x-tailscale-login>`).
 * @csspart error - The error message (role="alert"); empty without an error.
 *
 * @cssprop [--x-vm-status-color=inherited] - Text colour.
 * @cssprop [--x-vm-status-muted=the text colour] - Colour of secondary text (shown at `--x-vm-status-muted-opacity`).
 * @cssprop [--x-vm-status-muted-opacity=0.7] - Opacity of secondary text.
 * @cssprop [--x-vm-status-background=transparent] - Background.
 * @cssprop [--x-vm-status-idle=#8a8f98] - An idle indicator.
 * @cssprop [--x-vm-status-busy=#f0a020] - A busy indicator (amber, as in WebVM).
 * @cssprop [--x-vm-status-busy-text=#8a5a00] - The disk problem text (dark amber).
 * @cssprop [--x-vm-status-ok=#2fa84f] - The phase dot while running.
 * @cssprop [--x-vm-status-error=#c62828] - Error text and the phase dot on error.
 * @cssprop [--x-vm-status-error-background=#fdecea] - The error box.
 * @cssprop [--x-vm-status-gap=0.75em] - Space between items.
 */
export class XVmStatus extends LitElement {
  static override styles = css`
    :host {
      display: block;
      color: var(--x-vm-status-color, inherit);
      background: var(--x-vm-status-background, transparent);
      font-size: 0.875em;
      line-height: 1.4;
      --_gap: var(--x-vm-status-gap, 0.75em);
      --_idle: var(--x-vm-status-idle, #8a8f98);
      --_busy: var(--x-vm-status-busy, #f0a020);
      --_ok: var(--x-vm-status-ok, #2fa84f);
      --_error: var(--x-vm-status-error, #c62828);
    }
    :host([hidden]) {
      display: none;
    }
    .row {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 0.25em var(--_gap);
    }
    .muted {
      color: var(--x-vm-status-muted, inherit);
      opacity: var(--x-vm-status-muted-opacity, 0.7);
    }
    .item {
      display: inline-flex;
      align-items: center;
      gap: 0.35em;
      white-space: nowrap;
    }
    .dot {
      display: inline-block;
      flex: none;
      width: 0.6em;
      height: 0.6em;
      border-radius: 50%;
      background: var(--_idle);
    }
    .busy > .dot,
    .dot.busy {
      background: var(--_busy);
      animation: pulse 0.9s ease-in-out infinite alternate;
    }
    .dot.running {
      background: var(--_ok);
    }
    .dot.error {
      background: var(--_error);
    }
    @keyframes pulse {
      from { opacity: 1; }
      to { opacity: 0.35; }
    }
    @media (prefers-reduced-motion: reduce) {
      .busy > .dot,
      .dot.busy {
        animation: none;
      }
    }
    .problem {
      color: var(--x-vm-status-busy-text, #8a5a00);
      white-space: normal;
    }
    .phase-name {
      font-weight: 600;
    }
    .message {
      overflow: hidden;
      text-overflow: ellipsis;
      min-width: 0;
    }
    .meters {
      margin-top: 0.25em;
    }
    [part='error'].shown {
      margin-top: 0.4em;
      padding: 0.4em 0.6em;
      border-radius: 4px;
      color: var(--_error);
      background: var(--x-vm-status-error-background, #fdecea);
    }
    :host([compact]) .line {
      display: flex;
      align-items: center;
      white-space: nowrap;
      overflow: hidden;
    }
    /* On one line the phase keeps its room, the error takes what is left (with an ellipsis;
       the full text is its tooltip), and what does not fit at the end is cut. */
    :host([compact]) .line > * {
      flex: none;
    }
    :host([compact]) [part='phase'] {
      display: inline-flex;
      flex-wrap: nowrap;
      align-items: center;
      gap: 0.35em;
    }
    :host([compact]) .message {
      white-space: nowrap;
      max-width: 24em;
    }
    :host([compact]) [part='error'].shown {
      flex: 1 1 0;
      min-width: 3em;
      margin-top: 0;
      padding: 0 0.4em;
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
    }
    /* Spacing by margins, so the empty alert (kept in place for screen readers) adds none. */
    :host([compact]) .line > * + * {
      margin-left: var(--_gap);
    }
    :host([compact]) .line > [part='error']:not(.shown) {
      margin-left: 0;
    }
    .sr-only {
      position: absolute;
      width: 1px;
      height: 1px;
      overflow: hidden;
      clip: rect(0 0 0 0);
      white-space: nowrap;
    }
  `;

  /** One line: phase, message, activity dots and bytes (for a toolbar or status bar); an error replaces the message and the figures. */
  @property({ type: Boolean, reflect: true }) accessor compact: boolean = false;
  /** The latest status of the VM (undefined outside any `<x-vm>`). */
  @state() private accessor current: VmStatus | undefined = undefined;
  @state() private accessor errorText: string | null = null;
  /** Re-rendered each second while attached so the CPU figure slides. */
  @state() private accessor now: number = performance.now();

  private readonly vmc = new VmConsumer(this, (vm, old) => this.vmChanged(vm, old));
  private readonly cpu = new CpuMeter(CPU_WINDOW_MS);
  private latencies: number[] = [];
  private ticker: ReturnType<typeof setInterval> | undefined;

  /** The VM's status as last seen; undefined outside any `<x-vm>`. */
  get status(): VmStatus | undefined {
    return this.current;
  }

  /** Share of the last 10 s the virtual CPU was busy, 0–100. */
  get cpuPercent(): number {
    return this.cpu.percent(performance.now());
  }

  /** Mean of the last 30 disk latency samples in ms (null before any). */
  get latencyMs(): number | null {
    return this.latencies.length ? this.latencies.reduce((a, b) => a + b, 0) / this.latencies.length : null;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.startTicker();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.ticker);
    this.ticker = undefined;
  }

  private startTicker(): void {
    if (this.ticker || !this.vmc.vm || !this.isConnected) return;
    this.ticker = setInterval(() => (this.now = performance.now()), 1000);
  }

  private vmChanged(vm: VmHost | undefined, old: VmHost | undefined): void {
    old?.removeEventListener('vm-status', this.onStatus);
    old?.removeEventListener('vm-error', this.onError);
    this.cpu.reset();
    this.latencies = [];
    this.errorText = null;
    this.current = undefined;
    if (!vm) {
      clearInterval(this.ticker);
      this.ticker = undefined;
      return;
    }
    vm.addEventListener('vm-status', this.onStatus);
    vm.addEventListener('vm-error', this.onError);
    this.take(vm.status);
    this.startTicker();
  }

  private readonly onStatus = (ev: Event): void => {
    // The events bubble: one from a machine nested inside ours is not about ours.
    if (ev.target !== this.vmc.vm) return;
    const status = (ev as CustomEvent<VmStatus>).detail ?? this.vmc.vm?.status;
    if (status) this.take(status);
  };

  private readonly onError = (ev: Event): void => {
    if (ev.target !== this.vmc.vm) return;
    const message = (ev as CustomEvent<{ message?: string }>).detail?.message;
    if (message) this.errorText = message;
  };

  private take(status: VmStatus): void {
    const prev = this.current;
    const now = performance.now();
    this.cpu.set(status.cpu === 'wait', now);
    // A latency sample shows as a new sample count (or, from a host without the count, a change of latencyMs).
    const newSample = status.latencySamples !== undefined ? status.latencySamples !== (prev?.latencySamples ?? 0) : status.latencyMs !== prev?.latencyMs;
    if (status.latencyMs !== null && newSample) {
      this.latencies.push(status.latencyMs);
      if (this.latencies.length > LATENCY_SAMPLES) this.latencies.shift();
    }
    if (status.phase === 'error') this.errorText = status.error ?? this.errorText ?? status.message;
    else if (prev?.phase === 'error' || status.phase === 'loading') this.errorText = null; // rebooted
    this.current = status;
    this.now = now;
  }

  override render() {
    const s = this.current;
    return this.compact ? this.renderCompact(s) : this.renderFull(s);
  }

  private renderFull(s: VmStatus | undefined) {
    return html`
      ${this.renderPhase(s)}
      ${s
        ? html`<div class="row meters">${this.renderCpu(s)}${this.renderDisk(s, true)}${this.renderBytes(s, true)}${this.renderNetwork(s)}</div>`
        : nothing}
      ${this.renderError()}
    `;
  }

  private renderCompact(s: VmStatus | undefined) {
    // An error takes the room of the figures: on one line it matters more.
    const figures = s && !this.errorText;
    return html`<div class="line">
      ${this.renderPhase(s)}${this.renderError()}
      ${figures ? html`${this.renderCpu(s)}${this.renderDisk(s, false)}${this.renderBytes(s, false)}${this.renderNetwork(s)}` : nothing}
    </div>`;
  }

  private renderPhase(s: VmStatus | undefined) {
    const phase = s?.phase;
    const starting = phase === 'loading' || phase === 'booting';
    const dotClass = starting ? 'busy' : phase === 'running' ? 'running' : phase === 'error' ? 'error' : '';
    // The error itself is in the alert; repeating it here would announce it twice.
    let message = !s ? 'Not inside an <x-vm>' : phase === 'error' ? '' : s.message.trim();
    let name = phase ? PHASE_WORDS[phase] : '';
    // "Running" + "Running /bin/bash" reads better as the message alone.
    if (name && message.toLowerCase().startsWith(name.toLowerCase())) [name, message] = [message, ''];
    return html`<div part="phase" class="row" role="status" aria-live="polite">
      <span class="dot ${dotClass}" aria-hidden="true"></span>
      ${name ? html`<span class="phase-name">${name}</span>` : nothing}
      ${message ? html`<span class="message ${name ? 'muted' : ''}">${message}</span>` : nothing}
    </div>`;
  }

  private renderCpu(s: VmStatus) {
    const busy = s.cpu === 'wait';
    const percent = Math.round(this.cpu.percent(this.now));
    return html`<span part="cpu" class="item ${busy ? 'busy' : ''}" title="Virtual CPU use over the last 10 seconds">
      <span class="dot" aria-hidden="true"></span>CPU
      ${this.compact ? nothing : html`<span class="muted">${percent}%</span>`}
      <span class="sr-only">${busy ? 'busy' : 'idle'}</span>
    </span>`;
  }

  private renderDisk(s: VmStatus, details: boolean) {
    const busy = s.disk === 'wait';
    const latency = this.latencyMs;
    const lookups = s.cacheHits + s.cacheMisses;
    return html`<span part="disk" class="item ${busy ? 'busy' : ''}" title="Disk activity, mean latency of the last 30 fetches, cache hit rate">
      <span class="dot" aria-hidden="true"></span>Disk
      ${details && latency !== null ? html`<span class="muted">${Math.round(latency)} ms latency</span>` : nothing}
      ${details && lookups > 0 ? html`<span class="muted">${Math.round((100 * s.cacheHits) / lookups)}% from cache</span>` : nothing}
      <span class="sr-only">${busy ? 'busy' : 'idle'}</span>
    </span>${s.diskProblem ? html`<span part="disk-problem" class="item problem" title=${s.diskProblem}>${this.compact ? 'Disk stalled, retrying' : s.diskProblem}</span>` : nothing}`;
  }

  private renderBytes(s: VmStatus, details: boolean) {
    const requests = `${s.requests} ${s.requests === 1 ? 'request' : 'requests'}`;
    const inFlight = s.inFlight > 0 ? `, ${s.inFlight} in progress` : '';
    return html`<span part="bytes" class="item muted">
      ${formatBytes(s.bytesDownloaded)} downloaded${details ? ` in ${requests}${inFlight}` : ''}
    </span>`;
  }

  /** Bytes through the VM's network (Tailscale), when it has one. */
  private renderNetwork(s: VmStatus) {
    if (s.netBytesIn === undefined || s.netBytesOut === undefined) return nothing;
    return html`<span part="network" class="item muted" title="Bytes through the VM's network: received, sent">
      Network ↓ ${formatBytes(s.netBytesIn)} ↑ ${formatBytes(s.netBytesOut)}
    </span>`;
  }

  private renderError() {
    const error = this.errorText;
    return html`<div part="error" role="alert" class=${error ? 'shown' : ''} title=${error ?? ''}>${error ? html`<span aria-hidden="true">⚠ </span>${error}` : nothing}</div>`;
  }
}

/** "0 B", "812 B", "12.3 kB", "4.5 MB", "1.2 GB" (decimal units, as browsers show downloads). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = -1;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** Share of a trailing window spent busy, from busy/idle transitions. */
export class CpuMeter {
  /** Transitions, oldest first; the first may be before the window (it gives the state at its start). */
  private marks: { t: number; busy: boolean }[] = [];

  constructor(private readonly windowMs: number) {}

  reset(): void {
    this.marks = [];
  }

  set(busy: boolean, now: number): void {
    const last = this.marks[this.marks.length - 1];
    if (last?.busy === busy) return;
    this.marks.push({ t: now, busy });
    // Forget transitions before the window, keeping the one that sets its opening state.
    while (this.marks.length > 1 && this.marks[1].t <= now - this.windowMs) this.marks.shift();
  }

  percent(now: number): number {
    const start = now - this.windowMs;
    let busyMs = 0;
    for (let i = 0; i < this.marks.length; i++) {
      if (!this.marks[i].busy) continue;
      const from = Math.max(this.marks[i].t, start);
      const to = i + 1 < this.marks.length ? this.marks[i + 1].t : now;
      if (to > from) busyMs += to - from;
    }
    return Math.min(100, (100 * busyMs) / this.windowMs);
  }
}

define('x-vm-status', XVmStatus);

declare global {
  interface HTMLElementTagNameMap {
    'x-vm-status': XVmStatus;
  }
}
