/**
 * futex(2) and futex_time64: wait, wake, requeue, wake-op and the bitset variants.
 * Queues and keys are in ../futex.ts. The PI operations (LOCK_PI, UNLOCK_PI, ...) are
 * not implemented yet: glibc uses them only for PTHREAD_PRIO_INHERIT mutexes.
 *
 * Arguments: futex(uaddr, op, val, timeout-or-val2, uaddr2, val3).
 */
import { syscallTable } from './registry.js';
import type { Task } from '../task.js';
import { EAGAIN, EFAULT, EINVAL, ENOSYS, ERESTARTSYS, ERESTART_RESTARTBLOCK, ETIMEDOUT } from '../errno.js';
import { getI32, putU32 } from '../uaccess.js';
import { futexEnqueue, futexDequeue, futexWake, futexRequeue, hookFutex, FUTEX_BITSET_MATCH_ANY } from '../futex.js';
import { clockNs, getTimespecNs, CLOCK_MONOTONIC, CLOCK_REALTIME } from '../clock.js';
import { sleepOn, setRestart, type Deadline } from '../sleep.js';
import { INTERRUPTED, TIMEOUT } from '../wait.js';

export const FUTEX_WAIT = 0, FUTEX_WAKE = 1, FUTEX_FD = 2, FUTEX_REQUEUE = 3, FUTEX_CMP_REQUEUE = 4;
export const FUTEX_WAKE_OP = 5, FUTEX_LOCK_PI = 6, FUTEX_UNLOCK_PI = 7, FUTEX_TRYLOCK_PI = 8;
export const FUTEX_WAIT_BITSET = 9, FUTEX_WAKE_BITSET = 10, FUTEX_WAIT_REQUEUE_PI = 11;
export const FUTEX_CMP_REQUEUE_PI = 12, FUTEX_LOCK_PI2 = 13;
export const FUTEX_PRIVATE_FLAG = 128, FUTEX_CLOCK_REALTIME = 256;
const FUTEX_CMD_MASK = ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);

// FUTEX_WAKE_OP encoding (uapi/linux/futex.h).
const FUTEX_OP_SET = 0, FUTEX_OP_ADD = 1, FUTEX_OP_OR = 2, FUTEX_OP_ANDN = 3, FUTEX_OP_XOR = 4;
const FUTEX_OP_OPARG_SHIFT = 8;
const FUTEX_OP_CMP_EQ = 0, FUTEX_OP_CMP_NE = 1, FUTEX_OP_CMP_LT = 2, FUTEX_OP_CMP_LE = 3;
const FUTEX_OP_CMP_GT = 4, FUTEX_OP_CMP_GE = 5;

const misaligned = (a: number): boolean => (a & 3) !== 0;

/**
 * Sleep on a futex word if it still holds `val`. Interruption: without a timeout the
 * call restarts (-ERESTARTSYS); with one it leaves a restart block that waits again
 * until the same deadline (futex_wait_restart), or becomes EINTR if a handler runs.
 */
function wait(t: Task, uaddr: number, val: number, deadline: Deadline | null, bitset: number): number | Promise<number> {
  if (misaligned(uaddr)) return -EINVAL;
  if (bitset === 0) return -EINVAL;
  const cur = getI32(t, uaddr);
  if (cur === null) return -EFAULT;
  if (cur !== (val | 0)) return -EAGAIN;
  // Checked and queued with no await in between: nothing can change the word or wake
  // the queue in that gap, which is what the kernel's hash-bucket lock guarantees.
  const w = futexEnqueue(t.mem, uaddr, bitset);
  return sleepOn(t, [w.q], deadline).then((r) => {
    if (w.woken) return 0;
    futexDequeue(w);
    if (r === TIMEOUT) return -ETIMEDOUT;
    if (r === INTERRUPTED) {
      if (!deadline) return -ERESTARTSYS;
      setRestart(t, () => wait(t, uaddr, val, deadline, bitset));
      return -ERESTART_RESTARTBLOCK;
    }
    return 0;
  });
}

