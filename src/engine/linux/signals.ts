/**
 * Signals: generation (to a thread, a process, a process group), default actions, and
 * delivery on return to user mode with frames laid out as the i386 kernel lays them out
 * (arch/x86/kernel/signal_32.c: struct sigframe_ia32 / rt_sigframe_ia32).
 */
import type { Kernel } from './kernel.js';
import type { Process, SigInfo, Task } from './task.js';
import { getFlags } from '../cpu/flags.js';
import { EAX, EBP, EBX, ECX, EDI, EDX, EIP, ESI, ESP, FLAGS, ES, CS, SS, DS, FS, GS } from '../cpu/state.js';
import { setFlagsUser } from '../cpu/ops/move.js';
import { ERESTARTNOHAND, ERESTARTNOINTR, ERESTARTSYS, ERESTART_RESTARTBLOCK, ESRCH, EINTR } from './errno.js';
import { fpuSaveArea, fpuRestoreArea, fpStateAddr, FP_AREA_SIZE } from './fpstate.js';
import { resetSimd } from '../cpu/ops/sse-dispatch.js';
import { checkCode, commitCode, loadFlatUser, loadSeg } from '../cpu/seg-regs.js';
import { addressSpaceRoom } from './rlimits.js';

import {
  SIGBUS, SIGCHLD, SIGCONT, SIGFPE, SIGILL, SIGIO, SIGKILL, SIGRTMIN, SIGSEGV, SIGTRAP,
  SI_QUEUE, SI_TKILL, SI_USER, DFL_CORE, DFL_IGN, DFL_STOP, UNBLOCKABLE, defaultAction, kernelIgnored, sigbit,
} from '../abi/signals.js';
// The numbers live in the ABI leaf; re-exported for the kernel modules that import them from here.
export * from '../abi/signals.js';

export const SA_NOCLDSTOP = 1, SA_NOCLDWAIT = 2, SA_SIGINFO = 4, SA_RESTORER = 0x04000000;
export const SA_ONSTACK = 0x08000000, SA_RESTART = 0x10000000, SA_NODEFER = 0x40000000, SA_RESETHAND = 0x80000000 | 0;
export const CLD_EXITED = 1, CLD_KILLED = 2, CLD_DUMPED = 3, CLD_TRAPPED = 4, CLD_STOPPED = 5, CLD_CONTINUED = 6;
export const SS_ONSTACK = 1, SS_DISABLE = 2, SS_AUTODISARM = 0x80000000 | 0;

const isStop = (s: number) => defaultAction(s) === DFL_STOP;

/**
 * True if a signal with the current action would be discarded on generation. SIGCONT with
 * SIG_DFL is kept queued here (Linux discards it only when unblocked: kernelIgnored and
 * sig_ignored in kernel/signal.c); delivery then skips it, so the effect is the same and a
 * blocked SIGCONT stays visible in sigpending(2) as on Linux.
 */
function ignored(p: Process, sig: number): boolean {
  const h = p.sigactions.a[sig].handler;
  if (h === 1) return true;
  return h === 0 && defaultAction(sig) === DFL_IGN;
}

/** Hooks the scheduler and process code provide. */
export interface SignalHost {
  /** Make a blocked/stopped task runnable so it can take a signal. */
  kick(t: Task): void;
  /** Terminate the whole process with this wait status (signal death). */
  killProcess(p: Process, status: number): void;
  /** Stop or continue all threads of p and notify the parent. */
  stopProcess(p: Process, sig: number): void;
  continueProcess(p: Process): void;
}

export class Signals {
  constructor(private readonly k: Kernel, private readonly host: SignalHost) {
    k.signalTask = (t, info) => this.sendTask(t, info);
    k.signalProcess = (p, info) => this.sendProcess(p, info);
    k.signalGroup = (pgid, info) => this.sendGroup(pgid, info);
  }

