/**
 * Scheduling and resource reports: sched_yield(2), sched_{get,set}affinity(2), the
 * sched_*scheduler/param/priority calls, getpriority(2)/setpriority(2)/nice(2),
 * getrusage(2), sysinfo(2), getcpu(2).
 *
 * There is one CPU. Policies and nice values are remembered and reported but do not
 * change how the cooperative scheduler runs tasks. Nice values are kept per process
 * (Linux keeps them per thread) and a fork child starts with its parent's value as it
 * is when the child first asks.
 */
import { syscallTable } from './registry.js';
import type { Process, Task } from '../task.js';
import { EACCES, EFAULT, EINVAL, EPERM, ESRCH } from '../errno.js';
import { getI32, putStruct, putU32 } from '../uaccess.js';
import { yieldToEventLoop } from '../sleep.js';
import { fillTimeval, fillTimespec, processCpuNs, threadCpuNs, monotonicNs, NSEC_PER_SEC } from '../clock.js';
import { MEM_TOTAL_BYTES, memFreeBytes, mappedBytes } from '../meminfo.js';

export const SCHED_OTHER = 0, SCHED_FIFO = 1, SCHED_RR = 2, SCHED_BATCH = 3, SCHED_IDLE = 5, SCHED_DEADLINE = 6;
const SCHED_RESET_ON_FORK = 0x40000000;
export const PRIO_PROCESS = 0, PRIO_PGRP = 1, PRIO_USER = 2;
export const RUSAGE_SELF = 0, RUSAGE_CHILDREN = -1, RUSAGE_THREAD = 1;

interface SchedState { nice: number; policy: number; prio: number }
const states = new WeakMap<Process, SchedState>();

function sched(p: Process): SchedState {
  let s = states.get(p);
  if (!s) {
    const from = p.parent ? states.get(p.parent) : undefined;
    s = from ? { ...from } : { nice: 0, policy: SCHED_OTHER, prio: 0 };
    states.set(p, s);
  }
  return s;
}

/** The task named by a pid argument (0: the caller). */
function taskOf(t: Task, pid: number): Task | null {
  if (pid === 0) return t;
  return t.kernel.tasks.get(pid) ?? null;
}

const isRoot = (t: Task): boolean => t.proc.creds.euid === 0;

function getaffinity(t: Task, pid: number, len: number, mask: number): number {
  len >>>= 0;
  if (len < 4 || (len & 3) !== 0) return -EINVAL;
  if (!taskOf(t, pid)) return -ESRCH;
  return putU32(t, mask, 1) ? 4 : -EFAULT;
}

function setaffinity(t: Task, pid: number, len: number, mask: number): number {
  if (!taskOf(t, pid)) return -ESRCH;
  if ((len >>> 0) < 4) return -EINVAL;
  const m = getI32(t, mask);
  if (m === null) return -EFAULT;
  // CPU 0 is the only one: a mask without it leaves nowhere to run.
  return m & 1 ? 0 : -EINVAL;
}

function validPolicyPrio(policy: number, prio: number): boolean {
  if (policy === SCHED_FIFO || policy === SCHED_RR) return prio >= 1 && prio <= 99;
  if (policy === SCHED_OTHER || policy === SCHED_BATCH || policy === SCHED_IDLE) return prio === 0;
  return false;
}

function setscheduler(t: Task, pid: number, policy: number, param: number): number {
  if (pid < 0 || (param >>> 0) === 0) return -EINVAL;
  const th = taskOf(t, pid);
  if (!th) return -ESRCH;
  const prio = getI32(t, param);
  if (prio === null) return -EFAULT;
  const s = sched(th.proc);
  if (policy === -1) policy = s.policy; // sched_setparam keeps the policy
  policy &= ~SCHED_RESET_ON_FORK;
  if (!validPolicyPrio(policy, prio)) return -EINVAL;
  // Real-time policies need CAP_SYS_NICE (RLIMIT_RTPRIO is 0 by default).
  if ((policy === SCHED_FIFO || policy === SCHED_RR) && !isRoot(t)) return -EPERM;
  s.policy = policy; s.prio = prio;
  return 0;
}

/** Processes a getpriority/setpriority (which, who) names. */
function targets(t: Task, which: number, who: number): Process[] | number {
  const all = [...t.kernel.processes.values()].filter((p) => !p.zombie);
  switch (which) {
    case PRIO_PROCESS: {
      const th = taskOf(t, who);
      return th ? [th.proc] : [];
    }
    case PRIO_PGRP: {
      const pg = who === 0 ? t.proc.pgid : who;
      return all.filter((p) => p.pgid === pg);
    }
    case PRIO_USER: {
      const uid = who === 0 ? t.proc.creds.uid : who;
      return all.filter((p) => p.creds.uid === uid);
    }
    default: return -EINVAL;
  }
}

function getpriority(t: Task, which: number, who: number): number {
  const ps = targets(t, which, who);
  if (typeof ps === 'number') return ps;
  if (ps.length === 0) return -ESRCH;
  // The syscall returns 20 - nice (1..40) so that no value looks like -errno.
  return 20 - Math.min(...ps.map((p) => sched(p).nice));
}

function setNice(t: Task, p: Process, nice: number): number {
  nice = Math.max(-20, Math.min(19, nice));
  const s = sched(p);
  if (p.creds.uid !== t.proc.creds.euid && p.creds.euid !== t.proc.creds.euid && !isRoot(t)) return -EPERM;
  if (nice < s.nice && !isRoot(t)) return -EACCES;
  s.nice = nice;
  return 0;
}

