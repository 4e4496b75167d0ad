/**
 * CheerpX-style mount lists (`{ type, path, dev }`) turned into the engine's file systems,
 * inside the worker. Device specs arrive as plain data from the page (src/api/devices.ts)
 * and become block devices and file systems here, where the guest's reads happen.
 */
import type { BlockDevice } from '../../engine/block/types.js';
import { isWritable } from '../../engine/block/types.js';
import type { ActivityMeter } from '../../engine/block/activity.js';
import { HttpBytesDevice } from '../../engine/block/http.js';
import { ChunkedDevice } from '../../engine/block/chunked.js';
import { OverlayDevice, MemoryBlockStore } from '../../engine/block/overlay.js';
import type { BlockStore } from '../../engine/block/overlay.js';
import { MemoryDevice } from '../../engine/block/memory.js';
import { IdbBlockStore } from '../../engine/block/idb.js';
import { Ext2Fs } from '../../engine/fs/ext2/index.js';
import { TmpFs, allocAnonDev } from '../../engine/fs/tmpfs.js';
import { DataFs } from '../../engine/fs/data.js';
import { WebFs } from '../../engine/fs/web.js';
import { openIdbDirFs } from '../../engine/fs/persistent.js';
import type { FileSystem } from '../../engine/fs/types.js';
import type { DeviceSpec, MountSpec } from './protocol.js';

/** Mount types the machine provides itself at their usual places. */
const SYSTEM_PATHS: Record<string, string> = { devs: '/dev', devpts: '/dev/pts', proc: '/proc', sys: '/sys' };

/** Store blocks for overlays: 128 KiB, CheerpX's block size, amortises IndexedDB's per-record cost. */
const OVERLAY_BLOCK = 128 * 1024;
/**
 * An overlay store's blocks kept in memory after they reach IndexedDB. ext2 reads file data
 * straight from the device (fs/ext2/fs.ts), and a page's overlay answers every block it holds
 * from its store, so this is the page's only cache of the disk: the base's own (64 MiB for
 * HTTP) is passed over once a block is stored. Desktop start (startx → i3 bar,
 * bench/desktop-profile.ts, 2026-12-07) reads 293 MiB through the root device (every exec
 * maps its libraries anew) from ~41 MiB of distinct blocks: with the store's default 8 MiB,
 * 1464 of its 64 KiB blocks miss (each an IndexedDB get in a page), with 64 MiB 656 (the
 * first reads only).
 */
const OVERLAY_CACHE_BYTES = 64 << 20;

export interface BuiltMounts {
  root: FileSystem | undefined;
  mounts: { path: string; fs: FileSystem }[];
  /** Things the user should know that did not stop the mount (a persistent tree not closed cleanly). */
  warnings: string[];
  /** Remote devices' meters, for progress and activity events. */
  meters: ActivityMeter[];
  /** DataFs instances by the page's DataDevice id. */
  data: Map<number, DataFs>;
  /** Mounted file systems by device (for readFileAsBlob): the mount path of each spec. */
  byDevice: { dev: DeviceSpec; path: string }[];
  /** The ext2 file systems mounted (the host wires their change notices to a write-back timer). */
  ext2: Ext2Fs[];
  /** Write back every writable ext2 file system to its device and make it durable. */
  sync(): Promise<void>;
  /** Write back, flush and close everything (IndexedDB connections included). */
  close(): Promise<void>;
}

/** A mount list that is wrong in a way the user can fix gets this, with the reason. */
export class MountError extends Error {}

export function checkMounts(specs: MountSpec[]): void {
  if (specs.length > 0 && specs[0].path !== '/') throw new MountError(`the first mount must be "/" (got "${specs[0].path}")`);
  for (const m of specs) {
    if (typeof m.path !== 'string' || !m.path.startsWith('/')) throw new MountError(`mount path must be absolute: ${JSON.stringify(m.path)}`);
    const fixed = SYSTEM_PATHS[m.type];
    if (fixed && (m.type === 'devs' || m.type === 'devpts') && m.path !== fixed) throw new MountError(`a "${m.type}" mount belongs at ${fixed}, not ${m.path}`);
    if ((m.type === 'ext2' || m.type === 'dir') && !m.dev) throw new MountError(`the "${m.type}" mount at ${m.path} needs a device`);
    if (!['ext2', 'dir', 'devs', 'devpts', 'proc', 'sys', 'tmpfs'].includes(m.type)) throw new MountError(`unknown mount type "${m.type}" at ${m.path}`);
  }
}

