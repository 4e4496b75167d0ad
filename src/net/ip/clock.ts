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
  /** Live timers by id; the heap may still hold cancelled ones, skipped when they surface. */
  private live = new Map<number, () => void>();
  /** A binary min-heap on (at, id): thousands of packets in flight make a linear scan quadratic. */
  private heap: { at: number; id: number }[] = [];

  now(): number { return this.t; }

  setTimer(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.live.set(id, fn);
    this.push({ at: this.t + Math.max(0, ms), id });
    return id;
  }

  clearTimer(handle: unknown): void { this.live.delete(handle as number); }

  private less(a: { at: number; id: number }, b: { at: number; id: number }): boolean { return a.at < b.at || (a.at === b.at && a.id < b.id); }

  private push(e: { at: number; id: number }): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l], h[m])) m = l;
      if (r < h.length && this.less(h[r], h[m])) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m], h[i]];
      i = m;
    }
  }

  /** The earliest live timer (cancelled ones are dropped on the way), or null. */
  private next(): { at: number; id: number } | null {
    while (this.heap.length && !this.live.has(this.heap[0].id)) this.pop();
    return this.heap[0] ?? null;
  }

  private runOne(e: { at: number; id: number }): void {
    const fn = this.live.get(e.id)!;
    this.live.delete(e.id);
    this.pop();
    this.t = Math.max(this.t, e.at);
    fn();
  }

  /** Run timers, advancing time, until `done()` holds, no timer is left, or `limitMs` of simulated time passed. */
  run(done: () => boolean, limitMs = 600_000): boolean {
    const end = this.t + limitMs;
    while (!done()) {
      const n = this.next();
      if (!n || n.at > end) return false;
      this.runOne(n);
    }
    return true;
  }

  /** Advance by `ms`, running every timer due on the way. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const n = this.next();
      if (!n || n.at > end) break;
      this.runOne(n);
    }
    this.t = end;
  }

  get pending(): number { return this.live.size; }
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