function wakeOp(t: Task, uaddr: number, uaddr2: number, nWake: number, nWake2: number, encoded: number): number {
  if (misaligned(uaddr) || misaligned(uaddr2)) return -EINVAL;
  const opField = (encoded >>> 28) & 0xf;
  const cmp = (encoded >>> 24) & 0xf;
  let oparg = ((encoded >>> 12) & 0xfff) << 20 >> 20; // sign-extend 12 bits
  const cmparg = (encoded & 0xfff) << 20 >> 20;
  if (opField & FUTEX_OP_OPARG_SHIFT) oparg = 1 << (oparg & 31); // the kernel masks out-of-range shifts
  const op = opField & 7;
  if (op > FUTEX_OP_XOR || cmp > FUTEX_OP_CMP_GE) return -ENOSYS;
  const old = getI32(t, uaddr2);
  if (old === null) return -EFAULT;
  let nv: number;
  switch (op) {
    case FUTEX_OP_SET: nv = oparg; break;
    case FUTEX_OP_ADD: nv = (old + oparg) | 0; break;
    case FUTEX_OP_OR: nv = old | oparg; break;
    case FUTEX_OP_ANDN: nv = old & ~oparg; break;
    default: nv = old ^ oparg; break;
  }
  if (!putU32(t, uaddr2, nv)) return -EFAULT;
  let hit: boolean;
  switch (cmp) {
    case FUTEX_OP_CMP_EQ: hit = old === cmparg; break;
    case FUTEX_OP_CMP_NE: hit = old !== cmparg; break;
    case FUTEX_OP_CMP_LT: hit = old < cmparg; break;
    case FUTEX_OP_CMP_LE: hit = old <= cmparg; break;
    case FUTEX_OP_CMP_GT: hit = old > cmparg; break;
    default: hit = old >= cmparg; break;
  }
  // futex_wake_op's loops break after `++ret >= nr_wake`: a count <= 0 still wakes one.
  let n = futexWake(t.mem, uaddr, Math.max(nWake, 1));
  if (hit) n += futexWake(t.mem, uaddr2, Math.max(nWake2, 1));
  return n;
}

function futex(t: Task, uaddr: number, op: number, val: number, utime: number, uaddr2: number, val3: number, t64: boolean): number | Promise<number> {
  hookFutex(t.kernel);
  const cmd = op & FUTEX_CMD_MASK;
  const realtime = (op & FUTEX_CLOCK_REALTIME) !== 0;
  if (realtime && cmd !== FUTEX_WAIT && cmd !== FUTEX_WAIT_BITSET && cmd !== FUTEX_WAIT_REQUEUE_PI && cmd !== FUTEX_LOCK_PI2) return -ENOSYS;
  uaddr >>>= 0; uaddr2 >>>= 0;
  switch (cmd) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET: {
      let deadline: Deadline | null = null;
      if ((utime >>> 0) !== 0) {
        const ns = getTimespecNs(t, utime, t64);
        if (typeof ns === 'number') return ns;
        // FUTEX_WAIT's timeout is relative (to CLOCK_MONOTONIC even with the REALTIME
        // flag, futex_init_timeout); WAIT_BITSET's is absolute on the chosen clock.
        if (cmd === FUTEX_WAIT) deadline = { clock: CLOCK_MONOTONIC, ns: (clockNs(t, CLOCK_MONOTONIC) ?? 0n) + ns };
        else deadline = { clock: realtime ? CLOCK_REALTIME : CLOCK_MONOTONIC, ns };
      }
      return wait(t, uaddr, val, deadline, cmd === FUTEX_WAIT ? FUTEX_BITSET_MATCH_ANY : val3 >>> 0);
    }
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET: {
      if (misaligned(uaddr)) return -EINVAL;
      const bitset = cmd === FUTEX_WAKE ? FUTEX_BITSET_MATCH_ANY : val3 >>> 0;
      if (bitset === 0) return -EINVAL;
      // futex_wake breaks after `++ret >= nr_wake`, so a count <= 0 wakes one.
      return futexWake(t.mem, uaddr, Math.max(val, 1), bitset);
    }
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE: {
      if (misaligned(uaddr) || misaligned(uaddr2)) return -EINVAL;
      if (val < 0 || utime < 0) return -EINVAL;
      if (cmd === FUTEX_CMP_REQUEUE) {
        const cur = getI32(t, uaddr);
        if (cur === null) return -EFAULT;
        if (cur !== (val3 | 0)) return -EAGAIN;
      }
      return futexRequeue(t.mem, uaddr, uaddr2, val, utime);
    }
    case FUTEX_WAKE_OP:
      return wakeOp(t, uaddr, uaddr2, val, utime, val3);
    default:
      t.kernel.warnOnce(`futex:${cmd}`, `futex: operation ${cmd} not implemented`);
      return -ENOSYS;
  }
}

/** This module's rows of the system call table (syscalls/index.ts). */
export const futexSyscalls = syscallTable({
  futex: (t, a, op, val, ut, a2, v3) => futex(t, a, op, val, ut, a2, v3, false),
  futex_time64: (t, a, op, val, ut, a2, v3) => futex(t, a, op, val, ut, a2, v3, true),
});
