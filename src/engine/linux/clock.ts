/**
 * Clocks and the time structures of the i386 ABI.
 *
 * Sources: clock_gettime(2), time(7), include/uapi/linux/time.h, time_types.h.
 * Old calls use 32-bit time_t (struct timespec = 2 x int32, struct timeval = 2 x int32);
 * the *_time64 calls use struct __kernel_timespec (int64 tv_sec, int64 tv_nsec of which a
 * 32-bit kernel reads only the low half).
 *
 * All clock values are nanoseconds as bigint: realtime in ns is ~1.7e18, past 2^53.
 */
import type { Kernel } from './kernel.js';
import type { Process, Task } from './task.js';
import { getStruct, putStruct } from './uaccess.js';
import { EFAULT, EINVAL } from './errno.js';
import { realtimeNs } from '../time/realtime.js';

export const CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1, CLOCK_PROCESS_CPUTIME_ID = 2, CLOCK_THREAD_CPUTIME_ID = 3;
export const CLOCK_MONOTONIC_RAW = 4, CLOCK_REALTIME_COARSE = 5, CLOCK_MONOTONIC_COARSE = 6, CLOCK_BOOTTIME = 7;
export const CLOCK_REALTIME_ALARM = 8, CLOCK_BOOTTIME_ALARM = 9, CLOCK_TAI = 11;
export const TIMER_ABSTIME = 1;

export const NSEC_PER_SEC = 1_000_000_000n;
/** USER_HZ: the unit of clock_t in times(2) and /proc (sysconf(_SC_CLK_TCK)). */
export const CLK_TCK = 100;
/** Resolution reported for the *_COARSE clocks: one jiffy at Debian's CONFIG_HZ=250. */
export const COARSE_RES_NS = 4_000_000n;
/** TAI - UTC since 2017 (adjtimex's tai offset on an NTP-synced host). */
const TAI_OFFSET_NS = 37n * NSEC_PER_SEC;
/**
 * Fallback CPU-time estimate when the scheduler has not accounted any time yet: the
 * interpreter runs very roughly 100 M guest instructions per second, so 10 ns each.
 */
const NS_PER_INSN = 10n;

const msToNs = (ms: number): bigint => BigInt(Math.round(ms * 1e6));

/** CLOCK_MONOTONIC: time since the kernel started, from performance.now() (sub-µs). */
export function monotonicNs(k: Kernel): bigint {
  return msToNs(k.uptimeMs());
}

/** CLOCK_REALTIME: the one wall clock, shared with file times (time/realtime.ts). */
export { realtimeNs };

/** CPU time of one thread in ns: the scheduler's accounting, or an icount estimate. */
export function threadCpuNs(t: Task): bigint {
  const ms = t.utimeMs + t.stimeMs;
  if (ms > 0) return msToNs(ms);
  return BigInt(t.cpu.icount) * NS_PER_INSN;
}
export function processCpuNs(p: Process): bigint {
  let ns = 0n;
  for (const th of p.threads) ns += threadCpuNs(th);
  return ns;
}

/**
 * Decode a dynamic CPU clock id (clock_getcpuclockid, pthread_getcpuclockid):
 * id = (~pid << 3) | (perthread ? 4 : 0) | type, see include/linux/posix-timers.h.
 */
function cpuClockOf(k: Kernel, t: Task, id: number): bigint | null {
  if ((id & 3) === 3) return null; // CPUCLOCK_MAX
  const pid = ~(id >> 3);
  if (id & 4) {
    const th = pid === 0 ? t : k.tasks.get(pid);
    if (!th || th.proc !== t.proc) return null;
    return threadCpuNs(th);
  }
  const p = pid === 0 ? t.proc : k.processes.get(pid);
  return p ? processCpuNs(p) : null;
}

/** Current value of a clock in ns, or null for an invalid clock id (EINVAL). */
export function clockNs(t: Task, id: number): bigint | null {
  const k = t.kernel;
  switch (id) {
    case CLOCK_REALTIME: case CLOCK_REALTIME_ALARM: return realtimeNs();
    case CLOCK_REALTIME_COARSE: return realtimeNs() / COARSE_RES_NS * COARSE_RES_NS;
    case CLOCK_TAI: return realtimeNs() + TAI_OFFSET_NS;
    // No suspend inside the engine, so BOOTTIME equals MONOTONIC; no NTP slewing, so RAW too.
    case CLOCK_MONOTONIC: case CLOCK_MONOTONIC_RAW: case CLOCK_BOOTTIME: case CLOCK_BOOTTIME_ALARM:
      return monotonicNs(k);
    case CLOCK_MONOTONIC_COARSE: return monotonicNs(k) / COARSE_RES_NS * COARSE_RES_NS;
    case CLOCK_PROCESS_CPUTIME_ID: return processCpuNs(t.proc);
    case CLOCK_THREAD_CPUTIME_ID: return threadCpuNs(t);
    default: return id < 0 ? cpuClockOf(k, t, id) : null;
  }
}

