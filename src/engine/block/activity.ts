/**
 * Disk activity for a UI: counters a panel can poll and events it can listen to. The
 * engine has no DOM, so this is a plain listener list, not an EventTarget. Events follow
 * what CheerpX's `registerCallback` reports ("diskActivity" ready/wait, "diskLatency" in ms)
 * plus the counters a progress line needs.
 */

export interface BlockStats {
  /** Bytes received from the remote source (bodies only, retries included). */
  bytesFetched: number;
  /** Requests that completed with data. */
  requests: number;
  /** Requests sent and not yet answered. */
  inFlight: number;
  /** Requests waiting for a free connection slot. */
  queued: number;
  /** Attempts repeated after a transient failure. */
  retries: number;
  /** Block reads answered from the cache / that had to be fetched. */
  cacheHits: number;
  cacheMisses: number;
  /** Duration of the last completed request, ms (what CheerpX calls diskLatency). */
  lastLatencyMs: number;
  /** Mean request duration over the last 30 requests, ms (WebVM's "Backend latency"). */
  meanLatencyMs: number;
}

export type BlockEvent =
  /** The device started (wait) or finished (ready) all outstanding I/O. */
  | { type: 'state'; state: 'wait' | 'ready' }
  /** A request completed: `length` bytes at `offset` in `ms` milliseconds. */
  | { type: 'fetch'; offset: number; length: number; ms: number }
  /** A transient failure; the request is tried again after `delayMs`. */
  | { type: 'retry'; attempt: number; delayMs: number; reason: string }
  /** A request given up after its retries: its reads fail (EIO), the device keeps working. */
  | { type: 'giveup'; message: string }
  /** A failure the device cannot recover from; reads now reject with `message`. */
  | { type: 'error'; message: string };

export type BlockListener = (e: BlockEvent) => void;

const LATENCY_WINDOW = 30;

export class ActivityMeter {
  private readonly listeners = new Set<BlockListener>();
  private readonly latencies: number[] = [];
  private readonly counters: BlockStats = {
    bytesFetched: 0, requests: 0, inFlight: 0, queued: 0, retries: 0,
    cacheHits: 0, cacheMisses: 0, lastLatencyMs: 0, meanLatencyMs: 0,
  };

  /** Listen; the returned function removes the listener. */
  on(listener: BlockListener): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  /** A snapshot of the counters. */
  get stats(): BlockStats {
    return { ...this.counters };
  }

  /** Fraction of block reads served from cache, 0 when nothing was read. */
  get hitRate(): number {
    const { cacheHits: h, cacheMisses: m } = this.counters;
    return h + m === 0 ? 0 : h / (h + m);
  }

  /** @internal — the rest is for devices. */
  hits(n: number): void { this.counters.cacheHits += n; }
  misses(n: number): void { this.counters.cacheMisses += n; }
  setQueued(n: number): void { this.counters.queued = n; }

  begin(): void {
    if (this.counters.inFlight++ === 0) this.emit({ type: 'state', state: 'wait' });
  }

  /** A request ended: with data (`bytes` ≥ 0 and its timing) or without (`bytes` < 0). */
  end(offset: number, bytes: number, ms: number): void {
    if (bytes >= 0) {
      this.counters.bytesFetched += bytes;
      this.counters.requests++;
      this.counters.lastLatencyMs = ms;
      this.latencies.push(ms);
      if (this.latencies.length > LATENCY_WINDOW) this.latencies.shift();
      this.counters.meanLatencyMs = this.latencies.reduce((a, b) => a + b, 0) / this.latencies.length;
      this.emit({ type: 'fetch', offset, length: bytes, ms });
    }
    if (--this.counters.inFlight === 0) this.emit({ type: 'state', state: 'ready' });
  }

  retry(attempt: number, delayMs: number, reason: string): void {
    this.counters.retries++;
    this.emit({ type: 'retry', attempt, delayMs, reason });
  }

  gaveUp(message: string): void {
    this.emit({ type: 'giveup', message });
  }

  fail(message: string): void {
    this.emit({ type: 'error', message });
  }

  private emit(e: BlockEvent): void {
    for (const l of this.listeners) {
      // A UI bug must not break disk I/O.
      try { l(e); } catch { /* ignored */ }
    }
  }
}
