/**
 * The kernel: process table, scheduler, signal routing and the VFS, wired in one place.
 * (Skeleton: filled in by linux/scheduler.ts, linux/signals.ts, linux/exec.ts.)
 */
import { Vfs } from '../fs/vfs.js';
import type { Process, SigInfo, Task } from './task.js';

export interface KernelOptions {
  /** Called once per unknown system call number (debug log). */
  debug?: (msg: string) => void;
  hostname?: string;
}

export class Kernel {
  readonly vfs = new Vfs();
  readonly processes = new Map<number, Process>();
  readonly tasks = new Map<number, Task>();
  readonly bootTime = Date.now();
  readonly startMs = performance.now();
  hostname: string;
  domainname = '(none)';
  private nextPid = 1;
  private readonly debugFn: (msg: string) => void;
  private readonly warned = new Set<string>();

  constructor(opts: KernelOptions = {}) {
    this.debugFn = opts.debug ?? (() => {});
    this.hostname = opts.hostname ?? 'webx86';
  }

  allocPid(): number {
    while (this.tasks.has(this.nextPid) || this.processes.has(this.nextPid)) this.nextPid++;
    return this.nextPid++;
  }

  /** Milliseconds since boot (monotonic). */
  uptimeMs(): number { return performance.now() - this.startMs; }

  /** Log a message once per key (unknown syscalls, unsupported ioctls). */
  warnOnce(key: string, msg: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.debugFn(msg);
  }

  // Signal routing: implemented in signals.ts and installed by it.
  signalTask!: (t: Task, info: SigInfo) => void;
  signalProcess!: (p: Process, info: SigInfo) => void;
  /** Send to every process of a process group; returns -ESRCH if there is none. */
  signalGroup!: (pgid: number, info: SigInfo) => number;
}
