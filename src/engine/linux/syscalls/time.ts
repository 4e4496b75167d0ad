/**
 * Reading clocks and sleeping: clock_gettime(2), clock_getres(2), gettimeofday(2),
 * time(2), times(2), nanosleep(2), clock_nanosleep(2). Setting clocks is refused: the
 * host clock is not ours to change.
 */
import { syscallTable } from './registry.js';
import type { Task } from '../task.js';
import { EFAULT, EINTR, EINVAL, EPERM, ERESTARTNOHAND, ERESTART_RESTARTBLOCK, EOPNOTSUPP } from '../errno.js';
import { putStruct, putU32 } from '../uaccess.js';
import {
  clockNs, clockResNs, realtimeNs, processCpuNs, putTimespec, putTimeval, getTimespecNs,
  getTimevalNs, CLK_TCK, NSEC_PER_SEC, TIMER_ABSTIME, CLOCK_MONOTONIC,
  CLOCK_THREAD_CPUTIME_ID, CLOCK_PROCESS_CPUTIME_ID, isRealClock, monotonicNs,
} from '../clock.js';
import { sleepOn, remainingNs, setRestart, takeRestart, type Deadline } from '../sleep.js';
import { INTERRUPTED } from '../wait.js';

function clockGettime(t: Task, id: number, tp: number, t64: boolean): number {
  const ns = clockNs(t, id);
  if (ns === null) return -EINVAL;
  return putTimespec(t, tp, ns, t64) ? 0 : -EFAULT;
}

function clockGetres(t: Task, id: number, tp: number, t64: boolean): number {
  const ns = clockResNs(t, id);
  if (ns === null) return -EINVAL;
  if ((tp >>> 0) === 0) return 0;
  return putTimespec(t, tp, ns, t64) ? 0 : -EFAULT;
}

function clockSettime(t: Task, id: number, tp: number, t64: boolean): number {
  if (clockNs(t, id) === null) return -EINVAL;
  const ns = getTimespecNs(t, tp, t64);
  if (typeof ns === 'number') return ns;
  return -EPERM;
}

/**
 * Sleep on `clock` for `ns` (relative) or until `ns` (absolute). An interrupted relative
 * sleep writes the time left to `rem` and returns -ERESTART_RESTARTBLOCK: a handler makes
 * that EINTR, while a stop/continue or a signal without handler resumes the sleep until
 * the same deadline through restart_syscall (hrtimer_nanosleep_restart). Absolute sleeps
 * return -ERESTARTNOHAND, since restarting with the same deadline is exact.
 */
function sleep(t: Task, clock: number, ns: bigint, abs: boolean, rem: number, t64: boolean): number | Promise<number> {
  if (!abs && ns <= 0n) return 0;
  return sleepUntil(t, { clock, ns: abs ? ns : (clockNs(t, clock) ?? 0n) + ns }, abs, rem, t64);
}

async function sleepUntil(t: Task, deadline: Deadline, abs: boolean, rem: number, t64: boolean): Promise<number> {
  const r = await sleepOn(t, [], deadline);
  if (r !== INTERRUPTED) return 0;
  if (abs) return -ERESTARTNOHAND;
  if ((rem >>> 0) !== 0 && !putTimespec(t, rem, remainingNs(t, deadline), t64)) return -EFAULT;
  setRestart(t, () => sleepUntil(t, deadline, false, rem, t64));
  return -ERESTART_RESTARTBLOCK;
}

function nanosleep(t: Task, req: number, rem: number, t64: boolean): number | Promise<number> {
  const ns = getTimespecNs(t, req, t64);
  if (typeof ns === 'number') return ns;
  return sleep(t, CLOCK_MONOTONIC, ns, false, rem, t64);
}

