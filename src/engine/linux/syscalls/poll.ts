/**
 * poll(2), ppoll(2), select(2) (the old one-argument form and _newselect), pselect6(2).
 * Readiness comes from File.poll(); a call with nothing ready sleeps on every file's
 * wait queue, the task's interrupt queue and the timeout, then looks again.
 *
 * Timeouts are written back as Linux does (poll_select_finish in fs/select.c): select,
 * pselect6 and ppoll store the time left, unless the timeout was zero.
 */
import { syscallTable } from './registry.js';
import type { Task } from '../task.js';
import { EBADF, EFAULT, EINTR, EINVAL, ERESTARTNOHAND, ERESTART_RESTARTBLOCK } from '../errno.js';
import { copyIn, copyOut, getStruct, putStruct } from '../uaccess.js';
import {
  POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, POLLPRI, POLLRDBAND, POLLRDNORM, POLLWRBAND, POLLWRNORM,
  type File,
} from '../../fs/types.js';
import type { WaitQueue } from '../wait.js';
import { INTERRUPTED } from '../wait.js';
import { clockNs, fillTimeval, fillTimespec, readTimespec, timespecSize, CLOCK_MONOTONIC, NSEC_PER_SEC } from '../clock.js';
import { sleepOn, remainingNs, readSigset, setTempMask, endTempMask, setRestart, type Deadline } from '../sleep.js';

/**
 * A file's readiness with the *NORM bits filled in: Linux drivers report POLLIN together
 * with POLLRDNORM (and POLLOUT with POLLWRNORM), and programs may ask for either.
 */
export function filePoll(f: File): number {
  let m = f.poll();
  if (m & POLLIN) m |= POLLRDNORM;
  if (m & POLLOUT) m |= POLLWRNORM;
  return m;
}

/** A deadline `ns` from now on CLOCK_MONOTONIC; null for an infinite wait. */
function deadlineIn(t: Task, ns: bigint | null): Deadline | null {
  return ns === null ? null : { clock: CLOCK_MONOTONIC, ns: (clockNs(t, CLOCK_MONOTONIC) ?? 0n) + ns };
}

/** Has a zero timeout (poll once) or a passed deadline? */
function expired(t: Task, d: Deadline | null): boolean {
  return d !== null && (clockNs(t, d.clock) ?? 0n) >= d.ns;
}

// ---- poll ----

async function doPoll(t: Task, ufds: number, nfds: number, deadline: Deadline | null): Promise<number> {
  nfds >>>= 0;
  if (nfds > t.proc.files.limit) return -EINVAL;
  const raw = copyIn(t, ufds, nfds * 8);
  if (!raw) return -EFAULT;
  const dv = new DataView(raw.buffer);
  let ret: number;
  for (;;) {
    let count = 0;
    const queues: WaitQueue[] = [];
    for (let i = 0; i < nfds; i++) {
      const fd = dv.getInt32(i * 8, true);
      const events = dv.getUint16(i * 8 + 4, true);
      let rev = 0;
      if (fd >= 0) {
        const f = t.proc.files.get(fd);
        if (!f) rev = POLLNVAL;
        else {
          rev = filePoll(f) & (events | POLLERR | POLLHUP);
          queues.push(f.waitq);
        }
      }
      dv.setUint16(i * 8 + 6, rev, true);
      if (rev) count++;
    }
    if (count > 0 || expired(t, deadline)) { ret = count; break; }
    if ((await sleepOn(t, queues, deadline)) === INTERRUPTED) { ret = -ERESTARTNOHAND; break; }
  }
  // Linux writes every revents back, also when interrupted; only the revents fields, as
  // another thread may have changed fd and events meanwhile.
  for (let i = 0; i < nfds; i++) {
    if (!copyOut(t, ufds + i * 8 + 6, raw.subarray(i * 8 + 6, i * 8 + 8))) return -EFAULT;
  }
  return ret;
}

/**
 * poll(2) with a timeout continues after a signal without handler until the same end
 * time (do_restart_poll); without a timeout a plain restart is exact.
 */
async function pollRestartable(t: Task, ufds: number, nfds: number, d: Deadline | null): Promise<number> {
  const r = await doPoll(t, ufds, nfds, d);
  if (r !== -ERESTARTNOHAND || d === null) return r;
  setRestart(t, () => pollRestartable(t, ufds, nfds, d));
  return -ERESTART_RESTARTBLOCK;
}

