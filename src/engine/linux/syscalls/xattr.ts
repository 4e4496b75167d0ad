/**
 * Extended attributes. No file system here stores them yet, so every call behaves as the
 * kernel's VFS does for a file system with no xattr handlers (fs/xattr.c): the path is
 * resolved first (ENOENT, ENOTDIR, ... as usual), then get/set/remove fail with
 * EOPNOTSUPP and list returns an empty list. ls, cp and tar take EOPNOTSUPP as "none".
 */
import { syscallTable } from './registry.js';
import type { Task } from '../task.js';
import { AT_FDCWD } from '../../fs/vfs.js';
import { EBADF, EOPNOTSUPP } from '../errno.js';
import { getString } from '../uaccess.js';
import { ctxOf } from '../path-ctx.js';

/** Resolve the path (following a final symbolic link if `follow`), giving 0 or -errno. */
async function resolve(t: Task, pathp: number, follow: boolean): Promise<number> {
  const p = getString(t, pathp >>> 0, 4096);
  if (typeof p === 'number') return p;
  const st = await t.kernel.vfs.stat(ctxOf(t), AT_FDCWD, p, follow, false);
  return typeof st === 'number' ? st : 0;
}
const fdCheck = (t: Task, fd: number): number => (t.proc.files.get(fd) ? 0 : -EBADF);

const unsupported = (r: number) => (r < 0 ? r : -EOPNOTSUPP);
const empty = (r: number) => (r < 0 ? r : 0);

/** This module's rows of the system call table (syscalls/index.ts). */
export const xattrSyscalls = syscallTable({
  getxattr: async (t, p) => unsupported(await resolve(t, p, true)),
  lgetxattr: async (t, p) => unsupported(await resolve(t, p, false)),
  fgetxattr: (t, fd) => unsupported(fdCheck(t, fd)),
  setxattr: async (t, p) => unsupported(await resolve(t, p, true)),
  lsetxattr: async (t, p) => unsupported(await resolve(t, p, false)),
  fsetxattr: (t, fd) => unsupported(fdCheck(t, fd)),
  removexattr: async (t, p) => unsupported(await resolve(t, p, true)),
  lremovexattr: async (t, p) => unsupported(await resolve(t, p, false)),
  fremovexattr: (t, fd) => unsupported(fdCheck(t, fd)),
  listxattr: async (t, p) => empty(await resolve(t, p, true)),
  llistxattr: async (t, p) => empty(await resolve(t, p, false)),
  flistxattr: (t, fd) => empty(fdCheck(t, fd)),
});
