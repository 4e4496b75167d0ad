/**
 * Block devices over host files, for the Node host (CLI, tests): FileDevice (a raw image,
 * read-only or writable) and FileBlockStore (an overlay file for OverlayDevice).
 *
 * Overlay file format (version 1), all integers little-endian:
 *
 *   0      8  magic "WX86OVL\0"
 *   8      4  version = 1
 *   12     4  block size (bytes, a power of two)
 *   16     8  device size (bytes)
 *   24     4  length of the base identity string
 *   28     …  base identity, UTF-8 (what the blocks were copied from; up to 4000 bytes)
 *   4096   …  block map: one byte per block, 0 absent, 1 cached (a copy of the base's
 *              block), 2 written (the only copy)
 *   D      …  data: block i at D + i × block size, where D is the end of the map rounded up
 *              to the block size. Absent blocks are never written, so the file is sparse:
 *              it takes disk space only for blocks present.
 *
 * A block's data is written before its map byte, so after a crash a block is either absent
 * or complete; `flush` (fsync) makes both durable.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { type BlockDevice, checkRange } from '../../engine/block/types.js';
import { BLOCK_ABSENT, type BlockState, type BlockStore } from '../../engine/block/overlay.js';

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
const VERSION = 1;
const HEADER = 4096;
const MAX_IDENTITY = 4000;

export class FileBlockStore implements BlockStore {
  readonly blockSize: number;
  readonly size: number;
  baseIdentity: string | null;
  private readonly map: Uint8Array;
  private readonly dataOffset: number;
  private fd: number;

  private constructor(readonly path: string, fd: number, size: number, blockSize: number, identity: string | null, map: Uint8Array) {
    this.fd = fd;
    this.size = size;
    this.blockSize = blockSize;
    this.baseIdentity = identity;
    this.map = map;
    this.dataOffset = Math.ceil((HEADER + map.length) / blockSize) * blockSize;
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
      if (version !== VERSION) throw new Error(`${path}: overlay format version ${version} is not supported (this webx86 reads ${VERSION})`);
      const bs = dv.getUint32(12, true);
      const fileSize = Number(dv.getBigUint64(16, true));
      if (fileSize !== size) throw new Error(`${path}: overlay was made for a ${fileSize}-byte disk, this disk has ${size} bytes`);
      const idLen = dv.getUint32(24, true);
      const identity = idLen ? new TextDecoder().decode(h.subarray(28, 28 + Math.min(idLen, MAX_IDENTITY))) : null;
      const map = readFully(fd, HEADER, Math.ceil(size / bs));
      return new FileBlockStore(path, fd, size, bs, identity, map);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  state(i: number): BlockState {
    return this.map[i] as BlockState;
  }

  /** Blocks present, by state (for reports). */
  count(state: BlockState): number {
    let n = 0;
    for (const s of this.map) if (s === state) n++;
    return n;
  }

  readBlock(i: number): Uint8Array {
    return readFully(this.fd, this.dataOffset + i * this.blockSize, this.blockLength(i));
  }

  writeBlock(i: number, data: Uint8Array, state: BlockState): void {
    if (data.length !== this.blockLength(i)) throw new RangeError(`overlay block ${i}: ${data.length} bytes, expected ${this.blockLength(i)}`);
    writeFully(this.fd, this.dataOffset + i * this.blockSize, data);
    if (this.map[i] !== state) {
      this.map[i] = state;
      writeFully(this.fd, HEADER + i, this.map.subarray(i, i + 1));
    }
  }

  setBaseIdentity(id: string): void {
    this.baseIdentity = id;
    this.writeHeader();
  }

  clear(states: readonly BlockState[] = [1, 2]): void {
    for (let i = 0; i < this.map.length; i++) if (states.includes(this.map[i] as BlockState)) this.map[i] = BLOCK_ABSENT;
    writeFully(this.fd, HEADER, this.map);
    // Nothing left at all: give the space back.
    if (this.map.every((s) => s === BLOCK_ABSENT)) ftruncateSync(this.fd, this.dataOffset);
  }

  flush(): void {
    fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
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
