/** Signal system calls: actions, masks, sending, waiting, alternate stacks, sigreturn. */
import { syscallTable } from './registry.js';
import type { Task, SigAction, SigInfo } from '../task.js';
import { getStruct, putStruct } from '../uaccess.js';
import { NO_RESULT } from '../scheduler.js';
import { waitAny, INTERRUPTED, TIMEOUT } from '../wait.js';
import { writeSiginfo, SIGKILL, SIGSTOP, SIGSEGV, UNBLOCKABLE, SI_USER, SI_TKILL, SS_DISABLE, SS_ONSTACK, SS_AUTODISARM, NSIG } from '../signals.js';
import { EFAULT, EINVAL, ESRCH, EPERM, ENOMEM, EAGAIN, ERESTARTNOHAND, EINTR } from '../errno.js';
import { ESP } from '../../cpu/state.js';

const SIG_BLOCK = 0, SIG_UNBLOCK = 1, SIG_SETMASK = 2;
const MINSIGSTKSZ = 2048;

function readSet(t: Task, a: number, size: number): bigint | null {
  const dv = getStruct(t, a, size);
  if (!dv) return null;
  return size === 8 ? BigInt(dv.getUint32(0, true)) | (BigInt(dv.getUint32(4, true)) << 32n) : BigInt(dv.getUint32(0, true));
}
function writeSet(t: Task, a: number, set: bigint, size: number): boolean {
  return putStruct(t, a, size, (dv) => {
    dv.setUint32(0, Number(set & 0xffffffffn), true);
    if (size === 8) dv.setUint32(4, Number((set >> 32n) & 0xffffffffn), true);
  });
}

/** Shared by rt_sigaction (8-byte masks) and sigaction (old struct, 4-byte mask). */
function sigaction(t: Task, sig: number, act: number, oact: number, rt: boolean): number {
  if (sig < 1 || sig > NSIG) return -EINVAL;
  const table = t.proc.sigactions.a;
  const old = table[sig];
  let next: SigAction | null = null;
  if (act) {
    if (sig === SIGKILL || sig === SIGSTOP) return -EINVAL;
    // rt: handler, flags, restorer, mask[2].  old: handler, mask, flags, restorer.
    const dv = getStruct(t, act, rt ? 20 : 16);
    if (!dv) return -EFAULT;
    next = rt
      ? { handler: dv.getUint32(0, true), flags: dv.getInt32(4, true), restorer: dv.getUint32(8, true),
          mask: (BigInt(dv.getUint32(12, true)) | (BigInt(dv.getUint32(16, true)) << 32n)) & ~UNBLOCKABLE }
      : { handler: dv.getUint32(0, true), mask: BigInt(dv.getUint32(4, true)) & ~UNBLOCKABLE, flags: dv.getInt32(8, true), restorer: dv.getUint32(12, true) };
  }
  if (oact) {
    const ok = putStruct(t, oact, rt ? 20 : 16, (dv) => {
      dv.setUint32(0, old.handler, true);
      if (rt) {
        dv.setInt32(4, old.flags, true); dv.setUint32(8, old.restorer, true);
        dv.setUint32(12, Number(old.mask & 0xffffffffn), true); dv.setUint32(16, Number(old.mask >> 32n), true);
      } else {
        dv.setUint32(4, Number(old.mask & 0xffffffffn), true); dv.setInt32(8, old.flags, true); dv.setUint32(12, old.restorer, true);
      }
    });
    if (!ok) return -EFAULT;
  }
  if (next) {
    table[sig] = next;
    // Setting an action to ignore discards pending instances (POSIX).
    if (next.handler === 1 || (next.handler === 0 && (sig === 17 || sig === 23 || sig === 28))) {
      for (const th of t.proc.threads) th.pending = th.pending.filter((i) => i.signo !== sig);
      t.proc.pending = t.proc.pending.filter((i) => i.signo !== sig);
    }
  }
  return 0;
}

function sigprocmask(t: Task, how: number, set: number, oset: number, size: number): number {
  if (size !== 8 && size !== 4) return -EINVAL;
  const old = t.sigmask;
  if (set) {
    const s = readSet(t, set, size);
    if (s === null) return -EFAULT;
    const keepHigh = size === 4 ? t.sigmask & ~0xffffffffn : 0n;
    let m: bigint;
    if (how === SIG_BLOCK) m = t.sigmask | s;
    else if (how === SIG_UNBLOCK) m = t.sigmask & ~s;
    else if (how === SIG_SETMASK) m = s | keepHigh;
    else return -EINVAL;
    t.sigmask = m & ~UNBLOCKABLE;
  }
  if (oset && !writeSet(t, oset, old, size)) return -EFAULT;
  return 0;
}

