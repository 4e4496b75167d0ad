/**
 * Run programs of a finished image inside it, once, at build time: the work packages'
 * maintainer scripts would have done that the builder does not (it runs none), where its
 * result is a file the programs would otherwise make at every start. The programs are the
 * image's own i386 binaries, run by the engine (so a build on any host gets the same files:
 * fontconfig's caches, for one, are per architecture, le32d4 for i386), on the image itself
 * mounted read-write; the file system is written back and marked clean after the last one.
 *
 * The files they write carry the host's time (the guest's clock), not the build's `now`.
 */
import { createMachine } from '../../../engine/machine.js';
import { File, O_RDONLY, O_WRONLY, POLLIN, POLLOUT, S_IFIFO, type Stat } from '../../../engine/fs/types.js';
import type { Task } from '../../../engine/linux/task.js';
import { useNodeBinaryen } from '../binaryen.js';
import { useNodeCompileWorker } from '../compile-worker.js';
import { openDisk } from '../disk.js';

const pipeStat = (): Stat => {
  const t = { sec: 0, nsec: 0 };
  return { dev: 12, ino: 1, mode: S_IFIFO | 0o600, nlink: 1, uid: 0, gid: 0, rdev: 0, size: 0, blksize: 4096, blocks: 0, atime: t, mtime: t, ctime: t };
};

/** stdout and stderr of a build step: kept for the error message. */
class Collect extends File {
  readonly chunks: Uint8Array[] = [];
  constructor() { super(O_WRONLY, 'pipe:[image-run]'); }
  stat(): Stat { return pipeStat(); }
  poll(): number { return POLLOUT; }
  write(_t: Task, data: Uint8Array): number { this.chunks.push(data.slice()); return data.length; }
  text(): string { return Buffer.concat(this.chunks).toString('utf8'); }
}

/** stdin: empty. */
class Nothing extends File {
  constructor() { super(O_RDONLY, 'pipe:[image-run-in]'); }
  stat(): Stat { return pipeStat(); }
  poll(): number { return POLLIN; }
  read(): number { return 0; }
}

export interface ImageCommand {
  /** argv[0] is a path in the image. */
  argv: string[];
  /** Why it runs (logged). */
  why: string;
}

const ENV = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root', 'LANG=C.UTF-8'];

/** Run each command in the image, in order, as root; throws with the program's output if one fails. */
export async function runInImage(image: string, commands: ImageCommand[], log: (m: string) => void = () => {}): Promise<void> {
  if (commands.length === 0) return;
  useNodeBinaryen();
  useNodeCompileWorker();
  const disk = await openDisk({ disk: image, rw: true, progress: false });
  if (typeof disk === 'string') throw new Error(`${image}: ${disk}`);
  try {
    const m = await createMachine({ root: disk.fs, jit: 'on' });
    for (const c of commands) {
      const t0 = Date.now();
      const out = new Collect();
      const p = await m.kernel.spawn(c.argv[0], { argv: c.argv, env: ENV, cwd: '/', stdio: [new Nothing(), out, out] });
      if (typeof p === 'number') throw new Error(`${c.argv[0]}: cannot run it in the image (errno ${-p})`);
      let status = -1;
      m.kernel.sched.onProcessExit = (q) => { if (q === p) status = q.exitStatus; };
      await m.kernel.sched.run();
      if (status !== 0) throw new Error(`${c.argv.join(' ')} (${c.why}) failed in the image: status ${status >> 8}, signal ${status & 0x7f}\n${out.text().slice(-2000)}`);
      log(`ran ${c.argv[0]} in the image (${c.why}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
  } finally {
    await disk.close();
  }
}
