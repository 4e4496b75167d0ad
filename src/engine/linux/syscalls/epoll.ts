/**
 * epoll(7): epoll_create(1), epoll_ctl, epoll_wait, epoll_pwait.
 *
 * Each registered file is watched through its wait queue. A wake marks the entry as
 * having had an event (what edge-triggered mode reports once) and wakes the epoll
 * file's own queue, so epoll_wait, poll on the epoll fd and nested epolls all see it.
 * Level-triggered entries are re-checked with File.poll() at every wait; reported ones
 * move to the back so a small maxevents still serves every ready file in turn.
 *
 * Entries are keyed by (fd, file) as in Linux, and dropped when their file is released
 * (all descriptors for it closed), not when only one of several descriptors is closed.
 */
import { syscallTable } from './registry.js';
import type { Task } from '../task.js';
import { EBADF, EEXIST, EFAULT, EINTR, EINVAL, EMFILE, ENOENT, EPERM, ELOOP } from '../errno.js';
import { getStruct, putStruct } from '../uaccess.js';
import { O_CLOEXEC, POLLERR, POLLHUP, POLLIN, S_IFDIR, S_IFMT, S_IFREG, type File } from '../../fs/types.js';
import { AnonFile } from '../anonfile.js';
import { sleepOn, readSigset, setTempMask, endTempMask } from '../sleep.js';
import { INTERRUPTED } from '../wait.js';
import { clockNs, CLOCK_MONOTONIC } from '../clock.js';
import { filePoll } from './poll.js';

export const EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CTL_MOD = 3;
export const EPOLLIN = 0x1, EPOLLRDHUP = 0x2000, EPOLLEXCLUSIVE = 1 << 28, EPOLLWAKEUP = 1 << 29;
export const EPOLLONESHOT = 1 << 30, EPOLLET = 0x80000000;
export const EPOLL_CLOEXEC = O_CLOEXEC;
/** struct epoll_event on i386: u32 events, u64 data, 4-byte aligned: 12 bytes. */
const EVENT_SIZE = 12;
/** Bits that are flags, not events. */
const FLAG_BITS = (EPOLLEXCLUSIVE | EPOLLWAKEUP | EPOLLONESHOT | EPOLLET) >>> 0;
/** What may accompany EPOLLEXCLUSIVE (EPOLLEXCLUSIVE_OK_BITS in fs/eventpoll.c): IN, OUT, ERR, HUP, WAKEUP, ET. */
const EXCLUSIVE_OK = (0x1 | 0x4 | 0x8 | 0x10 | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE) >>> 0;

interface Entry {
  fd: number;
  file: File;
  events: number;
  data: bigint;
  /** A wake-up (readiness change) happened since the entry was last reported. */
  edge: boolean;
  /** EPOLLONESHOT fired: no more events until EPOLL_CTL_MOD. */
  disabled: boolean;
  unwatch: () => void;
}

export class EpollFile extends AnonFile {
  private readonly entries = new Map<string, Entry>();

  constructor() {
    super('[eventpoll]', false);
  }

  private static key(fd: number, f: File): string {
    return `${fd}:${fileId(f)}`;
  }

  private watch(e: Entry): void {
    const on = (): void => {
      e.edge = true;
      e.unwatch = e.file.waitq.add(on);
      this.waitq.wake();
    };
    e.unwatch = e.file.waitq.add(on);
  }

  add(fd: number, f: File, events: number, data: bigint): number {
    const k = EpollFile.key(fd, f);
    if (this.entries.has(k)) return -EEXIST;
    // Linux checks readiness at insertion: a ready file is reported by the next wait.
    const e: Entry = { fd, file: f, events, data, edge: true, disabled: false, unwatch: () => {} };
    this.watch(e);
    this.entries.set(k, e);
    this.waitq.wake();
    return 0;
  }

  mod(fd: number, f: File, events: number, data: bigint): number {
    const e = this.entries.get(EpollFile.key(fd, f));
    if (!e) return -ENOENT;
    // EPOLLEXCLUSIVE cannot be set or kept by MOD (ep_modify's check).
    if (events & EPOLLEXCLUSIVE || e.events & EPOLLEXCLUSIVE) return -EINVAL;
    e.events = events; e.data = data; e.edge = true; e.disabled = false;
    this.waitq.wake();
    return 0;
  }

  del(fd: number, f: File): number {
    const k = EpollFile.key(fd, f);
    const e = this.entries.get(k);
    if (!e) return -ENOENT;
    e.unwatch();
    this.entries.delete(k);
    return 0;
  }

  /** Collect up to `max` ready events, consuming edge and one-shot state. */
  harvest(max: number): { events: number; data: bigint }[] {
    const out: { events: number; data: bigint }[] = [];
    const again: [string, Entry][] = [];
    for (const [k, e] of this.entries) {
      if (out.length >= max) break;
      if (e.file.refs <= 0) { e.unwatch(); this.entries.delete(k); continue; }
      if (e.disabled) continue;
      if (e.events & EPOLLET && !e.edge) continue;
      const rev = filePoll(e.file) & ((e.events & ~FLAG_BITS) | POLLERR | POLLHUP);
      if (!rev) { e.edge = false; continue; }
      out.push({ events: rev, data: e.data });
      e.edge = false;
      if (e.events & EPOLLONESHOT) e.disabled = true;
      else if (!(e.events & EPOLLET)) again.push([k, e]);
    }
    // Round robin: reported level-triggered entries go to the back of the list.
    for (const [k, e] of again) { this.entries.delete(k); this.entries.set(k, e); }
    return out;
  }

