/**
 * eventfd(2): a 64-bit counter as a file. read takes the whole count (or 1 in
 * EFD_SEMAPHORE mode) and blocks at 0; write adds and blocks while the sum would pass
 * 0xfffffffffffffffe.
 */
import { syscallTable } from './registry.js';
import type { Task } from '../task.js';
import { EAGAIN, EINVAL, EMFILE, ERESTARTSYS } from '../errno.js';
import { O_CLOEXEC, O_NONBLOCK, POLLERR, POLLIN, POLLOUT } from '../../fs/types.js';
import { AnonFile } from '../anonfile.js';
import { sleepOn } from '../sleep.js';
import { INTERRUPTED } from '../wait.js';

export const EFD_SEMAPHORE = 1, EFD_CLOEXEC = O_CLOEXEC, EFD_NONBLOCK = O_NONBLOCK;
const ULLONG_MAX = 0xffffffffffffffffn;

export class EventFd extends AnonFile {
  count: bigint;
  readonly semaphore: boolean;

  constructor(init: number, flags: number) {
    super('[eventfd]', (flags & EFD_NONBLOCK) !== 0);
    this.count = BigInt(init >>> 0);
    this.semaphore = (flags & EFD_SEMAPHORE) !== 0;
  }

  poll(): number {
    let m = 0;
    if (this.count > 0n) m |= POLLIN;
    // Writable while at least 1 can be added; ULLONG_MAX is reachable only through
    // eventfd_signal overflow in the kernel, and reports an error.
    if (this.count < ULLONG_MAX - 1n) m |= POLLOUT;
    if (this.count === ULLONG_MAX) m |= POLLERR;
    return m;
  }

  async read(t: Task, buf: Uint8Array): Promise<number> {
    if (buf.length < 8) return -EINVAL;
    while (this.count === 0n) {
      if (this.nonblock) return -EAGAIN;
      if ((await sleepOn(t, [this.waitq], null)) === INTERRUPTED) return -ERESTARTSYS;
    }
    const v = this.semaphore ? 1n : this.count;
    this.count -= v;
    new DataView(buf.buffer, buf.byteOffset, 8).setBigUint64(0, v, true);
    this.waitq.wake();
    return 8;
  }

  async write(t: Task, data: Uint8Array): Promise<number> {
    if (data.length < 8) return -EINVAL;
    const v = new DataView(data.buffer, data.byteOffset, 8).getBigUint64(0, true);
    if (v === ULLONG_MAX) return -EINVAL;
    while (ULLONG_MAX - 1n - this.count < v) {
      if (this.nonblock) return -EAGAIN;
      if ((await sleepOn(t, [this.waitq], null)) === INTERRUPTED) return -ERESTARTSYS;
    }
    this.count += v;
    if (v > 0n) this.waitq.wake();
    return 8;
  }
}

function eventfd(t: Task, init: number, flags: number): number {
  if (flags & ~(EFD_SEMAPHORE | EFD_CLOEXEC | EFD_NONBLOCK)) return -EINVAL;
  const fd = t.proc.files.alloc(new EventFd(init, flags), 0, (flags & EFD_CLOEXEC) !== 0);
  return fd < 0 ? -EMFILE : fd;
}

/** This module's rows of the system call table (syscalls/index.ts). */
export const eventfdSyscalls = syscallTable({
  eventfd: (t, init) => eventfd(t, init, 0),
  eventfd2: (t, init, flags) => eventfd(t, init, flags),
});
