/**
 * @internal The machinery shared by devices whose bytes come over the network (HTTP byte
 * ranges, chunked static files): a fixed block size, an LRU block cache, coalescing of
 * neighbouring missing blocks into one request, a bound on parallel requests (demand reads
 * first, read-ahead after), sequential read-ahead, retry with exponential backoff for
 * transient failures, and one shared request per block for concurrent readers.
 *
 * Subclasses provide `fetchRange`, which performs one attempt and throws a `DiskError`
 * marked transient (retried) or fatal (the device stops: every later read fails with the
 * same message, since data from a changed or misbehaving server cannot be trusted).
 *
 * Stalls. A server that stops answering, or keeps a connection open after sending part of
 * a body, must not hold a reader for minutes (one fixed 30 s limit per attempt and 6
 * attempts made that 3 minutes, in silence). Each attempt has two limits derived from the
 * latency seen so far, as TCP derives its retransmission timeout (RFC 6298: smoothed round
 * trip SRTT and its variation RTTVAR, timeout SRTT + 4 RTTVAR): the response headers must
 * come within that time, and then the body must keep arriving, never quiet for that long.
 * Bounds: 1 s at least (a loopback or LAN server answers in milliseconds; a hiccup of a
 * second is then worth a fresh connection), 20 s at most, 5 s before any sample. Each stall
 * of the same request doubles the limit (as TCP backs off), and a request is given up after
 * 3 retries after stalls: with a fast server, a stall is reported to the reader after about
 * 1 + 2 + 4 + 8 s plus the backoff delays (16-17 s), and the first retry, which progress
 * displays show, after 1 s. Every give-up names the server, the byte range and what went
 * wrong; only the reads of that range fail (EIO for the guest), the device keeps working.
 */
import { ActivityMeter } from './activity.js';
import { type BlockDevice, checkRange } from './types.js';

export interface RemoteOptions {
  /** Bytes per block, a power of two (default 64 KiB). */
  blockSize?: number;
  /** Cache capacity in bytes (default 64 MiB). */
  cacheBytes?: number;
  /** Requests in flight at once (default 4). */
  maxParallel?: number;
  /** Largest coalesced request, in blocks (default 16: 1 MiB at 64 KiB blocks). */
  maxBlocksPerRequest?: number;
  /** Largest read-ahead window in blocks; 0 disables read-ahead, the read-around below too (default 8). */
  readAheadBlocks?: number;
  /**
   * Blocks after a read that missed fetched with it, in the same request, up to the first
   * block already held (default 6; 384 KiB at 64 KiB blocks). See `readAround`.
   */
  readAroundBlocks?: number;
  /** Attempts after the first for a transient failure (default 5). */
  retries?: number;
  /** First retry delay, doubled each time up to `retryMaxMs` (defaults 200 and 5000 ms). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Time limit of one attempt, body included, however steadily it arrives (default 120 s). */
  timeoutMs?: number;
  /** Bounds of the stall limit (headers, and silence during the body), ms (defaults 1000, 20000). */
  stallMinMs?: number;
  stallMaxMs?: number;
  /** The stall limit before any latency sample, ms (default 5000). */
  stallInitialMs?: number;
  /** Attempts after stalls (timeouts) before a request is given up (default 3). */
  stallRetries?: number;
  /** After a request is given up, reads of its blocks fail at once for this long (default 10 s). */
  failedHoldMs?: number;
}

/**
 * Round-trip estimate from the time to response headers, per RFC 6298 §2 (alpha 1/8,
 * beta 1/4). Shared by a device and its size probe, so the first block read already has it.
 */
export class LatencyEstimate {
  srtt: number | null = null;
  rttvar = 0;

  sample(ms: number): void {
    if (this.srtt === null) { this.srtt = ms; this.rttvar = ms / 2; return; }
    this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - ms);
    this.srtt = 0.875 * this.srtt + 0.125 * ms;
  }

  /** The stall limit: SRTT + 4 RTTVAR within [min, max], or `initial` before any sample. */
  limit(min: number, max: number, initial: number): number {
    if (this.srtt === null) return initial;
    return Math.min(max, Math.max(min, this.srtt + 4 * this.rttvar));
  }
}