  /** Side effects of generating stop/continue signals, and SIGKILL. */
  private prepare(p: Process, sig: number): boolean {
    if (sig === SIGCONT || sig === SIGKILL) {
      // SIGCONT discards pending stop signals and resumes, even if SIGCONT is ignored.
      const notStop = (i: SigInfo) => !isStop(i.signo);
      p.pending = p.pending.filter(notStop);
      for (const t of p.threads) t.pending = t.pending.filter(notStop);
      this.host.continueProcess(p);
    } else if (isStop(sig)) {
      p.pending = p.pending.filter((i) => i.signo !== SIGCONT);
      for (const t of p.threads) t.pending = t.pending.filter((i) => i.signo !== SIGCONT);
    }
    if (sig === SIGKILL) {
      this.host.killProcess(p, SIGKILL);
      return false;
    }
    return !ignored(p, sig);
  }

  sendTask(t: Task, info: SigInfo): void {
    const p = t.proc;
    if (p.zombie || t.state === 'zombie') return;
    if (!this.prepare(p, info.signo)) return;
    if (info.signo < SIGRTMIN && t.pending.some((i) => i.signo === info.signo)) return;
    t.pending.push(info);
    this.notify(t, info.signo);
  }

  sendProcess(p: Process, info: SigInfo): void {
    if (p.zombie) return;
    if (!this.prepare(p, info.signo)) return;
    if (info.signo < SIGRTMIN && p.pending.some((i) => i.signo === info.signo)) return;
    p.pending.push(info);
    // Wake a thread that does not block it.
    const bit = sigbit(info.signo);
    const t = p.threads.find((x) => !(x.sigmask & bit)) ?? p.threads[0];
    if (t) this.notify(t, info.signo);
  }

  sendGroup(pgid: number, info: SigInfo): number {
    let n = 0;
    for (const p of this.k.processes.values()) {
      if (p.pgid === pgid && !p.zombie) { this.sendProcess(p, { ...info }); n++; }
    }
    return n ? 0 : -ESRCH;
  }

  private notify(t: Task, sig: number): void {
    if (t.sigmask & sigbit(sig) && !(UNBLOCKABLE & sigbit(sig))) return;
    t.interrupt.wake();
    this.host.kick(t);
  }

  /** True if t has a signal it would take now. */
  hasDeliverable(t: Task): boolean {
    const m = t.sigmask & ~UNBLOCKABLE;
    for (const i of t.pending) if (!(m & sigbit(i.signo))) return true;
    for (const i of t.proc.pending) if (!(m & sigbit(i.signo))) return true;
    return false;
  }

  /** Pending set (thread and process) for sigpending(2). */
  pendingSet(t: Task): bigint {
    let s = 0n;
    for (const i of t.pending) s |= sigbit(i.signo);
    for (const i of t.proc.pending) s |= sigbit(i.signo);
    return s;
  }

  /** Remove and return the next deliverable signal: synchronous faults first, then lowest number. */
  dequeue(t: Task, mask = t.sigmask): SigInfo | null {
    const m = mask & ~UNBLOCKABLE;
    const pick = (list: SigInfo[]): number => {
      let best = -1;
      for (let i = 0; i < list.length; i++) {
        const s = list[i].signo;
        if (m & sigbit(s)) continue;
        if (best < 0 || s < list[best].signo) best = i;
      }
      return best;
    };
    let i = pick(t.pending);
    if (i >= 0) return t.pending.splice(i, 1)[0];
    i = pick(t.proc.pending);
    if (i >= 0) return t.proc.pending.splice(i, 1)[0];
    return null;
  }

