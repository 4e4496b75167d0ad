/**
 * alarm(2), setitimer(2)/getitimer(2) and POSIX per-process timers (timer_create(2) and
 * friends). The timer machinery and its fork/exec/exit rules are in ../timers.ts.
 */
import { syscallTable } from './registry.js';
import type { Task } from '../task.js';
import { EFAULT, EINVAL, EOPNOTSUPP, EAGAIN } from '../errno.js';
import { getStruct, putStruct, putU32 } from '../uaccess.js';
import {
  clockNs, fillTimeval, fillTimespec, getTimevalNs, readTimespec, timespecToNs, timespecSize,
  CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, TIMER_ABSTIME,
} from '../clock.js';
import {
  itimer, alarmSeconds, createPosixTimer, deletePosixTimer, procTimers, KTimer,
  ITIMER_REAL, ITIMER_PROF, SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD, SIGEV_THREAD_ID,
} from '../timers.js';
import { SIGALRM } from '../../abi/signals.js';

/** Remaining time as getitimer reports it: an armed timer never reads as 0 (itimer_get_remtime). */
function itimerRemaining(tm: KTimer): bigint {
  const r = tm.remaining();
  return tm.armed && r === 0n ? 1000n : r;
}

/** struct itimerval {it_interval, it_value} of two 32-bit timevals. */
function putItimerval(t: Task, a: number, tm: KTimer): boolean {
  const interval = tm.armed ? tm.interval : 0n, value = itimerRemaining(tm);
  return putStruct(t, a, 16, (dv) => { fillTimeval(dv, 0, interval); fillTimeval(dv, 8, value); });
}

function setitimer(t: Task, which: number, nv: number, ov: number): number {
  if (which < ITIMER_REAL || which > ITIMER_PROF) return -EINVAL;
  let interval = 0n, value = 0n;
  // A NULL new value disarms the timer (a Linux quirk kept for old binaries).
  if ((nv >>> 0) !== 0) {
    const i = getTimevalNs(t, nv), v = getTimevalNs(t, nv + 8);
    if (typeof i === 'number') return i;
    if (typeof v === 'number') return v;
    interval = i; value = v;
  }
  const tm = itimer(t.proc, which);
  if ((ov >>> 0) !== 0 && !putItimerval(t, ov, tm)) return -EFAULT;
  tm.arm(value, interval, false);
  return 0;
}

function alarm(t: Task, seconds: number): number {
  const tm = itimer(t.proc, ITIMER_REAL);
  const old = tm.armed ? alarmSeconds(itimerRemaining(tm)) : 0;
  tm.arm(BigInt(seconds >>> 0) * 1_000_000_000n, 0n, false);
  return old;
}

// ---- POSIX timers ----

function timerCreate(t: Task, clock: number, sevp: number, idp: number): number {
  if (clockNs(t, clock) === null) return -EINVAL;
  if (clock === CLOCK_MONOTONIC_RAW || clock === CLOCK_REALTIME_COARSE || clock === CLOCK_MONOTONIC_COARSE) return -EOPNOTSUPP;
  // No sigevent: SIGEV_SIGNAL with SIGALRM and the timer id as value.
  let notify = SIGEV_SIGNAL, signo = SIGALRM, value = -1, target: Task | null = null;
  if ((sevp >>> 0) !== 0) {
    // struct sigevent (i386): sigev_value @0, sigev_signo @4, sigev_notify @8, _tid @12.
    const dv = getStruct(t, sevp, 16);
    if (!dv) return -EFAULT;
    value = dv.getInt32(0, true); signo = dv.getInt32(4, true); notify = dv.getInt32(8, true);
    // good_sigevent() in kernel/time/posix-timers.c; glibc turns SIGEV_THREAD into THREAD_ID.
    if (notify === (SIGEV_SIGNAL | SIGEV_THREAD_ID)) {
      const th = t.kernel.tasks.get(dv.getInt32(12, true));
      if (!th || th.proc !== t.proc) return -EINVAL;
      target = th;
    } else if (notify !== SIGEV_SIGNAL && notify !== SIGEV_THREAD && notify !== SIGEV_NONE) {
      return -EINVAL;
    }
    if (notify !== SIGEV_NONE && (signo <= 0 || signo > 64)) return -EINVAL;
  }
  if (procTimers(t.proc).posix.size >= 4096) return -EAGAIN;
  const pt = createPosixTimer(t.proc, clock, notify, signo, value, target);
  if ((sevp >>> 0) === 0) pt.value = pt.id;
  if (!putU32(t, idp, pt.id)) { deletePosixTimer(t.proc, pt.id); return -EFAULT; }
  return 0;
}