  /** Is anything ready, without consuming edge state (poll on the epoll fd, nesting)? */
  poll(): number {
    for (const e of this.entries.values()) {
      if (e.disabled || e.file.refs <= 0) continue;
      if (e.events & EPOLLET && !e.edge) continue;
      if (filePoll(e.file) & ((e.events & ~FLAG_BITS) | POLLERR | POLLHUP)) return POLLIN;
    }
    return 0;
  }

  /** Does this epoll (or one nested in it) watch `target`? For ELOOP. */
  reaches(target: File, depth = 0): boolean {
    if (depth > 5) return true;
    for (const e of this.entries.values()) {
      if (e.file === target) return true;
      if (e.file instanceof EpollFile && e.file.reaches(target, depth + 1)) return true;
    }
    return false;
  }

  release(): void {
    for (const e of this.entries.values()) e.unwatch();
    this.entries.clear();
  }
}

const ids = new WeakMap<File, number>();
let nextId = 1;
function fileId(f: File): number {
  let id = ids.get(f);
  if (id === undefined) { id = nextId++; ids.set(f, id); }
  return id;
}

function create(t: Task, flags: number): number {
  if (flags & ~EPOLL_CLOEXEC) return -EINVAL;
  const cloexec = (flags & EPOLL_CLOEXEC) !== 0;
  const fd = t.proc.files.alloc(new EpollFile(), 0, cloexec);
  return fd < 0 ? -EMFILE : fd;
}

async function ctl(t: Task, epfd: number, op: number, fd: number, evp: number): Promise<number> {
  let events = 0, data = 0n;
  if (op !== EPOLL_CTL_DEL) {
    const dv = getStruct(t, evp, EVENT_SIZE);
    if (!dv) return -EFAULT;
    events = dv.getUint32(0, true);
    data = dv.getBigUint64(4, true);
  }
  const ep = t.proc.files.get(epfd);
  const f = t.proc.files.get(fd);
  if (!ep || !f) return -EBADF;
  if (!(ep instanceof EpollFile) || f === ep) return -EINVAL;
  // Regular files and directories have no poll method in Linux: EPERM.
  const st = await f.stat();
  const type = st.mode & S_IFMT;
  if (type === S_IFREG || type === S_IFDIR) return -EPERM;
  if (op !== EPOLL_CTL_DEL) {
    if (events & EPOLLEXCLUSIVE && op === EPOLL_CTL_ADD && (f instanceof EpollFile || events & ~EXCLUSIVE_OK)) return -EINVAL;
    if (f instanceof EpollFile && f.reaches(ep)) return -ELOOP;
  }
  switch (op) {
    case EPOLL_CTL_ADD: return ep.add(fd, f, events, data);
    case EPOLL_CTL_MOD: return ep.mod(fd, f, events, data);
    case EPOLL_CTL_DEL: return ep.del(fd, f);
    default: return -EINVAL;
  }
}

/** epoll_wait is never restarted: a signal gives EINTR (signal(7)). */
async function wait(t: Task, epfd: number, evp: number, max: number, timeout: number): Promise<number> {
  if (max <= 0 || max > Math.floor(0x7fffffff / EVENT_SIZE)) return -EINVAL;
  if (!t.mem.isAccessible(evp >>> 0, max * EVENT_SIZE, 2)) return -EFAULT;
  const f = t.proc.files.get(epfd);
  if (!f) return -EBADF;
  if (!(f instanceof EpollFile)) return -EINVAL;
  const deadline = timeout < 0 ? null : { clock: CLOCK_MONOTONIC, ns: (clockNs(t, CLOCK_MONOTONIC) ?? 0n) + BigInt(timeout) * 1_000_000n };
  for (;;) {
    const evs = f.harvest(max);
    if (evs.length) {
      const ok = putStruct(t, evp, evs.length * EVENT_SIZE, (dv) => evs.forEach((e, i) => {
        dv.setUint32(i * EVENT_SIZE, e.events, true);
        dv.setBigUint64(i * EVENT_SIZE + 4, e.data, true);
      }));
      return ok ? evs.length : -EFAULT;
    }
    if (deadline && (clockNs(t, CLOCK_MONOTONIC) ?? 0n) >= deadline.ns) return 0;
    if ((await sleepOn(t, [f.waitq], deadline)) === INTERRUPTED) return -EINTR;
  }
}

async function pwait(t: Task, epfd: number, evp: number, max: number, timeout: number, sigmask: number, size: number): Promise<number> {
  if ((sigmask >>> 0) === 0) return wait(t, epfd, evp, max, timeout);
  const m = readSigset(t, sigmask, size);
  if (typeof m === 'number') return m;
  setTempMask(t, m);
  const r = await wait(t, epfd, evp, max, timeout);
  // Interrupted: the mask is restored after the handler runs (restore_saved_sigmask_unless(ret == -EINTR)).
  endTempMask(t, r === -EINTR);
  return r;
}

/** This module's rows of the system call table (syscalls/index.ts). */
export const epollSyscalls = syscallTable({
  epoll_create: (t, size) => (size <= 0 ? -EINVAL : create(t, 0)),
  epoll_create1: (t, flags) => create(t, flags),
  epoll_ctl: (t, epfd, op, fd, ev) => ctl(t, epfd, op, fd, ev),
  epoll_wait: (t, epfd, ev, max, timeout) => wait(t, epfd, ev, max, timeout),
  epoll_pwait: (t, epfd, ev, max, timeout, mask, size) => pwait(t, epfd, ev, max, timeout, mask, size),
});
