/**
 * The VFS walks paths for a PathCtx (fs/vfs.ts), never for a task: this is where the
 * kernel makes one from a task (its root, cwd, umask, fs ids and descriptor table).
 */
import type { PathCtx } from '../fs/vfs.js';
import type { Task } from './task.js';

/** The path context of a task, or null (the superuser at /) for kernel-internal walks. */
export function ctxOf(t: Task): PathCtx;
export function ctxOf(t: Task | null): PathCtx | null;
export function ctxOf(t: Task | null): PathCtx | null {
  if (!t) return null;
  const p = t.proc;
  return {
    root: p.fs.root, cwd: p.fs.cwd, uid: p.creds.fsuid, gid: p.creds.fsgid, groups: p.creds.groups, umask: p.fs.umask, files: p.files,
    caller: t,
  };
}