/**
 * One attempt's watchdog: aborts `signal` with a DiskError saying what stalled. Devices call
 * `headers()` when the response headers arrive and `progress(n)` as body bytes arrive (or
 * use `readBodyWatched`).
 */
export class Attempt {
  readonly signal: AbortSignal;
  /** Why the watchdog aborted the attempt (null: it did not). */
  stalled: DiskError | null = null;
  received = 0;
  private readonly ctrl = new AbortController();
  private readonly start = Date.now();
  private gotHeaders = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly overall: ReturnType<typeof setTimeout>;

  constructor(readonly limitMs: number, totalMs: number, readonly expected: number, private readonly onLatency: (ms: number) => void) {
    this.signal = this.ctrl.signal;
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    this.arm(() => `no answer from the server within ${s(limitMs)}`);
    this.overall = setTimeout(() => this.abort(`the transfer took longer than ${s(totalMs)} (${this.received} of ${expected} bytes arrived)`), totalMs);
  }

  /** The response headers arrived: from now on the body must keep coming. */
  headers(): void {
    if (this.gotHeaders) return;
    this.gotHeaders = true;
    this.onLatency(Date.now() - this.start);
    this.armBody();
  }

  /** `n` more body bytes arrived. */
  progress(n: number): void {
    this.received += n;
    this.armBody();
  }

  done(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    clearTimeout(this.overall);
  }

  private armBody(): void {
    const secs = (this.limitMs / 1000).toFixed(1);
    this.arm(() => this.received === 0
      ? `the server sent the response headers and then nothing for ${secs} s`
      : `the server stopped sending: ${this.received} of ${this.expected} bytes arrived, then nothing for ${secs} s`);
  }

  private arm(why: () => string): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.abort(why()), this.limitMs);
  }

  private abort(why: string): void {
    if (this.stalled) return;
    this.stalled = new DiskError(why, true);
    this.done();
    this.ctrl.abort(this.stalled);
  }
}

/**
 * A response body of `expected` bytes, read as it arrives so the attempt's watchdog sees
 * progress. More bytes than expected, or the connection cut part-way, are DiskErrors
 * (transient); fewer bytes with a clean end are returned (the caller names the lengths).
 */
