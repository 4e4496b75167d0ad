/**
 * Futex wait queues (futex(2), kernel/futex/). A waiter sits on the queue of a key and
 * is woken in FIFO order (all guest tasks have the same priority, and the kernel's plist
 * is FIFO within a priority).
 *
 * Keys: the kernel keys private futexes by (mm, address) and shared ones by the backing
 * page (inode or anonymous page + offset). Here a futex word inside a MAP_SHARED mapping
 * is keyed by (shared object, offset) (shm.ts), whatever the FUTEX_PRIVATE_FLAG, so
 * processes sharing the memory meet on one queue; any other word by (AddressSpace, address).
 */
import type { AddressSpace } from '../mem/address-space.js';
import { shmKey } from './shm.js';
import { WaitQueue } from '../wait/queue.js';
import type { Kernel } from './kernel.js';

export const FUTEX_BITSET_MATCH_ANY = 0xffffffff;

export interface FutexWaiter {
  /** The key: an AddressSpace or a shared object (shm.ts), and the address or offset in it. */
  mem: object;
  addr: number;
  bitset: number;
  woken: boolean;
  /** Woken once, when the waiter is woken by a futex wake. */
  readonly q: WaitQueue;
}

const tables = new WeakMap<object, Map<number, FutexWaiter[]>>();

/** The queue key of the futex word at `addr` in `mem`. */
function keyOf(mem: AddressSpace, addr: number): [object, number] {
  const k = shmKey(mem, addr >>> 0);
  return k ? [k.obj, k.off >>> 0] : [mem, addr >>> 0];
}

function queue(mem: object, addr: number, create: boolean): FutexWaiter[] | undefined {
  let tab = tables.get(mem);
  if (!tab) {
    if (!create) return undefined;
    tab = new Map();
    tables.set(mem, tab);
  }
  let q = tab.get(addr);
  if (!q && create) { q = []; tab.set(addr, q); }
  return q;
}

function drop(mem: object, addr: number, q: FutexWaiter[]): void {
  if (q.length === 0) tables.get(mem)?.delete(addr);
}

/** Queue a waiter. The caller has checked the futex word and now sleeps on `w.q`. */
export function futexEnqueue(space: AddressSpace, uaddr: number, bitset: number): FutexWaiter {
  const [mem, addr] = keyOf(space, uaddr);
  const w: FutexWaiter = { mem, addr, bitset, woken: false, q: new WaitQueue() };
  queue(mem, w.addr, true)!.push(w);
  return w;
}

/** Take a waiter off its queue after a timeout or signal (it may have been requeued). */
export function futexDequeue(w: FutexWaiter): void {
  const q = queue(w.mem, w.addr, false);
  if (!q) return;
  const i = q.indexOf(w);
  if (i >= 0) q.splice(i, 1);
  drop(w.mem, w.addr, q);
}

/**
 * Wake up to `n` waiters on (mem, addr) whose bitset intersects `bitset`; returns how
 * many. Exported for thread exit (CLONE_CHILD_CLEARTID wakes one waiter on the tid word).
 */
export function futexWake(space: AddressSpace, uaddr: number, n: number, bitset = FUTEX_BITSET_MATCH_ANY): number {
  return wakeKey(...keyOf(space, uaddr), n, bitset);
}

function wakeKey(mem: object, addr: number, n: number, bitset: number): number {
  const q = queue(mem, addr, false);
  if (!q) return 0;
  let woken = 0;
  for (let i = 0; i < q.length && woken < n;) {
    const w = q[i];
    if ((w.bitset & bitset) === 0) { i++; continue; }
    q.splice(i, 1);
    w.woken = true;
    w.q.wake();
    woken++;
  }
  drop(mem, addr, q);
  return woken;
}

/**
 * Wake up to `nWake` waiters on addr and move up to `nRequeue` of the rest to addr2.
 * Returns woken + requeued, as the kernel's futex_requeue does for both REQUEUE and
 * CMP_REQUEUE (futex(2) says only woken for FUTEX_REQUEUE; the code counts both).
 */
export function futexRequeue(space: AddressSpace, uaddr: number, uaddr2: number, nWake: number, nRequeue: number): number {
  const [mem, addr] = keyOf(space, uaddr), [mem2, addr2] = keyOf(space, uaddr2);
  const q = queue(mem, addr, false);
  if (!q) return 0;
  const woken = wakeKey(mem, addr, nWake, FUTEX_BITSET_MATCH_ANY);
  if (mem === mem2 && addr === addr2) return woken + Math.min(nRequeue, q.length);
  const moved = q.splice(0, Math.min(nRequeue, q.length));
  drop(mem, addr, q);
  if (moved.length) {
    const q2 = queue(mem2, addr2, true)!;
    for (const w of moved) { w.mem = mem2; w.addr = addr2; q2.push(w); }
  }
  return woken + moved.length;
}

/** Number of tasks waiting on (mem, addr); for tests and /proc. */
export function futexWaiters(space: AddressSpace, uaddr: number): number {
  return queue(...keyOf(space, uaddr), false)?.length ?? 0;
}

const hooked = new WeakSet<Kernel>();
/**
 * Give the scheduler's thread-exit code (CLONE_CHILD_CLEARTID) our wake. Called by the
 * futex system call: a wake only matters once someone waits, and waiting goes through it.
 */
export function hookFutex(k: Kernel): void {
  if (hooked.has(k) || !k.sched) return;
  hooked.add(k);
  k.sched.futexWake = futexWake;
}
