/**
 * Block devices over host files, for the Node host (CLI, tests): FileDevice (a raw image,
 * read-only or writable) and FileBlockStore (an overlay file for OverlayDevice).
 *
 * Overlay file format (version 2; version 1 files are read and upgraded), integers
 * little-endian:
 *
 *   0      8  magic "WX86OVL\0"
 *   8      4  version = 2
 *   12     4  block size (bytes, a power of two)
 *   16     8  device size (bytes)
 *   24     4  length of the base identity string
 *   28     …  base identity, UTF-8 (what the blocks were copied from; up to 4000 bytes)
 *   4096   …  block map: one byte per block, 0 absent, 1 cached (a copy of the base's
 *              block), 2 written (the only copy)
 *   D      …  data: block i at D + i × block size, where D is the end of the map rounded up
 *              to the block size. Absent blocks are never written, so the file is sparse:
 *              it takes disk space only for blocks present.
 *   J      …  journal (version 2), J = D + blocks × block size: the writes since the last
 *              flush, as records of 32-byte headers
 *                magic "WXJB", transaction u32, block u32, state u32, length u32, crc32 of
 *                the data u32, 8 bytes zero; then the data
 *              ended by a commit record
 *                magic "WXJC", transaction u32, number of block records u32, crc32 of the
 *                block record headers u32, 16 bytes zero.
 *
 * The journal makes each flush atomic (a redo log, as ext3/jbd2 commits a transaction):
 * writeBlock appends to the journal, so the map and the data at home keep the state of the
 * last flush; flush appends the commit record, fsyncs, then copies the blocks home and
 * updates the map (a checkpoint), fsyncs, and starts the next transaction at J again. After
 * a crash (a killed process, a power cut) `open` replays a committed transaction that was
 * not checkpointed (replaying twice writes the same bytes) and ignores one without its
 * commit record or with a bad checksum: the disk is as it was at the last flush. Ext2 flushes
 * only at points where the file system is consistent (sync, unmount, and in between when
 * much is written, see `atomicFlush` in block/types.ts and docs/EXT2.md), and keeps its
 * superblock marked clean in every commit, so after `kill -9` the next `--rw` mount just works.
 * Cost: each written block is written twice (journal, then home) and a flush is two fsyncs.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { type BlockDevice, checkRange } from '../../engine/block/types.js';
import { BLOCK_ABSENT, BLOCK_CACHED, type BlockState, type BlockStore } from '../../engine/block/overlay.js';

export class FileDevice implements BlockDevice {
  readonly size: number;
  readonly readOnly: boolean;
  private fd: number;

  constructor(readonly path: string, opts: { writable?: boolean } = {}) {
    this.readOnly = !opts.writable;
    this.fd = openSync(path, opts.writable ? 'r+' : 'r');
    this.size = fstatSync(this.fd).size;
  }

  get identity(): string {
    const st = fstatSync(this.fd);
    return `file ${this.path} size=${this.size} mtime=${st.mtimeMs}`;
  }

  /**
   * Synchronous on purpose: a local read is quicker than a promise round trip, and the
   * interface allows plain values. readSync takes the position as a number, exact to 2^53.
   */
  read(offset: number, length: number): Uint8Array {
    checkRange(this.size, offset, length);
    return readFully(this.fd, offset, length);
  }

  write(offset: number, data: Uint8Array): void {
    if (this.readOnly) throw new Error(`${this.path}: device opened read-only`);
    checkRange(this.size, offset, data.length);
    writeFully(this.fd, offset, data);
  }

  flush(): void {
    if (!this.readOnly) fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

const MAGIC = 'WX86OVL\0';
const VERSION = 2;
const JOURNAL_BLOCK = 0x424a5857; // "WXJB"
const JOURNAL_COMMIT = 0x434a5857; // "WXJC"
const RECORD = 32;
/** Journal bytes of base copies alone that are committed without waiting for a flush. */
const CACHED_COMMIT_BYTES = 32 << 20;
const HEADER = 4096;
const MAX_IDENTITY = 4000;

export class FileBlockStore implements BlockStore {
  readonly blockSize: number;
  readonly size: number;
  baseIdentity: string | null;
  /** Flushes are atomic: the journal commits the writes since the last one together. */
  readonly atomicFlush = true;
  /** States as of the last checkpoint (what the map on disk says). */
  private readonly map: Uint8Array;
  /** States as this session sees them (the map plus the open transaction). */
  private readonly live: Uint8Array;
  private readonly dataOffset: number;
  private readonly journalOffset: number;
  /** The open transaction: block → where its latest record's data is in the journal. */
  private pending = new Map<number, { at: number; state: BlockState }>();
  private records: Uint8Array[] = [];
  private journalEnd: number;
  private tx = 1;
  /** Blocks in the open transaction that are not copies of the base. */
  private written = 0;
  private fd: number;
  /** What opening found in the journal: nothing, a committed flush completed, or an unfinished one dropped. */
  recovered: 'clean' | 'replayed' | 'discarded' = 'clean';

  private constructor(readonly path: string, fd: number, size: number, blockSize: number, identity: string | null, map: Uint8Array) {
    this.fd = fd;
    this.size = size;
    this.blockSize = blockSize;
    this.baseIdentity = identity;
    this.map = map;
    this.live = map.slice();
    this.dataOffset = Math.ceil((HEADER + map.length) / blockSize) * blockSize;
    this.journalOffset = this.dataOffset + map.length * blockSize;
    this.journalEnd = this.journalOffset;
  }

  /**
   * Open the overlay file at `path`, creating it for a device of `size` bytes in blocks of
   * `blockSize` if it does not exist. An existing file keeps its own block size; a size
   * different from `size` is an error.
   */
  static open(path: string, size: number, blockSize = 64 * 1024): FileBlockStore {
    if (!existsSync(path) || fstatSizeOf(path) === 0) {
      if (blockSize < 512 || (blockSize & (blockSize - 1)) !== 0) throw new RangeError(`overlay block size must be a power of two ≥ 512, got ${blockSize}`);
      const fd = openSync(path, existsSync(path) ? 'r+' : 'wx+');
      const map = new Uint8Array(Math.ceil(size / blockSize));
      const store = new FileBlockStore(path, fd, size, blockSize, null, map);
      store.writeHeader();
      ftruncateSync(fd, store.dataOffset);
      return store;
    }
    const fd = openSync(path, 'r+');
    try {
      const h = readFully(fd, 0, HEADER);
      const dv = new DataView(h.buffer, h.byteOffset, h.byteLength);
      if (new TextDecoder().decode(h.subarray(0, 8)) !== MAGIC) throw new Error(`${path}: not a webx86 overlay file (bad magic)`);
      const version = dv.getUint32(8, true);
      if (version !== VERSION && version !== 1) throw new Error(`${path}: overlay format version ${version} is not supported (this webx86 reads 1 and ${VERSION})`);
      const bs = dv.getUint32(12, true);
      const fileSize = Number(dv.getBigUint64(16, true));
      if (fileSize !== size) throw new Error(`${path}: overlay was made for a ${fileSize}-byte disk, this disk has ${size} bytes`);
      const idLen = dv.getUint32(24, true);
      const identity = idLen ? new TextDecoder().decode(h.subarray(28, 28 + Math.min(idLen, MAX_IDENTITY))) : null;
      const map = readFully(fd, HEADER, Math.ceil(size / bs));
      const store = new FileBlockStore(path, fd, size, bs, identity, map);
      store.recovered = store.recover();
      if (version === 1) store.writeHeader();
      return store;
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  state(i: number): BlockState {
    return this.live[i] as BlockState;
  }

  /** Blocks present, by state (for reports). */
  count(state: BlockState): number {
    let n = 0;
    for (const s of this.live) if (s === state) n++;
    return n;
  }

  readBlock(i: number): Uint8Array {
    const p = this.pending.get(i);
    return readFully(this.fd, p ? p.at : this.dataOffset + i * this.blockSize, this.blockLength(i));
  }

  writeBlock(i: number, data: Uint8Array, state: BlockState): void {
    if (data.length !== this.blockLength(i)) throw new RangeError(`overlay block ${i}: ${data.length} bytes, expected ${this.blockLength(i)}`);
    const h = new Uint8Array(RECORD);
    const dv = new DataView(h.buffer);
    dv.setUint32(0, JOURNAL_BLOCK, true);
    dv.setUint32(4, this.tx, true);
    dv.setUint32(8, i, true);
    dv.setUint32(12, state, true);
    dv.setUint32(16, data.length, true);
    dv.setUint32(20, crc32(data), true);
    writeFully(this.fd, this.journalEnd, h);
    writeFully(this.fd, this.journalEnd + RECORD, data);
    const before = this.pending.get(i);
    if (before && before.state !== BLOCK_CACHED) this.written--;
    if (state !== BLOCK_CACHED) this.written++;
    this.pending.set(i, { at: this.journalEnd + RECORD, state });
    this.records.push(h);
    this.journalEnd += RECORD + data.length;
    this.live[i] = state;
    // Copies of the base alone may be committed at any time (no file system state depends
    // on them): a long read-only session does not grow the journal without bound.
    if (this.written === 0 && this.journalEnd - this.journalOffset > CACHED_COMMIT_BYTES) this.flush();
  }

  setBaseIdentity(id: string): void {
    this.flush();
    this.baseIdentity = id;
    this.writeHeader();
    fsyncSync(this.fd);
  }

  clear(states: readonly BlockState[] = [1, 2]): void {
    this.flush();
    for (let i = 0; i < this.map.length; i++) if (states.includes(this.map[i] as BlockState)) this.map[i] = BLOCK_ABSENT;
    this.live.set(this.map);
    writeFully(this.fd, HEADER, this.map);
    // Nothing left at all: give the space back.
    if (this.map.every((s) => s === BLOCK_ABSENT)) ftruncateSync(this.fd, this.dataOffset);
    fsyncSync(this.fd);
  }

  /**
   * Commit the open transaction (commit record, fsync), copy it home (checkpoint, fsync)
   * and start the next one. Nothing written since the last flush: an fsync.
   */
  flush(): void {
    if (this.pending.size === 0) { fsyncSync(this.fd); return; }
    const c = new Uint8Array(RECORD);
    const dv = new DataView(c.buffer);
    dv.setUint32(0, JOURNAL_COMMIT, true);
    dv.setUint32(4, this.tx, true);
    dv.setUint32(8, this.records.length, true);
    dv.setUint32(12, crcOf(this.records), true);
    writeFully(this.fd, this.journalEnd, c);
    fsyncSync(this.fd);
    this.checkpoint(this.pending);
  }

  /** Copy committed blocks home, then the map; fsync; start a new transaction. */
  private checkpoint(blocks: Map<number, { at: number; state: BlockState }>): void {
    for (const [i, p] of blocks) {
      if (p.state !== BLOCK_ABSENT) writeFully(this.fd, this.dataOffset + i * this.blockSize, readFully(this.fd, p.at, this.blockLength(i)));
      this.map[i] = p.state;
    }
    writeFully(this.fd, HEADER, this.map);
    fsyncSync(this.fd);
    this.live.set(this.map);
    this.pending = new Map();
    this.written = 0;
    this.records = [];
    this.journalEnd = this.journalOffset;
    this.tx = (this.tx + 1) >>> 0 || 1;
    // The next transaction starts where this one did; its records carry the new number,
    // so a crash part-way through it never mixes with this one's commit record.
    const next = new Uint8Array(RECORD);
    new DataView(next.buffer).setUint32(4, this.tx, true);
    writeFully(this.fd, this.journalOffset, next);
  }

  /**
   * At open: replay a committed transaction left in the journal (a crash after its commit
   * record), drop an uncommitted one. Returns what was done, for reports.
   */
  recover(): 'clean' | 'replayed' | 'discarded' {
    const fileSize = fstatSync(this.fd).size;
    let at = this.journalOffset;
    const blocks = new Map<number, { at: number; state: BlockState }>();
    const headers: Uint8Array[] = [];
    let tx: number | null = null;
    let result: 'clean' | 'replayed' | 'discarded' = 'clean';
    while (at + RECORD <= fileSize) {
      const h = readFully(this.fd, at, RECORD);
      const dv = new DataView(h.buffer);
      const magic = dv.getUint32(0, true);
      const t = dv.getUint32(4, true);
      if (tx === null && magic === 0) { this.tx = (t + 0) || 1; break; }
      if (tx !== null && t !== tx) break;
      if (magic === JOURNAL_BLOCK) {
        tx = t;
        const i = dv.getUint32(8, true), state = dv.getUint32(12, true) as BlockState, len = dv.getUint32(16, true);
        if (i >= this.map.length || len !== this.blockLength(i) || at + RECORD + len > fileSize || state > 2) break;
        if (crc32(readFully(this.fd, at + RECORD, len)) !== dv.getUint32(20, true)) break;
        blocks.set(i, { at: at + RECORD, state });
        headers.push(h);
        at += RECORD + len;
        continue;
      }
      if (magic === JOURNAL_COMMIT && tx !== null && dv.getUint32(8, true) === headers.length && dv.getUint32(12, true) === crcOf(headers)) {
        this.tx = t;
        this.checkpoint(blocks);
        return 'replayed';
      }
      break;
    }
    if (tx !== null) {
      // An open transaction without its commit: the disk stays as at the last flush.
      result = 'discarded';
      this.tx = (tx + 1) >>> 0 || 1;
      const next = new Uint8Array(RECORD);
      new DataView(next.buffer).setUint32(4, this.tx, true);
      writeFully(this.fd, this.journalOffset, next);
      fsyncSync(this.fd);
    }
    return result;
  }

  close(): void {
    if (this.fd < 0) return;
    try { this.flush(); } finally {
      closeSync(this.fd);
      this.fd = -1;
    }
  }

  private blockLength(i: number): number {
    return Math.min(this.blockSize, this.size - i * this.blockSize);
  }

  private writeHeader(): void {
    const h = new Uint8Array(HEADER);
    const dv = new DataView(h.buffer);
    h.set(new TextEncoder().encode(MAGIC), 0);
    dv.setUint32(8, VERSION, true);
    dv.setUint32(12, this.blockSize, true);
    dv.setBigUint64(16, BigInt(this.size), true);
    const id = new TextEncoder().encode(this.baseIdentity ?? '').subarray(0, MAX_IDENTITY);
    dv.setUint32(24, id.length, true);
    h.set(id, 28);
    writeFully(this.fd, 0, h);
  }
}

/** crc32 over a list of byte arrays, in order. */
function crcOf(parts: Uint8Array[]): number {
  let c = 0;
  for (const p of parts) c = crc32(p, c);
  return c;
}

function fstatSizeOf(path: string): number {
  const fd = openSync(path, 'r');
  try { return fstatSync(fd).size; } finally { closeSync(fd); }
}

function readFully(fd: number, offset: number, length: number): Uint8Array {
  const buf = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, offset + done);
    if (n <= 0) throw new Error(`short read at offset ${offset + done}`);
    done += n;
  }
  return buf;
}

function writeFully(fd: number, offset: number, data: Uint8Array): void {
  let done = 0;
  while (done < data.length) done += writeSync(fd, data, done, data.length - done, offset + done);
}
