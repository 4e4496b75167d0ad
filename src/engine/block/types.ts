/**
 * Block sources: where file systems get their bytes. Kept deliberately small: a device
 * needs only `size` and `read`; writing, flushing and activity reporting are optional so
 * that every backend (memory, host file, HTTP byte ranges, chunked static files, IndexedDB,
 * copy-on-write overlays) implements just what it can.
 *
 * Offsets and sizes are plain JS numbers, exact up to 2^53: disk images pass 4 GiB, so no
 * code on this path may use 32-bit bitwise arithmetic on an offset.
 */
import type { ActivityMeter } from './activity.js';

export interface BlockDevice {
  /** Size in bytes. */
  readonly size: number;
  /**
   * True when the device refuses writes. A device without `write` is read-only whatever
   * this says; use `isWritable()` rather than reading the flag alone.
   */
  readonly readOnly?: boolean;
  /**
   * The granularity the device fetches or stores in (bytes, a power of two). Layers above
   * (overlays, caches) align to it. Absent: no preference.
   */
  readonly blockSize?: number;
  /**
   * A string that changes when the device's contents change behind our back (for HTTP:
   * URL, size and the server's validator). Overlays record it to notice a different base.
   */
  readonly identity?: string;
  /** Counters and events for a UI (bytes downloaded, requests in flight, latency). */
  readonly activity?: ActivityMeter;
  /**
   * `length` bytes starting at `offset`. Reads past the end are an error of the caller;
   * implementations throw a RangeError for them. Synchronous when the bytes are at hand,
   * a promise when they must be fetched. The returned array may be a view the caller must
   * not modify.
   */
  read(offset: number, length: number): Promise<Uint8Array> | Uint8Array;
  /**
   * The same bytes as `read(offset, dest.length)`, copied into `dest` (synchronous when they
   * are at hand). For a device that keeps blocks, a read spanning several of them otherwise
   * assembles a fresh array that the caller copies again: ext2's file reads did so for every
   * exec's mapping of a library, 1.0 s of the page's engine worker in the desktop's start
   * (282 MiB read, 2026-12-07, docs/BENCHMARKS.md). Optional; `readInto` below falls back to read.
   */
  readInto?(offset: number, dest: Uint8Array): Promise<void> | void;
  /** Store `data` at `offset` (inside the device; RangeError otherwise). */
  write?(offset: number, data: Uint8Array): Promise<void> | void;
  /**
   * Make every completed write durable (fsync, a committed transaction). A device with
   * atomicFlush takes the writes this flush covers when it is called: writes made after the
   * call, while its promise is pending, belong to the next flush (a file system may then
   * wait for it without holding off its own writers).
   */
  flush?(): Promise<void> | void;
  /**
   * True when flushes are atomic: after a crash the device holds exactly what it held at
   * some flush, never part of the writes since (an overlay file with its journal). A file
   * system then flushes only at consistent points and needs no check after a crash.
   */
  readonly atomicFlush?: boolean;
}

/** A device that accepts writes. */
export type WritableBlockDevice = BlockDevice & Required<Pick<BlockDevice, 'write'>>;

export function isWritable(dev: BlockDevice): dev is WritableBlockDevice {
  return typeof dev.write === 'function' && dev.readOnly !== true;
}

/** Throws unless [offset, offset+length) lies inside a device of `size` bytes. */
export function checkRange(size: number, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
    throw new RangeError(`block read out of range: offset ${offset} length ${length} size ${size}`);
  }
}

/** `dev.readInto(offset, dest)` where the device has it, else `read` and one copy. */
export function readInto(dev: BlockDevice, offset: number, dest: Uint8Array): Promise<void> | void {
  if (dev.readInto) return dev.readInto(offset, dest);
  const r = dev.read(offset, dest.length);
  if (r instanceof Uint8Array) { dest.set(r); return; }
  return r.then((b) => { dest.set(b); });
}
