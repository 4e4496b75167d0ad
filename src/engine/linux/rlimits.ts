/**
 * Resource limits (getrlimit(2)): the table of defaults and the checks that make them hold.
 *
 * Where each is enforced, as in Linux 6.1:
 * - RLIMIT_NPROC: clone/fork/vfork fail with EAGAIN when the caller's real user already
 *   has that many tasks (threads count; zombies count until reaped), unless the user is
 *   root or the caller has CAP_SYS_RESOURCE/CAP_SYS_ADMIN (euid 0 here): copy_process()
 *   in kernel/fork.c.
 * - RLIMIT_NOFILE: the descriptor table's `limit` (EMFILE at it; dup2/F_DUPFD past it give
 *   EBADF/EINVAL), set by setrlimit.
 * - RLIMIT_FSIZE: writes and truncates of regular files past the limit fail with EFBIG
 *   after SIGXFSZ to the writing thread; a write that crosses it is cut short
 *   (generic_write_check_limits(), inode_newsize_ok()).
 * - RLIMIT_AS: mmap, brk, mremap and stack growth fail (ENOMEM / SIGSEGV) when the bytes
 *   mapped would pass it (may_expand_vm() in mm/mmap.c).
 * - RLIMIT_CPU: checked by the scheduler after each slice against the process's CPU
 *   time, which is the engine time its threads ran (what times(2), getrusage(2) and
 *   CLOCK_PROCESS_CPUTIME_ID report), not a count of guest instructions: the limit then
 *   means what the guest's own clocks say. SIGXCPU at the soft limit, after which the
 *   soft limit moves up one second (so SIGXCPU repeats each second), SIGKILL at the hard
 *   limit (check_process_timers() in kernel/time/posix-cpu-timers.c).
 */
import type { Process, Task } from './task.js';

// The numbers live in the ABI leaf; re-exported for the kernel modules that take them from here.
export * from '../abi/rlimits.js';
import {
  RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_DATA, RLIMIT_STACK, RLIMIT_CORE, RLIMIT_RSS, RLIMIT_NPROC, RLIMIT_NOFILE, RLIMIT_MEMLOCK,
  RLIMIT_AS, RLIMIT_NLIMITS, RLIM_INFINITY,
} from '../abi/rlimits.js';

const SIGXCPU = 24, SIGKILL = 9, SIGXFSZ = 25;
const SI_KERNEL = 0x80;

/** [soft, hard] defaults by RLIMIT_* number, as a Debian system's init passes them on. */
export const DEFAULT_LIMITS: readonly (readonly [number, number])[] = [
  [RLIM_INFINITY, RLIM_INFINITY], [RLIM_INFINITY, RLIM_INFINITY], [RLIM_INFINITY, RLIM_INFINITY], [8 << 20, RLIM_INFINITY],
  [0, RLIM_INFINITY], [RLIM_INFINITY, RLIM_INFINITY], [63304, 63304], [1024, 1048576],
  [8 << 20, 8 << 20], [RLIM_INFINITY, RLIM_INFINITY], [RLIM_INFINITY, RLIM_INFINITY], [63304, 63304],
  [819200, 819200], [0, 0], [0, 0], [RLIM_INFINITY, RLIM_INFINITY],
];

export function limitOf(p: Process, r: number): readonly [number, number] {
  return p.rlimits.get(r) ?? DEFAULT_LIMITS[r];
}
const soft = (p: Process, r: number): number => limitOf(p, r)[0];

/** Tasks of real user `uid` (threads, and zombies not yet reaped), as the NPROC ucount. */
function tasksOfUser(t: Task, uid: number): number {
  let n = 0;
  for (const p of t.kernel.processes.values()) {
    if (p.creds.uid !== uid) continue;
    n += p.zombie ? 1 : Math.max(1, p.threads.length);
  }
  return n;
}

/** May `t` create one more task? False means fork/clone fail with EAGAIN. */
export function nprocAllows(t: Task): boolean {
  const c = t.proc.creds;
  if (c.uid === 0 || c.euid === 0) return true;
  const max = soft(t.proc, RLIMIT_NPROC);
  return max >= RLIM_INFINITY || tasksOfUser(t, c.uid) < max;
}

/**
 * How many of `len` bytes `t` may write at `pos` of a regular file: all, fewer (a write
 * crossing the limit is cut short), or -EFBIG after SIGXFSZ when `pos` is at or past it.
 */
export function fsizeAllows(t: Task, pos: number, len: number): number {
  const max = soft(t.proc, RLIMIT_FSIZE);
  if (max >= RLIM_INFINITY || pos + len <= max) return len;
  if (pos >= max) {
    t.kernel.signalTask(t, { signo: SIGXFSZ, code: 0, pid: 0, uid: 0 });
    return -EFBIG;
  }
  return max - pos;
}

/** May a regular file grow to `size` bytes (truncate)? -EFBIG after SIGXFSZ if not. */
export function fsizeAllowsSize(t: Task, size: number): number {
  const max = soft(t.proc, RLIMIT_FSIZE);
  if (max >= RLIM_INFINITY || size <= max) return 0;
  t.kernel.signalTask(t, { signo: SIGXFSZ, code: 0, pid: 0, uid: 0 });
  return -EFBIG;
}
const EFBIG = 27;

/** Bytes of address space `t`'s process may still map (RLIMIT_AS), Infinity without a limit. */
export function addressSpaceRoom(t: Task): number {
  const max = soft(t.proc, RLIMIT_AS);
  if (max >= RLIM_INFINITY) return Infinity;
  return max - t.mem.mappedBytes();
}

/** Process CPU time in ms as the limit counts it (the threads' engine time). */
const cpuMs = (p: Process): number => p.threads.reduce((ms, th) => ms + th.utimeMs + th.stimeMs, 0);

/** After a slice of `t`: SIGXCPU at the soft CPU limit (moving it up a second), SIGKILL at the hard. */
export function checkCpuLimit(t: Task): void {
  const p = t.proc;
  const lim = p.rlimits.get(RLIMIT_CPU);
  if (!lim || lim[0] >= RLIM_INFINITY) return;
  const [cur, max] = lim;
  const sec = cpuMs(p) / 1000;
  if (sec >= max) {
    t.kernel.signalProcess(p, { signo: SIGKILL, code: SI_KERNEL });
  } else if (sec >= cur) {
    t.kernel.signalProcess(p, { signo: SIGXCPU, code: SI_KERNEL });
    p.rlimits.set(RLIMIT_CPU, [cur + 1, max]);
  }
}
