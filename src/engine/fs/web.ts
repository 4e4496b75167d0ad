/**
 * WebFs: a read-only directory tree on a web server (CheerpX's WebDevice). Works wherever
 * there is a global fetch: a Worker, a page, Node 20.
 *
 * Listing. CheerpX says only that a directory is listed by a newline-separated `index.list`
 * file in it, holding names. Here:
 * - a name ending in `/` is a directory (no request needed to know it);
 * - any other name is looked up with a HEAD request: 2xx is a file (size from
 *   Content-Length, mtime from Last-Modified), unless the server redirected to `name/`
 *   (what nginx and most static servers do for a directory), which makes it a directory;
 *   a 404 is then tried as `name/index.list`: present means a directory (an unmarked one);
 * - where index.list exists it is authoritative: a name not in it is ENOENT without a
 *   request, so readdir and lookup agree and a shell's PATH search costs nothing;
 * - where it is missing (404) the directory lists as empty, and names are still looked up
 *   on the server (how a server can serve files nobody listed, as CheerpX's web root does).
 * Answers are cached for the life of the mount: the tree is assumed not to change.
 *
 * Contents: files up to `wholeFileLimit` (1 MiB) are fetched whole on first read and kept
 * in an LRU cache; bigger ones are read in blocks with Range requests through an
 * HttpBytesDevice (its cache, coalescing, read-ahead and retries), falling back to a whole
 * GET if the server ignores ranges.
 *
 * Errors: 404/410 → ENOENT, 401/403 → EACCES, anything else (5xx after retries, network
 * errors, a broken body) → EIO. Modes: files 0644 as for DataDevice, without an exec bit
 * (HTTP says nothing about executability; copy a program to a writable disk to run it),
 * directories 0755, all owned by root.
 */
import type { DirEntry, FileSystem, FsStats, Stat, Timespec } from './types.js';
import { DT_DIR, DT_UNKNOWN, S_IFDIR, S_IFREG } from './types.js';
import { allocAnonDev } from './tmpfs.js';
import { EACCES, EIO, ENOENT } from '../abi/errno.js';
import { ReadOnlyInode } from './readonly.js';
import { ByteLru } from '../block/byte-lru.js';
import { HttpBytesDevice } from '../block/http.js';

export interface WebFsOptions {
  /** The fetch to use (tests, credentials). Default: globalThis.fetch. */
  fetch?: typeof fetch;
  /** Files up to this size are fetched whole; larger ones by Range (default 1 MiB). */
  wholeFileLimit?: number;
  /** Bytes of whole files kept in memory (default 64 MiB). */
  cacheBytes?: number;
  /** Attempts after the first for 408, 429, 5xx and network errors (default 2). */
  retries?: number;
  /** First retry delay in ms, doubled each time (default 200). */
  retryBaseMs?: number;
}

/** statfs f_type: no Linux magic fits a web tree; NFS's is the nearest kind of thing. */
const WEBFS_MAGIC = 0x6969;

export class WebFs implements FileSystem {
  readonly type = 'web';
  readonly dev: number;
  readonly readOnly = true;
  readonly root: WebDir;
  /** Times of nodes the server gives none for (seconds). */
  readonly mountSec = Math.floor(Date.now() / 1000);
  readonly fetchFn: typeof fetch;
  readonly opts: Required<Omit<WebFsOptions, 'fetch'>>;
  private readonly inos = new Map<string, number>();
  private readonly whole: ByteLru<string>;
  private readonly loading = new Map<string, Promise<Uint8Array | number>>();

  private constructor(readonly baseUrl: string, opts: WebFsOptions) {
    this.dev = allocAnonDev();
    this.fetchFn = opts.fetch ?? globalThis.fetch.bind(globalThis);
    this.opts = {
      wholeFileLimit: opts.wholeFileLimit ?? 1 << 20,
      cacheBytes: opts.cacheBytes ?? 64 << 20,
      retries: opts.retries ?? 2,
      retryBaseMs: opts.retryBaseMs ?? 200,
    };
    this.whole = new ByteLru(this.opts.cacheBytes);
    this.root = new WebDir(this, '', baseUrl);
  }

