/** A block device over a host file, for the Node host (CLI, tests). */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { type BlockDevice, checkRange } from '../../engine/block/types.js';

export class FileDevice implements BlockDevice {
  readonly size: number;
  private fd: number;

  constructor(path: string) {
    this.fd = openSync(path, 'r');
    this.size = fstatSync(this.fd).size;
  }

  /**
   * Synchronous on purpose: a local read is quicker than a promise round trip, and the
   * interface allows plain values. readSync takes the position as a number, exact to 2^53.
   */
  read(offset: number, length: number): Uint8Array {
    checkRange(this.size, offset, length);
    const buf = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, buf, done, length - done, offset + done);
      if (n <= 0) throw new Error(`short read at offset ${offset + done}`);
      done += n;
    }
    return buf;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