function kill(t: Task, pid: number, sig: number): number {
  if (sig < 0 || sig > NSIG) return -EINVAL;
  const k = t.kernel;
  const info: SigInfo = { signo: sig, code: SI_USER, pid: t.proc.pid, uid: t.proc.creds.uid };
  if (pid > 0) {
    const p = k.processes.get(pid);
    if (!p || p.zombie) return -ESRCH;
    if (sig) k.signalProcess(p, info);
    return 0;
  }
  if (pid === 0 || pid < -1) {
    const pgid = pid === 0 ? t.proc.pgid : -pid;
    const any = [...k.processes.values()].some((p) => p.pgid === pgid && !p.zombie);
    if (!any) return -ESRCH;
    return sig ? k.signalGroup(pgid, info) : 0;
  }
  // -1: everyone but init and the caller.
  let n = 0;
  for (const p of k.processes.values()) {
    if (p === t.proc || p.zombie) continue;
    if (sig) k.signalProcess(p, { ...info });
    n++;
  }
  return n ? 0 : -ESRCH;
}

function tgkill(t: Task, tgid: number, tid: number, sig: number): number {
  if (sig < 0 || sig > NSIG || tid <= 0) return -EINVAL;
  const target = t.kernel.tasks.get(tid);
  if (!target || (tgid !== -1 && target.proc.pid !== tgid)) return -ESRCH;
  if (sig) t.kernel.signalTask(target, { signo: sig, code: SI_TKILL, pid: t.proc.pid, uid: t.proc.creds.uid });
  return 0;
}

/** Sleep with a temporary mask until a signal is delivered (sigsuspend). */
async function sigsuspend(t: Task, mask: bigint): Promise<number> {
  t.savedMask = t.sigmask;
  t.sigmask = mask & ~UNBLOCKABLE;
  while (!t.kernel.sched.signals.hasDeliverable(t)) {
    await waitAny([], t.interrupt);
  }
  return -ERESTARTNOHAND;
}

async function sigtimedwait(t: Task, setp: number, infop: number, tsp: number, size: number, ts64: boolean): Promise<number> {
  if (size !== 8) return -EINVAL;
  const set = readSet(t, setp, 8);
  if (set === null) return -EFAULT;
  let timeout: number | undefined;
  if (tsp) {
    const dv = getStruct(t, tsp, ts64 ? 16 : 8);
    if (!dv) return -EFAULT;
    const sec = ts64 ? Number(dv.getBigInt64(0, true)) : dv.getInt32(0, true);
    const nsec = ts64 ? Number(dv.getBigInt64(8, true)) : dv.getInt32(4, true);
    if (nsec < 0 || nsec >= 1e9 || sec < 0) return -EINVAL;
    timeout = sec * 1000 + nsec / 1e6;
  }
  const want = set & ~UNBLOCKABLE;
  const sigs = t.kernel.sched.signals;
  for (;;) {
    const info = sigs.dequeue(t, ~want);
    if (info) {
      if (infop && !putStruct(t, infop, 128, (dv) => writeSiginfo(dv, 0, info))) return -EFAULT;
      return info.signo;
    }
    if (sigs.hasDeliverable(t)) return -EINTR;
    if (timeout === 0) return -EAGAIN;
    // Signals in `want` are blocked, so wake on any new pending signal.
    const before = t.pending.length + t.proc.pending.length;
    const r = await waitAny([], t.interrupt, timeout, [pollPending(t, before)]);
    if (r === TIMEOUT) return -EAGAIN;
    if (r === INTERRUPTED && sigs.hasDeliverable(t)) return -EINTR;
  }
}
/** Resolve when the task's pending lists grow (signals queued while blocked wake nothing). */
function pollPending(t: Task, n: number): Promise<void> {
  return new Promise((resolve) => {
    const tick = () => {
      if (t.pending.length + t.proc.pending.length > n || t.state === 'zombie') resolve();
      else setTimeout(tick, 5);
    };
    setTimeout(tick, 5);
  });
}

function sigaltstack(t: Task, ss: number, oss: number): number {
  const sp = t.cpu.s[ESP] >>> 0;
  const cur = t.altstack;
  const onStack = cur.flags !== SS_DISABLE && sp > cur.sp && sp <= cur.sp + cur.size;
  if (oss) {
    const ok = putStruct(t, oss, 12, (dv) => {
      dv.setUint32(0, cur.sp, true);
      dv.setInt32(4, onStack ? SS_ONSTACK : cur.flags === SS_DISABLE ? SS_DISABLE : cur.flags & SS_AUTODISARM, true);
      dv.setUint32(8, cur.size, true);
    });
    if (!ok) return -EFAULT;
  }
  if (ss) {
    const dv = getStruct(t, ss, 12);
    if (!dv) return -EFAULT;
    if (onStack) return -EPERM;
    const flags = dv.getInt32(4, true);
    const mode = flags & ~SS_AUTODISARM;
    if (mode !== 0 && mode !== SS_DISABLE && mode !== SS_ONSTACK) return -EINVAL;
    if (mode === SS_DISABLE) t.altstack = { sp: 0, size: 0, flags: SS_DISABLE };
    else {
      const size = dv.getUint32(8, true);
      if (size < MINSIGSTKSZ) return -ENOMEM;
      t.altstack = { sp: dv.getUint32(0, true), size, flags: flags & SS_AUTODISARM };
    }
  }
  return 0;
}

