/**
 * OverlayDevice: copy-on-write over a base device. A writable block store on top keeps
 * both the user's writes and every block read from the base, with a map of which blocks it
 * holds kept in the store's own metadata, so the map survives restarts and a second run
 * reads nothing from the base that an earlier run already read. Overlays stack (the base
 * may itself be an overlay). Mirrors CheerpX's `OverlayDevice.create(base, idb)`.
 *
 * Stores: MemoryBlockStore here; FileBlockStore for Node (src/host/node/file-device.ts);
 * an IndexedDB store for browsers later. A store need only keep whole blocks by number and
 * a state per block, which suits all three.
 */
import { type BlockDevice, checkRange } from './types.js';
import type { ActivityMeter } from './activity.js';

/** Block states in a store's map. */
export const BLOCK_ABSENT = 0;
/** A copy of the base's block (can be dropped and fetched again). */
export const BLOCK_CACHED = 1;
/** Written through the overlay: the only copy. */
export const BLOCK_WRITTEN = 2;
export type BlockState = typeof BLOCK_ABSENT | typeof BLOCK_CACHED | typeof BLOCK_WRITTEN;

export interface BlockStore {
  /** Bytes per block, a power of two. */
  readonly blockSize: number;
  /** Size of the device the store covers, bytes (the last block may be short). */
  readonly size: number;
  /** The state of block `i` (synchronous: stores load their map when opened). */
  state(i: number): BlockState;
  /** Block `i`, whose state is not ABSENT: blockSize bytes (fewer for the last block). */
  readBlock(i: number): Uint8Array | Promise<Uint8Array>;
  /** Store block `i` with its new state; the map entry is written after the data. */
  writeBlock(i: number, data: Uint8Array, state: BlockState): void | Promise<void>;
  /** The base identity recorded with the blocks (null: none yet). */
  readonly baseIdentity: string | null;
  setBaseIdentity(id: string): void | Promise<void>;
  /** Forget every block (a disk reset, or cached blocks of a base that changed). */
  clear(states?: readonly BlockState[]): void | Promise<void>;
  /** Make completed writes durable. */
  flush?(): void | Promise<void>;
  /** Flushes are atomic (see BlockDevice.atomicFlush). */
  readonly atomicFlush?: boolean;
}

export interface OverlayStats {
  /** Blocks answered by the store (earlier downloads or writes). */
  blocksFromStore: number;
  /** Blocks read from the base (and then kept in the store). */
  blocksFromBase: number;
  /** Blocks written through the overlay. */
  blocksWritten: number;
}

export interface OverlayOptions {
  /** Keep blocks read from the base in the store (default true). */
  cacheReads?: boolean;
}

export class OverlayDevice implements BlockDevice {
  readonly size: number;
  readonly blockSize: number;
  readonly readOnly = false;
  readonly stats: OverlayStats = { blocksFromStore: 0, blocksFromBase: 0, blocksWritten: 0 };
  private readonly inflight = new Map<number, Promise<Uint8Array>>();
  private readonly locks = new Map<number, Promise<void>>();

  private constructor(readonly base: BlockDevice, readonly store: BlockStore, private readonly cacheReads: boolean) {
    this.size = base.size;
    this.blockSize = store.blockSize;
  }

  /**
   * Put `store` over `base`. The store must cover the same size. A store filled over a
   * different base (its recorded identity differs) loses its cached blocks; if it holds
   * written blocks the overlay refuses, since those writes were made against other data.
   */
  static async create(base: BlockDevice, store: BlockStore, opts: OverlayOptions = {}): Promise<OverlayDevice> {
    if (store.size !== base.size) {
      throw new Error(`overlay covers ${store.size} bytes but the base device has ${base.size}`);
    }
    const id = base.identity ?? null;
    if (id !== null && store.baseIdentity !== id) {
      if (store.baseIdentity !== null) {
        const n = Math.ceil(store.size / store.blockSize);
        for (let i = 0; i < n; i++) {
          if (store.state(i) === BLOCK_WRITTEN) {
            throw new Error(`overlay holds writes made over a different base image (${store.baseIdentity}, now ${id}); remove the overlay or use the original image`);
          }
        }
        await store.clear([BLOCK_CACHED]);
      }
      await store.setBaseIdentity(id);
    }
    return new OverlayDevice(base, store, opts.cacheReads ?? true);
  }

