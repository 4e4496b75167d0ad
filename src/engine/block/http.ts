/**
 * HttpBytesDevice: a disk image on any HTTP server that honours Range requests (RFC 9110
 * §14), read in fixed-size blocks through the cache, coalescing, read-ahead and retry logic
 * of remote.ts. Mirrors CheerpX's `HttpBytesDevice.create(url)`.
 *
 * Checks, each with a message that names the problem:
 * - a 200 answer to a Range request (the server ignores ranges) — fatal;
 * - a 206 whose Content-Range or body length is not what was asked — retried, then an error;
 * - the image changing on the server (ETag, Last-Modified or total size different from the
 *   first response) — fatal, since mixing blocks of two images corrupts the file system;
 * - a compressed body (Content-Encoding) — fatal, ranges would address the compressed bytes;
 * - 408, 429 and 5xx answers and network errors — retried with backoff (Retry-After honoured).
 *
 * Range headers are built from Numbers, so images past 2 GiB (and 4 GiB) work.
 */
import { ActivityMeter } from './activity.js';
import { type Attempt, DiskError, LatencyEstimate, RemoteBlockDevice, type RemoteOptions, readBodyWatched } from './remote.js';

export interface HttpOptions extends RemoteOptions {
  /** The fetch to use (tests, or a fetch with credentials). Default: globalThis.fetch. */
  fetch?: typeof fetch;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /**
   * Probe with the whole first block, which then serves the superblock read (default), or
   * with one byte (when a local overlay already holds the first block).
   */
  probeBlock?: boolean;
}

interface Validator { etag: string | null; lastModified: string | null }

export class HttpBytesDevice extends RemoteBlockDevice {
  readonly url: string;
  readonly identity: string;
  private readonly validator: Validator;
  private readonly doFetch: typeof fetch;
  private readonly headers: Record<string, string>;

  private constructor(url: string, size: number, validator: Validator, opts: HttpOptions, meter: ActivityMeter, latency: LatencyEstimate) {
    super(size, opts, meter, latency);
    this.url = url;
    this.validator = validator;
    this.doFetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
    this.headers = opts.headers ?? {};
    this.identity = `${url} size=${size} ${validator.etag ?? validator.lastModified ?? ''}`.trim();
  }

  /**
   * Probe the image: one Range request for the first block gives the size (from
   * Content-Range), the validators and the first block's bytes, which go into the cache.
   */
  static async create(url: string, opts: HttpOptions = {}): Promise<HttpBytesDevice> {
    const meter = new ActivityMeter();
    const latency = new LatencyEstimate();
    const { size, validator, first } = await new Prober(url, opts, meter, latency).run();
    const dev = new HttpBytesDevice(url, size, validator, opts, meter, latency);
    if (first.length === Math.min(size, dev.blockSize)) dev.seed(0, first);
    return dev;
  }

  protected get source(): string { return this.url; }

  protected async fetchRange(offset: number, length: number, a: Attempt): Promise<Uint8Array> {
    const res = await rangeGet(this.doFetch, this.url, this.headers, offset, length, a);
    const range = checkPartial(res);
    if (range) {
      if (range.total !== null && range.total !== this.size) {
        await discard(res);
        throw changed(`its size changed from ${this.size} to ${range.total} bytes`);
      }
      if (range.start !== offset || range.end !== offset + length - 1) {
        await discard(res);
        throw new DiskError(`server answered bytes ${range.start}-${range.end} to a request for bytes ${offset}-${offset + length - 1}`, true);
      }
    }
    const v = validatorOf(res);
    if (v.etag && this.validator.etag && v.etag !== this.validator.etag) {
      await discard(res);
      throw changed(`ETag ${this.validator.etag} became ${v.etag}`);
    }
    if (v.lastModified && this.validator.lastModified && v.lastModified !== this.validator.lastModified) {
      await discard(res);
      throw changed(`Last-Modified ${this.validator.lastModified} became ${v.lastModified}`);
    }
    const body = await readBodyWatched(res, length, a);
    if (body.length !== length) {
      throw new DiskError(`wrong length from server: got ${body.length} bytes for bytes ${offset}-${offset + length - 1} (expected ${length})`, true);
    }
    return body;
  }
}

/** The size probe, with the same retry policy as block reads. */
class Prober extends RemoteBlockDevice {
  constructor(private readonly url: string, private readonly o: HttpOptions, meter: ActivityMeter, latency: LatencyEstimate) {
    super(Number.MAX_SAFE_INTEGER, o, meter, latency);
  }

