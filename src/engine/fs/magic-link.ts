/**
 * Magic links (/proc/PID/fd/N, and through /dev/fd, /dev/stdin ...): following one lands
 * on the open file itself rather than on the path its readlink shows (nd_jump_link() in
 * fs/proc/base.c). This is how `cat /dev/stdin`, `stat /proc/self/fd/0` and bash's
 * `diff <(echo a) <(echo b)` (/dev/fd/63 on a pipe) work on files that have no path.
 *
 * What an open through the link gives (do_dentry_open() on the file's inode, Linux 6.x):
 * a regular file or directory is reopened through its inode (a new description, its own
 * offset, the requested access mode checked against the inode's permissions); a FIFO
 * through fifo_open(); an anonymous pipe is a new description on the same pipe
 * (pipefs inodes use fifo_open too); a socket fails with ENXIO (sockets have no open);
 * anon-inode files (eventfd, epoll, timerfd) likewise have no open and fail with ENXIO.
 */
import type { File, FileSystem, Inode, Stat } from './types.js';
import { ENXIO } from '../abi/errno.js';
import { PipeEnd, reopenPipe } from './pipe.js';

/** The inode-less files' pseudo file system (pipefs, sockfs, anon_inodefs in Linux). */
class OpenFileFs implements FileSystem {
  readonly type = 'magic';
  readonly dev = 0;
  readonly readOnly = false;
  get root(): Inode { throw new Error('magic-link file system has no root'); }
}
const OPEN_FILE_FS = new OpenFileFs();

/** An open file with no inode of a file system behind it, seen as an inode. */
class OpenFileInode implements Inode {
  readonly fs = OPEN_FILE_FS;
  constructor(private readonly file: File, readonly ino: number) {}
  stat(): Stat | Promise<Stat> { return this.file.stat(); }
  open(flags: number): File | number {
    if (this.file instanceof PipeEnd) return reopenPipe(this.file, flags);
    return -ENXIO;
  }
}

/** The inode to continue a walk from when following a magic link to `f`. */
export async function magicTarget(f: File): Promise<Inode> {
  // Files opened through a file system (regular files, directories, FIFOs, devices) carry
  // their inode; opening it again goes through the VFS's usual checks and open paths.
  const inode = (f as { inode?: Inode | null }).inode;
  if (inode) return inode;
  return new OpenFileInode(f, (await f.stat()).ino);
}
