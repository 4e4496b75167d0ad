/**
 * The kernel: process table, scheduler, signal routing and the VFS, wired in one place.
 */
import { Jit, type JitMode } from '../jit/jit.js';
import { Vfs } from '../fs/vfs.js';
import { FdTable, type File } from '../fs/types.js';
import { AddressSpace, DEFAULT_TASK_SIZE } from '../mem/address-space.js';
import { Cpu } from '../cpu/cpu.js';
import { Process, Task, type SigInfo, type Creds } from './task.js';
import { Scheduler } from './scheduler.js';
import { loadProgram, type ReadExecutable } from './exec.js';
import { RoutedStack } from '../net/routed.js';
import { LoopbackStack } from '../net/loopback.js';
import type { NetStack } from '../net/stack.js';
import { ctxOf } from './path-ctx.js';

export interface KernelOptions {
  /** Debug log: unknown system calls (once each), internal errors. */
  debug?: (msg: string) => void;
  hostname?: string;
  /** Address-space size for every process (default 3 GiB). */
  taskSize?: number;
  /**
   * The way out of the VM for AF_INET/AF_INET6 sockets (engine/net/stack.ts): the host's
   * network (Node CLI), a Tailscale IP stack... Absent: loopback only, and any other
   * destination is unreachable (ENETUNREACH).
   */
  network?: NetStack;
  /**
   * The JIT tier (docs/JIT.md): 'on' (default) translates hot code to WebAssembly, 'off'
   * only interprets, 'force' translates everything it can at first execution (tests).
   */
  jit?: JitMode;
}

export interface SpawnOptions {
  argv?: string[];
  env?: string[];
  cwd?: string;
  uid?: number;
  gid?: number;
  /** Descriptors 0, 1, 2 (and more) of the new process. */
  stdio?: File[];
  /** Receives a readable reason when the program cannot be loaded. */
  diag?: (msg: string) => void;
}

export class Kernel {
  readonly vfs = new Vfs();
  readonly processes = new Map<number, Process>();
  readonly tasks = new Map<number, Task>();
  readonly bootTime = Date.now();
  readonly startMs = performance.now();
  readonly taskSize: number;
  /** The machine's JIT (null when off). */
  readonly jit: Jit | null;
  hostname: string;
  domainname = '(none)';
  /** pid 1 is a virtual init that reaps orphans; guest processes start at 2. */
  private nextPid = 2;
  private readonly debugFn: (msg: string) => void;
  private readonly warned = new Set<string>();

  declare signalTask: (t: Task, info: SigInfo) => void;
  declare signalProcess: (p: Process, info: SigInfo) => void;
  /** Send to every process of a process group; -ESRCH if there is none. */
  declare signalGroup: (pgid: number, info: SigInfo) => number;

  readonly sched: Scheduler;
  /** The machine's network: loopback in the VM plus the backend given as `network` (engine/net/routed.ts). */
  readonly net: RoutedStack;
  /**
   * The task whose system call is being served (set by the scheduler and the VFS path
   * walk); /proc/self and friends resolve through it.
   */
  current: Task | null = null;

  constructor(opts: KernelOptions = {}) {
    this.debugFn = opts.debug ?? (() => {});
    this.hostname = opts.hostname ?? 'webx86';
    this.taskSize = opts.taskSize ?? DEFAULT_TASK_SIZE;
    const jit = opts.jit ?? 'on';
    this.jit = jit === 'off' ? null : new Jit(jit, opts.debug);
    this.sched = new Scheduler(this);
    this.net = new RoutedStack(new LoopbackStack(), opts.network ?? null);
  }

  /** Called for every new process (spawn and fork, not threads): for activity displays. */
  readonly processCreatedHooks: ((p: Process) => void)[] = [];

  processCreated(p: Process): void {
    for (const h of this.processCreatedHooks) h(p);
  }

  allocPid(): number {
    for (;;) {
      const pid = this.nextPid++;
      if (this.nextPid > 32768) this.nextPid = 2;
      if (!this.tasks.has(pid) && !this.processes.has(pid)) return pid;
    }
  }

  uptimeMs(): number { return performance.now() - this.startMs; }

  warnOnce(key: string, msg: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.debugFn(msg);
  }

  /** How execve reads programs; the VFS provides it. */
  readExecutable: ReadExecutable = (t, path) => this.vfs.readExecutable(ctxOf(t), path);

  /**
   * Start a new session-leading process running `path`. Resolves to the process, or to
   * -errno if the program cannot be loaded.
   */
  async spawn(path: string, o: SpawnOptions = {}): Promise<Process | number> {
    const pid = this.allocPid();
    const uid = o.uid ?? 0, gid = o.gid ?? 0;
    const creds: Creds = { uid, euid: uid, suid: uid, fsuid: uid, gid, egid: gid, sgid: gid, fsgid: gid, groups: [] };
    const files = new FdTable();
    (o.stdio ?? []).forEach((f, i) => files.install(i, f));
    const mem = AddressSpace.create(this.taskSize);
    const p = new Process(this, pid, null, mem, files, { cwd: o.cwd ?? '/', root: '/', umask: 0o022 }, creds);
    p.rlimits.set(3, [8 << 20, 0xffffffff]); // RLIMIT_STACK
    p.rlimits.set(7, [1024, 1048576]); // RLIMIT_NOFILE
    p.rlimits.set(4, [0, 0xffffffff]); // RLIMIT_CORE
    const t = new Task(pid, p, new Cpu(mem));
    p.threads = [t];
    const argv = o.argv ?? [path];
    const env = o.env ?? [];
    const r = await loadProgram(t, this.readExecutable, path, argv, env, o.diag);
    mem.release();
    if (typeof r === 'number') return r;
    p.mem = r.mem;
    t.cpu = r.cpu;
    p.exe = r.path;
    p.argv = r.argv;
    p.envp = env;
    t.comm = r.path.split('/').pop()!.slice(0, 15);
    p.startTime = this.uptimeMs();
    this.processes.set(pid, p);
    this.sched.addTask(t);
    this.processCreated(p);
    return p;
  }
}
