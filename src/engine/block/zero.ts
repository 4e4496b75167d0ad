/**
 * ZeroDevice: a read-only device of zeros, taking no memory for its size. The base of a
 * fresh persistent disk (fs/persistent.ts): an OverlayDevice over it stores only the
 * blocks written, so a 1 GiB disk costs what its files take.
 */
import { type BlockDevice, checkRange } from './types.js';

/** Reads up to this size share one zero buffer (callers must not modify what read returns). */
const SHARED = 1 << 20;
let shared: Uint8Array | null = null;

export class ZeroDevice implements BlockDevice {
  readonly readOnly = true;
  readonly identity: string;

  constructor(readonly size: number) {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`bad device size ${size}`);
    this.identity = `zero size=${size}`;
  }

  read(offset: number, length: number): Uint8Array {
    checkRange(this.size, offset, length);
    if (length > SHARED) return new Uint8Array(length);
    shared ??= new Uint8Array(SHARED);
    return shared.subarray(0, length);
  }
}