export function clockResNs(t: Task, id: number): bigint | null {
  if (clockNs(t, id) === null) return null;
  return id === CLOCK_REALTIME_COARSE || id === CLOCK_MONOTONIC_COARSE ? COARSE_RES_NS : 1n;
}

/** Clocks that run while nobody looks (usable for sleeps and timers). */
export function isRealClock(id: number): boolean {
  return id === CLOCK_REALTIME || id === CLOCK_MONOTONIC || id === CLOCK_BOOTTIME ||
    id === CLOCK_REALTIME_ALARM || id === CLOCK_BOOTTIME_ALARM || id === CLOCK_TAI;
}

/** The realtime-like clocks jump with the wall clock: their deadlines are re-read. */
export function isWallClock(id: number): boolean {
  return id === CLOCK_REALTIME || id === CLOCK_REALTIME_ALARM || id === CLOCK_TAI || id === CLOCK_REALTIME_COARSE;
}

// ---- Guest structures ----

export interface TimeVal { sec: number; nsec: number }

export const timespecSize = (t64: boolean): number => (t64 ? 16 : 8);

/** struct timespec / __kernel_timespec, unvalidated; -EFAULT on a bad pointer. */
export function readTimespec(t: Task, a: number, t64: boolean): TimeVal | number {
  const dv = getStruct(t, a, timespecSize(t64));
  if (!dv) return -EFAULT;
  if (!t64) return { sec: dv.getInt32(0, true), nsec: dv.getInt32(4, true) };
  // A 32-bit kernel keeps tv_nsec in a 32-bit long: the high half is ignored.
  return { sec: Number(dv.getBigInt64(0, true)), nsec: dv.getInt32(8, true) };
}

/** A timespec as ns, or -EINVAL when tv_nsec is out of range or (unless allowed) tv_sec < 0. */
export function timespecToNs(ts: TimeVal, allowNegative = false): bigint | number {
  if (ts.nsec < 0 || ts.nsec >= 1e9 || (!allowNegative && ts.sec < 0)) return -EINVAL;
  return BigInt(ts.sec) * NSEC_PER_SEC + BigInt(ts.nsec);
}

/** Read and validate a timespec: ns, or -EFAULT/-EINVAL. */
export function getTimespecNs(t: Task, a: number, t64: boolean): bigint | number {
  const ts = readTimespec(t, a, t64);
  return typeof ts === 'number' ? ts : timespecToNs(ts);
}

function splitNs(ns: bigint): [number, number] {
  let sec = ns / NSEC_PER_SEC, rem = ns % NSEC_PER_SEC;
  if (rem < 0n) { sec -= 1n; rem += NSEC_PER_SEC; }
  return [Number(sec), Number(rem)];
}

export function fillTimespec(dv: DataView, off: number, ns: bigint, t64: boolean): void {
  const [sec, nsec] = splitNs(ns);
  if (t64) {
    dv.setBigInt64(off, BigInt(sec), true);
    dv.setBigInt64(off + 8, BigInt(nsec), true);
  } else {
    dv.setInt32(off, sec, true);
    dv.setInt32(off + 4, nsec, true);
  }
}
export function putTimespec(t: Task, a: number, ns: bigint, t64: boolean): boolean {
  return putStruct(t, a, timespecSize(t64), (dv) => fillTimespec(dv, 0, ns, t64));
}

/** struct timeval (32-bit time_t): ns, -EFAULT, or -EINVAL for tv_usec out of range. */
export function getTimevalNs(t: Task, a: number, allowNegative = false): bigint | number {
  const dv = getStruct(t, a, 8);
  if (!dv) return -EFAULT;
  const sec = dv.getInt32(0, true), usec = dv.getInt32(4, true);
  if (usec < 0 || usec >= 1_000_000 || (!allowNegative && sec < 0)) return -EINVAL;
  return BigInt(sec) * NSEC_PER_SEC + BigInt(usec) * 1000n;
}
export function fillTimeval(dv: DataView, off: number, ns: bigint): void {
  const [sec, nsec] = splitNs(ns);
  dv.setInt32(off, sec, true);
  dv.setInt32(off + 4, Math.floor(nsec / 1000), true);
}
export function putTimeval(t: Task, a: number, ns: bigint): boolean {
  return putStruct(t, a, 8, (dv) => fillTimeval(dv, 0, ns));
}

/** Milliseconds to wait for `ns`, rounded up: a sleep must never end early. */
export function nsToWaitMs(ns: bigint): number {
  if (ns <= 0n) return 0;
  return Number((ns + 999_999n) / 1_000_000n);
}

/**
 * Time on the clock a timer runs on, without a task: wall-clock ids read realtime,
 * everything else (monotonic, boottime, and CPU clocks, which timers approximate with
 * elapsed time) reads monotonic.
 */
export function timerClockNs(k: Kernel, id: number): bigint {
  if (id === CLOCK_TAI) return realtimeNs() + TAI_OFFSET_NS;
  return isWallClock(id) ? realtimeNs() : monotonicNs(k);
}
