/**
 * Talking to a Debian mirror: where it is (the host's apt sources or a flag), the Packages
 * index for one suite (checked against the SHA256 list in InRelease; the signature is not
 * checked), and .deb files by SHA256 into a content cache, with bounded parallel downloads.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { decompress } from './decompress.js';

export const DEFAULT_MIRROR = 'http://deb.debian.org/debian';

export class MirrorError extends Error {}

/** The first Debian mirror in the host's apt sources (deb822 .sources files, then sources.list). */
export function hostMirror(etc = '/etc/apt'): string | undefined {
  const dir = join(etc, 'sources.list.d');
  const files = existsSync(dir) ? readdirSync(dir).sort().map((f) => join(dir, f)) : [];
  for (const f of files.filter((f) => f.endsWith('.sources'))) {
    for (const stanza of readFileSync(f, 'utf8').split(/\n\s*\n/)) {
      const get = (k: string) => new RegExp(`^${k}:\\s*(.*)$`, 'mi').exec(stanza)?.[1].trim();
      if (!/\bdeb\b/.test(get('Types') ?? '') || get('Enabled') === 'no') continue;
      const uri = get('URIs')?.split(/\s+/)[0];
      const suites = get('Suites') ?? '';
      if (uri && !/-security|-updates|-backports/.test(suites.split(/\s+/)[0] ?? '')) return uri.replace(/\/+$/, '');
    }
  }
  for (const f of [join(etc, 'sources.list'), ...files.filter((f) => f.endsWith('.list'))]) {
    if (!existsSync(f)) continue;
    for (const line of readFileSync(f, 'utf8').split('\n')) {
      const m = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
      if (m && !/-security|-updates|-backports/.test(m[2])) return m[1].replace(/\/+$/, '');
    }
  }
  return undefined;
}

/** ~/.cache/webx86 (or $XDG_CACHE_HOME/webx86, or $WEBX86_CACHE). */
export function defaultCacheDir(): string {
  if (process.env.WEBX86_CACHE) return process.env.WEBX86_CACHE;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'webx86');
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

async function get(url: string, what: string, timeoutMs = 120_000, attempts = 3): Promise<Uint8Array> {
  let lastErr: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      if (r.status === 404) throw new MirrorError(`${what}: not found on the mirror (${url})`);
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      return new Uint8Array(await r.arrayBuffer());
    } catch (e) {
      if (e instanceof MirrorError) throw e;
      lastErr = e;
      await new Promise((res) => setTimeout(res, 500 * (attempt + 1)));
    }
  }
  const cause = (lastErr as { cause?: { code?: string; message?: string } })?.cause;
  const why = (lastErr as Error)?.name === 'TimeoutError' ? `no answer in ${timeoutMs / 1000} s` : cause?.code ?? cause?.message ?? (lastErr as Error)?.message;
  throw new MirrorError(`cannot reach the mirror for ${what} (${url}): ${why}`);
}

export class Mirror {
  constructor(readonly url: string, readonly cacheDir: string, readonly log: (msg: string) => void = () => {}) {
    mkdirSync(join(cacheDir, 'lists'), { recursive: true });
    mkdirSync(join(cacheDir, 'debs'), { recursive: true });
  }

  private listKey(suite: string, arch: string): string {
    return `${this.url.replace(/^\w+:\/\//, '').replace(/[^A-Za-z0-9.-]+/g, '_')}_${suite}_main_${arch}`;
  }

  /**
   * The text of dists/SUITE/main/binary-ARCH/Packages. A cached copy is reused when InRelease
   * still lists its hash, and used (with a warning) when the mirror cannot be reached.
   */
  async packagesIndex(suite: string, arch: string): Promise<string> {
    const key = this.listKey(suite, arch);
    const cached = join(this.cacheDir, 'lists', key);
    let release: string;
    try {
      release = new TextDecoder().decode(await get(`${this.url}/dists/${suite}/InRelease`, `the ${suite} release file`, 20_000, 2));
    } catch (e) {
      if (e instanceof MirrorError && existsSync(cached + '.Packages')) {
        this.log(`warning: ${e.message}; using the index cached ${statSync(cached + '.Packages').mtime.toISOString()}`);
        return readFileSync(cached + '.Packages', 'utf8');
      }
      throw e;
    }
    const sums = new Map<string, string>();
    const sect = /^SHA256:\n((?:[ \t].*\n?)*)/m.exec(release)?.[1] ?? '';
    for (const line of sect.split('\n')) {
      const [hash, , name] = line.trim().split(/\s+/);
      if (hash && name) sums.set(name, hash);
    }
    for (const ext of ['.xz', '.gz']) {
      const name = `main/binary-${arch}/Packages${ext}`;
      const want = sums.get(name);
      if (!want) continue;
      if (existsSync(cached + '.sha256') && readFileSync(cached + '.sha256', 'utf8') === want && existsSync(cached + '.Packages')) {
        return readFileSync(cached + '.Packages', 'utf8');
      }
      this.log(`fetching ${suite}/${name}`);
      const raw = await get(`${this.url}/dists/${suite}/${name}`, name);
      if (sha256(raw) !== want) throw new MirrorError(`${name}: SHA256 does not match InRelease`);
      const text = new TextDecoder().decode(await decompress(name, raw));
      writeFileSync(cached + '.Packages.tmp', text);
      renameSync(cached + '.Packages.tmp', cached + '.Packages');
      writeFileSync(cached + '.sha256', want);
      return text;
    }
    throw new MirrorError(`${suite} has no main/binary-${arch}/Packages index on ${this.url}`);
  }

  /** A .deb by its index entry: from the cache if its SHA256 is there, else downloaded and checked. */
  async deb(filename: string, want: string): Promise<{ data: Uint8Array; downloaded: boolean }> {
    const path = join(this.cacheDir, 'debs', `${want}.deb`);
    if (existsSync(path)) {
      const data = new Uint8Array(readFileSync(path));
      if (sha256(data) === want) return { data, downloaded: false };
    }
    const data = await get(`${this.url}/${filename}`, filename.split('/').pop()!);
    if (sha256(data) !== want) throw new MirrorError(`${filename}: SHA256 does not match the index`);
    writeFileSync(path + '.tmp', data);
    renameSync(path + '.tmp', path);
    return { data, downloaded: true };
  }
}

/** Run `fn` over `items` with at most `n` at a time, results in input order. */
export async function mapLimit<T, R>(items: T[], n: number, fn: (x: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}
