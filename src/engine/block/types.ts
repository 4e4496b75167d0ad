/**
 * Block sources: where file systems get their bytes. Kept deliberately small so that later
 * backends (HTTP byte ranges, IndexedDB, copy-on-write overlays, writes) can implement it.
 *
 * Offsets and sizes are plain JS numbers, exact up to 2^53: disk images pass 4 GiB, so no
 * code on this path may use 32-bit bitwise arithmetic on an offset.
 */
export interface BlockDevice {
  /** Size in bytes. */
  readonly size: number;
  /**
   * `length` bytes starting at `offset`. Reads past the end are an error of the caller;
   * implementations throw a RangeError for them. Synchronous when the bytes are at hand,
   * a promise when they must be fetched. The returned array may be a view the caller must
   * not modify.
   */
  read(offset: number, length: number): Promise<Uint8Array> | Uint8Array;
}

/** Throws unless [offset, offset+length) lies inside a device of `size` bytes. */
export function checkRange(size: number, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
    throw new RangeError(`block read out of range: offset ${offset} length ${length} size ${size}`);
  }
}
