/**
 * Pipes and FIFOs (pipe(7)): a bounded byte queue with reader and writer ends.
 * Writes of at most PIPE_BUF bytes are atomic; a read with no writers left sees EOF;
 * a write with no readers left raises SIGPIPE and fails with EPIPE.
 */
import type { Caller, Inode, Stat } from './types.js';
import { File, O_ACCMODE, O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY, POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, S_IFIFO } from './types.js';
import { EAGAIN, EBUSY, EFAULT, EINVAL, ENXIO, EPERM, EPIPE, ERESTARTSYS, ENOTTY } from '../abi/errno.js';
import { INTERRUPTED, WaitQueue, waitAny } from '../wait/queue.js';
import { putU32 } from '../mem/uaccess.js';
import { allocAnonDev, nowTimespec } from './tmpfs.js';

export const PIPE_BUF = 4096;
export const PIPE_DEF_SIZE = 65536;
/** /proc/sys/fs/pipe-max-size default: unprivileged processes may not exceed it. */
export const PIPE_MAX_SIZE = 1 << 20;
import { FIONREAD } from '../abi/ioctls.js';
import { SIGPIPE } from '../abi/signals.js';

const pipeDev = allocAnonDev();
let nextPipeIno = 1;

export class Pipe {
  /** Queued chunks; the first may be partly consumed (`headOff`). */
  private chunks: Uint8Array[] = [];
  private headOff = 0;
  length = 0;
  capacity = PIPE_DEF_SIZE;
  readers = 0;
  writers = 0;
  /** Count of opens ever, so a FIFO opener can tell a peer came (even if it left again). */
  readerOpens = 0;
  writerOpens = 0;
  /** Open ends; each end's waitq is woken on any change so poll() and blocked calls recheck. */
  readonly ends = new Set<PipeEnd>();
  /** Woken when an end opens or closes (FIFO open waits on it). */
  readonly openq = new WaitQueue();
  readonly ino = nextPipeIno++;
  readonly ctime = nowTimespec();

  get space(): number { return Math.max(0, this.capacity - this.length); }

  wakeAll(): void {
    for (const e of this.ends) e.waitq.wake();
  }

  push(data: Uint8Array): void {
    if (!data.length) return;
    this.chunks.push(data.slice());
    this.length += data.length;
  }

  /** Move up to buf.length queued bytes into buf. */
  pull(buf: Uint8Array): number {
    let n = 0;
    while (n < buf.length && this.chunks.length) {
      const c = this.chunks[0];
      const take = Math.min(buf.length - n, c.length - this.headOff);
      buf.set(c.subarray(this.headOff, this.headOff + take), n);
      n += take;
      this.headOff += take;
      if (this.headOff === c.length) {
        this.chunks.shift();
        this.headOff = 0;
      }
    }
    this.length -= n;
    return n;
  }

  addEnd(e: PipeEnd): void {
    this.ends.add(e);
    if (e.readable) { this.readers++; this.readerOpens++; }
    if (e.writable) { this.writers++; this.writerOpens++; }
    this.openq.wake();
    this.wakeAll();
  }

  removeEnd(e: PipeEnd): void {
    if (!this.ends.delete(e)) return;
    if (e.readable) this.readers--;
    if (e.writable) this.writers--;
    this.openq.wake();
    this.wakeAll();
  }
}

export class PipeEnd extends File {
  readonly pipe: Pipe;
  /** The FIFO's inode, for fstat; anonymous pipes report pipefs numbers. */
  readonly inode: Inode | null;

  constructor(pipe: Pipe, flags: number, path: string, inode: Inode | null = null) {
    super(flags, path);
    this.pipe = pipe;
    this.inode = inode;
    pipe.addEnd(this);
  }

  read(t: Caller, buf: Uint8Array): number | Promise<number> {
    const r = this.tryRead(buf);
    return r === -EAGAIN && !this.nonblock ? this.readSlow(t, buf) : r;
  }

  /** Bytes read, 0 at EOF, or -EAGAIN when it would block. */
  private tryRead(buf: Uint8Array): number {
    const p = this.pipe;
    if (!buf.length) return 0;
    if (p.length) {
      const n = p.pull(buf);
      p.wakeAll();
      return n;
    }
    return p.writers === 0 ? 0 : -EAGAIN;
  }

  private async readSlow(t: Caller, buf: Uint8Array): Promise<number> {
    for (;;) {
      if ((await waitAny([this.waitq], t.interrupt)) === INTERRUPTED) return -ERESTARTSYS;
      const r = this.tryRead(buf);
      if (r !== -EAGAIN) return r;
    }
  }

  write(t: Caller, data: Uint8Array): number | Promise<number> {
    const r = this.tryWrite(t, data, 0);
    if (r < 0 || r === data.length || this.nonblock) return r === 0 && data.length ? -EAGAIN : r;
    return this.writeSlow(t, data, r);
  }

