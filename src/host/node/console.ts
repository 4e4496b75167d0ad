/**
 * Node's stdio as the guest's terminal. When stdin is a terminal it is put in raw
 * mode (the guest's line discipline does the editing, echo and ^C) and restored on exit,
 * on fatal signals and after uncaught exceptions. When stdin is a pipe or file, bytes
 * pass through and end of input reaches the guest as end of file, without a hangup.
 *
 * HostInputFile/HostOutputFile are plain File objects over host streams, for a host that
 * attaches non-terminal stdio to the guest's descriptors directly instead of the console.
 */
import { File, O_RDONLY, O_WRONLY, POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, S_IFIFO, type Stat } from '../../engine/fs/types.js';
import type { HostTerminal, TermSize } from '../../engine/tty/console.js';
import type { Task } from '../../engine/linux/task.js';
import { WaitQueue, waitAny, INTERRUPTED } from '../../engine/linux/wait.js';
import { EAGAIN, EPIPE, ERESTARTSYS } from '../../engine/linux/errno.js';

type ReadStream = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown; fd?: number };
type WriteStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number };

/** Signals after which the host terminal must not be left in raw mode. */
const FATAL_SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGINT', 'SIGQUIT'];

export class NodeTerminal implements HostTerminal {
  private readonly stdin: ReadStream;
  private readonly stdout: WriteStream;
  private raw = false;
  private readonly cleanups: (() => void)[] = [];
  private endCbs: (() => void)[] = [];
  private ended = false;

  constructor(opts: { stdin?: ReadStream; stdout?: WriteStream; rawMode?: boolean } = {}) {
    this.stdin = opts.stdin ?? (process.stdin as ReadStream);
    this.stdout = opts.stdout ?? (process.stdout as WriteStream);
    if ((opts.rawMode ?? true) && this.stdin.isTTY && this.stdin.setRawMode) this.enterRaw();
  }

  /** Whether the host terminal was switched to raw mode. */
  get isRaw(): boolean { return this.raw; }

  private enterRaw(): void {
    this.stdin.setRawMode!(true);
    this.raw = true;
    const onExit = () => this.restore();
    process.on('exit', onExit);
    this.cleanups.push(() => process.off('exit', onExit));
    for (const sig of FATAL_SIGNALS) {
      // Restore, then let the signal do what it would have done without us.
      const h = () => {
        this.dispose();
        process.kill(process.pid, sig);
      };
      process.once(sig, h);
      this.cleanups.push(() => process.off(sig, h));
    }
  }

  /** Leave raw mode (safe to call more than once). */
  restore(): void {
    if (!this.raw) return;
    this.raw = false;
    try { this.stdin.setRawMode!(false); } catch { /* stdin already closed */ }
  }

  /** Restore the terminal and stop listening. */
  dispose(): void {
    this.restore();
    for (const c of this.cleanups.splice(0)) c();
    this.stdin.pause();
  }

  write(bytes: Uint8Array): void {
    this.stdout.write(bytes);
  }

  onInput(cb: (bytes: Uint8Array) => void): void {
    const onData = (d: Buffer | string) => cb(typeof d === 'string' ? new TextEncoder().encode(d) : new Uint8Array(d.buffer, d.byteOffset, d.length));
    const onEnd = () => {
      if (this.ended) return;
      this.ended = true;
      for (const e of this.endCbs) e();
    };
    this.stdin.on('data', onData);
    this.stdin.on('end', onEnd);
    this.cleanups.push(() => { this.stdin.off('data', onData); this.stdin.off('end', onEnd); });
    this.stdin.resume();
  }

  onEnd(cb: () => void): void {
    if (this.ended) cb();
    else this.endCbs.push(cb);
  }

  size(): TermSize {
    return { cols: this.stdout.columns || 80, rows: this.stdout.rows || 24 };
  }

  onResize(cb: (size: TermSize) => void): void {
    const h = () => cb(this.size());
    this.stdout.on('resize', h);
    this.cleanups.push(() => this.stdout.off('resize', h));
  }
}

