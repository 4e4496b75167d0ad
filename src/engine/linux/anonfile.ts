/**
 * Files with no file system behind them (eventfd, timerfd, epoll): anon_inode files.
 * Linux gives all of them the one anon inode, mode 0600 with no file type bits, which is
 * what fstat shows ("weird file" to stat(1)), and names them "anon_inode:[kind]" in
 * /proc/PID/fd.
 */
import { File, O_RDWR, O_NONBLOCK, type Stat } from '../fs/types.js';

/** st_dev of the anon inode file system (an unnamed device 0:14). */
export const ANON_DEV = 14;
const ANON_INO = 1;

export abstract class AnonFile extends File {
  constructor(kind: string, nonblock: boolean) {
    super(O_RDWR | (nonblock ? O_NONBLOCK : 0), `anon_inode:${kind}`);
  }
  stat(): Stat {
    const zero = { sec: 0, nsec: 0 };
    return {
      dev: ANON_DEV, ino: ANON_INO, mode: 0o600, nlink: 1, uid: 0, gid: 0, rdev: 0, size: 0,
      blksize: 4096, blocks: 0, atime: zero, mtime: zero, ctime: zero,
    };
  }
}