  /**
   * A tree rooted at `baseUrl`: absolute, or relative to the current document or worker
   * (`location`). Makes no request: a directory without index.list is still a valid root.
   */
  static async create(baseUrl: string, opts: WebFsOptions = {}): Promise<WebFs> {
    const here = (globalThis as { location?: { href: string } }).location?.href;
    let url: URL;
    try {
      url = new URL(baseUrl, here);
    } catch {
      throw new Error(`WebDevice: "${baseUrl}" is not an absolute URL (and there is no page URL to resolve it against)`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`WebDevice: ${url.href} is not an http(s) URL`);
    url.search = '';
    url.hash = '';
    if (!url.pathname.endsWith('/')) url.pathname += '/';
    return new WebFs(url.href, opts);
  }

  /** Stable inode numbers, by path below the root. */
  ino(path: string): number {
    let n = this.inos.get(path);
    if (n === undefined) this.inos.set(path, n = this.inos.size + 2);
    return n;
  }

  /**
   * fetch with retries of transient failures. Resolves to the response (any status) or
   * -EIO when the network failed every time.
   */
  async request(url: string, init: RequestInit = {}): Promise<Response | number> {
    for (let attempt = 0; ; attempt++) {
      let res: Response | null = null;
      try {
        res = await this.fetchFn(url, init);
      } catch {
        res = null;
      }
      const transient = res === null || res.status === 408 || res.status === 429 || res.status >= 500;
      if (!transient || attempt >= this.opts.retries) return res ?? -EIO;
      await discard(res);
      await new Promise((r) => setTimeout(r, this.opts.retryBaseMs * 2 ** attempt));
    }
  }

  /** The whole body of `url` (cached), or -errno. */
  wholeFile(url: string): Promise<Uint8Array | number> {
    const hit = this.whole.get(url);
    if (hit) return Promise.resolve(hit);
    let p = this.loading.get(url);
    if (!p) {
      p = (async () => {
        const res = await this.request(url);
        if (typeof res === 'number') return res;
        if (!res.ok) { await discard(res); return errnoOf(res.status); }
        let body: Uint8Array;
        try { body = new Uint8Array(await res.arrayBuffer()); } catch { return -EIO; }
        this.whole.set(url, body);
        return body;
      })().finally(() => this.loading.delete(url));
      this.loading.set(url, p);
    }
    return p;
  }

  statfs(): FsStats {
    return { type: WEBFS_MAGIC, bsize: 4096, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0, namelen: 255 };
  }
}

abstract class WebNode extends ReadOnlyInode {
  readonly ino: number;
  constructor(readonly fs: WebFs, readonly path: string, readonly url: string) {
    super();
    this.ino = fs.ino(path);
  }
  abstract stat(): Stat;

  protected statOf(mode: number, size: number, mtime: Timespec): Stat {
    return {
      dev: this.fs.dev, ino: this.ino, mode, nlink: (mode & S_IFDIR) === S_IFDIR ? 2 : 1, uid: 0, gid: 0, rdev: 0,
      size, blksize: 4096, blocks: Math.ceil(size / 512), atime: mtime, mtime, ctime: mtime,
    };
  }
}

type Listing = Map<string, 'dir' | 'unknown'>;

export class WebDir extends WebNode {
  private listing: Promise<Listing | null | number> | null = null;
  private readonly children = new Map<string, Promise<WebNode | null | number>>();

  stat(): Stat {
    return this.statOf(S_IFDIR | 0o755, 4096, { sec: this.fs.mountSec, nsec: 0 });
  }

  /** index.list parsed (null: there is none), or -errno. Fetched once. */
  list(): Promise<Listing | null | number> {
    this.listing ??= (async () => {
      const res = await this.fs.request(this.url + 'index.list');
      if (typeof res === 'number') return res;
      if (res.status === 404 || res.status === 410) { await discard(res); return null; }
      if (!res.ok) { await discard(res); return errnoOf(res.status); }
      let text: string;
      try { text = await res.text(); } catch { return -EIO; }
      const out: Listing = new Map();
      for (const line of text.split(/\r?\n/)) {
        const isDir = line.trim().endsWith('/');
        const name = line.trim().replace(/\/+$/, '');
        if (!name || name === '.' || name === '..' || name.includes('/')) continue;
        out.set(name, isDir ? 'dir' : (out.get(name) ?? 'unknown'));
      }
      return out;
    })();
    const p = this.listing;
    // A failure (EIO) may be temporary: fetch again next time.
    void p.then((r) => { if (typeof r === 'number' && this.listing === p) this.listing = null; });
    return p;
  }

  async readdir(): Promise<DirEntry[] | number> {
    const l = await this.list();
    if (typeof l === 'number') return l;
    if (l === null) return [];
    return [...l].map(([name, kind]) => ({ name, ino: this.fs.ino(this.childPath(name)), type: kind === 'dir' ? DT_DIR : DT_UNKNOWN }));
  }