  /**
   * Queue as much of data[done..] as fits; returns the new `done` or -EPIPE. Writes of at
   * most PIPE_BUF bytes go in whole or not at all (pipe(7) atomicity).
   */
  private tryWrite(t: Caller, data: Uint8Array, done: number): number {
    const p = this.pipe;
    if (p.readers === 0) {
      t.raise(SIGPIPE);
      return done > 0 ? done : -EPIPE;
    }
    const left = data.length - done;
    if (left === 0) return done;
    const atomic = data.length <= PIPE_BUF;
    if (p.space === 0 || (atomic && p.space < left)) return done;
    const n = Math.min(left, p.space);
    p.push(data.subarray(done, done + n));
    p.wakeAll();
    return done + n;
  }

  private async writeSlow(t: Caller, data: Uint8Array, done: number): Promise<number> {
    while (done < data.length) {
      if ((await waitAny([this.waitq], t.interrupt)) === INTERRUPTED) return done > 0 ? done : -ERESTARTSYS;
      const r = this.tryWrite(t, data, done);
      if (r < 0) return r;
      done = r;
    }
    return done;
  }

  poll(): number {
    const p = this.pipe;
    let ev = 0;
    if (this.readable) {
      if (p.length) ev |= POLLIN | POLLRDNORM;
      // A FIFO reader that has never seen a writer is not hung up (fs/pipe.c uses w_counter).
      if (p.writers === 0 && p.writerOpens > 0) ev |= POLLHUP;
    }
    if (this.writable) {
      if (p.space >= PIPE_BUF) ev |= POLLOUT | POLLWRNORM;
      if (p.readers === 0) ev |= POLLERR;
    }
    return ev;
  }

  ioctl(t: Caller, req: number, arg: number): number {
    if (req !== FIONREAD) return -ENOTTY;
    return putU32(t, arg, this.pipe.length) ? 0 : -EFAULT;
  }

  /** F_SETPIPE_SZ: the capacity is rounded up to a power of two pages. */
  setPipeSize(size: number, privileged: boolean): number {
    if (size <= 0) return -EINVAL;
    let cap = 4096;
    while (cap < size) cap *= 2;
    if (cap > PIPE_MAX_SIZE && !privileged) return -EPERM;
    if (cap < this.pipe.length) return -EBUSY;
    this.pipe.capacity = cap;
    this.pipe.wakeAll();
    return cap;
  }

  async stat(): Promise<Stat> {
    if (this.inode) return this.inode.stat();
    const ts = this.pipe.ctime;
    return {
      dev: pipeDev, ino: this.pipe.ino, mode: S_IFIFO | 0o600, nlink: 1, uid: 0, gid: 0, rdev: 0,
      size: 0, blksize: 4096, blocks: 0, atime: ts, mtime: ts, ctime: ts,
    };
  }

  release(): void {
    this.pipe.removeEnd(this);
  }
}

/** pipe(2): [read end, write end]. */
export function createPipe(extraFlags = 0): [PipeEnd, PipeEnd] {
  const p = new Pipe();
  const fl = extraFlags & O_NONBLOCK;
  return [new PipeEnd(p, O_RDONLY | fl, 'pipe:[' + p.ino + ']'), new PipeEnd(p, O_WRONLY | fl, 'pipe:[' + p.ino + ']')];
}

/** One pipe per FIFO inode while any end is open (fifo(7)). */
const fifos = new WeakMap<Inode, Pipe>();

/**
 * Open a FIFO. Read-only opens wait for a writer and write-only opens for a reader,
 * unless O_NONBLOCK (then a write-only open with no reader fails with ENXIO).
 */
export async function openFifo(t: Caller | null, inode: Inode, flags: number, path: string): Promise<PipeEnd | number> {
  let p = fifos.get(inode);
  if (!p || p.ends.size === 0) {
    p = new Pipe();
    fifos.set(inode, p);
  }
  const acc = flags & O_ACCMODE;
  if (acc === O_WRONLY && p.readers === 0 && flags & O_NONBLOCK) return -ENXIO;
  const end = new PipeEnd(p, flags, path, inode);
  if (acc === O_RDWR || flags & O_NONBLOCK) return end;
  const seen = acc === O_RDONLY ? p.writerOpens : p.readerOpens;
  const peerCame = () => (acc === O_RDONLY ? p!.writerOpens : p!.readerOpens) > seen || (acc === O_RDONLY ? p!.writers : p!.readers) > 0;
  while (!peerCame()) {
    if ((await waitAny([p.openq], t ? t.interrupt : null)) === INTERRUPTED) {
      end.release();
      return -ERESTARTSYS;
    }
  }
  return end;
}

/** Open another end on an existing pipe (through /proc/PID/fd/N), with the new access mode. */
export function reopenPipe(end: PipeEnd, flags: number): PipeEnd {
  return new PipeEnd(end.pipe, flags & ~0o2000000, end.path, end.inode);
}
