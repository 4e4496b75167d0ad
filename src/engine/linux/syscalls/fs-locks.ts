/**
 * Advisory locks: POSIX record locks (fcntl F_SETLK, owned by a process, or by an open
 * file description for OFD locks) and BSD flock() locks (owned by the description).
 * Locks are keyed by the inode so every description of a file sees them.
 */
import type { Task } from '../task.js';
import type { File } from '../../fs/types.js';
import { InodeFile } from '../../fs/inode-file.js';
import { EAGAIN, EBADF, EINVAL, ERESTARTSYS } from '../errno.js';
import { INTERRUPTED, WaitQueue, waitAny } from '../wait.js';

export const F_RDLCK = 0, F_WRLCK = 1, F_UNLCK = 2;
export const LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8;

type Owner = number | File; // pid for classic POSIX locks, the description for OFD locks

export interface RecordLock {
  owner: Owner;
  type: number;
  start: number;
  /** Inclusive end; Infinity for "to EOF and beyond" (l_len 0). */
  end: number;
  pid: number;
}

const records = new WeakMap<object, RecordLock[]>();
const flocks = new WeakMap<object, Map<File, number>>();
/** Woken on every unlock, so blocked F_SETLKW and flock() calls recheck. */
const released = new WaitQueue();

/** Locks attach to the inode when there is one, else to the description. */
const keyOf = (f: File): object => (f instanceof InodeFile ? f.inode : f);

function liveRecords(t: Task, key: object): RecordLock[] {
  // A process that exited without closing (the exit path does not call us) loses its locks.
  const list = (records.get(key) ?? []).filter((l) =>
    typeof l.owner === 'number' ? t.kernel.processes.get(l.owner)?.alive ?? false : l.owner.refs > 0);
  records.set(key, list);
  return list;
}

const overlaps = (a: RecordLock, s: number, e: number): boolean => a.start <= e && s <= a.end;

/** The first lock of another owner that conflicts with the request, if any. */
export function findConflict(t: Task, f: File, req: RecordLock): RecordLock | undefined {
  return liveRecords(t, keyOf(f)).find((l) =>
    l.owner !== req.owner && overlaps(l, req.start, req.end) && (l.type === F_WRLCK || req.type === F_WRLCK));
}

/** Replace the owner's locks over [start, end] by `req` (or remove them for F_UNLCK), splitting ranges. */
function apply(t: Task, f: File, req: RecordLock): void {
  const out: RecordLock[] = [];
  for (const l of liveRecords(t, keyOf(f))) {
    if (l.owner !== req.owner || !overlaps(l, req.start, req.end)) {
      out.push(l);
      continue;
    }
    if (l.start < req.start) out.push({ ...l, end: req.start - 1 });
    if (l.end > req.end) out.push({ ...l, start: req.end + 1 });
  }
  if (req.type !== F_UNLCK) out.push(req);
  records.set(keyOf(f), out);
  released.wake();
}

/** F_SETLK / F_SETLKW. */
export async function setRecordLock(t: Task, f: File, req: RecordLock, wait: boolean): Promise<number> {
  if (req.type === F_RDLCK && !f.readable) return -EBADF;
  if (req.type === F_WRLCK && !f.writable) return -EBADF;
  if (![F_RDLCK, F_WRLCK, F_UNLCK].includes(req.type)) return -EINVAL;
  while (req.type !== F_UNLCK && findConflict(t, f, req)) {
    if (!wait) return -EAGAIN;
    if ((await waitAny([released], t.interrupt)) === INTERRUPTED) return -ERESTARTSYS;
  }
  apply(t, f, req);
  return 0;
}

/** Closing any descriptor of a file drops the process's POSIX locks on it (fcntl(2)). */
export function releaseProcessLocks(t: Task, f: File): void {
  const key = keyOf(f);
  const list = records.get(key);
  if (!list) return;
  const pid = t.proc.pid;
  records.set(key, list.filter((l) => l.owner !== pid && l.owner !== (f.refs === 0 ? f : null)));
  released.wake();
}

/** flock(2). */
export async function flock(t: Task, f: File, op: number): Promise<number> {
  const key = keyOf(f);
  let held = flocks.get(key);
  if (!held) flocks.set(key, (held = new Map()));
  const kind = op & ~LOCK_NB;
  if (kind === LOCK_UN) {
    held.delete(f);
    released.wake();
    return 0;
  }
  if (kind !== LOCK_SH && kind !== LOCK_EX) return -EINVAL;
  const conflict = () => {
    for (const [g, k] of held!) {
      if (g.refs === 0) held!.delete(g);
      else if (g !== f && (k === LOCK_EX || kind === LOCK_EX)) return true;
    }
    return false;
  };
  // Converting a lock is not atomic in Linux either: the old one goes first.
  if (held.has(f) && held.get(f) !== kind) {
    held.delete(f);
    released.wake();
  }
  while (conflict()) {
    if (op & LOCK_NB) return -EAGAIN; // EWOULDBLOCK is EAGAIN on Linux
    if ((await waitAny([released], t.interrupt)) === INTERRUPTED) return -ERESTARTSYS;
  }
  held.set(f, kind);
  return 0;
}
