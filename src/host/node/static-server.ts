/**
 * A plain static HTTP server for the demo and the browser tests: files from directories,
 * with the parts disk streaming needs from any web server (Range, Accept-Ranges, ETag,
 * Last-Modified, HEAD) and, when asked, CORS for serving the bundle or images to pages of
 * another origin. Deliberately no COOP/COEP headers: the product must work without them.
 *
 * Precompressed siblings: when `file.br` or `file.gz` exists beside `file` (the build writes
 * them: scripts/precompress.ts) and is not older than it, a whole-file GET or HEAD whose
 * Accept-Encoding accepts br (preferred) or gzip gets it with Content-Encoding; every answer
 * for such a file says `Vary: Accept-Encoding` (RFC 9110 §12.5.5) so caches keep them apart.
 * A Range request always gets the identity bytes: disk images are read by byte ranges of
 * the file itself (RFC 9110 §14 ranges apply to the selected representation), and the
 * engine's block cache counts on it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createReadStream, statSync, type Stats } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import type { AddressInfo } from 'node:net';

export interface StaticOptions {
  /** URL prefix (ending in '/') → directory. The longest matching prefix wins. */
  routes: Record<string, string>;
  /** 0 or absent: any free port. */
  port?: number;
  host?: string;
  /** Add Access-Control-Allow-Origin: * (and answer preflights). */
  cors?: boolean;
  /** Milliseconds to wait before answering `path` (benchmarks add network latency with it). */
  delayMs?: (path: string) => number;
  /** Cache-Control for every answer (default "no-cache": revalidate, so a rebuilt bundle is seen). */
  cacheControl?: string;
  /** Called for every answered request (tests count fetched bytes with it). */
  onRequest?: (e: { method: string; path: string; range: string | null; status: number; bytes: number; encoding: Encoding | null }) => void;
}

export type Encoding = 'br' | 'gzip';
/** Sibling suffix per content coding, in the order of preference (brotli: 1.78 MB against gzip's 2.59 MB for binaryen's chunk). */
const CODINGS: [Encoding, string][] = [['br', '.br'], ['gzip', '.gz']];

export interface StaticServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
};