/** ppoll/pselect6: install the temporary mask, run, write the time left back. */
async function withMaskAndTimeout(
  t: Task, mask: bigint | null, deadline: Deadline | null, tsp: number,
  put: (ns: bigint) => boolean, run: () => Promise<number>,
): Promise<number> {
  if (mask !== null) setTempMask(t, mask);
  let ret = await run();
  const keep = ret === -ERESTARTNOHAND;
  endTempMask(t, keep);
  ret = finishTimeout(t, deadline, tsp, put, ret);
  return ret;
}

/**
 * Store the time left (poll_select_finish). A zero timeout is left alone; if the store
 * faults the call cannot be restarted with the right timeout, so -ERESTARTNOHAND
 * becomes -EINTR.
 */
function finishTimeout(t: Task, deadline: Deadline | null, tsp: number, put: (ns: bigint) => boolean, ret: number): number {
  if ((tsp >>> 0) === 0 || deadline === null || deadline.zero) return ret;
  if (!put(remainingNs(t, deadline)) && ret === -ERESTARTNOHAND) return -EINTR;
  return ret;
}

/** The deadline of a ppoll/pselect6 timespec argument (null: no timeout), or -errno. */
function timespecDeadline(t: Task, tsp: number, t64: boolean): Deadline | null | number {
  if ((tsp >>> 0) === 0) return null;
  const ts = readTimespec(t, tsp, t64);
  if (typeof ts === 'number') return ts;
  if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= 1e9) return -EINVAL;
  const ns = BigInt(ts.sec) * NSEC_PER_SEC + BigInt(ts.nsec);
  return { ...deadlineIn(t, ns)!, zero: ns === 0n };
}

function ppoll(t: Task, ufds: number, nfds: number, tsp: number, sigmask: number, sigsetsize: number, t64: boolean): number | Promise<number> {
  const deadline = timespecDeadline(t, tsp, t64);
  if (typeof deadline === 'number') return deadline;
  let mask: bigint | null = null;
  if ((sigmask >>> 0) !== 0) {
    const m = readSigset(t, sigmask, sigsetsize);
    if (typeof m === 'number') return m;
    mask = m;
  }
  return withMaskAndTimeout(t, mask, deadline, tsp, (ns) => putTimespecAt(t, tsp, ns, t64), () => doPoll(t, ufds, nfds, deadline));
}

function putTimespecAt(t: Task, a: number, ns: bigint, t64: boolean): boolean {
  return putStruct(t, a, timespecSize(t64), (dv) => fillTimespec(dv, 0, ns, t64));
}

// ---- select ----

// fs/select.c: which poll bits make a descriptor count as readable, writable, exceptional.
const POLLIN_SET = POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR;
const POLLOUT_SET = POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR;
const POLLEX_SET = POLLPRI;

/** fd_set: an array of 32-bit longs, fd n at bit n%32 of long n/32 (little-endian bytes). */
const fdBytes = (n: number): number => Math.ceil(n / 32) * 4;
const bit = (set: Uint8Array, fd: number): boolean => (set[fd >> 3] & (1 << (fd & 7))) !== 0;

async function coreSelect(t: Task, n: number, inp: number, outp: number, exp: number, deadline: Deadline | null): Promise<number> {
  if (n < 0) return -EINVAL;
  n = Math.min(n, t.proc.files.limit);
  const size = fdBytes(n);
  const read = (a: number): Uint8Array | null => ((a >>> 0) === 0 ? new Uint8Array(size) : copyIn(t, a, size));
  const sets = [read(inp), read(outp), read(exp)];
  if (!sets[0] || !sets[1] || !sets[2]) return -EFAULT;
  const [rIn, wIn, eIn] = sets as Uint8Array[];
  for (;;) {
    const res = [new Uint8Array(size), new Uint8Array(size), new Uint8Array(size)];
    const queues: WaitQueue[] = [];
    let count = 0;
    for (let fd = 0; fd < n; fd++) {
      const r = bit(rIn, fd), w = bit(wIn, fd), e = bit(eIn, fd);
      if (!r && !w && !e) continue;
      const f = t.proc.files.get(fd);
      if (!f) return -EBADF;
      queues.push(f.waitq);
      const m = filePoll(f);
      const b = 1 << (fd & 7), i = fd >> 3;
      if (r && m & POLLIN_SET) { res[0][i] |= b; count++; }
      if (w && m & POLLOUT_SET) { res[1][i] |= b; count++; }
      if (e && m & POLLEX_SET) { res[2][i] |= b; count++; }
    }
    if (count > 0 || expired(t, deadline)) {
      const addrs = [inp, outp, exp];
      for (let k = 0; k < 3; k++) {
        if ((addrs[k] >>> 0) !== 0 && !copyOut(t, addrs[k], res[k])) return -EFAULT;
      }
      return count;
    }
    // Interrupted: the sets are left as they were (core_sys_select bails out before set_fd_set).
    if ((await sleepOn(t, queues, deadline)) === INTERRUPTED) return -ERESTARTNOHAND;
  }
}

