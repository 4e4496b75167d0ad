/**
 * The CPU's busy/idle state as the page hears it (`cpuActivity`), at most one change per
 * ACTIVITY_MIN_MS. The scheduler turns idle whenever every task waits, which a guest does at
 * each system call that completes through a promise (most reads, writes and ioctls) when no
 * other task is ready, and busy again a microtask later: thousands of times a second while
 * Xorg or i3 start. Each report is a message to the page and a comlink reply back, plus the
 * page's status element rendering it, on a machine whose two cores the worker shares with
 * the page and the compile worker. A status display needs the state, not every blip: this
 * reports the first change at once, then at most one per period, and always the state that
 * holds at the end of a period if it differs from the last one reported, so the page never
 * stays on a stale state for longer than a period.
 */

/** A change is reported at most this often (a status light; 20 changes a second). */
export const ACTIVITY_MIN_MS = 50;

export interface ActivityClock {
  now(): number;
  /** Call fn after ms; the reporter keeps at most one pending. */
  later(fn: () => void, ms: number): { cancel(): void };
}

const realClock: ActivityClock = {
  now: () => performance.now(),
  later: (fn, ms) => { const h = setTimeout(fn, ms); return { cancel: () => clearTimeout(h) }; },
};

export class ActivityReporter {
  /** The state as the scheduler last said it. */
  private busy = false;
  /** The state the page was last told. */
  private reported = false;
  private lastReportAt = -Infinity;
  private pending: { cancel(): void } | null = null;

  constructor(private readonly report: (busy: boolean) => void, private readonly clock: ActivityClock = realClock) {}

  /** The scheduler's onActivity. */
  set(busy: boolean): void {
    this.busy = busy;
    if (this.pending) return;
    if (busy === this.reported) return;
    const wait = this.lastReportAt + ACTIVITY_MIN_MS - this.clock.now();
    if (wait <= 0) this.flush();
    else this.pending = this.clock.later(() => { this.pending = null; this.flush(); }, wait);
  }

  private flush(): void {
    if (this.busy === this.reported) return;
    this.reported = this.busy;
    this.lastReportAt = this.clock.now();
    this.report(this.busy);
  }

  /** No more reports (the machine is gone). */
  stop(): void {
    this.pending?.cancel();
    this.pending = null;
  }
}
