/**
 * Persistent directory trees: CheerpX's `IDBDevice` mounted as `dir`. The tree is an ext2
 * file system (our read-write ext2, so every POSIX operation works) on a sparse device: an
 * OverlayDevice over an all-zero base, whose store keeps only the blocks written. In a
 * browser the store is an IdbBlockStore, so a 1 GiB tree costs what its files take.
 *
 * The store-agnostic part (openStoreDirFs, formatExt2) takes any BlockStore, which is how
 * the Node tests exercise it with a MemoryBlockStore.
 *
 * First use formats the device with the ext2 writer. The superblock goes last, after
 * everything else is durable, so a tab closed mid-format leaves no magic number and the
 * next open formats again.
 *
 * A tab closed without close() leaves the file system marked "not clean" (it is marked so
 * while mounted writable). Linux's ext2 mounts such a file system anyway, with a warning
 * to run e2fsck; there is no e2fsck in a page, so by default we do the same (`unclean:
 * 'mount'`) and say so in `warning`. The store commits writes in order (a prefix of the
 * write sequence survives), so what is lost is what ext2 itself would lose in a crash:
 * possibly leaked blocks or inodes, or, rarely, a freed block still referenced. Pass
 * `unclean: 'readonly'` to mount such a tree read-only instead.
 */
import type { BlockDevice, WritableBlockDevice } from '../block/types.js';
import { BLOCK_ABSENT, OverlayDevice, type BlockStore } from '../block/overlay.js';
import { ZeroDevice } from '../block/zero.js';
import { IdbBlockStore } from '../block/idb.js';
import { Ext2Fs } from './ext2/index.js';
import { writeExt2, type Ext2TreeNode } from './ext2/writer.js';
import { EXT2_ERROR_FS, EXT2_SUPER_MAGIC, EXT2_VALID_FS, SB_STATE, SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE, parseSuperblock } from './ext2/layout.js';
import { allocAnonDev } from './tmpfs.js';
import { S_IFDIR } from './types.js';

/** 1 GiB: sparse, so the size is only a ceiling. */
export const DEFAULT_DIR_SIZE = 1 << 30;
/** Store blocks: 16 ext2 blocks per IndexedDB record keeps records few and the map small. */
export const DEFAULT_STORE_BLOCK = 64 * 1024;

export interface DirFsOptions {
  /** Size of the file system in bytes (default 1 GiB). Fixed when the tree is first made. */
  size?: number;
  /** Bytes per store block (default 64 KiB). Fixed when the store is first made. */
  blockSize?: number;
  /** Permissions of the root directory when formatting (default 0o1777, like /tmp: any user may add files). */
  rootMode?: number;
  /** What to do with a tree whose last session did not close it (see above; default 'mount'). */
  unclean?: 'mount' | 'readonly';
}

export interface PersistentDir {
  fs: Ext2Fs;
  device: BlockDevice;
  /** Set when the tree was found not cleanly closed, or is mounted read-only: why. */
  warning: string | null;
  /** Write everything back, mark the file system clean and flush (and close the store). */
  close(): Promise<void>;
}

/** A persistent tree in the IndexedDB database `name` (browsers). */
export async function openIdbDirFs(name: string, opts: DirFsOptions = {}): Promise<PersistentDir> {
  const store = await IdbBlockStore.open(name, opts.size ?? DEFAULT_DIR_SIZE, opts.blockSize ?? DEFAULT_STORE_BLOCK);
  try {
    const dir = await openStoreDirFs(store, opts);
    return {
      ...dir,
      close: async () => {
        try { await dir.close(); } finally { await store.close(); }
      },
    };
  } catch (e) {
    await store.close().catch(() => {});
    throw e;
  }
}

/** A persistent tree over any BlockStore (formatted on first use). */
export async function openStoreDirFs(store: BlockStore, opts: DirFsOptions = {}): Promise<PersistentDir> {
  const device = await OverlayDevice.create(new ZeroDevice(store.size), store, { cacheReads: false });
  let warning: string | null = null;
  const sb = (await device.read(SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE)).slice();
  const dv = new DataView(sb.buffer);
  if (parseSuperblock(sb).magic !== EXT2_SUPER_MAGIC) {
    // Nothing there, or a format that did not finish: start over.
    if (!isEmpty(store)) await store.clear();
    await formatExt2(device, { rootMode: opts.rootMode });
  } else {
    const state = dv.getUint16(SB_STATE, true);
    if (!(state & EXT2_VALID_FS) && !(state & EXT2_ERROR_FS)) {
      warning = 'the last session did not close this directory (tab closed?); its file system was not checked';
      if (opts.unclean !== 'readonly') {
        dv.setUint16(SB_STATE, state | EXT2_VALID_FS, true);
        await device.write(SUPERBLOCK_OFFSET, sb);
        await device.flush();
      }
    }
  }
  const fs = await Ext2Fs.mount(device, allocAnonDev(), { writable: true });
  if (fs.readOnly) warning = `mounted read-only: ${fs.roReason}${warning ? ` (${warning})` : ''}`;
  return {
    fs,
    device,
    warning,
    close: async () => {
      await fs.unmount();
      await device.flush();
    },
  };
}

/**
 * Write an empty ext2 file system (root directory and lost+found) over the whole of
 * `device`, which must read as zeros where nothing is written (a fresh sparse device). The
 * primary superblock is written last, after a flush of the rest, so an interrupted format
 * is recognisable as no file system at all.
 */
export async function formatExt2(device: WritableBlockDevice, opts: { rootMode?: number; now?: number } = {}): Promise<void> {
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  const root: Ext2TreeNode = { mode: S_IFDIR | ((opts.rootMode ?? 0o1777) & 0o7777), uid: 0, gid: 0, mtime: now, children: new Map() };
  const writes: [number, Uint8Array][] = [];
  writeExt2(root, { sizeBytes: device.size, now }, (offset, data) => { writes.push([offset, data.slice()]); });
  const isPrimarySuper = (o: number, d: Uint8Array) => o < SUPERBLOCK_OFFSET + SUPERBLOCK_SIZE && o + d.length > SUPERBLOCK_OFFSET;
  const last = writes.filter(([o, d]) => isPrimarySuper(o, d));
  for (const [o, d] of writes) if (!isPrimarySuper(o, d)) await device.write(o, d);
  await device.flush?.();
  for (const [o, d] of last) await device.write(o, d);
  await device.flush?.();
}

function isEmpty(store: BlockStore): boolean {
  const n = Math.ceil(store.size / store.blockSize);
  for (let i = 0; i < n; i++) if (store.state(i) !== BLOCK_ABSENT) return false;
  return true;
}
