/**
 * ChunkedDevice: a disk image split into fixed-size chunk files plus a small JSON metadata
 * file, for hosts that mangle or refuse Range requests (some CDNs, static page hosts).
 * Each block is one whole chunk fetched with a plain GET, through the same cache,
 * read-ahead, parallelism and retry logic as HttpBytesDevice (remote.ts). Chunks that are
 * all zeros are not stored at all; the metadata lists them. `webx86 image split` writes
 * the files (src/host/node/image-split.ts).
 *
 * Metadata (`IMAGE.meta.json`), version 1:
 *
 *   {
 *     "format": "webx86-chunked-image", "version": 1,
 *     "size": 16777216,          // image bytes
 *     "chunkSize": 131072,       // a power of two; the last chunk may be shorter
 *     "chunkCount": 128,         // ceil(size / chunkSize)
 *     "chunkName": "root.ext2.c{index}",  // {index}: the chunk number, zero-padded
 *     "indexDigits": 6,          //   to this many digits; relative to the metadata URL
 *     "zeroChunks": [[3, 120]],  // optional: [first, count] runs of all-zero chunks (no file)
 *     "sha256": ["ab12…", null]  // optional: per chunk, lowercase hex (null for zero chunks)
 *   }
 */
import { ActivityMeter } from './activity.js';
import { type Attempt, DiskError, RemoteBlockDevice, type RemoteOptions, readBodyWatched } from './remote.js';

export const CHUNKED_FORMAT = 'webx86-chunked-image';

export interface ChunkedMeta {
  format: typeof CHUNKED_FORMAT;
  version: 1;
  size: number;
  chunkSize: number;
  chunkCount: number;
  chunkName: string;
  indexDigits: number;
  zeroChunks?: [number, number][];
  sha256?: (string | null)[];
}

/** The file name of chunk `index` under `meta`. */
export function chunkFileName(meta: Pick<ChunkedMeta, 'chunkName' | 'indexDigits'>, index: number): string {
  return meta.chunkName.replace('{index}', String(index).padStart(meta.indexDigits, '0'));
}

/** Check parsed metadata; throws an Error naming the first problem. */
export function checkMeta(m: unknown): ChunkedMeta {
  const o = m as Partial<ChunkedMeta>;
  const bad = (what: string) => new Error(`chunked image metadata: ${what}`);
  if (!o || typeof o !== 'object' || o.format !== CHUNKED_FORMAT) throw bad(`not a ${CHUNKED_FORMAT} file`);
  if (o.version !== 1) throw bad(`version ${o.version} is not supported (this webx86 reads 1)`);
  if (!Number.isSafeInteger(o.size) || o.size! <= 0) throw bad('bad size');
  const cs = o.chunkSize!;
  if (!Number.isSafeInteger(cs) || cs < 512 || (cs & (cs - 1)) !== 0) throw bad('chunkSize must be a power of two ≥ 512');
  if (o.chunkCount !== Math.ceil(o.size! / cs)) throw bad(`chunkCount ${o.chunkCount} does not match size/chunkSize`);
  if (typeof o.chunkName !== 'string' || !o.chunkName.includes('{index}')) throw bad('chunkName must contain {index}');
  if (!Number.isSafeInteger(o.indexDigits) || o.indexDigits! < 1 || o.indexDigits! > 12) throw bad('bad indexDigits');
  if (o.sha256 !== undefined && (!Array.isArray(o.sha256) || o.sha256.length !== o.chunkCount)) throw bad('sha256 must list every chunk');
  return o as ChunkedMeta;
}

export interface ChunkedOptions extends Omit<RemoteOptions, 'blockSize' | 'maxBlocksPerRequest'> {
  fetch?: typeof fetch;
  headers?: Record<string, string>;
  /** Check chunks against the metadata's sha256 (default true when present). */
  verify?: boolean;
}