function setpriority(t: Task, which: number, who: number, nice: number): number {
  const ps = targets(t, which, who);
  if (typeof ps === 'number') return ps;
  if (ps.length === 0) return -ESRCH;
  let r = 0;
  for (const p of ps) { const e = setNice(t, p, nice); if (e < 0) r = e; }
  return r;
}

/** struct rusage (i386): two timevals, then 14 longs starting with ru_maxrss in KiB. */
function getrusage(t: Task, who: number, ru: number): number {
  let user: bigint, sys: bigint, maxrss = 0;
  const ms = (x: number): bigint => BigInt(Math.round(x * 1e6));
  if (who === RUSAGE_SELF || who === RUSAGE_THREAD) {
    const ths = who === RUSAGE_SELF ? t.proc.threads : [t];
    let u = 0, s = 0;
    for (const th of ths) { u += th.utimeMs; s += th.stimeMs; }
    user = ms(u); sys = ms(s);
    if (u + s === 0) user = who === RUSAGE_SELF ? processCpuNs(t.proc) : threadCpuNs(t);
    maxrss = Math.floor(mappedBytes(t.mem) / 1024);
  } else if (who === RUSAGE_CHILDREN) {
    user = ms(t.proc.cutimeMs); sys = ms(t.proc.cstimeMs);
  } else {
    return -EINVAL;
  }
  const ok = putStruct(t, ru, 72, (dv) => {
    fillTimeval(dv, 0, user);
    fillTimeval(dv, 8, sys);
    dv.setInt32(16, maxrss, true);
  });
  return ok ? 0 : -EFAULT;
}

/** struct sysinfo (i386, 64 bytes), with mem_unit 1. */
function sysinfo(t: Task, info: number): number {
  const k = t.kernel;
  const ok = putStruct(t, info, 64, (dv) => {
    dv.setInt32(0, Number(monotonicNs(k) / NSEC_PER_SEC), true);
    // loads[3] in 1/65536 units: the load is the number of runnable tasks, here 0.
    dv.setUint32(16, MEM_TOTAL_BYTES, true);
    dv.setUint32(20, memFreeBytes(k), true);
    dv.setUint16(40, Math.min(k.tasks.size, 0xffff), true);
    dv.setUint32(52, 1, true);
  });
  return ok ? 0 : -EFAULT;
}

function rrInterval(t: Task, pid: number, tp: number, t64: boolean): number {
  if (pid < 0) return -EINVAL;
  const th = taskOf(t, pid);
  if (!th) return -ESRCH;
  // SCHED_RR's quantum is 100 ms (RR_TIMESLICE); FIFO has none; CFS reports its slice,
  // which for a lone task is the 4 ms tick we claim elsewhere.
  const pol = sched(th.proc).policy;
  const ns = pol === SCHED_RR ? 100_000_000n : pol === SCHED_FIFO ? 0n : 4_000_000n;
  return putStruct(t, tp, t64 ? 16 : 8, (dv) => fillTimespec(dv, 0, ns, t64)) ? 0 : -EFAULT;
}

/** This module's rows of the system call table (syscalls/index.ts). */
export const schedSyscalls = syscallTable({
  sched_yield: () => yieldToEventLoop().then(() => 0),
  sched_getaffinity: (t, pid, len, mask) => getaffinity(t, pid, len, mask),
  sched_setaffinity: (t, pid, len, mask) => setaffinity(t, pid, len, mask),
  sched_getscheduler: (t, pid) => {
    if (pid < 0) return -EINVAL;
    const th = taskOf(t, pid);
    return th ? sched(th.proc).policy : -ESRCH;
  },
  sched_setscheduler: (t, pid, policy, param) => setscheduler(t, pid, policy, param),
  sched_getparam: (t, pid, param) => {
    if (pid < 0 || (param >>> 0) === 0) return -EINVAL;
    const th = taskOf(t, pid);
    if (!th) return -ESRCH;
    return putU32(t, param, sched(th.proc).prio) ? 0 : -EFAULT;
  },
  sched_setparam: (t, pid, param) => setscheduler(t, pid, -1, param),
  sched_get_priority_max: (_t, policy) => (policy === SCHED_FIFO || policy === SCHED_RR ? 99
    : policy === SCHED_OTHER || policy === SCHED_BATCH || policy === SCHED_IDLE || policy === SCHED_DEADLINE ? 0 : -EINVAL),
  sched_get_priority_min: (_t, policy) => (policy === SCHED_FIFO || policy === SCHED_RR ? 1
    : policy === SCHED_OTHER || policy === SCHED_BATCH || policy === SCHED_IDLE || policy === SCHED_DEADLINE ? 0 : -EINVAL),
  sched_rr_get_interval: (t, pid, tp) => rrInterval(t, pid, tp, false),
  sched_rr_get_interval_time64: (t, pid, tp) => rrInterval(t, pid, tp, true),
  getpriority: (t, which, who) => getpriority(t, which, who),
  setpriority: (t, which, who, prio) => setpriority(t, which, who, prio),
  nice: (t, inc) => {
    // The increment is clamped first (sys_nice), so huge values cannot overflow.
    inc = Math.max(-40, Math.min(40, inc));
    const s = sched(t.proc);
    const nice = Math.max(-20, Math.min(19, s.nice + inc));
    if (nice < s.nice && !isRoot(t)) return -EPERM;
    s.nice = nice;
    return 0;
  },
  getrusage: (t, who, ru) => getrusage(t, who, ru),
  sysinfo: (t, info) => sysinfo(t, info),
  getcpu: (t, cpu, node) => {
    if ((cpu >>> 0) !== 0 && !putU32(t, cpu, 0)) return -EFAULT;
    if ((node >>> 0) !== 0 && !putU32(t, node, 0)) return -EFAULT;
    return 0;
  },
});

