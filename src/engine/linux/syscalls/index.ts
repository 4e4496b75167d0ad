/**
 * The system call table: every module's rows, assembled here explicitly (a name defined
 * twice is an error at load), and the support status of every i386 system call
 * (status.ts), from which `webx86 syscalls` and docs/SYSCALLS.md are made.
 */
import type { SyscallFn, SyscallRows } from './registry.js';
import { processSyscalls } from './process.js';
import { signalSyscalls } from './signal.js';
import { mmSyscalls } from './mm.js';
import { miscSyscalls } from './misc.js';
import { timeSyscalls } from './time.js';
import { timersSyscalls } from './timers.js';
import { timerfdSyscalls } from './timerfd.js';
import { eventfdSyscalls } from './eventfd.js';
import { futexSyscalls } from './futex.js';
import { pollSyscalls } from './poll.js';
import { fsSyscalls } from './fs.js';
import { epollSyscalls } from './epoll.js';
import { schedSyscalls } from './sched.js';
import { xattrSyscalls } from './xattr.js';
import { socketSyscalls } from './socket.js';
import { ipcSyscalls } from './ipc.js';

const MODULES: Record<string, SyscallRows> = {
  process: processSyscalls, signal: signalSyscalls, mm: mmSyscalls, misc: miscSyscalls, time: timeSyscalls,
  timers: timersSyscalls, timerfd: timerfdSyscalls, eventfd: eventfdSyscalls, futex: futexSyscalls,
  poll: pollSyscalls, fs: fsSyscalls, epoll: epollSyscalls, sched: schedSyscalls, xattr: xattrSyscalls,
  socket: socketSyscalls, ipc: ipcSyscalls,
};

/** Handler by system call name. */
export const HANDLERS: ReadonlyMap<string, SyscallFn> = build();
/** Which module defines each system call (for the status table). */
export const MODULE_OF: ReadonlyMap<string, string> = new Map(
  Object.entries(MODULES).flatMap(([mod, rows]) => Object.keys(rows).map((name) => [name, mod] as const)),
);

function build(): Map<string, SyscallFn> {
  const m = new Map<string, SyscallFn>();
  for (const [mod, rows] of Object.entries(MODULES)) {
    for (const [name, fn] of Object.entries(rows)) {
      if (m.has(name)) throw new Error(`system call ${name} defined twice (again in syscalls/${mod}.ts)`);
      m.set(name, fn);
    }
  }
  return m;
}
