/** Process and thread lifecycle: fork/vfork/clone, execve, exit, wait4/waitid, ids, sessions. */
import { shmFork, shmRelease } from '../shm.js';
import { syscallTable } from './registry.js';
import type { Task, Process } from '../task.js';
import { Task as TaskClass, Process as ProcessClass } from '../task.js';
import { Cpu } from '../../cpu/cpu.js';
import { EAX, ESP, DS, ES, FS, GS } from '../../cpu/state.js';
import { refreshSeg } from '../../cpu/seg-regs.js';
import { readUserDesc, isEmptyDesc, isZeroDesc, GDT_ENTRY_TLS_MIN } from '../../cpu/segments.js';
import { codeCache } from '../../cpu/interp.js';
import { loadProgram } from '../exec.js';
import { cloneTimersOnFork, timersOnExec } from '../timers.js';
import { NO_RESULT } from '../scheduler.js';
import { WaitQueue, waitAny, INTERRUPTED } from '../wait.js';
import { getString, getStringArray, putU32, putStruct, getStruct } from '../uaccess.js';
import { writeSiginfo, SIGCHLD, CLD_EXITED, CLD_KILLED, CLD_DUMPED, CLD_STOPPED, CLD_CONTINUED } from '../signals.js';
import { EAGAIN, ECHILD, EFAULT, EINVAL, ENOMEM, EPERM, ESRCH, ERESTARTSYS, ENOSYS, ENOENT, EBADF } from '../errno.js';
import { nprocAllows } from '../rlimits.js';
import { AddressSpaceFull, type AddressSpace } from '../../mem/address-space.js';

export const CLONE_VM = 0x100, CLONE_FS = 0x200, CLONE_FILES = 0x400, CLONE_SIGHAND = 0x800;
export const CLONE_PIDFD = 0x1000, CLONE_PTRACE = 0x2000, CLONE_VFORK = 0x4000, CLONE_PARENT = 0x8000;
export const CLONE_THREAD = 0x10000, CLONE_NEWNS = 0x20000, CLONE_SYSVSEM = 0x40000, CLONE_SETTLS = 0x80000;
export const CLONE_PARENT_SETTID = 0x100000, CLONE_CHILD_CLEARTID = 0x200000, CLONE_DETACHED = 0x400000;
export const CLONE_UNTRACED = 0x800000, CLONE_CHILD_SETTID = 0x1000000;

/** Install a TLS descriptor from a user_desc (shared with set_thread_area). */
export function setTls(t: Task, descAddr: number): number {
  const dv = getStruct(t, descAddr, 16);
  if (!dv) return -EFAULT;
  const u = readUserDesc(dv, 0);
  // tls_desc_okay() (arch/x86/kernel/tls.c): clearing, or present 32-bit data only.
  const clear = isEmptyDesc(u) || isZeroDesc(u);
  if (!clear && (!u.seg32bit || u.contents > 1 || u.segNotPresent)) return -EINVAL;
  let idx = u.entry;
  if (idx === -1) {
    idx = t.cpu.desc.tls.findIndex((d) => d === null) + GDT_ENTRY_TLS_MIN;
    if (idx < GDT_ENTRY_TLS_MIN) return -3; // ESRCH: no free slot
    if (!putU32(t, descAddr, idx)) return -EFAULT;
  }
  const slot = idx - GDT_ENTRY_TLS_MIN;
  if (slot < 0 || slot > 2) return -EINVAL;
  u.entry = idx;
  t.cpu.desc.tls[slot] = clear ? null : u;
  // set_tls_desc() on x86-64: DS, ES, FS and GS holding exactly this selector (RPL 3) are reloaded.
  for (const seg of [DS, ES, FS, GS]) if (t.cpu.selector(seg) === ((idx << 3) | 3)) refreshSeg(t.cpu, seg);
  return 0;
}

