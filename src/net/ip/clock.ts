/**
 * Time for the stack: milliseconds and one-shot timers. Production uses the real clock
 * (`realClock`); tests inject `ManualClock` so that a transfer with loss, delay and
 * retransmission timeouts runs in simulated time, deterministically and fast.
 */

export interface Clock {
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => performance.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/**
 * Simulated time: timers run in deadline order (ties in creation order) when the test calls
 * `run`/`advance`. Nothing runs by itself.
 */
export class ManualClock implements Clock {
  private t = 0;
  private seq = 0;
  private timers = new Map<number, { at: number; seq: number; fn: () => void }>();

  now(): number { return this.t; }

  setTimer(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + Math.max(0, ms), seq: id, fn });
    return id;
  }

  clearTimer(handle: unknown): void { this.timers.delete(handle as number); }

  /** The earliest pending timer, or null. */
  private next(): [number, { at: number; seq: number; fn: () => void }] | null {
    let best: [number, { at: number; seq: number; fn: () => void }] | null = null;
    for (const e of this.timers) if (!best || e[1].at < best[1].at || (e[1].at === best[1].at && e[1].seq < best[1].seq)) best = e;
    return best;
  }

  /** Run timers, advancing time, until `done()` holds, no timer is left, or `limitMs` of simulated time passed. */
  run(done: () => boolean, limitMs = 600_000): boolean {
    const end = this.t + limitMs;
    while (!done()) {
      const n = this.next();
      if (!n || n[1].at > end) return false;
      this.timers.delete(n[0]);
      this.t = Math.max(this.t, n[1].at);
      n[1].fn();
    }
    return true;
  }

  /** Advance by `ms`, running every timer due on the way. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const n = this.next();
      if (!n || n[1].at > end) break;
      this.timers.delete(n[0]);
      this.t = Math.max(this.t, n[1].at);
      n[1].fn();
    }
    this.t = end;
  }

  get pending(): number { return this.timers.size; }
}

/**
 * A restartable one-shot timer. Restarting it to a later deadline (the retransmission timer
 * on every ACK) does not touch the underlying timer: when that fires early it re-arms for
 * the rest. This keeps a bulk transfer from creating a timer per segment.
 */
export class Timer {
  private deadline = -1;
  private handle: unknown = null;
  private firesAt = -1;

  constructor(private readonly clock: Clock, private readonly fn: () => void) {}

  get armed(): boolean { return this.deadline >= 0; }
  /** Milliseconds until it fires, or -1 when not armed. */
  remaining(): number { return this.deadline < 0 ? -1 : Math.max(0, this.deadline - this.clock.now()); }

  set(ms: number): void {
    const at = this.clock.now() + ms;
    this.deadline = at;
    if (this.handle !== null && this.firesAt <= at) return;
    if (this.handle !== null) this.clock.clearTimer(this.handle);
    this.schedule(ms);
  }

  /** Disarm; the underlying timer stays until it fires (cheap), unless `hard`. */
  clear(hard = false): void {
    this.deadline = -1;
    if (hard && this.handle !== null) { this.clock.clearTimer(this.handle); this.handle = null; }
  }

  private schedule(ms: number): void {
    this.firesAt = this.clock.now() + ms;
    this.handle = this.clock.setTimer(() => this.fire(), ms);
  }

  private fire(): void {
    this.handle = null;
    if (this.deadline < 0) return;
    const left = this.deadline - this.clock.now();
    if (left > 0.5) { this.schedule(left); return; }
    this.deadline = -1;
    this.fn();
  }
}