/** select's timeval: tv_usec >= 1e6 carries into seconds; anything negative is EINVAL (kern_select). */
function selectDeadline(t: Task, tvp: number): Deadline | null | number {
  if ((tvp >>> 0) === 0) return null;
  const dv = getStruct(t, tvp, 8);
  if (!dv) return -EFAULT;
  const sec = dv.getInt32(0, true), usec = dv.getInt32(4, true);
  const s = sec + Math.trunc(usec / 1e6), ns = (usec % 1e6) * 1000;
  if (s < 0 || ns < 0) return -EINVAL;
  const total = BigInt(s) * NSEC_PER_SEC + BigInt(ns);
  return { ...deadlineIn(t, total)!, zero: total === 0n };
}

async function select(t: Task, n: number, inp: number, outp: number, exp: number, tvp: number): Promise<number> {
  const deadline = selectDeadline(t, tvp);
  if (typeof deadline === 'number') return deadline;
  const ret = await coreSelect(t, n, inp, outp, exp, deadline);
  return finishTimeout(t, deadline, tvp, (ns) => putStruct(t, tvp, 8, (dv) => fillTimeval(dv, 0, ns)), ret);
}

function pselect6(t: Task, n: number, inp: number, outp: number, exp: number, tsp: number, sig: number, t64: boolean): number | Promise<number> {
  const deadline = timespecDeadline(t, tsp, t64);
  if (typeof deadline === 'number') return deadline;
  let mask: bigint | null = null;
  if ((sig >>> 0) !== 0) {
    // The sixth argument points to {const sigset_t *ss; size_t ss_len} (two 32-bit words).
    const dv = getStruct(t, sig, 8);
    if (!dv) return -EFAULT;
    const ss = dv.getUint32(0, true), len = dv.getUint32(4, true);
    if (ss !== 0) {
      const m = readSigset(t, ss, len);
      if (typeof m === 'number') return m;
      mask = m;
    }
  }
  return withMaskAndTimeout(t, mask, deadline, tsp, (ns) => putTimespecAt(t, tsp, ns, t64), () => coreSelect(t, n, inp, outp, exp, deadline));
}

/** This module's rows of the system call table (syscalls/index.ts). */
export const pollSyscalls = syscallTable({
  poll: (t, ufds, nfds, timeout) => {
    const d = timeout < 0 ? null : deadlineIn(t, BigInt(timeout) * 1_000_000n);
    return pollRestartable(t, ufds, nfds, d);
  },
  ppoll: (t, ufds, nfds, tsp, mask, size) => ppoll(t, ufds, nfds, tsp, mask, size, false),
  ppoll_time64: (t, ufds, nfds, tsp, mask, size) => ppoll(t, ufds, nfds, tsp, mask, size, true),
  // i386 select (82) is old_select: one pointer to {n, inp, outp, exp, tvp}.
  select: (t, args) => {
    const dv = getStruct(t, args, 20);
    if (!dv) return -EFAULT;
    const a = (i: number): number => dv.getInt32(i * 4, true);
    return select(t, a(0), a(1), a(2), a(3), a(4));
  },
  _newselect: (t, n, inp, outp, exp, tvp) => select(t, n, inp, outp, exp, tvp),
  pselect6: (t, n, inp, outp, exp, tsp, sig) => pselect6(t, n, inp, outp, exp, tsp, sig, false),
  pselect6_time64: (t, n, inp, outp, exp, tsp, sig) => pselect6(t, n, inp, outp, exp, tsp, sig, true),
});