  lookup(name: string): Promise<WebNode | null | number> {
    let p = this.children.get(name);
    if (!p) {
      p = this.find(name);
      this.children.set(name, p);
      // A failure (EIO) may be temporary: ask again next time.
      p.then((r) => { if (typeof r === 'number') this.children.delete(name); }, () => this.children.delete(name));
    }
    return p;
  }

  private childPath(name: string): string {
    return this.path ? `${this.path}/${name}` : name;
  }

  private async find(name: string): Promise<WebNode | null | number> {
    const l = await this.list();
    if (typeof l === 'number') return l;
    if (l !== null && !l.has(name)) return null;
    const path = this.childPath(name);
    const url = this.url + encodeURIComponent(name);
    if (l?.get(name) === 'dir') return new WebDir(this.fs, path, url + '/');
    const head = await this.fs.request(url, { method: 'HEAD' });
    if (typeof head === 'number') return head;
    await discard(head);
    if (head.ok) {
      // Redirected to name/: the server says it is a directory.
      if (head.redirected && head.url.endsWith('/')) return new WebDir(this.fs, path, head.url);
      return this.file(path, url, head);
    }
    if (head.status === 405 || head.status === 501) {
      // No HEAD on this server: a GET tells the size (and the body is kept for the reads).
      const body = await this.fs.wholeFile(url);
      if (typeof body === 'number') return body === -ENOENT ? this.maybeDir(path, url) : body;
      return new WebFile(this.fs, path, url, body.length, { sec: this.fs.mountSec, nsec: 0 });
    }
    if (head.status === 404 || head.status === 410) return this.maybeDir(path, url);
    return errnoOf(head.status);
  }

  /** A name that is not a file may be a directory with an index.list. */
  private async maybeDir(path: string, url: string): Promise<WebDir | null | number> {
    const res = await this.fs.request(url + '/index.list', { method: 'HEAD' });
    if (typeof res === 'number') return res;
    await discard(res);
    if (res.ok) return new WebDir(this.fs, path, url + '/');
    return res.status === 404 || res.status === 410 ? null : errnoOf(res.status);
  }

  private async file(path: string, url: string, head: Response): Promise<WebFile | number> {
    const lm = Date.parse(head.headers.get('last-modified') ?? '');
    const mtime = { sec: Number.isFinite(lm) ? Math.floor(lm / 1000) : this.fs.mountSec, nsec: 0 };
    const len = head.headers.get('content-length');
    if (len !== null && /^\d+$/.test(len) && !head.headers.get('content-encoding')) return new WebFile(this.fs, path, url, Number(len), mtime);
    // No usable length (chunked or compressed answer): the body tells it.
    const body = await this.fs.wholeFile(url);
    return typeof body === 'number' ? body : new WebFile(this.fs, path, url, body.length, mtime);
  }
}

export class WebFile extends WebNode {
  private ranged: Promise<HttpBytesDevice | null> | null = null;

  constructor(fs: WebFs, path: string, url: string, public size: number, readonly mtime: Timespec) {
    super(fs, path, url);
  }

  stat(): Stat {
    return this.statOf(S_IFREG | 0o644, this.size, this.mtime);
  }

  async read(buf: Uint8Array, off: number): Promise<number> {
    if (off >= this.size || buf.length === 0) return 0;
    const n = Math.min(buf.length, this.size - off);
    if (this.size > this.fs.opts.wholeFileLimit) {
      const dev = await this.device();
      if (dev) {
        try {
          buf.set(await dev.read(off, n));
          return n;
        } catch {
          return -EIO;
        }
      }
    }
    const body = await this.fs.wholeFile(this.url);
    if (typeof body === 'number') return body;
    // The body is the truth (a server may have compressed it or its length header lied).
    this.size = body.length;
    const m = Math.max(0, Math.min(buf.length, body.length - off));
    buf.set(body.subarray(off, off + m));
    return m;
  }

  /** A Range reader for a big file, or null when the server cannot do ranges for it. */
  private device(): Promise<HttpBytesDevice | null> {
    this.ranged ??= HttpBytesDevice.create(this.url, { fetch: this.fs.fetchFn, probeBlock: false, cacheBytes: 16 << 20 }).then(
      (dev) => (dev.size === this.size ? dev : null),
      () => null,
    );
    return this.ranged;
  }
}

function errnoOf(status: number): number {
  if (status === 404 || status === 410) return -ENOENT;
  if (status === 401 || status === 403) return -EACCES;
  return -EIO;
}

async function discard(res: Response | null): Promise<void> {
  try { await res?.body?.cancel(); } catch { /* already consumed */ }
}