  /**
   * Called before returning to user mode. `sysret` is the result of the system call
   * that just completed (or null when none), so a restartable call can be restarted or
   * turned into EINTR. Returns false if the task can no longer run (stopped or dead).
   */
  deliver(t: Task, sysret: number | null): boolean {
    for (;;) {
      const info = this.dequeue(t);
      if (!info) break;
      const sig = info.signo;
      const act = t.proc.sigactions.a[sig];
      if (act.handler === 1) continue;
      if (act.handler === 0) {
        const d = defaultAction(sig);
        if (kernelIgnored(sig)) continue;
        if (d === DFL_STOP) {
          this.host.stopProcess(t.proc, sig);
          if (sysret !== null) this.restart(t, sysret, false);
          return false;
        }
        const core = d === DFL_CORE && coreLimit(t.proc) > 0;
        this.host.killProcess(t.proc, sig | (core ? 0x80 : 0));
        return false;
      }
      // A handler runs.
      if (sysret !== null) {
        this.restart(t, sysret, true, (act.flags & SA_RESTART) !== 0);
        sysret = null;
      }
      this.setupFrame(t, info, act.handler, act.flags, act.restorer, act.mask);
      return true;
    }
    if (sysret !== null) this.restart(t, sysret, false);
    if (t.savedMask !== null) { t.sigmask = t.savedMask; t.savedMask = null; }
    return true;
  }

  /** Apply Linux's restart rules to an interrupted system call. */
  private restart(t: Task, ret: number, handler: boolean, saRestart = false): void {
    const s = t.cpu.s;
    const e = -ret;
    if (e !== ERESTARTSYS && e !== ERESTARTNOINTR && e !== ERESTARTNOHAND && e !== ERESTART_RESTARTBLOCK) return;
    const again = !handler || e === ERESTARTNOINTR || (e === ERESTARTSYS && saRestart);
    if (again && e !== ERESTART_RESTARTBLOCK) {
      s[EAX] = t.origEax;
      s[EIP] = s[EIP] - 2;
    } else if (again) {
      s[EAX] = 0; // restart_syscall
      s[EIP] = s[EIP] - 2;
      t.origEax = 0;
    } else {
      s[EAX] = -EINTR;
    }
  }

  private setupFrame(t: Task, info: SigInfo, handler: number, flags: number, restorer: number, mask: bigint): void {
    const c = t.cpu, s = c.s, mem = c.mem;
    const rt = (flags & SA_SIGINFO) !== 0;
    let sp = s[ESP] >>> 0;
    const onAlt = t.altstack.flags !== SS_DISABLE && (flags & SA_ONSTACK) &&
      !(sp > t.altstack.sp && sp <= t.altstack.sp + t.altstack.size);
    const stackFlags = t.altstack.flags === SS_DISABLE ? SS_DISABLE
      : sp > t.altstack.sp && sp <= t.altstack.sp + t.altstack.size ? SS_ONSTACK : 0;
    if (onAlt) sp = (t.altstack.sp + t.altstack.size) >>> 0;
    const fpAddr = fpStateAddr(sp);
    const frameSize = rt ? 268 : 728;
    const frame = ((((fpAddr - frameSize) & ~15) >>> 0) - 4) >>> 0;
    const oldMask = t.savedMask ?? t.sigmask;
    t.savedMask = null;
    const buf = new Uint8Array(fpAddr + FP_AREA_SIZE - frame);
    const dv = new DataView(buf.buffer);
    const scOff = rt ? 164 : 8;
    this.writeSigcontext(t, dv, scOff, fpAddr, Number(oldMask & 0xffffffffn));
    fpuSaveArea(c, buf, fpAddr - frame);
    const retcodeOff = rt ? 260 : 720;
    if (rt) {
      dv.setInt32(4, info.signo, true);
      dv.setUint32(8, frame + 16, true);
      dv.setUint32(12, frame + 144, true);
      writeSiginfo(dv, 16, info);
      // ucontext: uc_flags, uc_link, uc_stack, mcontext, sigmask
      dv.setUint32(144, 0, true);
      dv.setUint32(148, 0, true);
      dv.setUint32(152, t.altstack.sp, true);
      dv.setInt32(156, stackFlags, true);
      dv.setUint32(160, t.altstack.size, true);
      dv.setUint32(252, Number(oldMask & 0xffffffffn), true);
      dv.setUint32(256, Number(oldMask >> 32n), true);
      // retcode: movl $173,%eax; int $0x80 (gdb recognises frames by it)
      buf.set([0xb8, 173, 0, 0, 0, 0xcd, 0x80, 0], retcodeOff);
    } else {
      dv.setInt32(4, info.signo, true);
      dv.setUint32(716, Number(oldMask >> 32n), true);
      // retcode: popl %eax; movl $119,%eax; int $0x80
      buf.set([0x58, 0xb8, 119, 0, 0, 0, 0xcd, 0x80], retcodeOff);
    }
    const ret = flags & SA_RESTORER ? restorer : frame + retcodeOff;
    dv.setUint32(0, ret, true);
    if (!mem.isAccessible(frame, buf.length, 2)) mem.growStack(frame, t.proc.rlimits.get(3)?.[0] ?? 8 << 20, addressSpaceRoom(t));
    if (!mem.writeBytes(frame, buf)) {
      // Cannot build the frame: the kernel forces SIGSEGV (with default action).
      t.proc.sigactions.a[SIGSEGV].handler = 0;
      this.host.killProcess(t.proc, SIGSEGV | (coreLimit(t.proc) > 0 ? 0x80 : 0));
      return;
    }
    s[ESP] = frame;
    s[EIP] = handler;
    s[EAX] = info.signo;
    s[EDX] = rt ? frame + 16 : 0;
    s[ECX] = rt ? frame + 144 : 0;
    s[FLAGS] = getFlags(c) & ~(0x100 | 0x400); // TF and DF cleared for the handler
    loadFlatUser(c);
    // The handler starts with the FPU/SSE state as after init (fpu__clear_user_states): MXCSR 0x1F80, XMM zero.
    c.fpu.reset();
    resetSimd(c);
    if (onAlt && t.altstack.flags & SS_AUTODISARM) t.altstack = { sp: 0, size: 0, flags: SS_DISABLE };
    let m = t.sigmask | mask;
    if (!(flags & SA_NODEFER)) m |= sigbit(info.signo);
    t.sigmask = m & ~UNBLOCKABLE;
    if (flags & SA_RESETHAND) t.proc.sigactions.a[info.signo] = { handler: 0, flags: 0, restorer: 0, mask: 0n };
  }

