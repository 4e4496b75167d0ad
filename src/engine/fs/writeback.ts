/**
 * When to write back: a timer that turns "something changed" notices into write-backs
 * within a bounded delay, replacing a fixed period. A burst of writes is written back once
 * it has been quiet for `quietMs`, and never later than `maxMs` after its first change (a
 * long copy is written back every `maxMs` while it runs); an urgent notice (a written file
 * was closed) writes back at once. One write-back runs at a time; notices that arrive
 * meanwhile start another after it.
 *
 * Why these numbers (the worker's defaults, 100 ms quiet and 300 ms at most): a page may be
 * reloaded or closed at any moment, and its worker dies with it (a `pagehide` handler cannot
 * wait for IndexedDB). Linux's dirty write-back waits 5 to 30 s, which is fine for a kernel
 * that outlives its programs but not for a tab; 300 ms bounds the loss to what the guest
 * wrote in the last third of a second, while a busy writer is written back at most about
 * three times a second (each write-back rewrites the dirty metadata blocks, see docs/EXT2.md).
 */

export interface WritebackTimerOptions {
  /** Quiet time after the last change before writing back (ms). */
  quietMs?: number;
  /** Longest time from the first unwritten change to its write-back (ms). */
  maxMs?: number;
}

export class WritebackTimer {
  readonly quietMs: number;
  readonly maxMs: number;
  /** When the oldest change not yet written back was made (null: none). */
  private firstChange: number | null = null;
  private lastChange = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly writeBack: () => Promise<void>, opts: WritebackTimerOptions = {}) {
    this.quietMs = opts.quietMs ?? 100;
    this.maxMs = Math.max(this.quietMs, opts.maxMs ?? 300);
  }

  /** Something changed; `urgent`: write back now rather than after the quiet time. */
  changed(urgent = false): void {
    if (this.stopped) return;
    const now = Date.now();
    this.firstChange ??= now;
    this.lastChange = now;
    if (urgent) this.firstChange = now - this.maxMs;
    // A change during a write-back is armed when it ends.
    if (!this.running) this.arm();
  }

  /** Stop for good (the machine is shutting down; its own sync follows). */
  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Resolves when no write-back is running. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private arm(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    const due = Math.min(this.lastChange + this.quietMs, (this.firstChange ?? 0) + this.maxMs);
    this.timer = setTimeout(() => this.fire(), Math.max(0, due - Date.now()));
  }

  private fire(): void {
    this.timer = null;
    if (this.stopped) return;
    this.firstChange = null;
    this.running = this.writeBack().catch(() => {}).finally(() => {
      this.running = null;
      if (this.firstChange !== null && !this.stopped) this.arm();
    });
  }
}