  get identity(): string {
    return `overlay(${this.base.identity ?? '?'})`;
  }

  /** Atomic flushes when the store journals its writes (the base is only read). */
  get atomicFlush(): boolean {
    return this.store.atomicFlush === true;
  }

  /** The base's activity (the network side of the stack). */
  get activity(): ActivityMeter | undefined {
    return this.base.activity;
  }

  read(offset: number, length: number): Promise<Uint8Array> | Uint8Array {
    checkRange(this.size, offset, length);
    if (length === 0) return new Uint8Array(0);
    const bs = this.blockSize;
    const first = Math.floor(offset / bs);
    const last = Math.floor((offset + length - 1) / bs);
    // Fast path: every block in the store and the store answers synchronously.
    const blocks: Uint8Array[] = [];
    for (let b = first; b <= last; b++) {
      if (this.store.state(b) === BLOCK_ABSENT || this.inflight.has(b)) break;
      const r = this.store.readBlock(b);
      if (!(r instanceof Uint8Array)) break;
      blocks.push(r);
    }
    if (blocks.length === last - first + 1) {
      this.stats.blocksFromStore += blocks.length;
      // For a UI, blocks the store answers are cache hits of the stack.
      this.activity?.hits(blocks.length);
      return assemble(blocks, offset - first * bs, length);
    }
    return this.readSlow(first, last, blocks, offset, length);
  }

  /**
   * `read` into `dest`: blocks the store answers synchronously are copied straight in; from
   * the first that it does not (absent, being fetched, or an IndexedDB get), the rest goes
   * through `read` (and one copy).
   */
  readInto(offset: number, dest: Uint8Array): Promise<void> | void {
    const length = dest.length;
    checkRange(this.size, offset, length);
    const bs = this.blockSize;
    let done = 0;
    while (done < length) {
      const pos = offset + done;
      const b = Math.floor(pos / bs);
      if (this.store.state(b) === BLOCK_ABSENT || this.inflight.has(b)) break;
      const blk = this.store.readBlock(b);
      if (!(blk instanceof Uint8Array)) break;
      const from = pos - b * bs;
      const n = Math.min(blk.length - from, length - done);
      dest.set(n === blk.length ? blk : blk.subarray(from, from + n), done);
      this.stats.blocksFromStore++;
      this.activity?.hits(1);
      done += n;
    }
    if (done === length) return;
    const rest = this.read(offset + done, length - done);
    if (rest instanceof Uint8Array) { dest.set(rest, done); return; }
    return rest.then((r) => { dest.set(r, done); });
  }

  private async readSlow(first: number, last: number, have: Uint8Array[], offset: number, length: number): Promise<Uint8Array> {
    const parts: (Uint8Array | Promise<Uint8Array>)[] = [...have];
    this.stats.blocksFromStore += have.length;
    this.activity?.hits(have.length);
    let b = first + have.length;
    while (b <= last) {
      const pending = this.inflight.get(b);
      if (pending) { parts.push(pending); b++; continue; }
      if (this.store.state(b) !== BLOCK_ABSENT) {
        parts.push(this.store.readBlock(b));
        this.stats.blocksFromStore++;
        this.activity?.hits(1);
        b++;
        continue;
      }
      // A run of absent blocks: one base read (which an HTTP base turns into one request).
      let end = b;
      while (end < last && this.store.state(end + 1) === BLOCK_ABSENT && !this.inflight.has(end + 1)) end++;
      const start = b, run = this.fetchRun(start, end);
      for (let i = start; i <= end; i++) parts.push(run.then((r) => r[i - start]));
      b = end + 1;
    }
    return assemble(await Promise.all(parts), offset - first * this.blockSize, length);
  }

