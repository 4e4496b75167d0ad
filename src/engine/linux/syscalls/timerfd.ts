/**
 * timerfd_create(2): a timer read as a file. read returns the expirations since the
 * last read as a u64 and blocks while there are none; poll reports POLLIN then.
 */
import { syscallTable } from './registry.js';
import type { Task } from '../task.js';
import type { Kernel } from '../kernel.js';
import { EAGAIN, EBADF, EFAULT, EINVAL, EMFILE, ERESTARTSYS } from '../errno.js';
import { O_CLOEXEC, O_NONBLOCK, POLLIN } from '../../fs/types.js';
import { putStruct } from '../uaccess.js';
import { AnonFile } from '../anonfile.js';
import { KTimer } from '../timers.js';
import { sleepOn } from '../sleep.js';
import { INTERRUPTED } from '../wait.js';
import { fillTimespec, timespecSize, CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM, TIMER_ABSTIME } from '../clock.js';
import { getItimerspec } from './timers.js';

export const TFD_CLOEXEC = O_CLOEXEC, TFD_NONBLOCK = O_NONBLOCK;
export const TFD_TIMER_ABSTIME = TIMER_ABSTIME, TFD_TIMER_CANCEL_ON_SET = 2;

export class TimerFd extends AnonFile {
  ticks = 0n;
  readonly timer: KTimer;

  constructor(k: Kernel, clock: number, flags: number) {
    super('[timerfd]', (flags & TFD_NONBLOCK) !== 0);
    this.timer = new KTimer(k, clock, (n) => { this.ticks += n; this.waitq.wake(); });
  }

  poll(): number { return this.ticks > 0n ? POLLIN : 0; }

  async read(t: Task, buf: Uint8Array): Promise<number> {
    if (buf.length < 8) return -EINVAL;
    while (this.ticks === 0n) {
      if (this.nonblock) return -EAGAIN;
      if ((await sleepOn(t, [this.waitq], null)) === INTERRUPTED) return -ERESTARTSYS;
    }
    new DataView(buf.buffer, buf.byteOffset, 8).setBigUint64(0, this.ticks, true);
    this.ticks = 0n;
    this.waitq.wake();
    return 8;
  }

  release(): void { this.timer.disarm(); }
}

function timerfdOf(t: Task, fd: number): TimerFd | number {
  const f = t.proc.files.get(fd);
  if (!f) return -EBADF;
  return f instanceof TimerFd ? f : -EINVAL;
}

function putCurrent(t: Task, a: number, tf: TimerFd, t64: boolean): boolean {
  const n = timespecSize(t64);
  const tm = tf.timer;
  const interval = tm.armed ? tm.interval : 0n;
  const r = tm.remaining();
  // Armed but due (the host timer has not run yet): report the smallest non-zero time.
  const value = tm.armed && r === 0n ? 1n : r;
  return putStruct(t, a, 2 * n, (dv) => { fillTimespec(dv, 0, interval, t64); fillTimespec(dv, n, value, t64); });
}

function settime(t: Task, fd: number, flags: number, nv: number, ov: number, t64: boolean): number {
  if (flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)) return -EINVAL;
  const tf = timerfdOf(t, fd);
  if (typeof tf === 'number') return tf;
  const spec = getItimerspec(t, nv, t64);
  if (typeof spec === 'number') return spec;
  if ((ov >>> 0) !== 0 && !putCurrent(t, ov, tf, t64)) return -EFAULT;
  // TFD_TIMER_CANCEL_ON_SET is accepted: the guest can never set the realtime clock, so
  // the cancellation it asks for never happens.
  tf.ticks = 0n;
  tf.timer.arm(spec[1], spec[0], (flags & TFD_TIMER_ABSTIME) !== 0);
  return 0;
}

function gettime(t: Task, fd: number, cur: number, t64: boolean): number {
  const tf = timerfdOf(t, fd);
  if (typeof tf === 'number') return tf;
  return putCurrent(t, cur, tf, t64) ? 0 : -EFAULT;
}

/** This module's rows of the system call table (syscalls/index.ts). */
export const timerfdSyscalls = syscallTable({
  timerfd_create: (t, clock, flags) => {
    if (clock !== CLOCK_REALTIME && clock !== CLOCK_MONOTONIC && clock !== CLOCK_BOOTTIME &&
      clock !== CLOCK_REALTIME_ALARM && clock !== CLOCK_BOOTTIME_ALARM) return -EINVAL;
    if (flags & ~(TFD_CLOEXEC | TFD_NONBLOCK)) return -EINVAL;
    const fd = t.proc.files.alloc(new TimerFd(t.kernel, clock, flags), 0, (flags & TFD_CLOEXEC) !== 0);
    return fd < 0 ? -EMFILE : fd;
  },
  timerfd_settime: (t, fd, flags, nv, ov) => settime(t, fd, flags, nv, ov, false),
  timerfd_settime64: (t, fd, flags, nv, ov) => settime(t, fd, flags, nv, ov, true),
  timerfd_gettime: (t, fd, cur) => gettime(t, fd, cur, false),
  timerfd_gettime64: (t, fd, cur) => gettime(t, fd, cur, true),
});