function clone(t: Task, flags: number, newsp: number, ptid: number, tls: number, ctid: number): number | Promise<number> {
  const k = t.kernel;
  const parent = t.proc;
  if ((flags & CLONE_THREAD) && !(flags & CLONE_SIGHAND)) return -EINVAL;
  if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM)) return -EINVAL;
  if (!nprocAllows(t)) return -EAGAIN; // RLIMIT_NPROC
  const tid = k.allocPid();
  let proc: Process;
  let cpu: Cpu;
  if (flags & CLONE_THREAD) {
    proc = parent;
    cpu = new Cpu(parent.mem);
    cpu.copyFrom(t.cpu);
    cpu.desc = t.cpu.desc.clone(true);
  } else {
    let mem: AddressSpace;
    try {
      mem = flags & CLONE_VM ? parent.mem : parent.mem.clone();
    } catch (e) {
      // The host has no memory for the child's copy: fork fails as Linux's does without memory.
      if (e instanceof AddressSpaceFull) return -ENOMEM;
      throw e;
    }
    if (mem !== parent.mem) shmFork(parent.mem, mem);
    if (flags & CLONE_VM) mem.users++;
    else codeCache(mem).forkFrom(codeCache(parent.mem));
    if (flags & CLONE_VM) {
      cpu = new Cpu(mem);
      cpu.copyFrom(t.cpu);
    } else {
      mem.claimStateSlot(t.cpu.slot);
      cpu = new Cpu(mem, t.cpu.slot);
      cpu.copySegments(t.cpu);
      // The slot's bytes came along with the copy; other threads' slots are free in the child.
      for (const o of parent.threads) if (o !== t && o.cpu.mem === parent.mem) mem.freeStateSlot(o.cpu.slot);
    }
    cpu.desc = t.cpu.desc.clone(!!(flags & CLONE_VM));
    const files = flags & CLONE_FILES ? parent.files : parent.files.clone();
    const fs = flags & CLONE_FS ? parent.fs : { ...parent.fs };
    proc = new ProcessClass(k, tid, flags & CLONE_PARENT ? parent.parent : parent, mem, files, fs, { ...parent.creds, groups: [...parent.creds.groups] });
    proc.pgid = parent.pgid;
    proc.sid = parent.sid;
    proc.ctty = parent.ctty;
    proc.sigactions = flags & CLONE_SIGHAND ? parent.sigactions : { a: parent.sigactions.a.map((a) => ({ ...a })) };
    proc.exitSignal = flags & 0xff;
    proc.exe = parent.exe;
    proc.argv = parent.argv;
    proc.envp = parent.envp;
    proc.rlimits = new Map(parent.rlimits);
    proc.personality = parent.personality;
    proc.startTime = k.uptimeMs();
    proc.parent?.children.add(proc);
    cloneTimersOnFork(parent, proc);
    k.processes.set(tid, proc);
    k.processCreated(proc);
  }
  cpu.s[EAX] = 0;
  if (newsp) cpu.s[ESP] = newsp;
  const child = new TaskClass(tid, proc, cpu);
  child.trap = { ...t.trap }; // dup_task_struct copies the thread struct
  child.sigmask = t.sigmask;
  child.comm = t.comm;
  if (!(flags & CLONE_VM) || flags & CLONE_VFORK) child.altstack = { ...t.altstack };
  if (flags & CLONE_THREAD) proc.threads.push(child); else proc.threads = [child];
  if (flags & CLONE_SETTLS) {
    const r = setTls(child, tls);
    if (r < 0) { k.tasks.delete(tid); return r; }
  }
  if (flags & CLONE_PARENT_SETTID) putU32(t, ptid, tid);
  if (flags & CLONE_CHILD_SETTID) putU32(child, ctid, tid);
  if (flags & CLONE_CHILD_CLEARTID) child.clearChildTid = ctid;
  if (flags & CLONE_VFORK) {
    const done = new WaitQueue();
    child.vforkDone = done;
    k.sched.addTask(child);
    // The parent sleeps (uninterruptibly, as in Linux) until the child execs or exits.
    return new Promise((resolve) => { done.add(() => resolve(tid)); });
  }
  k.sched.addTask(child);
  return tid;
}

async function execve(t: Task, pathp: number, argvp: number, envp: number): Promise<number> {
  const path = getString(t, pathp);
  if (typeof path === 'number') return path;
  if (path === '') return -ENOENT;
  const argv = getStringArray(t, argvp);
  if (typeof argv === 'number') return argv;
  const env = getStringArray(t, envp);
  if (typeof env === 'number') return env;
  // The path as given: a script's interpreter gets it as its argument, and AT_EXECFN shows it.
  const r = await loadProgram(t, t.kernel.readExecutable, path, argv, env, (m) => t.kernel.warnOnce(`exec:${m}`, m));
  if (typeof r === 'number') return r;
  const p = t.proc;
  // Other threads die (de_thread); the caller becomes the only thread.
  for (const o of p.threads) if (o !== t) { o.state = 'zombie'; t.kernel.tasks.delete(o.tid); }
  p.threads = [t];
  const old = p.mem;
  p.mem = r.mem;
  t.cpu = r.cpu;
  shmRelease(old);
  old.release();
  p.exe = r.path;
  p.argv = r.argv;
  p.envp = env;
  t.comm = r.path.split('/').pop()!.slice(0, 15);
  p.files.closeOnExec();
  timersOnExec(p);
  // Caught signals revert to default; ignored ones stay ignored.
  p.sigactions = { a: p.sigactions.a.map((a) => ({ handler: a.handler === 1 ? 1 : 0, flags: 0, restorer: 0, mask: 0n })) };
  t.altstack = { sp: 0, size: 0, flags: 2 };
  t.clearChildTid = 0;
  t.robustList = 0;
  if (t.vforkDone) { t.vforkDone.wake(); t.vforkDone = null; }
  return NO_RESULT;
}

