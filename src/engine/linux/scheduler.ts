/**
 * The scheduler: guest tasks interleaved on one JS thread. A task runs in slices bounded
 * by time; a system call that must wait returns a promise, parking the task until it
 * settles; the loop yields to the host event loop regularly so I/O and UI stay live.
 */
import { EXIT_FAULT, EXIT_SYSCALL, CpuException } from '../cpu/cpu.js';
import { run } from '../cpu/interp.js';
import { AC, EAX, EBP, EBX, ECX, EDI, EDX, EIP, ESI, FLAGS } from '../cpu/state.js';
import { AlignmentFault, PageFault } from '../mem/fault.js';
import { shmRelease, shmSwitch } from './shm.js';
import type { Kernel } from './kernel.js';
import type { Process, SigInfo, Task } from './task.js';
import { Signals, SIGBUS, SIGILL, SIGSEGV, SIGCHLD, CLD_EXITED, CLD_KILLED, CLD_DUMPED, CLD_STOPPED, CLD_CONTINUED, SA_NOCLDSTOP, SA_NOCLDWAIT } from './signals.js';
import { SYSCALL_NAMES } from './syscalls/numbers.js';
import { HANDLERS } from './syscalls/index.js';
import { ENOSYS, EFAULT } from './errno.js';
import { futexWake } from './futex.js';
import { cancelProcessTimers } from './timers.js';
import { addressSpaceRoom, checkCpuLimit } from './rlimits.js';

/** RLIMIT_STACK soft limit in bytes. */
export function stackLimit(t: Task): number {
  return t.proc.rlimits.get(3)?.[0] ?? 8 << 20;
}

/** Returned by handlers that set the registers themselves (execve, sigreturn). */
export const NO_RESULT = 0.5;

/** si_code of an alignment-check SIGBUS (asm-generic/siginfo.h). */
const BUS_ADRALN = 1;

const SLICE_MS = 4;
const YIELD_MS = 12;
const BUDGET = 50_000;

