/**
 * Kernel timers on host timers: one KTimer per ITIMER_*, per POSIX timer and per
 * timerfd. Expiry is checked against the guest clock (ns), and a host timer that fires
 * early re-arms, so expirations are never early.
 *
 * Lifetime (setitimer(2), timer_create(2), fork(2), execve(2)):
 * - fork: the child inherits neither interval timers, alarms nor POSIX timers;
 * - execve: interval timers and alarm() survive, POSIX timers are deleted;
 * - exit: everything is cancelled (the lead's exit code calls cancelProcessTimers),
 *   which also lets Node exit instead of waiting for a dead process's timer.
 */
import type { Kernel } from './kernel.js';
import type { Process, SigInfo, Task } from './task.js';
import { timerClockNs, NSEC_PER_SEC } from './clock.js';

/** setTimeout takes a signed 32-bit delay; longer ones are done in steps. */
const MAX_TIMER_MS = 0x7fffffff;

export class KTimer {
  armed = false;
  /** Next expiry, absolute ns on `clock`. */
  expires = 0n;
  /** Period in ns (0: one-shot). */
  interval = 0n;
  private handle: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly kernel: Kernel,
    readonly clock: number,
    /** Called at expiry with the number of periods that elapsed (>= 1). */
    private readonly onExpire: (count: bigint) => void,
  ) {}

  now(): bigint { return timerClockNs(this.kernel, this.clock); }

  /** Arm with a first expiry `value` (relative, or absolute when `abs`); 0 disarms either way. */
  arm(value: bigint, interval: bigint, abs: boolean): void {
    this.disarm();
    if (value === 0n) return;
    this.interval = interval;
    this.expires = abs ? value : this.now() + value;
    this.armed = true;
    this.schedule();
  }

  disarm(): void {
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = undefined;
    this.armed = false;
    this.interval = 0n;
  }

  /** Time left until the next expiry (0 if disarmed or due). */
  remaining(): bigint {
    if (!this.armed) return 0n;
    const left = this.expires - this.now();
    return left > 0n ? left : 0n;
  }

  private schedule(): void {
    const left = this.expires - this.now();
    const ms = left <= 0n ? 0 : Math.min(Number((left + 999_999n) / 1_000_000n), MAX_TIMER_MS);
    this.handle = setTimeout(() => this.fire(), ms);
  }

  private fire(): void {
    this.handle = undefined;
    if (!this.armed) return;
    const now = this.now();
    if (now < this.expires) { this.schedule(); return; }
    let count = 1n;
    if (this.interval > 0n) {
      // Periods missed while the host was busy count as overruns (hrtimer_forward).
      count += (now - this.expires) / this.interval;
      this.expires += count * this.interval;
      this.schedule();
    } else {
      this.armed = false;
    }
    this.onExpire(count);
  }
}

export const ITIMER_REAL = 0, ITIMER_VIRTUAL = 1, ITIMER_PROF = 2;
import { SIGALRM, SIGVTALRM, SIGPROF, SI_KERNEL, SI_TIMER } from '../abi/signals.js';
export const SIGEV_SIGNAL = 0, SIGEV_NONE = 1, SIGEV_THREAD = 2, SIGEV_THREAD_ID = 4;

export interface PosixTimer {
  id: number;
  timer: KTimer;
  notify: number;
  signo: number;
  /** sigev_value (sival_int / sival_ptr). */
  value: number;
  /** Target thread for SIGEV_THREAD_ID. */
  target: Task | null;
  /** Expirations since the last signal was queued. */
  overrun: number;
  /** Overrun count reported by timer_getoverrun: the one of the last signal. */
  lastOverrun: number;
  /** The siginfo last queued, to see whether it is still pending. */
  queued: SigInfo | null;
}

interface ProcTimers {
  /** The process this state belongs to: a copied `timers` record in a fork child is detected and replaced. */
  owner: Process;
  itimers: (KTimer | null)[];
  posix: Map<number, PosixTimer>;
}

const KEY = 'time';

export function procTimers(p: Process): ProcTimers {
  let s = p.timers[KEY] as ProcTimers | undefined;
  if (!s || s.owner !== p) {
    s = { owner: p, itimers: [null, null, null], posix: new Map() };
    p.timers[KEY] = s;
  }
  return s;
}