export class ChunkedDevice extends RemoteBlockDevice {
  readonly identity: string;
  private readonly zero: Set<number>;
  private readonly zeroChunk: Uint8Array;
  private readonly doFetch: typeof fetch;

  private constructor(readonly metaUrl: string, readonly meta: ChunkedMeta, private readonly o: ChunkedOptions, meter: ActivityMeter) {
    super(meta.size, { ...o, blockSize: meta.chunkSize, maxBlocksPerRequest: 1 }, meter);
    this.doFetch = o.fetch ?? globalThis.fetch.bind(globalThis);
    this.zero = new Set();
    for (const [first, count] of meta.zeroChunks ?? []) for (let i = first; i < first + count; i++) this.zero.add(i);
    this.zeroChunk = new Uint8Array(meta.chunkSize);
    const digest = meta.sha256 ? meta.sha256.slice(0, 4).join(',') : '';
    this.identity = `chunked ${metaUrl} size=${meta.size} ${digest}`.trim();
  }

  /** Fetch and check the metadata file at `metaUrl`. */
  static async create(metaUrl: string, opts: ChunkedOptions = {}): Promise<ChunkedDevice> {
    const f = opts.fetch ?? globalThis.fetch.bind(globalThis);
    let lastError = '';
    for (let attempt = 0; attempt <= (opts.retries ?? 3); attempt++) {
      if (attempt) await new Promise((r) => setTimeout(r, (opts.retryBaseMs ?? 200) * 2 ** (attempt - 1)));
      let res: Response;
      try {
        res = await f(metaUrl, { headers: opts.headers, signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000) });
      } catch (e) {
        lastError = `network error: ${(e as Error).message}`;
        continue;
      }
      if (res.status >= 500 || res.status === 429 || res.status === 408) { lastError = `HTTP ${res.status}`; await res.body?.cancel(); continue; }
      if (!res.ok) throw new Error(`${metaUrl}: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
      let json: unknown;
      try { json = JSON.parse(await res.text()); } catch { throw new Error(`${metaUrl}: chunked image metadata is not JSON`); }
      let meta: ChunkedMeta;
      try { meta = checkMeta(json); } catch (e) { throw new Error(`${metaUrl}: ${(e as Error).message}`); }
      return new ChunkedDevice(metaUrl, meta, opts, new ActivityMeter());
    }
    throw new Error(`${metaUrl}: ${lastError}`);
  }

  protected knownBlock(index: number): Uint8Array | null {
    if (!this.zero.has(index)) return null;
    const len = Math.min(this.blockSize, this.size - index * this.blockSize);
    return len === this.zeroChunk.length ? this.zeroChunk : this.zeroChunk.subarray(0, len);
  }

  protected get source(): string { return this.metaUrl; }

  protected async fetchRange(offset: number, length: number, a: Attempt): Promise<Uint8Array> {
    const index = offset / this.blockSize;
    const url = new URL(chunkFileName(this.meta, index), this.metaUrl).href;
    const res = await this.doFetch(url, { headers: this.o.headers, signal: a.signal });
    a.headers();
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => {});
      const transient = res.status === 408 || res.status === 429 || res.status >= 500;
      throw new DiskError(`chunk ${index} (${url}): HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`, transient);
    }
    const body = await readBodyWatched(res, length, a);
    if (body.length !== length) throw new DiskError(`chunk ${index} (${url}): wrong length ${body.length} (expected ${length})`, true);
    const want = this.meta.sha256?.[index];
    // crypto.subtle exists only in secure contexts (https, localhost); elsewhere chunks go unchecked.
    if (want && this.o.verify !== false && globalThis.crypto?.subtle) {
      const got = hex(new Uint8Array(await crypto.subtle.digest('SHA-256', body)));
      if (got !== want.toLowerCase()) throw new DiskError(`chunk ${index} (${url}) failed its sha256 check (got ${got.slice(0, 16)}…, expected ${want.slice(0, 16)}…)`, true);
    }
    return body;
  }
}

function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}