function clockNanosleep(t: Task, id: number, flags: number, req: number, rem: number, t64: boolean): number | Promise<number> {
  if (id === CLOCK_THREAD_CPUTIME_ID) return -EINVAL;
  if (clockNs(t, id) === null) return -EINVAL;
  const ns = getTimespecNs(t, req, t64);
  if (typeof ns === 'number') return ns;
  const abs = (flags & TIMER_ABSTIME) !== 0;
  if (id === CLOCK_PROCESS_CPUTIME_ID) {
    // A sleeping process uses no CPU: the wait ends only if other threads use it. We
    // approximate with wall time, which ends at least as late as Linux for one thread.
    const now = processCpuNs(t.proc);
    return sleep(t, CLOCK_MONOTONIC, abs ? ns - now : ns, false, abs ? 0 : rem, t64);
  }
  if (!isRealClock(id)) return -EOPNOTSUPP;
  return sleep(t, id, ns, abs, rem, t64);
}

/** struct tms in clock ticks; the return value counts ticks since boot. */
function times(t: Task, buf: number): number {
  const ticks = (ms: number): number => Math.floor(ms * CLK_TCK / 1000);
  if ((buf >>> 0) !== 0) {
    const p = t.proc;
    let u = 0, s = 0;
    for (const th of p.threads) { u += th.utimeMs; s += th.stimeMs; }
    if (u + s === 0) u = Number(processCpuNs(p)) / 1e6;
    const ok = putStruct(t, buf, 16, (dv) => {
      dv.setInt32(0, ticks(u), true);
      dv.setInt32(4, ticks(s), true);
      dv.setInt32(8, ticks(p.cutimeMs), true);
      dv.setInt32(12, ticks(p.cstimeMs), true);
    });
    if (!ok) return -EFAULT;
  }
  // Small and positive, so never mistaken for -errno (glibc treats -4095..-1 as errors).
  return ticks(Number(monotonicNs(t.kernel)) / 1e6) | 0;
}

/** This module's rows of the system call table (syscalls/index.ts). */
export const timeSyscalls = syscallTable({
  clock_gettime: (t, id, tp) => clockGettime(t, id, tp, false),
  clock_gettime64: (t, id, tp) => clockGettime(t, id, tp, true),
  clock_getres: (t, id, tp) => clockGetres(t, id, tp, false),
  clock_getres_time64: (t, id, tp) => clockGetres(t, id, tp, true),
  clock_settime: (t, id, tp) => clockSettime(t, id, tp, false),
  clock_settime64: (t, id, tp) => clockSettime(t, id, tp, true),
  gettimeofday: (t, tv, tz) => {
    if ((tv >>> 0) !== 0 && !putTimeval(t, tv, realtimeNs())) return -EFAULT;
    // struct timezone {tz_minuteswest, tz_dsttime}: UTC, as the kernel's sys_tz by default.
    if ((tz >>> 0) !== 0 && !putStruct(t, tz, 8, () => {})) return -EFAULT;
    return 0;
  },
  settimeofday: (t, tv) => {
    if ((tv >>> 0) !== 0) {
      const ns = getTimevalNs(t, tv);
      if (typeof ns === 'number') return ns;
    }
    return -EPERM;
  },
  stime: () => -EPERM,
  time: (t, tloc) => {
    const sec = Number(realtimeNs() / NSEC_PER_SEC) | 0;
    if ((tloc >>> 0) !== 0 && !putU32(t, tloc, sec)) return -EFAULT;
    return sec;
  },
  times: (t, buf) => times(t, buf),
  nanosleep: (t, req, rem) => nanosleep(t, req, rem, false),
  clock_nanosleep: (t, id, flags, req, rem) => clockNanosleep(t, id, flags, req, rem, false),
  clock_nanosleep_time64: (t, id, flags, req, rem) => clockNanosleep(t, id, flags, req, rem, true),
  // restart_syscall(2): continue the call that left a restart block (see sleep.ts); with
  // none, EINTR as the kernel's do_no_restart_syscall.
  restart_syscall: (t) => takeRestart(t)?.() ?? -EINTR,
});