function send(k: Kernel, p: Process, target: Task | null, info: SigInfo): void {
  if (!p.alive) return;
  if (target && target.state !== 'zombie' && k.signalTask) k.signalTask(target, info);
  else if (k.signalProcess) k.signalProcess(p, info);
  else k.warnOnce('timers:nosignal', 'timer expired but no signal routing is installed');
}

/**
 * The ITIMER_* timer of a process. ITIMER_VIRTUAL and ITIMER_PROF should count CPU time
 * only; they are approximated with elapsed time (a blocked process still gets them).
 */
export function itimer(p: Process, which: number): KTimer {
  const s = procTimers(p);
  let tm = s.itimers[which];
  if (!tm) {
    const signo = which === ITIMER_REAL ? SIGALRM : which === ITIMER_VIRTUAL ? SIGVTALRM : SIGPROF;
    if (which !== ITIMER_REAL) p.kernel.warnOnce('timers:cputime', 'ITIMER_VIRTUAL/ITIMER_PROF run on elapsed time');
    // it_real_fn sends with SEND_SIG_PRIV: si_code SI_KERNEL. Overruns merge into one
    // pending signal, as for any standard signal.
    tm = new KTimer(p.kernel, 1 /* CLOCK_MONOTONIC */, () => send(p.kernel, p, null, { signo, code: SI_KERNEL }));
    s.itimers[which] = tm;
  }
  return tm;
}

function stillPending(p: Process, pt: PosixTimer): boolean {
  const q = pt.queued;
  if (!q) return false;
  if (p.pending.includes(q)) return true;
  return p.threads.some((th) => th.pending.includes(q));
}

/** Create a POSIX timer with the lowest free id. */
export function createPosixTimer(p: Process, clock: number, notify: number, signo: number, value: number, target: Task | null): PosixTimer {
  const s = procTimers(p);
  let id = 0;
  while (s.posix.has(id)) id++;
  const pt: PosixTimer = { id, timer: null as unknown as KTimer, notify, signo, value, target, overrun: 0, lastOverrun: 0, queued: null };
  pt.timer = new KTimer(p.kernel, clock, (count) => {
    if (pt.notify === SIGEV_NONE) return;
    // While the previous signal waits undelivered, further expirations only count as
    // overruns (posix-timers.c: one queued sigqueue per timer).
    if (stillPending(p, pt)) { pt.overrun += Number(count); return; }
    pt.lastOverrun = Math.min(pt.overrun + Number(count) - 1, 0x7fffffff);
    pt.overrun = 0;
    pt.queued = { signo: pt.signo, code: SI_TIMER, value: pt.value };
    send(p.kernel, p, pt.notify & SIGEV_THREAD_ID ? pt.target : null, pt.queued);
  });
  s.posix.set(id, pt);
  return pt;
}

export function deletePosixTimer(p: Process, id: number): boolean {
  const s = procTimers(p);
  const pt = s.posix.get(id);
  if (!pt) return false;
  pt.timer.disarm();
  s.posix.delete(id);
  return true;
}

/** Disarm every timer of an exiting process. */
export function cancelProcessTimers(p: Process): void {
  const s = p.timers[KEY] as ProcTimers | undefined;
  if (!s || s.owner !== p) return;
  for (const tm of s.itimers) tm?.disarm();
  for (const pt of s.posix.values()) pt.timer.disarm();
  s.posix.clear();
}

/** fork: the child starts with no timers, even if its `timers` record was copied. */
export function cloneTimersOnFork(_parent: Process, child: Process): void {
  delete child.timers[KEY];
}

/** execve: POSIX timers are deleted; interval timers and alarm() are kept. */
export function timersOnExec(p: Process): void {
  const s = p.timers[KEY] as ProcTimers | undefined;
  if (!s || s.owner !== p) return;
  for (const pt of s.posix.values()) pt.timer.disarm();
  s.posix.clear();
}

/** Seconds for alarm(2)'s return: rounded to nearest, never 0 while armed (alarm_setitimer). */
export function alarmSeconds(ns: bigint): number {
  if (ns <= 0n) return 0;
  let sec = ns / NSEC_PER_SEC;
  const usec = (ns % NSEC_PER_SEC) / 1000n;
  if ((sec === 0n && usec > 0n) || usec >= 500_000n) sec++;
  return Number(sec);
}