  /** Blocks [first, last] from the base, kept in the store; shared by concurrent readers. */
  private fetchRun(first: number, last: number): Promise<Uint8Array[]> {
    const bs = this.blockSize;
    const p = (async () => {
      try {
        const start = first * bs;
        const data = await this.base.read(start, Math.min(this.size, (last + 1) * bs) - start);
        const out: Uint8Array[] = [];
        for (let i = first; i <= last; i++) {
          const blk = data.slice((i - first) * bs, Math.min(data.length, (i - first + 1) * bs));
          out.push(blk);
          // A write that landed meanwhile wins over the base's copy.
          if (this.cacheReads && this.store.state(i) === BLOCK_ABSENT) await this.store.writeBlock(i, blk, BLOCK_CACHED);
        }
        this.stats.blocksFromBase += out.length;
        return out;
      } finally {
        for (let i = first; i <= last; i++) this.inflight.delete(i);
      }
    })();
    for (let i = first; i <= last; i++) this.inflight.set(i, p.then((r) => r[i - first]));
    return p;
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    checkRange(this.size, offset, data.length);
    const bs = this.blockSize;
    let done = 0;
    while (done < data.length) {
      const pos = offset + done;
      const b = Math.floor(pos / bs);
      const inBlock = pos - b * bs;
      const blockLen = Math.min(bs, this.size - b * bs);
      const n = Math.min(blockLen - inBlock, data.length - done);
      const piece = data.subarray(done, done + n);
      await this.locked(b, async () => {
        let blk: Uint8Array;
        if (n === blockLen) blk = piece.slice();
        else {
          // Partial block: merge into the current contents (from the store or the base).
          blk = (await this.current(b)).slice();
          blk.set(piece, inBlock);
        }
        await this.store.writeBlock(b, blk, BLOCK_WRITTEN);
        this.stats.blocksWritten++;
      });
      done += n;
    }
  }

  /** Block `b` as it is now: from the store, a fetch under way, or the base. */
  private async current(b: number): Promise<Uint8Array> {
    if (this.store.state(b) !== BLOCK_ABSENT) return this.store.readBlock(b);
    return this.inflight.get(b) ?? (await this.fetchRun(b, b))[0];
  }

  /**
   * Writes completed before the call are made durable (a write still under way is waited
   * for first). With no write under way the store takes its blocks in this call, so writes
   * made after it are not part of this flush: ext2 calls it at a consistent point and
   * waits for it outside its lock (fs.ts writeBackChanges).
   */
  flush(): Promise<void> {
    if (this.locks.size === 0) {
      try { return Promise.resolve(this.store.flush?.()); } catch (e) { return Promise.reject(e); }
    }
    return Promise.all(this.locks.values()).then(() => this.store.flush?.());
  }

  /** Run `fn` with block `b` locked against other writers (a partial write is read-modify-write). */
  private async locked(b: number, fn: () => Promise<void>): Promise<void> {
    while (this.locks.has(b)) await this.locks.get(b);
    const p = fn();
    const mark = p.then(() => {}, () => {});
    this.locks.set(b, mark);
    try { await p; } finally { if (this.locks.get(b) === mark) this.locks.delete(b); }
  }
}

function assemble(blocks: Uint8Array[], start: number, length: number): Uint8Array {
  if (blocks.length === 1) return blocks[0].subarray(start, start + length);
  const out = new Uint8Array(length);
  let done = 0;
  for (let i = 0; i < blocks.length && done < length; i++) {
    const from = i === 0 ? start : 0;
    const n = Math.min(blocks[i].length - from, length - done);
    out.set(blocks[i].subarray(from, from + n), done);
    done += n;
  }
  return out;
}

/** A store in memory: writes last as long as the page (tests, scratch disks). */
export class MemoryBlockStore implements BlockStore {
  readonly blockSize: number;
  readonly size: number;
  baseIdentity: string | null = null;
  private readonly states: Uint8Array;
  private readonly blocks = new Map<number, Uint8Array>();

  constructor(size: number, blockSize = 64 * 1024) {
    this.size = size;
    this.blockSize = blockSize;
    this.states = new Uint8Array(Math.ceil(size / blockSize));
  }

  state(i: number): BlockState { return this.states[i] as BlockState; }
  readBlock(i: number): Uint8Array { return this.blocks.get(i)!; }
  writeBlock(i: number, data: Uint8Array, state: BlockState): void {
    this.blocks.set(i, data);
    this.states[i] = state;
  }
  setBaseIdentity(id: string): void { this.baseIdentity = id; }
  clear(states: readonly BlockState[] = [BLOCK_CACHED, BLOCK_WRITTEN]): void {
    for (let i = 0; i < this.states.length; i++) {
      if (states.includes(this.states[i] as BlockState)) { this.states[i] = BLOCK_ABSENT; this.blocks.delete(i); }
    }
  }
}