  protected get source(): string { return this.url; }

  result: { size: number; validator: Validator } | null = null;

  async run(): Promise<{ size: number; validator: Validator; first: Uint8Array }> {
    const first = await this.withRetry(0, this.o.probeBlock === false ? 1 : this.blockSize);
    return { ...this.result!, first };
  }

  protected async fetchRange(offset: number, length: number, a: Attempt): Promise<Uint8Array> {
    const f = this.o.fetch ?? globalThis.fetch.bind(globalThis);
    const res = await rangeGet(f, this.url, this.o.headers ?? {}, offset, length, a);
    if (res.status === 416) {
      await discard(res);
      throw new DiskError('server rejected the range request (416 Range Not Satisfiable); is the image empty?', false);
    }
    const range = checkPartial(res);
    let size = range?.total ?? null;
    if (size === null) {
      // Cross-origin servers hide Content-Range unless they expose it; Content-Length of a
      // HEAD is CORS-safelisted.
      await discard(res);
      const head = await f(this.url, { method: 'HEAD', headers: this.o.headers, signal: a.signal });
      const len = head.headers.get('content-length');
      if (!head.ok || len === null || !/^\d+$/.test(len)) {
        throw new DiskError(`cannot tell the image size (no Content-Range total; cross-origin servers must list Content-Range in Access-Control-Expose-Headers)`, false);
      }
      size = Number(len);
      this.result = { size, validator: validatorOf(head) };
      return new Uint8Array(0);
    }
    if (range && range.start !== 0) {
      await discard(res);
      throw new DiskError(`server answered bytes ${range.start}-${range.end} to a request for bytes 0-${length - 1}`, false);
    }
    const want = Math.min(size, length);
    const body = await readBodyWatched(res, want, a);
    if (body.length !== want) throw new DiskError(`wrong length from server: got ${body.length} bytes for bytes 0-${want - 1} (expected ${want})`, true);
    this.result = { size, validator: validatorOf(res) };
    return body;
  }
}

async function rangeGet(f: typeof fetch, url: string, headers: Record<string, string>, offset: number, length: number, a: Attempt): Promise<Response> {
  // Template strings print integers up to 2^53 exactly: no 32-bit truncation.
  const res = await f(url, { headers: { ...headers, Range: `bytes=${offset}-${offset + length - 1}` }, signal: a.signal });
  a.headers();
  return res;
}

interface ContentRange { start: number; end: number; total: number | null }

/**
 * Check a response to a Range request: 206 with a parseable Content-Range (returned), 206
 * without one (null: a cross-origin response that hides it), or a DiskError.
 */
function checkPartial(res: Response): ContentRange | null {
  if (res.status === 200) {
    void discard(res);
    throw new DiskError('server does not support HTTP range requests (got 200 for a Range request)', false, undefined, 'serve the image from a server that honours Range requests (most static servers do)');
  }
  if (res.status !== 206) {
    void discard(res);
    const what = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
    const transient = res.status === 408 || res.status === 429 || res.status >= 500;
    throw new DiskError(what, transient, retryAfter(res.headers.get('retry-after')));
  }
  const enc = res.headers.get('content-encoding');
  if (enc && enc.toLowerCase() !== 'identity') {
    void discard(res);
    throw new DiskError(`server compressed a range response (Content-Encoding: ${enc})`, false, undefined, 'serve the image without compression');
  }
  const cr = res.headers.get('content-range');
  if (cr === null) return null;
  const m = /^\s*bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i.exec(cr);
  if (!m) {
    void discard(res);
    throw new DiskError(`unparseable Content-Range '${cr}'`, false);
  }
  return { start: Number(m[1]), end: Number(m[2]), total: m[3] === '*' ? null : Number(m[3]) };
}

function validatorOf(res: Response): Validator {
  return { etag: res.headers.get('etag'), lastModified: res.headers.get('last-modified') };
}

function changed(how: string): DiskError {
  return new DiskError(`the disk image changed on the server while in use (${how})`, false, undefined, 'reload to start over with the new image');
}

async function discard(res: Response): Promise<void> {
  try { await res.body?.cancel(); } catch { /* already gone */ }
}

/** Retry-After as delay-seconds or an HTTP date, capped at a minute. */
function retryAfter(v: string | null): number | undefined {
  if (!v) return undefined;
  const ms = /^\d+$/.test(v.trim()) ? Number(v) * 1000 : Date.parse(v) - Date.now();
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, 60_000) : undefined;
}