export async function readBodyWatched(res: Response, expected: number, a: Attempt): Promise<Uint8Array<ArrayBuffer>> {
  if (!res.body) {
    const b = new Uint8Array(await res.arrayBuffer());
    a.progress(b.length);
    return b;
  }
  const out = new Uint8Array(expected);
  const reader = res.body.getReader();
  try {
    for (;;) {
      let r: Awaited<ReturnType<typeof reader.read>>;
      try {
        r = await reader.read();
      } catch (e) {
        if (a.stalled) throw a.stalled;
        const cause = (e as { cause?: { code?: string; message?: string } })?.cause;
        const why = cause?.code ?? cause?.message ?? (e as Error)?.message ?? String(e);
        throw new DiskError(`the connection was cut after ${a.received} of ${expected} bytes (${why})`, true);
      }
      if (r.done) return a.received === expected ? out : out.slice(0, a.received);
      const chunk = r.value;
      if (a.received + chunk.length > expected) {
        throw new DiskError(`the server sent more than the ${expected} bytes asked for`, true);
      }
      out.set(chunk, a.received);
      a.progress(chunk.length);
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

/** Where a DiskError happened: the image's URL and the bytes asked for. */
export interface DiskErrorWhere { source: string; offset: number; length: number }

/**
 * A failure with a message meant for the user; `transient` ones are retried. Once a request
 * is given up, `where` names the image and the byte range (the message says it too).
 */
export class DiskError extends Error {
  where?: DiskErrorWhere;
  constructor(message: string, readonly transient: boolean, readonly retryAfterMs?: number, private readonly hint?: string) {
    super(message);
    this.name = 'DiskError';
  }

  /** What the user can do about it, in one sentence. */
  get advice(): string {
    return this.hint ?? (this.transient
      ? 'check that the server is up and reachable from here; a program reading it again after 10 s makes the server be tried again'
      : 'the disk cannot be used as it is: reload (or restart) to start over');
  }
}

interface Pending {
  promise: Promise<Uint8Array>;
  resolve(b: Uint8Array): void;
  reject(e: unknown): void;
  /** A reader waits for it (dispatched before read-ahead blocks). */
  demand: boolean;
  started: boolean;
}

const STREAMS = 4;

export abstract class RemoteBlockDevice implements BlockDevice {
  readonly size: number;
  readonly blockSize: number;
  readonly readOnly = true;
  readonly activity: ActivityMeter;
  protected readonly opts: Required<RemoteOptions>;
  private readonly cache = new Map<number, Uint8Array>();
  private readonly cacheCap: number;
  private readonly pending = new Map<number, Pending>();
  private active = 0;
  private failed: Error | null = null;
  /**
   * Blocks whose request was given up, with the error, until a time: reads of them fail at
   * once meanwhile. A program that meets EIO often tries again at once (a shell searching
   * PATH reaches /usr/bin/x again through /bin), and each try would wait through the whole
   * retry sequence again; after `failedHoldMs` a read tries the server again.
   */
  private readonly recentlyFailed = new Map<number, { err: Error; until: number }>();
  /** Recent sequential streams: last block read, and reads in a row. */
  private readonly streams: { end: number; run: number }[] = [];

  protected readonly latency: LatencyEstimate;

  protected constructor(size: number, opts: RemoteOptions, activity?: ActivityMeter, latency?: LatencyEstimate) {
    this.opts = withDefaults(opts);
    const bs = this.opts.blockSize;
    if (!Number.isSafeInteger(bs) || bs < 512 || (bs & (bs - 1)) !== 0) throw new RangeError(`block size must be a power of two ≥ 512, got ${bs}`);
    this.size = size;
    this.blockSize = bs;
    this.cacheCap = Math.max(4, Math.floor(this.opts.cacheBytes / bs));
    this.activity = activity ?? new ActivityMeter();
    this.latency = latency ?? new LatencyEstimate();
  }

  /**
   * One attempt at `length` bytes from `offset` (block-aligned, inside the device). Errors
   * say what went wrong; the caller adds the source and the range. `a.signal` aborts it.
   */
  protected abstract fetchRange(offset: number, length: number, a: Attempt): Promise<Uint8Array>;

  /** What the bytes come from, for messages (the image's URL). */
  protected abstract get source(): string;

  /** Bytes of a block known without fetching (e.g. an all-zero chunk), or null. */
  protected knownBlock(_index: number): Uint8Array | null {
    return null;
  }

  /** Put a block fetched some other way (e.g. by a size probe) in the cache. */
  protected seed(index: number, data: Uint8Array): void {
    this.cacheSet(index, data);
  }

  /** The error that stopped the device, if one did. */
  get error(): Error | null {
    return this.failed;
  }

  get blockCount(): number {
    return Math.ceil(this.size / this.blockSize);
  }

  read(offset: number, length: number): Promise<Uint8Array> | Uint8Array {
    checkRange(this.size, offset, length);
    if (this.failed) return Promise.reject(this.failed);
    if (length === 0) return new Uint8Array(0);
    const bs = this.blockSize;
    const first = Math.floor(offset / bs);
    const last = Math.floor((offset + length - 1) / bs);
    // Fast path: every block cached, answer synchronously.
    const hit: Uint8Array[] = [];
    for (let b = first; b <= last; b++) {
      const c = this.cacheGet(b);
      if (!c) break;
      hit.push(c);
    }
    if (hit.length === last - first + 1) {
      this.activity.hits(hit.length);
      // Reading through prefetched blocks keeps the read-ahead going.
      this.readAhead(first, last);
      return this.assemble(hit, first, offset, length);
    }
    const parts: (Uint8Array | Promise<Uint8Array>)[] = [];
    let hits = 0, misses = 0;
    for (let b = first; b <= last; b++) {
      const c = b - first < hit.length ? hit[b - first] : this.cacheGet(b);
      if (c) { parts.push(c); hits++; continue; }
      const bad = this.recentlyFailed.get(b);
      if (bad && bad.until > Date.now() && !this.pending.has(b)) return Promise.reject(bad.err);
      if (bad) this.recentlyFailed.delete(b);
      misses++;
      parts.push(this.want(b, true).promise);
    }
    this.activity.hits(hits);
    this.activity.misses(misses);
    this.readAhead(first, last);
    if (misses) this.readAround(last);
    this.pump();
    return Promise.all(parts).then((blocks) => this.assemble(blocks, first, offset, length));
  }

  /** `read` into `dest`: cached blocks are copied straight in, the rest goes through `read`. */
  readInto(offset: number, dest: Uint8Array): Promise<void> | void {
    const length = dest.length;
    checkRange(this.size, offset, length);
    if (this.failed) return Promise.reject(this.failed);
    const bs = this.blockSize;
    const first = Math.floor(offset / bs);
    let done = 0, b = first;
    while (done < length) {
      const c = this.cacheGet(b);
      if (!c) break;
      const from = offset + done - b * bs;
      const n = Math.min(c.length - from, length - done);
      dest.set(n === c.length ? c : c.subarray(from, from + n), done);
      done += n;
      b++;
    }
    this.activity.hits(b - first);
    if (done === length) {
      if (length > 0) this.readAhead(first, b - 1);
      return;
    }
    const rest = this.read(offset + done, length - done);
    if (rest instanceof Uint8Array) { dest.set(rest, done); return; }
    return rest.then((r) => { dest.set(r, done); });
  }

  private assemble(blocks: Uint8Array[], first: number, offset: number, length: number): Uint8Array {
    const start = offset - first * this.blockSize;
    if (blocks.length === 1) return blocks[0].subarray(start, start + length);
    const out = new Uint8Array(length);
    let done = 0;
    for (let i = 0; i < blocks.length && done < length; i++) {
      const b = blocks[i];
      const from = i === 0 ? start : 0;
      const n = Math.min(b.length - from, length - done);
      out.set(b.subarray(from, from + n), done);
      done += n;
    }
    return out;
  }

  /** The pending entry for block `b`, created if needed; a demand promotes a queued read-ahead. */
  private want(b: number, demand: boolean): Pending {
    let p = this.pending.get(b);
    if (p) {
      if (demand) p.demand = true;
      return p;
    }
    const known = this.knownBlock(b);
    let resolve!: (b: Uint8Array) => void, reject!: (e: unknown) => void;
    const promise = new Promise<Uint8Array>((res, rej) => { resolve = res; reject = rej; });
    // Read-ahead blocks may fail with nobody waiting: that must not be an unhandled rejection.
    promise.catch(() => {});
    p = { promise, resolve, reject, demand, started: known !== null };
    if (known) {
      this.cacheSet(b, known);
      resolve(known);
      return p;
    }
    this.pending.set(b, p);
    return p;
  }

  /**
   * Sequential read-ahead. Reads are grouped into streams (a read continues a stream when it
   * starts in the block where the stream's last read ended, or the next one; a few streams
   * are tracked so interleaved metadata reads do not break a file being read through). From
   * the third read of a stream on, the blocks after it are queued, 2, 4, 8 ... up to the
   * limit. Reads as large as the window get none: the reader already fetches in large
   * pieces (an ELF loader reading whole segments), and read-ahead after its last piece
   * only fetches past the end of the file. Loading busybox from a 4 KiB-block image with
   * read-ahead after every sequential read cost 34% more bytes (measured: 3008 against
   * 2240 KiB) and saved no request.
   */
  private readAhead(first: number, last: number): void {
    const run = this.track(first, last);
    const max = this.opts.readAheadBlocks;
    if (max <= 0 || run < 2 || last - first + 1 >= max) return;
    const window = Math.min(max, 2 ** (run - 1));
    // Blocks just ahead already cached or requested: top up only when fewer than half a
    // window remain, and then by a whole window, so read-ahead goes out in large requests
    // rather than one block per read.
    let ahead = 0;
    while (ahead < window && last + 1 + ahead < this.blockCount && (this.cache.has(last + 1 + ahead) || this.pending.has(last + 1 + ahead))) ahead++;
    if (ahead * 2 >= window && ahead > 0) return;
    const end = Math.min(this.blockCount - 1, last + ahead + window);
    let queued = false;
    for (let b = last + 1 + ahead; b <= end; b++) {
      if (!this.cache.has(b) && !this.pending.has(b)) { this.want(b, false); queued = true; }
    }
    if (queued) this.pump();
  }

  /**
   * After a read that missed, the blocks that follow it (up to `readAroundBlocks`, stopping at
   * the first one cached or requested) are queued with it; pump() puts them in the same
   * request as the missed blocks, so the miss costs one round trip however it ends. The
   * stream read-ahead above needs three reads in a row and so never starts for the page
   * faults of an exec: in the desktop's start in Chromium, 167 of 222 requests were for 128
   * KiB (one overlay block), mostly the blocks right after the previous request, each a
   * round trip with the guest idle (the scheduler idle 4.8 s of a 24.5 s start, 90% of it in
   * mmap2, read, execve, openat and stat waiting for the disk; load 14). Replayed on that
   * trace: 6 blocks after each miss make 116 requests of 58 MiB instead of 222 of 48 MiB.
   * Linux reads around a page fault in a file mapping the same way (mm/filemap.c, ra_pages).
   */
  private readAround(last: number): void {
    if (this.opts.readAheadBlocks <= 0) return;
    const end = Math.min(this.blockCount - 1, last + this.opts.readAroundBlocks);
    for (let b = last + 1; b <= end; b++) {
      if (this.cache.has(b) || this.pending.has(b)) break;
      this.want(b, false);
    }
  }

  /** Record a read in its stream; returns how many reads in a row the stream has seen before it. */
  private track(first: number, last: number): number {
    const i = this.streams.findIndex((s) => first === s.end || first === s.end + 1);
    const s = i >= 0 ? this.streams.splice(i, 1)[0] : { end: last, run: -1 };
    s.run++;
    s.end = last;
    this.streams.push(s);
    if (this.streams.length > STREAMS) this.streams.shift();
    return s.run;
  }

  /** Start requests while slots are free: demand blocks first, each extended over queued neighbours. */
  private pump(): void {
    while (this.active < this.opts.maxParallel) {
      let start = -1, startDemand = false;
      for (const [b, p] of this.pending) {
        if (p.started) continue;
        if (start < 0 || (p.demand && !startDemand) || (p.demand === startDemand && b < start)) { start = b; startDemand = p.demand; }
      }
      if (start < 0) break;
      const max = this.opts.maxBlocksPerRequest;
      let lo = start, hi = start;
      const free = (b: number) => { const q = this.pending.get(b); return q !== undefined && !q.started; };
      while (hi - lo + 1 < max && free(hi + 1)) hi++;
      while (hi - lo + 1 < max && free(lo - 1)) lo--;
      for (let b = lo; b <= hi; b++) this.pending.get(b)!.started = true;
      void this.request(lo, hi - lo + 1);
    }
    let queued = 0;
    for (const p of this.pending.values()) if (!p.started) queued++;
    this.activity.setQueued(queued);
  }

  private async request(first: number, count: number): Promise<void> {
    this.active++;
    const bs = this.blockSize;
    const offset = first * bs;
    const length = Math.min(this.size, (first + count) * bs) - offset;
    try {
      const data = await this.withRetry(offset, length);
      for (let i = 0; i < count; i++) {
        const block = data.slice(i * bs, Math.min(length, (i + 1) * bs));
        this.cacheSet(first + i, block);
        this.settle(first + i)?.resolve(block);
      }
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      if (e instanceof DiskError && !e.transient && !this.failed) {
        this.failed = err;
        this.activity.fail(`${err.message}; ${e.advice}`);
      }
      if (e instanceof DiskError && e.transient) {
        const until = Date.now() + this.opts.failedHoldMs;
        for (let i = 0; i < count; i++) this.recentlyFailed.set(first + i, { err, until });
      }
      for (let i = 0; i < count; i++) this.settle(first + i)?.reject(err);
      if (this.failed) for (const b of [...this.pending.keys()]) if (!this.pending.get(b)!.started) this.settle(b)?.reject(this.failed);
    } finally {
      this.active--;
      this.pump();
    }
  }

  private settle(b: number): Pending | undefined {
    const p = this.pending.get(b);
    this.pending.delete(b);
    return p;
  }

  /** One request with retries; meters every attempt. Errors name the source and the range. */
  protected async withRetry(offset: number, length: number): Promise<Uint8Array> {
    const o = this.opts;
    const t0 = Date.now();
    const where = `bytes ${offset}-${offset + length - 1}`;
    let stalls = 0;
    for (let attempt = 0; ; attempt++) {
      if (this.failed) throw this.failed;
      this.activity.begin();
      const started = Date.now();
      const limit = this.latency.limit(o.stallMinMs, o.stallMaxMs, o.stallInitialMs) * 2 ** stalls;
      const a = new Attempt(Math.min(limit, o.stallMaxMs), o.timeoutMs, length, (ms) => this.latency.sample(ms));
      try {
        const data = await this.fetchRange(offset, length, a);
        this.activity.end(offset, data.length, Date.now() - started);
        return data;
      } catch (e) {
        this.activity.end(offset, -1, 0);
        const err = a.stalled ?? classify(e);
        if (a.stalled) stalls++;
        const at = { source: this.source, offset, length };
        if (!err.transient) throw Object.assign(new DiskError(`${this.source}: ${err.message} (${where})`, false, undefined, err.advice), { where: at });
        const secs = ((Date.now() - t0) / 1000).toFixed(1);
        if (attempt >= o.retries || stalls > o.stallRetries) {
          const gaveUp = new DiskError(`${this.source}: ${err.message} (${where}; gave up after ${attempt + 1} attempts in ${secs} s)`, true);
          this.activity.gaveUp(gaveUp.message);
          throw Object.assign(gaveUp, { where: at });
        }
        const backoff = Math.min(o.retryMaxMs, o.retryBaseMs * 2 ** attempt);
        // Jitter spreads retries from many clients; a server's Retry-After wins when longer.
        const delay = Math.max(err.retryAfterMs ?? 0, backoff * (0.5 + Math.random() * 0.5));
        this.activity.retry(attempt + 1, Math.round(delay), `${this.source}: ${err.message} (${where})`);
        await new Promise((r) => setTimeout(r, delay));
      } finally {
        a.done();
      }
    }
  }

  private cacheGet(b: number): Uint8Array | undefined {
    const v = this.cache.get(b);
    if (v) { this.cache.delete(b); this.cache.set(b, v); }
    return v;
  }

  private cacheSet(b: number, v: Uint8Array): void {
    this.cache.delete(b);
    this.cache.set(b, v);
    if (this.cache.size > this.cacheCap) this.cache.delete(this.cache.keys().next().value as number);
  }
}

/** Errors from fetch itself (connection refused or reset, timeout) are transient. */
function classify(e: unknown): DiskError {
  if (e instanceof DiskError) return e;
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError') return new DiskError('request timed out', true);
  if (err?.name === 'AbortError') return new DiskError('request aborted', true);
  const cause = err?.cause?.code ?? err?.cause?.message;
  return new DiskError(`network error: ${err?.message ?? String(e)}${cause ? ` (${cause})` : ''}`, true);
}

function withDefaults(o: RemoteOptions): Required<RemoteOptions> {
  return {
    blockSize: o.blockSize ?? 64 * 1024,
    cacheBytes: o.cacheBytes ?? 64 * 1024 * 1024,
    maxParallel: o.maxParallel ?? 4,
    maxBlocksPerRequest: o.maxBlocksPerRequest ?? 16,
    readAheadBlocks: o.readAheadBlocks ?? 8,
    readAroundBlocks: o.readAroundBlocks ?? 6,
    retries: o.retries ?? 5,
    retryBaseMs: o.retryBaseMs ?? 200,
    retryMaxMs: o.retryMaxMs ?? 5000,
    timeoutMs: o.timeoutMs ?? 120_000,
    stallMinMs: o.stallMinMs ?? 1000,
    stallMaxMs: o.stallMaxMs ?? 20_000,
    stallInitialMs: o.stallInitialMs ?? 5000,
    stallRetries: o.stallRetries ?? 3,
    failedHoldMs: o.failedHoldMs ?? 10_000,
  };
}
