/**
 * The refusals every inode of a read-only tree makes (DataFs, WebFs). The VFS answers
 * EROFS first for a read-only file system; these cover callers that use inodes directly.
 */
import type { FileSystem, Inode, Stat } from './types.js';
import { EROFS } from '../abi/errno.js';

const rofs = (): number => -EROFS;

export abstract class ReadOnlyInode implements Inode {
  abstract readonly fs: FileSystem;
  abstract readonly ino: number;
  abstract stat(): Stat | Promise<Stat>;

  readonly setattr = rofs;
  readonly create = rofs;
  readonly mkdir = rofs;
  readonly symlink = rofs;
  readonly link = rofs;
  readonly unlink = rofs;
  readonly rmdir = rofs;
  readonly rename = rofs;
  readonly write = rofs;
}