function pipeStat(mode: number): Stat {
  const now = Date.now();
  const ts = { sec: Math.floor(now / 1000), nsec: (now % 1000) * 1e6 };
  return { dev: 0xc, ino: 0, mode, nlink: 1, uid: 0, gid: 0, rdev: 0, size: 0, blksize: 4096, blocks: 0, atime: ts, mtime: ts, ctime: ts };
}

/** Host bytes buffered beyond this pause the host stream until the guest reads. */
const HIGH_WATER = 65536;

/** Guest reads from a host stream (non-terminal stdin): blocking, poll, EOF at end. */
export class HostInputFile extends File {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private ended = false;
  private readonly event = new WaitQueue();

  constructor(private readonly stream: NodeJS.ReadableStream, path = 'pipe:[stdin]', private readonly mode = S_IFIFO | 0o600) {
    super(O_RDONLY, path);
    stream.on('data', (d: Buffer | string) => {
      const b = typeof d === 'string' ? new TextEncoder().encode(d) : new Uint8Array(d);
      if (b.length === 0) return;
      this.chunks.push(b);
      this.buffered += b.length;
      if (this.buffered > HIGH_WATER) stream.pause();
      this.changed();
    });
    const end = () => { this.ended = true; this.changed(); };
    stream.on('end', end);
    stream.on('error', end);
  }

  private changed(): void {
    this.event.wake();
    this.waitq.wake();
  }

  override async read(t: Task, buf: Uint8Array): Promise<number> {
    for (;;) {
      if (this.buffered > 0) {
        let n = 0;
        while (n < buf.length && this.chunks.length) {
          const c = this.chunks[0];
          const k = Math.min(c.length, buf.length - n);
          buf.set(c.subarray(0, k), n);
          n += k;
          if (k === c.length) this.chunks.shift();
          else this.chunks[0] = c.subarray(k);
        }
        this.buffered -= n;
        if (this.buffered <= HIGH_WATER && !this.ended) this.stream.resume();
        return n;
      }
      if (this.ended || buf.length === 0) return 0;
      if (this.nonblock) return -EAGAIN;
      if (await waitAny([this.event], t.interrupt) === INTERRUPTED) return -ERESTARTSYS;
    }
  }

  override poll(): number {
    let m = 0;
    if (this.buffered > 0) m |= POLLIN | POLLRDNORM;
    // A pipe whose writer has gone polls POLLHUP (and read returns 0).
    if (this.ended) m |= POLLHUP;
    return m;
  }

  override stat(): Stat { return pipeStat(this.mode); }
}

/** Guest writes to a host stream (stdout/stderr when they are not a terminal). */
export class HostOutputFile extends File {
  private broken = false;
  private waitingDrain: Promise<void> | null = null;

  constructor(private readonly stream: NodeJS.WritableStream, path = 'pipe:[stdout]', private readonly mode = S_IFIFO | 0o600) {
    super(O_WRONLY, path);
    stream.on('error', () => { this.broken = true; this.waitq.wake(); });
  }

  override async write(t: Task, data: Uint8Array): Promise<number> {
    if (this.broken) return -EPIPE;
    // Respect the host's back-pressure so a fast guest cannot buffer without bound.
    if (this.waitingDrain) {
      if (this.nonblock) return -EAGAIN;
      if (await waitAny([], t.interrupt, undefined, [this.waitingDrain]) === INTERRUPTED) return -ERESTARTSYS;
    }
    if (this.broken) return -EPIPE;
    if (!this.stream.write(data.slice())) {
      this.waitingDrain = new Promise<void>((res) => this.stream.once('drain', () => {
        this.waitingDrain = null;
        this.waitq.wake();
        res();
      }));
    }
    return data.length;
  }

  override poll(): number {
    if (this.broken) return POLLERR | POLLOUT;
    return this.waitingDrain ? 0 : POLLOUT | POLLWRNORM;
  }

  override stat(): Stat { return pipeStat(this.mode); }
}
