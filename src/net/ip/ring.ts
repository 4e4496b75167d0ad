/**
 * A byte FIFO with a limit: the send and receive buffers of a TCP connection. The storage
 * starts small and doubles up to the limit, so a thousand idle connections cost little.
 */
export class ByteRing {
  private buf: Uint8Array;
  private head = 0;
  length = 0;

  constructor(public capacity: number) { this.buf = new Uint8Array(Math.min(capacity, 16384)); }

  get free(): number { return this.capacity - this.length; }

  /** Append as much of `data` as fits; returns the count. */
  push(data: Uint8Array): number {
    const n = Math.min(data.length, this.free);
    if (this.length + n > this.buf.length) this.grow(this.length + n);
    const size = this.buf.length;
    const tail = (this.head + this.length) % size;
    const first = Math.min(n, size - tail);
    this.buf.set(data.subarray(0, first), tail);
    if (n > first) this.buf.set(data.subarray(first, n), 0);
    this.length += n;
    return n;
  }

  /** Copy `len` bytes starting `offset` bytes after the head into `out` at `outOff`. */
  copy(offset: number, len: number, out: Uint8Array, outOff: number): void {
    const size = this.buf.length;
    const start = (this.head + offset) % size;
    const first = Math.min(len, size - start);
    out.set(this.buf.subarray(start, start + first), outOff);
    if (len > first) out.set(this.buf.subarray(0, len - first), outOff + first);
  }

  /** Drop `n` bytes from the head. */
  drop(n: number): void {
    this.head = (this.head + n) % this.buf.length;
    this.length -= n;
    if (this.length === 0) this.head = 0;
  }

  /** Change the limit (SO_RCVBUF/SO_SNDBUF); never below what is queued. */
  setCapacity(capacity: number): void { this.capacity = Math.max(capacity, this.length); }

  private grow(need: number): void {
    let size = this.buf.length;
    while (size < need) size *= 2;
    const nb = new Uint8Array(Math.min(size, Math.max(this.capacity, need)));
    this.copy(0, this.length, nb, 0);
    this.buf = nb; this.head = 0;
  }
}