// ---- wait ----

const WNOHANG = 1, WUNTRACED = 2, WEXITED = 4, WCONTINUED = 8, WNOWAIT = 0x01000000;
const P_ALL = 0, P_PID = 1, P_PGID = 2, P_PIDFD = 3;

interface Found { child: Process; kind: 'exit' | 'stop' | 'cont' }

function matches(t: Task, c: Process, pid: number): boolean {
  if (pid > 0) return c.pid === pid;
  if (pid === 0) return c.pgid === t.proc.pgid;
  if (pid === -1) return true;
  return c.pgid === -pid;
}

function findChild(t: Task, pid: number, opts: number): Found | null | number {
  let any = false;
  for (const c of t.proc.children) {
    if (!matches(t, c, pid)) continue;
    any = true;
    if (c.zombie && opts & WEXITED) return { child: c, kind: 'exit' };
    if (opts & WUNTRACED && c.stopReport !== null && !c.zombie) return { child: c, kind: 'stop' };
    if (opts & WCONTINUED && c.continued && !c.zombie) return { child: c, kind: 'cont' };
  }
  return any ? null : -ECHILD;
}

function reap(t: Task, c: Process): void {
  t.proc.children.delete(c);
  t.kernel.processes.delete(c.pid);
  t.proc.cutimeMs += c.threads.reduce((n, x) => n + x.utimeMs, 0) + c.cutimeMs;
}

async function waitLoop(t: Task, pid: number, opts: number, found: (f: Found) => number): Promise<number> {
  for (;;) {
    const f = findChild(t, pid, opts);
    if (typeof f === 'number') return f;
    if (f) return found(f);
    if (opts & WNOHANG) return 0;
    if (t.kernel.sched.signals.hasDeliverable(t)) return -ERESTARTSYS;
    const r = await waitAny([t.proc.childEvent], t.interrupt);
    if (r === INTERRUPTED) return -ERESTARTSYS;
  }
}

function statusWord(f: Found): number {
  if (f.kind === 'stop') return 0x7f | (f.child.stopReport! << 8);
  if (f.kind === 'cont') return 0xffff;
  return f.child.exitStatus;
}

function wait4(t: Task, pid: number, statusp: number, opts: number, rusage: number): number | Promise<number> {
  if (opts & ~(WNOHANG | WUNTRACED | WCONTINUED | 0x20000000 | 0x40000000 | 0x80000000)) return -EINVAL;
  return waitLoop(t, pid, opts | WEXITED, (f) => {
    const st = statusWord(f);
    if (statusp && !putU32(t, statusp, st)) return -EFAULT;
    if (rusage) putStruct(t, rusage, 72, () => {});
    const pidOut = f.child.pid;
    if (f.kind === 'exit') reap(t, f.child);
    else if (f.kind === 'stop') f.child.stopReport = null;
    else f.child.continued = false;
    return pidOut;
  });
}