  private writeSigcontext(t: Task, dv: DataView, o: number, fpAddr: number, oldmask: number): void {
    const c = t.cpu, s = c.s;
    dv.setUint32(o + 0, c.selector(GS), true);
    dv.setUint32(o + 4, c.selector(FS), true);
    dv.setUint32(o + 8, c.selector(ES), true);
    dv.setUint32(o + 12, c.selector(DS), true);
    const regs = [EDI, ESI, EBP, ESP, EBX, EDX, ECX, EAX];
    regs.forEach((r, i) => dv.setInt32(o + 16 + i * 4, s[r], true));
    dv.setUint32(o + 48, t.trap.nr, true);
    dv.setUint32(o + 52, t.trap.err, true);
    dv.setUint32(o + 56, s[EIP], true);
    dv.setUint32(o + 60, c.selector(CS), true);
    dv.setUint32(o + 64, getFlags(c), true);
    dv.setUint32(o + 68, s[ESP], true);
    dv.setUint32(o + 72, c.selector(SS), true);
    dv.setUint32(o + 76, fpAddr, true);
    dv.setUint32(o + 80, oldmask, true);
    dv.setUint32(o + 84, t.trap.cr2, true);
  }

  /** sigreturn / rt_sigreturn: restore the context saved in the frame. False on a bad frame. */
  restoreFrame(t: Task, rt: boolean): boolean {
    const c = t.cpu, s = c.s;
    const sp = s[ESP] >>> 0;
    const frame = rt ? sp - 4 : sp - 8;
    const size = rt ? 268 : 728;
    const raw = c.mem.readBytes(frame >>> 0, size);
    if (!raw) return false;
    const dv = new DataView(raw.buffer);
    const o = rt ? 164 : 8;
    let mask: bigint;
    if (rt) mask = BigInt(dv.getUint32(252, true)) | (BigInt(dv.getUint32(256, true)) << 32n);
    else mask = BigInt(dv.getUint32(o + 80, true)) | (BigInt(dv.getUint32(716, true)) << 32n);
    t.sigmask = mask & ~UNBLOCKABLE;
    const regs = [EDI, ESI, EBP, ESP, EBX, EDX, ECX, EAX];
    regs.forEach((r, i) => { s[r] = dv.getInt32(o + 16 + i * 4, true); });
    const eip = dv.getUint32(o + 56, true);
    setFlagsUser(c, dv.getUint32(o + 64, true));
    // reload_segments() (arch/x86/ia32/ia32_signal.c): GS FS DS ES with RPL 3, each only if
    // it differs; a selector that cannot be loaded leaves the register null (loadsegment's
    // fixup). CS and SS go back through IRET: a bad one is a SIGSEGV, as IRET's fault is.
    for (const [seg, off] of [[GS, 0], [FS, 4], [DS, 12], [ES, 8]] as const) {
      const sel = dv.getUint16(o + off, true) | 3;
      if (sel === c.selector(seg)) continue;
      try { loadSeg(c, seg, sel); } catch { loadSeg(c, seg, 0); }
    }
    try {
      const cs = dv.getUint16(o + 60, true) | 3, ss = dv.getUint16(o + 72, true) | 3;
      if (ss !== c.selector(SS)) loadSeg(c, SS, ss);
      commitCode(c, cs, checkCode(c, cs, eip, true), eip);
    } catch {
      return false;
    }
    const fp = dv.getUint32(o + 76, true);
    if (fp) {
      const area = c.mem.readBytes(fp, FP_AREA_SIZE);
      if (area) fpuRestoreArea(c, area, 0);
    }
    if (rt) {
      const ssSp = dv.getUint32(152, true), ssFlags = dv.getInt32(156, true), ssSize = dv.getUint32(160, true);
      // sigaltstack is restored as the handler may have changed it (errors ignored, as Linux).
      if (ssFlags === SS_DISABLE || ssSize >= 2048) t.altstack = { sp: ssSp, size: ssSize, flags: ssFlags & SS_DISABLE ? SS_DISABLE : 0 };
    }
    return true;
  }
}

