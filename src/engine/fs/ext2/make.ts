/** The inode class for a file type (a module of its own so dir.ts and inode.ts need not import each other in a cycle). */
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from '../types.js';
import type { Ext2Fs } from './fs.js';
import type { RawInode } from './layout.js';
import { type Ext2Inode, Ext2File, Ext2Special, Ext2Symlink } from './inode.js';
import { Ext2Dir } from './dir.js';

export function makeInode(fs: Ext2Fs, ino: number, raw: RawInode): Ext2Inode {
  switch (raw.mode & S_IFMT) {
    case S_IFREG: return new Ext2File(fs, ino, raw);
    case S_IFDIR: return new Ext2Dir(fs, ino, raw);
    case S_IFLNK: return new Ext2Symlink(fs, ino, raw);
    default: return new Ext2Special(fs, ino, raw);
  }
}