/** struct itimerspec {it_interval, it_value}, of 32- or 64-bit timespecs. */
function putItimerspec(t: Task, a: number, tm: KTimer, t64: boolean): boolean {
  const n = timespecSize(t64);
  const interval = tm.armed ? tm.interval : 0n, value = itimerRemaining(tm);
  return putStruct(t, a, 2 * n, (dv) => { fillTimespec(dv, 0, interval, t64); fillTimespec(dv, n, value, t64); });
}

/** Read an itimerspec: [interval, value] in ns, or -errno. */
export function getItimerspec(t: Task, a: number, t64: boolean): [bigint, bigint] | number {
  const n = timespecSize(t64);
  const i = readTimespec(t, a, t64), v = readTimespec(t, a + n, t64);
  if (typeof i === 'number') return i;
  if (typeof v === 'number') return v;
  const ins = timespecToNs(i), vns = timespecToNs(v);
  if (typeof ins === 'number') return ins;
  if (typeof vns === 'number') return vns;
  return [ins, vns];
}

function timerSettime(t: Task, id: number, flags: number, nv: number, ov: number, t64: boolean): number {
  const pt = procTimers(t.proc).posix.get(id);
  if (!pt) return -EINVAL;
  if ((nv >>> 0) === 0) return -EINVAL;
  const spec = getItimerspec(t, nv, t64);
  if (typeof spec === 'number') return spec;
  if ((ov >>> 0) !== 0 && !putItimerspec(t, ov, pt.timer, t64)) return -EFAULT;
  pt.overrun = 0;
  pt.timer.arm(spec[1], spec[0], (flags & TIMER_ABSTIME) !== 0);
  return 0;
}

function timerGettime(t: Task, id: number, cur: number, t64: boolean): number {
  const pt = procTimers(t.proc).posix.get(id);
  if (!pt) return -EINVAL;
  return putItimerspec(t, cur, pt.timer, t64) ? 0 : -EFAULT;
}

/** This module's rows of the system call table (syscalls/index.ts). */
export const timersSyscalls = syscallTable({
  alarm: (t, s) => alarm(t, s),
  setitimer: (t, which, nv, ov) => setitimer(t, which, nv, ov),
  getitimer: (t, which, cur) => {
    if (which < ITIMER_REAL || which > ITIMER_PROF) return -EINVAL;
    return putItimerval(t, cur, itimer(t.proc, which)) ? 0 : -EFAULT;
  },
  timer_create: (t, clock, sevp, idp) => timerCreate(t, clock, sevp, idp),
  timer_settime: (t, id, flags, nv, ov) => timerSettime(t, id, flags, nv, ov, false),
  timer_settime64: (t, id, flags, nv, ov) => timerSettime(t, id, flags, nv, ov, true),
  timer_gettime: (t, id, cur) => timerGettime(t, id, cur, false),
  timer_gettime64: (t, id, cur) => timerGettime(t, id, cur, true),
  timer_getoverrun: (t, id) => {
    const pt = procTimers(t.proc).posix.get(id);
    return pt ? pt.lastOverrun : -EINVAL;
  },
  timer_delete: (t, id) => (deletePosixTimer(t.proc, id) ? 0 : -EINVAL),
});