export async function serveStatic(o: StaticOptions): Promise<StaticServer> {
  const prefixes = Object.keys(o.routes).sort((a, b) => b.length - a.length);
  const server = createServer((req, res) => {
    const reply = () => {
      try {
        answer(req, res);
      } catch (e) {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(e));
      }
    };
    const delay = o.delayMs?.(new URL(req.url ?? '/', 'http://x').pathname) ?? 0;
    if (delay > 0) setTimeout(reply, delay); else reply();
  });

  function resolve(urlPath: string): string | null {
    const prefix = prefixes.find((p) => urlPath.startsWith(p) || urlPath + '/' === p);
    if (prefix === undefined) return null;
    const dir = o.routes[prefix];
    const rest = normalize(decodeURIComponent(urlPath.slice(prefix.length)));
    if (rest.startsWith('..')) return null;
    const full = join(dir, rest);
    return full === dir || full.startsWith(dir.endsWith(sep) ? dir : dir + sep) ? full : null;
  }

  function answer(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const method = req.method ?? 'GET';
    const range = req.headers.range ?? null;
    let encoding: Encoding | null = null;
    const log = (status: number, bytes: number) => o.onRequest?.({ method, path, range, status, bytes, encoding });
    if (o.cors) {
      res.setHeader('access-control-allow-origin', '*');
      res.setHeader('access-control-expose-headers', 'content-range, content-length, accept-ranges, etag, last-modified');
    }
    if (method === 'OPTIONS' && o.cors) {
      res.writeHead(204, { 'access-control-allow-methods': 'GET, HEAD', 'access-control-allow-headers': 'range, if-range', 'access-control-max-age': '600' });
      res.end();
      return log(204, 0);
    }
    if (method !== 'GET' && method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return log(405, 0);
    }
    let file = resolve(path);
    let st: Stats | null = file ? statOrNull(file) : null;
    if (file && st?.isDirectory()) {
      if (!path.endsWith('/')) {
        res.writeHead(301, { location: path + '/' }).end();
        return log(301, 0);
      }
      file = join(file, 'index.html');
      st = statOrNull(file);
    }
    if (!file || !st || !st.isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return log(404, 0);
    }
    const type = TYPES[extname(file)] ?? 'application/octet-stream';
    const original = st;
    // Which precompressed siblings exist (fresh ones only: a rebuilt file makes old ones stale).
    const siblings = CODINGS.filter(([, ext]) => (statOrNull(file + ext)?.mtimeMs ?? -1) >= original.mtimeMs);
    if (siblings.length && !range) {
      const accepted = acceptedCodings(req.headers['accept-encoding']);
      const pick = siblings.find(([c]) => accepted.has(c));
      if (pick) {
        encoding = pick[0];
        file += pick[1];
        st = statOrNull(file)!;
      }
    }
    // A representation's validator differs per coding (RFC 9110 §8.8.3).
    const etag = `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}${encoding ? `-${encoding}` : ''}"`;
    const headers: Record<string, string | number> = {
      'content-type': type,
      'accept-ranges': 'bytes',
      etag,
      'last-modified': st.mtime.toUTCString(),
      'cache-control': o.cacheControl ?? 'no-cache',
    };
    if (siblings.length) headers.vary = 'Accept-Encoding';
    if (encoding) headers['content-encoding'] = encoding;
    if (req.headers['if-none-match'] === etag && !range) {
      res.writeHead(304, headers).end();
      return log(304, 0);
    }
    const r = range ? parseRange(range, st.size) : null;
    if (range && r === 'unsatisfiable') {
      res.writeHead(416, { ...headers, 'content-range': `bytes */${st.size}` }).end();
      return log(416, 0);
    }
    const ifRange = req.headers['if-range'];
    const partial = r && r !== 'unsatisfiable' && (!ifRange || ifRange === etag) ? r : null;
    const start = partial ? partial.start : 0;
    const end = partial ? partial.end : st.size - 1;
    const length = Math.max(0, end - start + 1);
    headers['content-length'] = length;
    if (partial) headers['content-range'] = `bytes ${start}-${end}/${st.size}`;
    const status = partial ? 206 : 200;
    res.writeHead(status, headers);
    if (method === 'HEAD' || length === 0) {
      res.end();
      return log(status, 0);
    }
    createReadStream(file, { start, end }).on('error', () => res.destroy()).pipe(res);
    log(status, length);
  }

  await new Promise<void>((r, j) => {
    server.once('error', j);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => r());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${o.host ?? '127.0.0.1'}:${port}`,
    port,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** The content codings an Accept-Encoding value allows (q > 0; `*` stands for any not named). */
function acceptedCodings(h: string | undefined): Set<Encoding> {
  const out = new Set<Encoding>();
  if (!h) return out;
  const q = new Map<string, number>();
  for (const part of h.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const qp = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const v = qp === undefined ? 1 : Number(qp.slice(2));
    q.set(name === 'x-gzip' ? 'gzip' : name, Number.isFinite(v) ? v : 0);
  }
  for (const [c] of CODINGS) {
    const v = q.get(c) ?? q.get('*');
    if (v !== undefined && v > 0) out.add(c);
  }
  return out;
}

function statOrNull(p: string): Stats | null {
  try { return statSync(p); } catch { return null; }
}

/** One `bytes=` range (the only kind the engine sends); multiple ranges get the whole file. */
function parseRange(h: string, size: number): { start: number; end: number } | 'unsatisfiable' | null {
  const m = /^bytes=(\d*)-(\d*)$/.exec(h.trim());
  if (!m) return null;
  let start: number, end: number;
  if (m[1] === '') {
    if (m[2] === '') return null;
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}
