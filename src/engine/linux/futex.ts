/**
 * Futex wait queues (futex(2), kernel/futex/). A waiter sits on the queue of a key and
 * is woken in FIFO order (all guest tasks have the same priority, and the kernel's plist
 * is FIFO within a priority).
 *
 * Keys: the kernel keys private futexes by (mm, address) and shared ones by the backing
 * page (inode or anonymous page + offset). There is no memory shared between processes
 * yet (fork copies every page), so a shared futex can only be reached from one address
 * space and both kinds are keyed by (AddressSpace, address). When MAP_SHARED memory
 * across processes arrives, shared keys must become (backing object, offset).
 */
import type { AddressSpace } from '../mem/address-space.js';
import { WaitQueue } from './wait.js';
import type { Kernel } from './kernel.js';

export const FUTEX_BITSET_MATCH_ANY = 0xffffffff;

export interface FutexWaiter {
  mem: AddressSpace;
  addr: number;
  bitset: number;
  woken: boolean;
  /** Woken once, when the waiter is woken by a futex wake. */
  readonly q: WaitQueue;
}

const tables = new WeakMap<AddressSpace, Map<number, FutexWaiter[]>>();

function queue(mem: AddressSpace, addr: number, create: boolean): FutexWaiter[] | undefined {
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

function drop(mem: AddressSpace, addr: number, q: FutexWaiter[]): void {
  if (q.length === 0) tables.get(mem)?.delete(addr);
}

/** Queue a waiter. The caller has checked the futex word and now sleeps on `w.q`. */
export function futexEnqueue(mem: AddressSpace, addr: number, bitset: number): FutexWaiter {
  const w: FutexWaiter = { mem, addr: addr >>> 0, bitset, woken: false, q: new WaitQueue() };
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
export function futexWake(mem: AddressSpace, addr: number, n: number, bitset = FUTEX_BITSET_MATCH_ANY): number {
  addr >>>= 0;
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
export function futexRequeue(mem: AddressSpace, addr: number, addr2: number, nWake: number, nRequeue: number): number {
  addr >>>= 0; addr2 >>>= 0;
  const q = queue(mem, addr, false);
  if (!q) return 0;
  const woken = futexWake(mem, addr, nWake);
  if (addr === addr2) return woken + Math.min(nRequeue, q.length);
  const moved = q.splice(0, Math.min(nRequeue, q.length));
  drop(mem, addr, q);
  if (moved.length) {
    const q2 = queue(mem, addr2, true)!;
    for (const w of moved) { w.addr = addr2; q2.push(w); }
  }
  return woken + moved.length;
}

/** Number of tasks waiting on (mem, addr); for tests and /proc. */
export function futexWaiters(mem: AddressSpace, addr: number): number {
  return queue(mem, addr >>> 0, false)?.length ?? 0;
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