/** Let the host event loop run (timers, I/O callbacks, messages). */
const hostSetImmediate = (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate;
const yieldHost: () => Promise<void> = typeof hostSetImmediate === 'function'
  ? () => new Promise((r) => { hostSetImmediate(r); })
  : (() => {
    const ch = new MessageChannel();
    const q: (() => void)[] = [];
    ch.port1.onmessage = () => q.shift()?.();
    return () => new Promise<void>((r) => { q.push(r); ch.port2.postMessage(0); });
  })();
declare const MessageChannel: { new(): { port1: { onmessage: (() => void) | null }; port2: { postMessage(v: unknown): void } } };

export class Scheduler {
  readonly signals: Signals;
  private readonly runq: Task[] = [];
  private readonly queued = new Set<Task>();
  private idle: (() => void) | null = null;
  private readonly stopped = new Set<Process>();
  /** Hooks for other subsystems at process exit (timers, ttys). */
  readonly exitHooks: ((p: Process) => void)[] = [];
  /** Called when a process becomes a zombie (the host watches its first process). */
  onProcessExit: (p: Process) => void = () => {};
  /** Told when the CPU goes busy (tasks to run) or idle (all blocked or none left): for activity displays. */
  onActivity: (busy: boolean) => void = () => {};
  syscallCount = 0;

  constructor(private readonly k: Kernel) {
    this.signals = new Signals(k, {
      kick: (t) => { if (t.state === 'running') this.ready(t); },
      killProcess: (p, status) => this.exitProcess(p, status),
      stopProcess: (p, sig) => this.stopProcess(p, sig),
      continueProcess: (p) => this.continueProcess(p),
    });
    this.futexWake = futexWake;
    this.exitHooks.push(cancelProcessTimers);
  }

  addTask(t: Task): void {
    this.k.tasks.set(t.tid, t);
    t.startTime = this.k.uptimeMs();
    this.ready(t);
  }

  ready(t: Task): void {
    if (t.state !== 'running' || this.queued.has(t)) return;
    this.queued.add(t);
    this.runq.push(t);
    if (this.idle) { const f = this.idle; this.idle = null; f(); }
  }

  get liveTasks(): number { return this.k.tasks.size; }

  /** Run until no task is left. */
  async run(): Promise<void> {
    let lastYield = performance.now();
    this.onActivity(true);
    for (;;) {
      const t = this.runq.shift();
      if (!t) {
        this.onActivity(false);
        if (this.k.tasks.size === 0) return;
        // Not a yield to the host: a task woken by a promise (every ioctl, and most reads
        // and writes, complete that way) wakes this in a microtask, with no timer, message
        // or I/O callback run in between. Counting it as one starved the host while a guest
        // looped on such calls: Xorg-style DIRTYFB loops got no display acknowledgements or
        // timers for seconds in Chromium (bench/browser-desktop.ts repaint, 2026-12-07).
        await new Promise<void>((r) => { this.idle = r; });
        this.onActivity(true);
        continue;
      }
      this.queued.delete(t);
      if (t.state !== 'running') continue;
      this.slice(t);
      const now = performance.now();
      if (now - lastYield > YIELD_MS) {
        await yieldHost();
        lastYield = performance.now();
      }
    }
  }

  private slice(t: Task): void {
    const start = performance.now();
    const deadline = start + SLICE_MS;
    shmSwitch(t.mem);
    if (this.signals.hasDeliverable(t) && !this.signals.deliver(t, null)) return;
    for (;;) {
      const cpu = t.cpu;
      // EFLAGS.AC: alignment checks for this run only (AddressSpace.enterAlignmentCheck); the
      // JIT's inline checks read the real page table, so only the interpreter runs meanwhile.
      const ac = (cpu.s[FLAGS] & AC) !== 0;
      if (ac) cpu.mem.enterAlignmentCheck();
      const reason = run(cpu, BUDGET, ac ? null : this.k.jit);
      if (ac) cpu.mem.leaveAlignmentCheck();
      if (reason === EXIT_SYSCALL) {
        const r = this.syscall(t);
        if (typeof r !== 'number') {
          if (t.state === 'running') t.state = 'blocked';
          r.then((v) => this.complete(t, v), (e) => this.complete(t, this.internalError(t, e)));
          break;
        }
        if (!this.finish(t, r)) break;
      } else if (reason === EXIT_FAULT) {
        this.raiseFault(t, cpu.fault);
        if (!this.signals.deliver(t, null)) break;
      }
      if (t.state !== 'running') break;
      if (performance.now() > deadline) { this.ready(t); break; }
    }
    t.utimeMs += performance.now() - start;
    checkCpuLimit(t);
  }

  private syscall(t: Task): number | Promise<number> {
    const s = t.cpu.s;
    const nr = s[EAX];
    t.origEax = nr;
    this.syscallCount++;
    const name = SYSCALL_NAMES[nr];
    const h = name === undefined ? undefined : HANDLERS.get(name);
    if (!h) {
      this.k.warnOnce(`sys${nr}`, `unimplemented system call ${nr} (${name ?? 'unknown'}): returning ENOSYS`);
      return -ENOSYS;
    }
    this.k.current = t;
    try {
      return h(t, s[EBX], s[ECX], s[EDX], s[ESI], s[EDI], s[EBP]);
    } catch (e) {
      return this.internalError(t, e);
    }
  }

  private internalError(t: Task, e: unknown): number {
    if (e instanceof PageFault) return -EFAULT;
    const name = SYSCALL_NAMES[t.origEax] ?? t.origEax;
    this.k.warnOnce(`err:${name}`, `internal error in ${name}: ${e instanceof Error ? e.stack : String(e)}`);
    return -EFAULT;
  }

  /** Store a synchronous result; false if the task cannot continue this slice. */
  private finish(t: Task, r: number): boolean {
    if (t.state !== 'running') return false;
    if (r !== NO_RESULT) t.cpu.s[EAX] = r;
    if (r < 0 && r >= -516 && r <= -512) return this.signals.deliver(t, r);
    if (t.pending.length || t.proc.pending.length) return this.signals.hasDeliverable(t) ? this.signals.deliver(t, null) : true;
    return true;
  }

  private complete(t: Task, v: number): void {
    if (t.state !== 'blocked') return; // killed meanwhile
    t.state = 'running';
    if (v !== NO_RESULT) t.cpu.s[EAX] = v;
    if ((v < 0 && v >= -516 && v <= -512) || this.signals.hasDeliverable(t)) {
      if (!this.signals.deliver(t, v < 0 && v >= -516 && v <= -512 ? v : null)) return;
    }
    if (this.stopped.has(t.proc)) { t.state = 'stopped'; return; }
    this.ready(t);
  }

  private raiseFault(t: Task, e: unknown): void {
    let info: SigInfo;
    // The trap number and error code go to the thread (thread.trap_nr, error_code; cr2 only
    // for page faults), as do_trap() and the page-fault handler record them.
    if (e instanceof CpuException) {
      if (e.signo === SIGILL) this.reportIllegal(t);
      if (e.why) this.k.warnOnce(`cpu-why:${e.why}`, e.why);
      info = { signo: e.signo, code: e.code, addr: e.addr };
      t.trap.nr = e.trapno; t.trap.err = e.err;
    } else if (e instanceof AlignmentFault) {
      // exc_alignment_check(): SIGBUS, BUS_ADRALN, no address (si_addr 0), trap 17.
      info = { signo: SIGBUS, code: BUS_ADRALN, addr: 0 };
      t.trap.nr = 17; t.trap.err = 0;
    } else if (e instanceof PageFault) {
      if (!e.accerr && t.mem.growStack(e.addr, stackLimit(t), addressSpaceRoom(t))) return; // retried on resume
      // SEGV_MAPERR 1 / SEGV_ACCERR 2. The error code: bit 0 the page is present (mapped
      // with some access: PROT_NONE pages have no present PTE), bit 1 write, bit 2 user,
      // bit 4 instruction fetch.
      const prot = e.accerr ? (t.mem.findMapping(e.addr)?.prot ?? 0) & 7 : 0;
      info = { signo: SIGSEGV, code: e.accerr ? 2 : 1, addr: e.addr };
      t.trap.nr = 14; t.trap.err = (prot !== 0 ? 1 : 0) | (e.write ? 2 : 0) | 4 | (e.fetch ? 0x10 : 0); t.trap.cr2 = e.addr;
    } else {
      this.k.warnOnce('cpu-internal', `internal CPU error: ${e instanceof Error ? e.stack : String(e)}`);
      info = { signo: SIGSEGV, code: 0x80 };
    }
    // As force_sig_info: a blocked or ignored synchronous fault signal is unblocked and reset
    // to its default action, or the faulting instruction would repeat forever.
    const bit = 1n << BigInt(info.signo - 1);
    const act = t.proc.sigactions.a[info.signo];
    if (t.sigmask & bit || act.handler === 1) {
      t.sigmask &= ~bit;
      act.handler = 0;
    }
    this.signals.sendTask(t, info);
  }

  /** --debug: where an illegal instruction was met, once per address (missing opcodes show here). */
  private reportIllegal(t: Task): void {
    const eip = t.cpu.s[EIP] >>> 0;
    const bytes = t.mem.readBytes(eip, 8);
    const m = t.mem.findMapping(eip);
    const where = m ? `${m.name || '[anon]'}+0x${(eip - m.start + m.offset).toString(16)}` : 'unmapped';
    const hex = bytes ? Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ') : '??';
    this.k.warnOnce(`sigill-${eip}`, `SIGILL at 0x${eip.toString(16)} (${where}): ${hex}`);
  }

  // ---- Process state changes ----

  /** Exit of one thread (exit(2)); the last thread takes the process with it. */
  exitThread(t: Task, status: number): void {
    const p = t.proc;
    if (p.threads.length <= 1) { this.exitProcess(p, status); return; }
    this.retireTask(t);
    p.threads = p.threads.filter((x) => x !== t);
  }

  private retireTask(t: Task): void {
    t.state = 'zombie';
    this.k.tasks.delete(t.tid);
    // The run loop may be parked waiting for work; with no task left it must finish.
    if (this.k.tasks.size === 0 && this.idle) { const f = this.idle; this.idle = null; f(); }
    this.clearChildTid(t);
    if (t.vforkDone) { t.vforkDone.wake(); t.vforkDone = null; }
    if (t.cpu.mem === t.proc.mem) t.proc.mem.freeStateSlot(t.cpu.slot);
  }

  clearChildTid(t: Task): void {
    if (!t.clearChildTid) return;
    const a = t.clearChildTid >>> 0;
    t.clearChildTid = 0;
    if (t.mem.isAccessible(a, 4, 2)) {
      t.mem.dv.setUint32(a, 0, true);
      this.futexWake(t.mem, a, 1);
    }
  }
  /** Provided by the futex module. */
  futexWake: (mem: Task['cpu']['mem'], addr: number, n: number) => number = () => 0;

  /** Terminate a whole process with a wait status (exit code << 8, or signal number). */
  exitProcess(p: Process, status: number): void {
    if (p.zombie) return;
    for (const t of p.threads) this.retireTask(t);
    p.zombie = true;
    p.exitStatus = status;
    shmRelease(p.mem);
    p.mem.release();
    this.stopped.delete(p);
    for (const hook of this.exitHooks) hook(p);
    const sharesFiles = [...this.k.processes.values()].some((q) => q !== p && !q.zombie && q.files === p.files);
    if (!sharesFiles) p.files.closeAll();
    for (const c of p.children) {
      c.parent = null;
      if (c.zombie) this.k.processes.delete(c.pid);
    }
    p.children.clear();
    this.notifyParent(p, status & 0x7f ? ((status & 0x80) ? CLD_DUMPED : CLD_KILLED) : CLD_EXITED,
      status & 0x7f ? status & 0x7f : (status >> 8) & 0xff);
    this.onProcessExit(p);
  }

  private notifyParent(p: Process, code: number, st: number): void {
    const parent = p.parent;
    if (!parent || parent.zombie) {
      if (code <= CLD_DUMPED) this.k.processes.delete(p.pid);
      return;
    }
    const act = parent.sigactions.a[SIGCHLD];
    if (code <= CLD_DUMPED) {
      if (p.exitSignal === SIGCHLD && (act.handler === 1 || act.flags & SA_NOCLDWAIT)) {
        // The parent asked not to keep zombies.
        parent.children.delete(p);
        this.k.processes.delete(p.pid);
        parent.childEvent.wake();
        return;
      }
    } else if (act.flags & SA_NOCLDSTOP) {
      parent.childEvent.wake();
      return;
    }
    parent.childEvent.wake();
    const sig = code <= CLD_DUMPED ? p.exitSignal : SIGCHLD;
    if (sig) this.signals.sendProcess(parent, { signo: sig, code, pid: p.pid, uid: p.creds.uid, status: st });
  }

  stopProcess(p: Process, sig: number): void {
    if (p.zombie || this.stopped.has(p)) return;
    this.stopped.add(p);
    for (const t of p.threads) if (t.state === 'running') t.state = 'stopped';
    p.stopReport = sig;
    p.continued = false;
    this.notifyParent(p, CLD_STOPPED, sig);
  }

  continueProcess(p: Process): void {
    if (!this.stopped.delete(p)) return;
    for (const t of p.threads) {
      if (t.state === 'stopped') { t.state = 'running'; this.ready(t); }
    }
    p.stopReport = null;
    p.continued = true;
    this.notifyParent(p, CLD_CONTINUED, 18);
  }

  isStopped(p: Process): boolean { return this.stopped.has(p); }
}
