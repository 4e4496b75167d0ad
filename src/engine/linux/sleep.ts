/**
 * Interruptible sleeping for system calls: wait for wait queues, a deadline on a clock,
 * or a signal, whichever comes first; and the temporary signal masks of ppoll, pselect6
 * and epoll_pwait.
 */
import type { Task } from './task.js';
import { WaitQueue, waitAny, WOKEN, TIMEOUT, INTERRUPTED, type WaitResult } from '../wait/queue.js';
import { clockNs, nsToWaitMs } from './clock.js';
import { EFAULT, EINVAL } from './errno.js';
import { getStruct } from './uaccess.js';

import { SIGKILL, SIGSTOP, SIG_DFL, SIG_IGN, UNBLOCKABLE, kernelIgnored } from '../abi/signals.js';
/** setTimeout takes a signed 32-bit delay; longer waits are done in steps. */
const MAX_TIMER_MS = 0x7fffffff;

/**
 * Would a signal interrupt a sleep right now? Unblocked pending signals count, unless
 * their action is to ignore them: Linux does not wake a sleeper for those (sig_ignored in
 * kernel/signal.c), so a SIGCHLD with default action must not cut a nanosleep short.
 */
export function signalPending(t: Task): boolean {
  const check = (list: { signo: number }[]): boolean => {
    for (const s of list) {
      const n = s.signo;
      if (n === SIGKILL || n === SIGSTOP) return true;
      if ((t.sigmask >> BigInt(n - 1)) & 1n) continue;
      const act = t.proc.sigactions.a[n];
      if (act?.handler === SIG_IGN) continue;
      if ((act === undefined || act.handler === SIG_DFL) && kernelIgnored(n)) continue;
      return true;
    }
    return false;
  };
  return check(t.pending) || check(t.proc.pending);
}

export interface Deadline {
  /** Clock id the deadline is on (clock.ts). */
  clock: number;
  /** Absolute time on that clock, in ns. */
  ns: bigint;
  /** The caller gave a zero timeout (select and ppoll then leave it unwritten). */
  zero?: boolean;
}

/**
 * Wait for one of `queues`, the deadline (null: none), or a signal. A timer that fires a
 * little early (setTimeout has ms granularity, the clocks ns) re-arms until the clock
 * really reaches the deadline, so sleeps never end early.
 */
export async function sleepOn(t: Task, queues: WaitQueue[], deadline: Deadline | null, extra: Promise<unknown>[] = []): Promise<WaitResult> {
  for (;;) {
    if (signalPending(t)) return INTERRUPTED;
    let ms: number | undefined;
    if (deadline) {
      const now = clockNs(t, deadline.clock) ?? 0n;
      if (now >= deadline.ns) return TIMEOUT;
      ms = Math.min(nsToWaitMs(deadline.ns - now), MAX_TIMER_MS);
    }
    const r = await waitAny(queues, t.interrupt, ms, extra);
    if (r === INTERRUPTED) {
      // The interrupt queue also fires for signals that will be ignored; only a
      // deliverable one ends the sleep.
      if (signalPending(t)) return INTERRUPTED;
      continue;
    }
    if (r === WOKEN) return WOKEN;
  }
}

/** Remaining ns until a deadline (0 when passed). */
export function remainingNs(t: Task, d: Deadline): bigint {
  const left = d.ns - (clockNs(t, d.clock) ?? 0n);
  return left > 0n ? left : 0n;
}

/** Read a sigset_t argument of `size` bytes (must be 8, as the kernel's _NSIG/8). */
export function readSigset(t: Task, a: number, size: number): bigint | number {
  if (size !== 8) return -EINVAL;
  const dv = getStruct(t, a, 8);
  if (!dv) return -EFAULT;
  return dv.getBigUint64(0, true);
}


/** Install a temporary mask (ppoll, pselect6, epoll_pwait); the old one goes to savedMask. */
export function setTempMask(t: Task, mask: bigint): void {
  t.savedMask = t.sigmask;
  t.sigmask = mask & ~UNBLOCKABLE;
}

/**
 * End of a call that set a temporary mask. When it returns an interruption (`keep`), the
 * signal-delivery code restores savedMask after running the handler, so the handler
 * runs with the temporary mask as in Linux (restore_saved_sigmask_unless). Otherwise the
 * old mask comes back now.
 */
export function endTempMask(t: Task, keep: boolean): void {
  if (t.savedMask === null || keep) return;
  t.sigmask = t.savedMask;
  t.savedMask = null;
}

/** Let the event loop run (other tasks, I/O, timers) before continuing. */
export function yieldToEventLoop(): Promise<void> {
  const g = globalThis as { setImmediate?: (fn: () => void) => unknown };
  return new Promise((resolve) => {
    if (g.setImmediate) g.setImmediate(resolve);
    else setTimeout(resolve, 0);
  });
}

/**
 * The restart block (current->restart_block in Linux): a call that returns
 * -ERESTART_RESTARTBLOCK leaves here how to continue. If no handler runs, the signal code
 * re-enters the task with restart_syscall(2), which runs it; if a handler runs, the
 * caller sees EINTR and the continuation is dropped at the next restart_syscall.
 */
const restartBlocks = new WeakMap<Task, () => number | Promise<number>>();
export function setRestart(t: Task, fn: () => number | Promise<number>): void {
  restartBlocks.set(t, fn);
}
export function takeRestart(t: Task): (() => number | Promise<number>) | undefined {
  const fn = restartBlocks.get(t);
  restartBlocks.delete(t);
  return fn;
}
