/**
 * The guest's descriptors 0, 1, 2 in Node. Host pipes and files pass through as streams.
 * (The interactive console with a line discipline replaces these when stdin is a TTY.)
 */
import * as fs from 'node:fs';
import { File, O_RDONLY, O_WRONLY, POLLIN, POLLOUT, POLLHUP, S_IFIFO, type Stat } from '../../engine/fs/types.js';
import type { Kernel } from '../../engine/linux/kernel.js';
import type { Task } from '../../engine/linux/task.js';
import { waitAny, INTERRUPTED } from '../../engine/linux/wait.js';
import { EAGAIN, EPIPE, ERESTARTSYS } from '../../engine/linux/errno.js';

const pipeStat = (): Stat => {
  const now = { sec: Math.floor(Date.now() / 1000), nsec: 0 };
  return { dev: 12, ino: 1, mode: S_IFIFO | 0o600, nlink: 1, uid: 0, gid: 0, rdev: 0, size: 0, blksize: 4096, blocks: 0, atime: now, mtime: now, ctime: now };
};

/** Host stdin as a readable stream file. */
export class HostInput extends File {
  private chunks: Uint8Array[] = [];
  private eof = false;
  private started = false;

  constructor(private readonly stream: NodeJS.ReadableStream) {
    super(O_RDONLY, 'pipe:[stdin]');
  }
  private start(): void {
    if (this.started) return;
    this.started = true;
    this.stream.on('data', (d: Buffer) => { this.chunks.push(new Uint8Array(d)); this.waitq.wake(); });
    this.stream.on('end', () => { this.eof = true; this.waitq.wake(); });
    this.stream.on('error', () => { this.eof = true; this.waitq.wake(); });
  }
  stat(): Stat { return pipeStat(); }
  poll(): number {
    this.start();
    return this.chunks.length ? POLLIN : this.eof ? POLLIN | POLLHUP : 0;
  }
  read(t: Task, buf: Uint8Array): number | Promise<number> {
    this.start();
    if (this.chunks.length || this.eof) return this.take(buf);
    if (this.nonblock) return -EAGAIN;
    return (async () => {
      while (!this.chunks.length && !this.eof) {
        if ((await waitAny([this.waitq], t.interrupt)) === INTERRUPTED) return -ERESTARTSYS;
      }
      return this.take(buf);
    })();
  }
  private take(buf: Uint8Array): number {
    let n = 0;
    while (n < buf.length && this.chunks.length) {
      const c = this.chunks[0];
      const k = Math.min(c.length, buf.length - n);
      buf.set(c.subarray(0, k), n);
      n += k;
      if (k === c.length) this.chunks.shift(); else this.chunks[0] = c.subarray(k);
    }
    return n;
  }
  release(): void { if (this.started) (this.stream as unknown as { pause(): void }).pause?.(); }
}

/** Host stdout/stderr: synchronous writes keep output ordered with the process's exit. */
export class HostOutput extends File {
  constructor(private readonly fd: number, name: string) {
    super(O_WRONLY, name);
  }
  stat(): Stat { return pipeStat(); }
  poll(): number { return POLLOUT; }
  write(_t: Task, data: Uint8Array): number {
    let off = 0;
    while (off < data.length) {
      try {
        off += fs.writeSync(this.fd, data, off, data.length - off);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') continue;
        return off || -EPIPE;
      }
    }
    return data.length;
  }
}

export async function stdioFiles(_k: Kernel): Promise<{ files: File[]; close: () => void }> {
  const input = new HostInput(process.stdin);
  const files = [input, new HostOutput(1, 'pipe:[stdout]'), new HostOutput(2, 'pipe:[stderr]')];
  return { files, close: () => { process.stdin.destroy(); } };
}
