/**
 * Waiting without threads: a blocked system call awaits a promise; the task is parked
 * and the scheduler runs others. Wait queues are the wake-up points (data arrived in a
 * pipe, a child exited, a futex was woken, a signal became deliverable).
 */
export class WaitQueue {
  private readonly waiters = new Set<() => void>();

  /** Call fn at the next wake(); returns an unsubscribe function. */
  add(fn: () => void): () => void {
    this.waiters.add(fn);
    return () => this.waiters.delete(fn);
  }
  wake(): void {
    if (this.waiters.size === 0) return;
    const ws = [...this.waiters];
    this.waiters.clear();
    for (const w of ws) w();
  }
  get size(): number { return this.waiters.size; }
}

/**
 * A task's signal wake-up queue. Waiting on it while a signal is already deliverable
 * fires at once: a signal that arrived between two waits of a loop (say, a tty read woken
 * by the same keystroke that sent SIGTSTP) must not be missed.
 */
export class InterruptQueue extends WaitQueue {
  constructor(private readonly pending: () => boolean) {
    super();
  }
  add(fn: () => void): () => void {
    if (this.pending()) {
      let live = true;
      queueMicrotask(() => { if (live) fn(); });
      return () => { live = false; };
    }
    return super.add(fn);
  }
}

export const WOKEN = 0, TIMEOUT = 1, INTERRUPTED = 2;
export type WaitResult = typeof WOKEN | typeof TIMEOUT | typeof INTERRUPTED;

/**
 * Wait until one of `queues` is woken, `timeoutMs` passes (undefined: never), or the
 * `interrupt` queue fires (a signal for the task). Extra promises count as wake-ups too.
 */
export function waitAny(
  queues: WaitQueue[],
  interrupt: WaitQueue | null,
  timeoutMs?: number,
  promises: Promise<unknown>[] = [],
): Promise<WaitResult> {
  return new Promise((resolve) => {
    const offs: (() => void)[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    let done = false;
    const finish = (r: WaitResult) => {
      if (done) return;
      done = true;
      for (const off of offs) off();
      if (timer !== undefined) clearTimeout(timer);
      resolve(r);
    };
    for (const q of queues) offs.push(q.add(() => finish(WOKEN)));
    if (interrupt) offs.push(interrupt.add(() => finish(INTERRUPTED)));
    for (const p of promises) p.then(() => finish(WOKEN), () => finish(WOKEN));
    if (timeoutMs !== undefined) timer = setTimeout(() => finish(TIMEOUT), Math.max(0, timeoutMs));
  });
}