/** Write a 128-byte siginfo_t (i386 layout) at dv offset o. */
export function writeSiginfo(dv: DataView, o: number, info: SigInfo): void {
  for (let i = 0; i < 128; i += 4) dv.setUint32(o + i, 0, true);
  dv.setInt32(o, info.signo, true);
  dv.setInt32(o + 4, info.errno ?? 0, true);
  dv.setInt32(o + 8, info.code, true);
  const sig = info.signo;
  if (sig === SIGSEGV || sig === SIGBUS || sig === SIGILL || sig === SIGFPE || sig === SIGTRAP) {
    if (info.code !== SI_USER && info.code !== SI_TKILL && info.code !== SI_QUEUE) {
      dv.setUint32(o + 12, info.addr ?? 0, true);
      return;
    }
  }
  if (sig === SIGCHLD && info.code > 0) {
    dv.setInt32(o + 12, info.pid ?? 0, true);
    dv.setInt32(o + 16, info.uid ?? 0, true);
    dv.setInt32(o + 20, info.status ?? 0, true);
    dv.setInt32(o + 24, info.utime ?? 0, true);
    dv.setInt32(o + 28, info.stime ?? 0, true);
    return;
  }
  if (sig === SIGIO || sig === SIGPOLL) {
    dv.setInt32(o + 12, info.band ?? 0, true);
    dv.setInt32(o + 16, info.fd ?? 0, true);
    return;
  }
  dv.setInt32(o + 12, info.pid ?? 0, true);
  dv.setInt32(o + 16, info.uid ?? 0, true);
  dv.setInt32(o + 20, info.value ?? 0, true);
}
const SIGPOLL = SIGIO;

/** RLIMIT_CORE soft limit: a core flag is reported only where a core would be written. */
export function coreLimit(p: Process): number {
  const l = p.rlimits.get(4);
  return l ? l[0] : 0;
}
