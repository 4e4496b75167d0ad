import { type BlockDevice, checkRange } from './types.js';

/** A device over bytes already in memory (tests, images fetched whole, small disks). */
export class MemoryDevice implements BlockDevice {
  readonly size: number;
  private readonly bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.size = bytes.length;
  }

  read(offset: number, length: number): Uint8Array {
    checkRange(this.size, offset, length);
    return this.bytes.subarray(offset, offset + length);
  }
}
