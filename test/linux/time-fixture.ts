/**
 * A minimal kernel, process and task for unit tests of the time, futex and poll system
 * calls: a small address space with one read-write page range at SCRATCH for argument
 * structures, and signal routing stubbed to record what was sent.
 */
import { Kernel } from '../../src/engine/linux/kernel.js';
import { AddressSpace, PROT_READ, PROT_WRITE, MAP_PRIVATE, MAP_ANONYMOUS } from '../../src/engine/mem/address-space.js';
import { Cpu } from '../../src/engine/cpu/cpu.js';
import { Process, Task, type SigInfo } from '../../src/engine/linux/task.js';
import { FdTable } from '../../src/engine/fs/types.js';
import { HANDLERS } from '../../src/engine/linux/syscalls/index.js';

export const SCRATCH = 0x400000;
export const SCRATCH_SIZE = 0x10000;

export interface Fixture {
  k: Kernel;
  p: Process;
  t: Task;
  mem: AddressSpace;
  /** Signals sent through kernel.signalProcess/signalTask, in order. */
  sent: { to: 'process' | 'task'; info: SigInfo }[];
  /** Call a system call by name with up to six register arguments. */
  sys: (name: string, ...args: number[]) => number | Promise<number>;
  /** A second thread of the same process. */
  thread: () => Task;
}

let nextPid = 100;

export function fixture(): Fixture {
  const k = new Kernel({ taskSize: 1 << 24 });
  const mem = new AddressSpace(1 << 24);
  mem.map(SCRATCH, SCRATCH_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
  const creds = { uid: 0, euid: 0, suid: 0, fsuid: 0, gid: 0, egid: 0, sgid: 0, fsgid: 0, groups: [] };
  const pid = nextPid++;
  const p = new Process(k, pid, null, mem, new FdTable(), { cwd: '/', root: '/', umask: 0o22 }, creds);
  const t = new Task(pid, p, new Cpu(mem));
  p.threads = [t];
  k.processes.set(pid, p);
  k.tasks.set(pid, t);
  const sent: Fixture['sent'] = [];
  // Record instead of delivering; queue on the pending list and wake as the real code does.
  k.signalProcess = (q, info) => { sent.push({ to: 'process', info }); q.pending.push(info); q.threads[0]?.interrupt.wake(); };
  k.signalTask = (x, info) => { sent.push({ to: 'task', info }); x.pending.push(info); x.interrupt.wake(); };
  const sys = (name: string, ...a: number[]): number | Promise<number> => {
    const fn = HANDLERS.get(name);
    if (!fn) throw new Error(`no handler for ${name}`);
    return fn(t, a[0] ?? 0, a[1] ?? 0, a[2] ?? 0, a[3] ?? 0, a[4] ?? 0, a[5] ?? 0);
  };
  const thread = (): Task => {
    const tid = nextPid++;
    const th = new Task(tid, p, new Cpu(mem));
    p.threads.push(th);
    k.tasks.set(tid, th);
    return th;
  };
  return { k, p, t, mem, sent, sys, thread };
}

/** Call a handler as another task. */
export function sysAs(t: Task, name: string, ...a: number[]): number | Promise<number> {
  const fn = HANDLERS.get(name);
  if (!fn) throw new Error(`no handler for ${name}`);
  return fn(t, a[0] ?? 0, a[1] ?? 0, a[2] ?? 0, a[3] ?? 0, a[4] ?? 0, a[5] ?? 0);
}

export const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Wait until `cond` holds (checked every few ms), failing after `ms`. Timer tests wait for
 * events this way rather than for fixed delays, which a loaded machine overruns.
 */
export async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await delay(2);
  }
}

/** Resolve to 'pending' if p has not settled by the next macrotask. */
export async function state<T>(p: Promise<T> | T): Promise<T | 'pending'> {
  return Promise.race([Promise.resolve(p), delay(5).then(() => 'pending' as const)]);
}

export function putTs32(mem: AddressSpace, a: number, sec: number, nsec: number): void {
  mem.dv.setInt32(a, sec, true); mem.dv.setInt32(a + 4, nsec, true);
}
export function getTs32(mem: AddressSpace, a: number): [number, number] {
  return [mem.dv.getInt32(a, true), mem.dv.getInt32(a + 4, true)];
}