function sigreturn(t: Task, rt: boolean): number {
  if (!t.kernel.sched.signals.restoreFrame(t, rt)) {
    t.kernel.signalTask(t, { signo: SIGSEGV, code: 0x80 });
  }
  return NO_RESULT;
}

function queueinfo(t: Task, tgid: number, tid: number, sig: number, uinfo: number): number {
  const dv = getStruct(t, uinfo, 128);
  if (!dv) return -EFAULT;
  const code = dv.getInt32(8, true);
  if ((code >= 0 || code === SI_TKILL) && tgid !== t.proc.pid) return -EPERM;
  const info: SigInfo = { signo: sig, code, pid: dv.getInt32(12, true), uid: dv.getInt32(16, true), value: dv.getInt32(20, true) };
  if (tid > 0) {
    const target = t.kernel.tasks.get(tid);
    if (!target || target.proc.pid !== tgid) return -ESRCH;
    t.kernel.signalTask(target, info);
  } else {
    const p = t.kernel.processes.get(tgid);
    if (!p) return -ESRCH;
    t.kernel.signalProcess(p, info);
  }
  return 0;
}

/** This module's rows of the system call table (syscalls/index.ts). */
export const signalSyscalls = syscallTable({
  rt_sigaction: (t, sig, act, oact, size) => (size !== 8 ? -EINVAL : sigaction(t, sig, act >>> 0, oact >>> 0, true)),
  sigaction: (t, sig, act, oact) => sigaction(t, sig, act >>> 0, oact >>> 0, false),
  signal: (t, sig, handler) => {
    if (sig < 1 || sig > NSIG || sig === SIGKILL || sig === SIGSTOP) return -EINVAL;
    const old = t.proc.sigactions.a[sig].handler;
    t.proc.sigactions.a[sig] = { handler: handler >>> 0, flags: 0x80000000 | 0x40000000, restorer: 0, mask: 0n };
    return old;
  },
  rt_sigprocmask: (t, how, set, oset, size) => sigprocmask(t, how, set >>> 0, oset >>> 0, size),
  sigprocmask: (t, how, set, oset) => sigprocmask(t, how, set >>> 0, oset >>> 0, 4),
  sgetmask: (t) => Number(t.sigmask & 0xffffffffn) | 0,
  ssetmask: (t, m) => { const old = Number(t.sigmask & 0xffffffffn) | 0; t.sigmask = ((t.sigmask & ~0xffffffffn) | BigInt(m >>> 0)) & ~UNBLOCKABLE; return old; },
  rt_sigpending: (t, set, size) => (size > 8 ? -EINVAL : writeSet(t, set >>> 0, t.kernel.sched.signals.pendingSet(t) & t.sigmask, 8) ? 0 : -EFAULT),
  sigpending: (t, set) => (writeSet(t, set >>> 0, t.kernel.sched.signals.pendingSet(t) & t.sigmask, 4) ? 0 : -EFAULT),
  rt_sigsuspend: (t, set, size) => {
    if (size !== 8) return -EINVAL;
    const m = readSet(t, set >>> 0, 8);
    return m === null ? -EFAULT : sigsuspend(t, m);
  },
  sigsuspend: (t, _a, _b, mask) => sigsuspend(t, (t.sigmask & ~0xffffffffn) | BigInt(mask >>> 0)),
  pause: async (t) => {
    while (!t.kernel.sched.signals.hasDeliverable(t)) await waitAny([], t.interrupt);
    return -ERESTARTNOHAND;
  },
  rt_sigtimedwait: (t, set, info, ts, size) => sigtimedwait(t, set >>> 0, info >>> 0, ts >>> 0, size, false),
  rt_sigtimedwait_time64: (t, set, info, ts, size) => sigtimedwait(t, set >>> 0, info >>> 0, ts >>> 0, size, true),
  rt_sigqueueinfo: (t, pid, sig, info) => queueinfo(t, pid, 0, sig, info >>> 0),
  rt_tgsigqueueinfo: (t, tgid, tid, sig, info) => queueinfo(t, tgid, tid, sig, info >>> 0),
  kill: (t, pid, sig) => kill(t, pid, sig),
  tkill: (t, tid, sig) => tgkill(t, -1, tid, sig),
  tgkill: (t, tgid, tid, sig) => tgkill(t, tgid, tid, sig),
  sigaltstack: (t, ss, oss) => sigaltstack(t, ss >>> 0, oss >>> 0),
  sigreturn: (t) => sigreturn(t, false),
  rt_sigreturn: (t) => sigreturn(t, true),
});
