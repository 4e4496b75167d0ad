/**
 * Processes and threads. A Process owns the address space, descriptor table, signal
 * actions and credentials (each shareable per clone flags); a Task is one thread with
 * its own CPU state, signal mask and pending signals.
 */
import type { AddressSpace } from '../mem/address-space.js';
import type { Cpu } from '../cpu/cpu.js';
import type { FdTable } from '../fs/types.js';
import { InterruptQueue, WaitQueue } from '../wait/queue.js';
import type { Kernel } from './kernel.js';

/** struct k_sigaction as the kernel keeps it. */
export interface SigAction {
  handler: number; // SIG_DFL = 0, SIG_IGN = 1, or a guest address
  flags: number;
  restorer: number;
  mask: bigint;
}

/** What the kernel knows about a signal being delivered (the parts of siginfo we fill). */
export interface SigInfo {
  signo: number;
  code: number;
  errno?: number;
  pid?: number;
  uid?: number;
  status?: number;
  addr?: number;
  utime?: number;
  stime?: number;
  /** si_value / sival_int for sigqueue and timers. */
  value?: number;
  fd?: number;
  band?: number;
}

export interface Creds {
  uid: number; euid: number; suid: number; fsuid: number;
  gid: number; egid: number; sgid: number; fsgid: number;
  groups: number[];
}

/** Per-process file-system context (CLONE_FS shares it). */
export interface FsContext {
  /** Absolute, normalised path of the working directory. */
  cwd: string;
  root: string;
  umask: number;
}

export type TaskState = 'running' | 'blocked' | 'stopped' | 'zombie';

import { fsizeAllows } from './rlimits.js';

export class Task {
  readonly tid: number;
  proc: Process;
  cpu: Cpu;
  state: TaskState = 'running';
  /** Blocked signals (bit n-1 for signal n). */
  sigmask = 0n;
  /** Thread-directed pending signals. */
  pending: SigInfo[] = [];
  altstack = { sp: 0, size: 0, flags: 2 /* SS_DISABLE */ };
  /** set_tid_address / CLONE_CHILD_CLEARTID: cleared and futex-woken at exit. */
  clearChildTid = 0;
  robustList = 0;
  robustListLen = 0;
  /** Woken when a signal becomes deliverable to this task (interrupts waits). */
  readonly interrupt: WaitQueue = new InterruptQueue(() => this.proc.kernel.sched?.signals.hasDeliverable(this) ?? false);
  /** Mask to restore after a handler runs when sigsuspend/pselect replaced it. */
  savedMask: bigint | null = null;
  /** Start time (ms since kernel start), for /proc. */
  startTime = 0;
  /** CPU time used, in ms (approximated from instruction counts and wall time in slices). */
  utimeMs = 0;
  stimeMs = 0;
  /** The vfork parent waits on this until exec or exit. */
  vforkDone: WaitQueue | null = null;
  comm = '';
  /** EAX at system-call entry (orig_eax), for restarts. */
  origEax = 0;
  /**
   * The last CPU exception's trap number, error code and (page faults only) address:
   * Linux's thread.trap_nr, error_code and cr2, which every signal frame's sigcontext
   * carries whatever the signal (a kill() after a page fault shows that fault's values).
   */
  trap = { nr: 0, err: 0, cr2: 0 };

  constructor(tid: number, proc: Process, cpu: Cpu) {
    this.tid = tid;
    this.proc = proc;
    this.cpu = cpu;
  }

  get kernel(): Kernel { return this.proc.kernel; }
  get mem(): AddressSpace { return this.cpu.mem; }
  // The rest of fs/types.ts Caller: what file operations may ask of the calling thread.
  get pid(): number { return this.proc.pid; }
  get creds(): Creds { return this.proc.creds; }
  /**
   * A signal the kernel sends the calling thread for what it just did (SIGPIPE on a write to
   * a pipe without readers): send_sig(sig, current, 0), so si_code SI_USER with the
   * caller's own pid and uid, as Linux reports it.
   */
  raise(signo: number): void {
    this.kernel.signalTask(this, { signo, code: 0, pid: this.proc.pid, uid: this.proc.creds.uid });
  }

  /**
   * RLIMIT_FSIZE for file systems: bytes of `len` this task may write at `pos` of a regular
   * file, or -EFBIG (after SIGXFSZ). See rlimits.ts.
   */
  limitFileWrite(pos: number, len: number): number { return fsizeAllows(this, pos, len); }
}

/** A wait status word as a shell reports it: the exit code, or 128 + the signal that killed it. */
export function shellExitCode(status: number): number {
  return status & 0x7f ? 128 + (status & 0x7f) : (status >> 8) & 0xff;
}

export class Process {
  readonly kernel: Kernel;
  readonly pid: number;
  parent: Process | null;
  pgid: number;
  sid: number;
  readonly children = new Set<Process>();
  threads: Task[] = [];
  mem: AddressSpace;
  files: FdTable;
  fs: FsContext;
  /** Signal actions, 1..64; shared by CLONE_SIGHAND. */
  sigactions: { a: SigAction[] };
  /** Process-directed pending signals. */
  pending: SigInfo[] = [];
  creds: Creds;
  /** Exit status word as wait4 reports it, once a zombie. */
  exitStatus = 0;
  zombie = false;
  /** Stop/continue state changes not yet reported to the parent (WUNTRACED/WCONTINUED). */
  stopReport: number | null = null;
  continued = false;
  /** Signal sent to the parent on exit (SIGCHLD normally). */
  exitSignal = 17;
  /** Woken when a child changes state (wait4). */
  readonly childEvent = new WaitQueue();
  exe = '';
  argv: string[] = [];
  envp: string[] = [];
  /** Controlling terminal, if any (an object owned by the tty layer). */
  ctty: unknown = null;
  rlimits = new Map<number, [number, number]>();
  personality = 0;
  /** Alarm and interval timers (ITIMER_REAL etc.), owned by the time syscalls. */
  timers: Record<string, unknown> = {};
  /** Accumulated times of waited-for children (for times(2)). */
  cutimeMs = 0;
  cstimeMs = 0;
  startTime = 0;

  constructor(kernel: Kernel, pid: number, parent: Process | null, mem: AddressSpace, files: FdTable, fs: FsContext, creds: Creds) {
    this.kernel = kernel;
    this.pid = pid;
    this.parent = parent;
    this.pgid = parent ? parent.pgid : pid;
    this.sid = parent ? parent.sid : pid;
    this.mem = mem;
    this.files = files;
    this.fs = fs;
    this.creds = creds;
    this.sigactions = { a: Array.from({ length: 65 }, () => ({ handler: 0, flags: 0, restorer: 0, mask: 0n })) };
  }

  get leader(): Task | undefined { return this.threads[0]; }
  get alive(): boolean { return !this.zombie; }
}
