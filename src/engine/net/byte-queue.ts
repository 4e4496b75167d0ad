/**
 * A stream socket's receive queue: chunks as they arrived, read from the front with or
 * without consuming (MSG_PEEK). The loopback, host and relay stacks each keep one per
 * connection; the IP stack's TCP has its own sequence-numbered buffers.
 */
export class ByteQueue {
  private readonly chunks: Uint8Array[] = [];
  /** Offset of the first unread byte in chunks[0]. */
  private head = 0;
  /** Bytes queued. */
  length = 0;

  /** Queue `chunk` (kept as it is: the caller passes a copy if it will reuse the buffer). */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** Copy up to buf.length bytes from the front; `peek` leaves them queued. Returns the count. */
  read(buf: Uint8Array, peek = false): number {
    let n = 0, i = 0, off = this.head;
    while (n < buf.length && i < this.chunks.length) {
      const c = this.chunks[i];
      const take = Math.min(buf.length - n, c.length - off);
      buf.set(c.subarray(off, off + take), n);
      n += take;
      if (off + take === c.length) { i++; off = 0; } else off += take;
    }
    if (!peek) {
      this.chunks.splice(0, i);
      this.head = off;
      this.length -= n;
    }
    return n;
  }

  clear(): void {
    this.chunks.length = 0;
    this.head = 0;
    this.length = 0;
  }
}

/**
 * A datagram socket's receive queue, counted in payload bytes against its receive buffer: a
 * datagram that would overfill a non-empty queue is dropped (__udp_enqueue_schedule_skb).
 * The loopback, host and relay UDP sockets each keep one.
 */
export class DatagramQueue<A> {
  private readonly queue: { data: Uint8Array; from: A }[] = [];
  private bytes = 0;

  /** Queue a datagram unless it does not fit in `rcvBuf`; false when dropped. */
  offer(data: Uint8Array, from: A, rcvBuf: number): boolean {
    if (this.bytes && this.bytes + data.length > rcvBuf) return false;
    this.queue.push({ data, from });
    this.bytes += data.length;
    return true;
  }

  /** Size of the next datagram, or -1 when none is queued. */
  nextSize(): number { return this.queue.length ? this.queue[0].data.length : -1; }

  /** The next datagram (left queued with `peek`), or null. */
  take(peek = false): { data: Uint8Array; from: A } | null {
    const m = this.queue[0];
    if (!m) return null;
    if (!peek) { this.queue.shift(); this.bytes -= m.data.length; }
    return m;
  }

  clear(): void {
    this.queue.length = 0;
    this.bytes = 0;
  }
}
