/**
 * The one-origin HTTP server of the browser disk benchmark (bench/browser-disk.ts): the
 * benchmark page, the bundle and the disk image, so the engine worker fetches the image
 * same-origin as on a real deployment. Only image requests are counted and delayed: the
 * page and bundle are the same for every run and are not what the table measures.
 *
 * Why not test/block/server.ts: it answers every file as application/octet-stream, and
 * Chromium refuses to run module scripts of that type. Why not the static server
 * (src/host/node/static-server.ts): it has no latency switch. The image is answered with
 * `Cache-Control: no-store` so Chromium's HTTP cache can never stand in for the IndexedDB
 * overlay in the warm run: every block the engine reads either comes over this server (and
 * is counted) or from IndexedDB.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import type { AddressInfo } from 'node:net';

export interface BenchRoutes {
  /** File answered at "/". */
  page: string;
  /** Directory answered under "/dist/". */
  dist: string;
  /** File answered at IMAGE_PATH, with Range support. */
  image: string;
}

export const IMAGE_PATH = '/images/debian.ext2';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.css': 'text/css; charset=utf-8',
};

export class BenchServer {
  /** Added before every image answer, ms. */
  latencyMs = 0;
  /** Image requests (any method) and body bytes sent since the last reset(). */
  requests = 0;
  bytes = 0;
  port = 0;
  private server!: Server;
  private readonly fd: number;
  private readonly size: number;
  private readonly etag: string;

  constructor(private readonly routes: BenchRoutes) {
    const st = statSync(routes.image);
    this.size = st.size;
    this.etag = `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
    this.fd = openSync(routes.image, 'r');
  }

  get url(): string { return `http://127.0.0.1:${this.port}`; }
  get imageSize(): number { return this.size; }

  reset(latencyMs: number): void {
    this.latencyMs = latencyMs;
    this.requests = 0;
    this.bytes = 0;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.answer(req, res).catch((e: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(e));
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
    closeSync(this.fd);
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (path === IMAGE_PATH) return this.image(req, res);
    let file: string | null = null;
    if (path === '/') file = this.routes.page;
    else if (path.startsWith('/dist/')) {
      const rest = normalize(path.slice('/dist/'.length));
      if (!rest.startsWith('..')) file = join(this.routes.dist, rest);
    }
    let body: Buffer;
    try {
      if (!file) throw new Error('no route');
      body = readFileSync(file);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': body.length, 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  /** Range answers the way nginx gives them (206, Content-Range, ETag), one range per request. */
  private async image(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const isGet = req.method === 'GET';
    this.requests++;
    if (this.latencyMs) await new Promise((r) => setTimeout(r, this.latencyMs));
    const headers: Record<string, string | number> = {
      'accept-ranges': 'bytes', 'content-type': 'application/octet-stream', etag: this.etag, 'cache-control': 'no-store',
    };
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (!m) {
      // The engine always asks for ranges; a whole 650 MiB body is never what it wants.
      res.writeHead(isGet ? 416 : 200, { ...headers, 'content-length': isGet ? 0 : this.size }).end();
      return;
    }
    const start = Number(m[1]);
    const end = Math.min(this.size - 1, m[2] === '' ? this.size - 1 : Number(m[2]));
    if (start >= this.size || end < start) {
      res.writeHead(416, { ...headers, 'content-range': `bytes */${this.size}`, 'content-length': 0 }).end();
      return;
    }
    const body = Buffer.alloc(end - start + 1);
    readSync(this.fd, body, 0, body.length, start);
    res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${end}/${this.size}`, 'content-length': body.length });
    if (!isGet) { res.end(); return; }
    this.bytes += body.length;
    res.end(body);
  }
}