function waitid(t: Task, idtype: number, id: number, infop: number, opts: number): number | Promise<number> {
  let pid: number;
  if (idtype === P_ALL) pid = -1;
  else if (idtype === P_PID) { if (id <= 0) return -EINVAL; pid = id; }
  else if (idtype === P_PGID) pid = id === 0 ? 0 : -id;
  else if (idtype === P_PIDFD) return -EBADF;
  else return -EINVAL;
  if (!(opts & (WEXITED | WUNTRACED | WCONTINUED))) return -EINVAL;
  return waitLoop(t, pid, opts, (f) => {
    const c = f.child;
    const st = c.exitStatus;
    let code: number, status: number;
    if (f.kind === 'stop') { code = CLD_STOPPED; status = c.stopReport!; }
    else if (f.kind === 'cont') { code = CLD_CONTINUED; status = 18; }
    else if (st & 0x7f) { code = st & 0x80 ? CLD_DUMPED : CLD_KILLED; status = st & 0x7f; }
    else { code = CLD_EXITED; status = (st >> 8) & 0xff; }
    if (infop && !putStruct(t, infop, 128, (dv) => writeSiginfo(dv, 0, { signo: SIGCHLD, code, pid: c.pid, uid: c.creds.uid, status }))) return -EFAULT;
    if (!(opts & WNOWAIT)) {
      if (f.kind === 'exit') reap(t, c);
      else if (f.kind === 'stop') c.stopReport = null;
      else c.continued = false;
    }
    return 0;
  });
}

// ---- ids, groups, sessions ----

function setpgid(t: Task, pid: number, pgid: number): number {
  const k = t.kernel;
  const p = pid === 0 ? t.proc : k.processes.get(pid);
  if (!p || (p !== t.proc && p.parent !== t.proc)) return -ESRCH;
  if (pgid < 0) return -EINVAL;
  const target = pgid === 0 ? p.pid : pgid;
  if (p.sid === p.pid) return -EPERM; // a session leader cannot move
  if (p.sid !== t.proc.sid) return -EPERM;
  if (target !== p.pid && ![...k.processes.values()].some((q) => q.pgid === target && q.sid === t.proc.sid && !q.zombie)) return -EPERM;
  p.pgid = target;
  return 0;
}

function setsid(t: Task): number {
  const p = t.proc;
  if ([...t.kernel.processes.values()].some((q) => q.pgid === p.pid && !q.zombie)) return -EPERM;
  p.sid = p.pid;
  p.pgid = p.pid;
  p.ctty = null;
  return p.pid;
}

const lookup = (t: Task, pid: number): Process | undefined => (pid === 0 ? t.proc : t.kernel.processes.get(pid));

/** This module's rows of the system call table (syscalls/index.ts). */
export const processSyscalls = syscallTable({
  fork: (t) => clone(t, SIGCHLD, 0, 0, 0, 0),
  vfork: (t) => clone(t, CLONE_VM | CLONE_VFORK | SIGCHLD, 0, 0, 0, 0),
  // i386 argument order (CLONE_BACKWARDS): flags, newsp, parent_tidptr, tls, child_tidptr.
  clone: (t, flags, newsp, ptid, tls, ctid) => clone(t, flags, newsp >>> 0, ptid >>> 0, tls >>> 0, ctid >>> 0),
  clone3: () => -ENOSYS, // glibc falls back to clone
  execve: (t, path, argv, envp) => execve(t, path >>> 0, argv >>> 0, envp >>> 0),
  exit: (t, code) => { t.kernel.sched.exitThread(t, (code & 0xff) << 8); return NO_RESULT; },
  exit_group: (t, code) => { t.kernel.sched.exitProcess(t.proc, (code & 0xff) << 8); return NO_RESULT; },
  wait4: (t, pid, st, opts, ru) => wait4(t, pid, st >>> 0, opts, ru >>> 0),
  waitpid: (t, pid, st, opts) => wait4(t, pid, st >>> 0, opts, 0),
  waitid: (t, idtype, id, infop, opts) => waitid(t, idtype, id, infop >>> 0, opts),
  getpid: (t) => t.proc.pid,
  gettid: (t) => t.tid,
  getppid: (t) => t.proc.parent?.pid ?? 1,
  getpgrp: (t) => t.proc.pgid,
  getpgid: (t, pid) => lookup(t, pid)?.pgid ?? -ESRCH,
  getsid: (t, pid) => lookup(t, pid)?.sid ?? -ESRCH,
  setpgid: (t, pid, pgid) => setpgid(t, pid, pgid),
  setsid: (t) => setsid(t),
  set_tid_address: (t, addr) => { t.clearChildTid = addr >>> 0; return t.tid; },
  set_robust_list: (t, head, len) => { if (len !== 12) return -EINVAL; t.robustList = head >>> 0; t.robustListLen = len; return 0; },
  get_robust_list: (t, pid, headp, lenp) => {
    const o = pid === 0 ? t : t.kernel.tasks.get(pid);
    if (!o) return -ESRCH;
    if (!putU32(t, headp, o.robustList) || !putU32(t, lenp, 12)) return -EFAULT;
    return 0;
  },
});
