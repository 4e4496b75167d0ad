/**
 * A real HTTP server on 127.0.0.1 for the block-device tests: it honours Range requests the
 * way nginx does (206, Content-Range, ETag, Last-Modified) and has switches for the ways
 * real servers misbehave.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** File contents: bytes, or a virtual file of `size` bytes whose content `gen` computes. */
export type Content = Uint8Array | { size: number; gen(offset: number, length: number): Uint8Array };

export interface Switches {
  /** Answer Range requests with 200 and the whole body. */
  ignoreRange?: boolean;
  /** Added before every answer, ms. */
  latencyMs?: number;
  /** The first N requests get 503. */
  fail503?: number;
  /** After this many requests the ETag (and Last-Modified) change. */
  changeEtagAfter?: number;
  /** The first N GETs with a body are cut half-way (socket destroyed). */
  cut?: number;
  /** Send this many bytes fewer than asked, with a matching Content-Length. */
  shortBy?: number;
  /** Add a Content-Encoding header to range answers. */
  contentEncoding?: string;
  /**
   * Range requests overlapping bytes [from, to] misbehave as `kind` says (others are answered
   * normally), the first `times` of them (default: all):
   * - no-answer: never answer, keep the connection open;
   * - stall-after-headers: send the headers of a correct 206, then nothing, connection open;
   * - stall-mid-body: send half the body, then nothing;
   * - short-body: Content-Length says the full length, 100 bytes fewer are sent, connection open;
   * - wrong-range: a full-length body whose Content-Range names bytes 4096 further on;
   * - reset: the connection is reset before any answer.
   */
  fault?: { kind: FaultKind; from: number; to: number; times?: number };
}

export type FaultKind = 'no-answer' | 'stall-after-headers' | 'stall-mid-body' | 'short-body' | 'wrong-range' | 'reset';

export interface LogEntry { method: string; path: string; range: string | null; status: number; bytes: number }

export class TestServer {
  readonly files = new Map<string, Content>();
  sw: Switches = {};
  /** Answer cross-origin requests (browser tests): CORS headers on every answer, OPTIONS allowed. */
  cors = false;
  log: LogEntry[] = [];
  private server!: Server;
  private count = 0;
  private faults = 0;
  port = 0;

  get url(): string { return `http://127.0.0.1:${this.port}`; }
  get requests(): number { return this.log.filter((e) => e.method === 'GET').length; }
  get bytesSent(): number { return this.log.reduce((a, e) => a + e.bytes, 0); }
  reset(sw: Switches = {}): void { this.sw = sw; this.log = []; this.count = 0; this.faults = 0; }
  /** Requests that got the fault so far. */
  get faulted(): number { return this.faults; }

  async start(): Promise<void> {
    this.server = createServer((req, res) => { void this.handle(req, res); });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const n = ++this.count;
    const sw = this.sw;
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const range = req.headers.range ?? null;
    const entry: LogEntry = { method: req.method ?? '', path, range, status: 0, bytes: 0 };
    this.log.push(entry);
    if (this.cors) {
      res.setHeader('access-control-allow-origin', '*');
      res.setHeader('access-control-allow-headers', 'range');
      res.setHeader('access-control-expose-headers', 'content-range, content-length, etag, last-modified, accept-ranges');
      if (req.method === 'OPTIONS') { entry.status = 204; res.writeHead(204).end(); return; }
    }
    if (sw.latencyMs) await new Promise((r) => setTimeout(r, sw.latencyMs));
    const send = (status: number, headers: Record<string, string | number>, body?: Uint8Array) => {
      entry.status = status;
      res.writeHead(status, headers);
      if (body && req.method !== 'HEAD') {
        if (sw.cut && n <= sw.cut && body.length > 1) {
          res.write(body.subarray(0, body.length >> 1));
          entry.bytes = body.length >> 1;
          setTimeout(() => res.destroy(), 5);
          return;
        }
        entry.bytes = body.length;
        res.end(body);
      } else res.end();
    };
    if (sw.fail503 && n <= sw.fail503) { send(503, { 'content-type': 'text/plain', 'content-length': 4 }, new TextEncoder().encode('busy')); return; }
    const file = this.files.get(path);
    if (!file) { send(404, { 'content-length': 0 }); return; }
    const size = file instanceof Uint8Array ? file.length : file.size;
    const bytes = (off: number, len: number) => (file instanceof Uint8Array ? file.subarray(off, off + len) : file.gen(off, len));
    const gen = sw.changeEtagAfter !== undefined && n > sw.changeEtagAfter ? 2 : 1;
    const headers: Record<string, string | number> = {
      'accept-ranges': 'bytes', 'content-type': 'application/octet-stream',
      etag: `"img-v${gen}"`, 'last-modified': new Date(Date.UTC(2026, 0, gen)).toUTCString(),
    };
    const m = range ? /^bytes=(\d+)-(\d*)$/.exec(range) : null;
    if (!m || sw.ignoreRange) {
      if (req.method === 'HEAD') { send(200, { ...headers, 'content-length': size }); return; }
      if (size > 256 << 20) { send(200, { ...headers, 'content-length': size }); return; } // never build a huge body
      send(200, { ...headers, 'content-length': size }, bytes(0, size));
      return;
    }
    const start = Number(m[1]);
    const end = Math.min(size - 1, m[2] === '' ? size - 1 : Number(m[2]));
    if (start >= size) { send(416, { ...headers, 'content-range': `bytes */${size}`, 'content-length': 0 }); return; }
    let body = bytes(start, end - start + 1);
    const f = sw.fault;
    if (f && req.method === 'GET' && start <= f.to && end >= f.from && (f.times === undefined || this.faults < f.times)) {
      this.faults++;
      entry.status = -1;
      const h = { ...headers, 'content-range': `bytes ${start}-${end}/${size}`, 'content-length': body.length };
      switch (f.kind) {
        case 'no-answer': return;
        case 'reset': req.socket.resetAndDestroy(); return;
        case 'stall-after-headers': res.writeHead(206, h); res.flushHeaders(); return;
        case 'stall-mid-body': res.writeHead(206, h); res.write(body.subarray(0, body.length >> 1)); return;
        case 'short-body': res.writeHead(206, h); res.write(body.subarray(0, Math.max(0, body.length - 100))); return;
        case 'wrong-range':
          res.writeHead(206, { ...h, 'content-range': `bytes ${start + 4096}-${end + 4096}/${size}` });
          res.end(body);
          return;
      }
    }
    if (sw.shortBy) body = body.subarray(0, Math.max(0, body.length - sw.shortBy));
    if (sw.contentEncoding) headers['content-encoding'] = sw.contentEncoding;
    send(206, { ...headers, 'content-range': `bytes ${start}-${end}/${size}`, 'content-length': body.length }, body);
  }
}

/**
 * A deterministic virtual file: each 8-byte word holds its own offset (little-endian
 * float64 of the offset/8 would lose nothing either; the integer form is easier to check).
 */
export function offsetPattern(size: number): Content {
  return {
    size,
    gen(offset: number, length: number): Uint8Array {
      const out = new Uint8Array(length);
      for (let i = 0; i < length; i++) out[i] = patternByte(offset + i);
      return out;
    },
  };
}

/** Byte `p` of offsetPattern: the bytes of floor(p/8)*8 as a little-endian 64-bit integer. */
export function patternByte(p: number): number {
  const word = Math.floor(p / 8) * 8;
  const k = p % 8;
  return Math.floor(word / 2 ** (8 * k)) % 256;
}
