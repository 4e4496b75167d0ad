/** Placeholder: the VFS (mount table, path walk) is being written; see fs/types.ts for the contracts. */
import type { FileSystem } from './types.js';
export class Vfs {
  mounts = new Map<string, FileSystem>();
  mount(path: string, fs: FileSystem): void { this.mounts.set(path, fs); }
}