export async function buildMounts(specs: MountSpec[]): Promise<BuiltMounts> {
  checkMounts(specs);
  const ext2: Ext2Fs[] = [];
  const out: BuiltMounts = {
    root: undefined, mounts: [], warnings: [], meters: [], data: new Map(), byDevice: [], ext2, close: async () => {},
    sync: async () => { for (const fs of ext2) await fs.sync(); },
  };
  const closers: (() => Promise<void> | void)[] = [];
  out.close = async () => {
    for (const c of closers.reverse()) {
      try { await c(); } catch { /* keep closing the others */ }
    }
  };
  try {
    for (const m of specs) {
      const fs = await mountOne(m, out, closers);
      if (!fs) continue;
      if (fs instanceof Ext2Fs && m.type === 'ext2') ext2.push(fs);
      if (m.path === '/') out.root = fs; else out.mounts.push({ path: m.path, fs });
      if (m.dev) out.byDevice.push({ dev: m.dev, path: m.path });
    }
  } catch (e) {
    await out.close();
    throw e;
  }
  return out;
}

async function mountOne(m: MountSpec, out: BuiltMounts, closers: (() => Promise<void> | void)[]): Promise<FileSystem | null> {
  switch (m.type) {
    case 'devs': case 'devpts':
      return null; // the machine always has them
    case 'proc': case 'sys':
      if (m.path === SYSTEM_PATHS[m.type]) return null;
      throw new MountError(`"${m.type}" is mounted at ${SYSTEM_PATHS[m.type]} only`);
    case 'tmpfs':
      return new TmpFs({ mode: m.path === '/tmp' ? 0o1777 : 0o755 });
    case 'ext2': {
      const dev = await openBlockDevice(m.dev!, out, closers);
      const writable = isWritable(dev);
      let fs: Ext2Fs;
      try {
        fs = await Ext2Fs.mount(dev, allocAnonDev(), { writable });
      } catch (e) {
        throw new MountError(`the disk for ${m.path} is not a usable ext2 image: ${(e as Error).message}`);
      }
      // Closers run in reverse: the file system writes back before its device is flushed.
      closers.push(() => fs.unmount());
      if (writable && fs.readOnly) out.warnings.push(`${m.path}: mounted read-only: ${fs.roReason}${m.dev?.kind === 'overlay' ? '; reset the disk to start over' : ''}`);
      return fs;
    }
    case 'dir':
      return openDirDevice(m.dev!, m.path, out, closers);
  }
}

async function openBlockDevice(spec: DeviceSpec, out: BuiltMounts, closers: (() => Promise<void> | void)[]): Promise<BlockDevice> {
  switch (spec.kind) {
    case 'http': case 'chunked': {
      const dev = spec.kind === 'http' ? await HttpBytesDevice.create(spec.url) : await ChunkedDevice.create(spec.url);
      if (dev.activity) out.meters.push(dev.activity);
      return dev;
    }
    case 'memory':
      return new MemoryDevice(new Uint8Array(spec.size));
    case 'overlay': {
      const base = await openBlockDevice(spec.base, out, closers);
      const store = await openStore(spec.store, base, closers);
      const dev = await OverlayDevice.create(base, store);
      closers.push(() => dev.flush());
      return dev;
    }
    case 'idb':
      throw new MountError(`IDBDevice "${spec.name}" holds files: mount it with type "dir", or use it as an OverlayDevice's store for an ext2 disk`);
    case 'data': case 'web':
      throw new MountError(`${spec.kind === 'data' ? 'DataDevice' : 'WebDevice'} holds files, not blocks: mount it with type "dir"`);
  }
}

async function openStore(spec: DeviceSpec, base: BlockDevice, closers: (() => Promise<void> | void)[]): Promise<BlockStore> {
  const blockSize = Math.max(base.blockSize ?? 0, OVERLAY_BLOCK);
  if (spec.kind === 'memory') return new MemoryBlockStore(base.size, blockSize);
  if (spec.kind !== 'idb') throw new MountError('an OverlayDevice keeps its blocks in a writable store: an IDBDevice (or memory)');
  // Atomic flushes: a tab closed mid-write leaves the disk as of the last write-back, which
  // ext2 then keeps marked clean, so the next load mounts it read-write (docs/EXT2.md).
  const store = await IdbBlockStore.open(spec.name, base.size, blockSize, { atomicFlush: true, cacheBytes: OVERLAY_CACHE_BYTES });
  closers.push(() => store.close());
  return store;
}

async function openDirDevice(spec: DeviceSpec, path: string, out: BuiltMounts, closers: (() => Promise<void> | void)[]): Promise<FileSystem> {
  switch (spec.kind) {
    case 'data': {
      const fs = new DataFs();
      for (const [p, d] of spec.files) fs.writeFile(p, d);
      out.data.set(spec.id, fs);
      return fs;
    }
    case 'web':
      return WebFs.create(spec.url);
    case 'idb': {
      const d = await openIdbDirFs(spec.name);
      if (d.warning) out.warnings.push(`${path}: ${d.warning}`);
      closers.push(() => d.close());
      return d.fs;
    }
    default:
      throw new MountError(`a "dir" mount at ${path} takes an IDBDevice, WebDevice or DataDevice, not a block device`);
  }
}
