/**
 * The JIT's persistent translation cache in Node: region records (engine/jit/translation-cache.ts
 * defines them and checks them against the guest's memory) kept as files in
 * `<cache directory>/translations/`, next to binaryen's code cache and the compile worker's
 * bundle (binaryen-load.ts codeCacheDir: WEBX86_CACHE_DIR, $XDG_CACHE_HOME/webx86, ~/.cache/webx86).
 * A later `webx86 run` of the same program attaches its hot code from here the first time each
 * block gets hot, with neither the compile worker nor binaryen (docs/JIT.md "Translation cache").
 *
 * - **Version.** Records are named by a hash of the translator's sources: every module
 *   reachable by relative imports from the compile worker's entry and from jit.ts (the same
 *   files the worker's esbuild bundle is made of: codegen, region formation, the interpreter's
 *   decoder and closures that regions call, the flag and state layouts), binaryen's version,
 *   the record format and the switches that change region formation
 *   (WEBX86_JIT_INTERP_CALLS, WEBX86_JIT_X87_CALLS, WEBX86_JIT_SSE, WEBX86_JIT_X87). Any change to them makes new names; the
 *   old files are never read again and age out. Computed once per process, when code first
 *   gets hot (reading and hashing ~55 files: measured in docs/JIT.md).
 * - **Reads** are synchronous (the engine asks when a block gets hot and attaches at once),
 *   and only for names the directory held when this process first looked (one readdir), so a
 *   miss costs no system call.
 * - **Writes** are asynchronous (libuv's threads): each record goes to a temporary file of
 *   this process and is renamed over the name, so a reader in another process sees the old
 *   record, the new one or none, never a part; a crash leaves only a `.tmp`, removed by a
 *   later prune. A read-only or full disk only costs later runs their compiles.
 * - **Bounded.** After this process's first write and every 256 after, the directory is
 *   measured (asynchronously) and, above its budget (64 MiB), the least recently used records
 *   are removed until it is at 3/4 of it. The first write measures only when no process has
 *   measured the directory for a minute (the mtime of its `.pruned` stamp): a warm run of a
 *   program that compiles a few regions more paid a `stat` of every record (the bench's
 *   python3 row: ~700): with the touches below 10-45 ms of process CPU per warm run
 *   (docs/BENCHMARKS.md "JIT: where the warm bash and python3 runs spend"). So the directory may exceed its budget
 *   by what processes writing under 256 records each add within a minute, until the next one.
 *   A hit refreshes its file's mtime when that is over an hour old, so records every run
 *   uses (libc's) stay; the mtime comes from the open file's fstat, and a record used within
 *   the hour costs no touch (one `utimes` per record per run before).
 * - `WEBX86_CACHE_DIR=off` disables it with the other caches; `WEBX86_JIT_CACHE=off` disables
 *   only this one (to measure cold runs with binaryen's code cache and the bundle warm).
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, readdir, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RECORD_FORMAT, recordEntry, setTranslationStore, type TranslationStore } from '../../engine/jit/translation-cache.js';
import { codeCacheDir } from './binaryen-load.js';

/** The checkout's root (this file is src/host/node/translation-store.ts). */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** Where the translator's import graph starts: the compile worker's entry (what it runs) and the engine's manager (what calls regions). */
export const TRANSLATOR_ENTRIES = ['src/host/node/compile-worker-main.ts', 'src/engine/jit/jit.ts'].map((p) => join(ROOT, p));

/** Default bound of the translations directory, bytes. */
export const STORE_BUDGET = 64 << 20;
/** Writes between two measurements of the directory. */
export const PRUNE_EVERY = 256;
/** A process's first write measures the directory only if none did for this long (ms; the stamp's mtime). */
export const PRUNE_INTERVAL_MS = 60_000;
/** The stamp file whose mtime says when the directory was last measured. */
export const PRUNE_STAMP = '.pruned';
/** A hit refreshes its record's mtime (least recently used first out) only when it is older than this (ms). */
export const TOUCH_AFTER_MS = 60 * 60_000;
/** A temporary file this old was left by a process that died while writing it. */
const STALE_TMP_MS = 10 * 60_000;
const SUFFIX = '.jit';

/** Relative module specifiers in a TypeScript/JavaScript source: `from '...'`, `import '...'`, `import('...')`. */
const IMPORT = /(?:\bfrom|\bimport)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g;

/**
 * The files reachable from `entries` by relative imports (a specifier's `.js` is the `.ts`
 * beside it when there is one, as tsx and esbuild resolve it), sorted.
 */
export function translatorSources(entries: readonly string[] = TRANSLATOR_ENTRIES): string[] {
  const seen = new Set<string>();
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(IMPORT)) {
      const spec = resolve(dirname(file), m[1]);
      const ts = spec.replace(/\.js$/, '.ts');
      const found = [ts, spec, `${spec}.ts`].find((p) => existsSync(p));
      if (found !== undefined && !seen.has(found)) queue.push(found);
    }
  }
  return [...seen].sort();
}

/** What besides the sources goes into the version: the record format, binaryen's version, the switches that change what regions contain. */
function versionSalt(): string {
  return [`record ${RECORD_FORMAT}`, `binaryen ${binaryenVersion()}`, ...['WEBX86_JIT_INTERP_CALLS', 'WEBX86_JIT_X87_CALLS', 'WEBX86_JIT_SSE', 'WEBX86_JIT_X87'].map((v) => `${v}=${process.env[v] ?? ''}`)].join('\0');
}

/**
 * The translator's version: a SHA-256 over the sources above (paths relative to `root`, so
 * two checkouts of the same code share records) and versionSalt().
 */
export function translatorVersion(entries: readonly string[] = TRANSLATOR_ENTRIES, root = ROOT): string {
  return hashSources(translatorSources(entries), root, versionSalt());
}

/** The page's compile worker entry: the browser bundle's translator starts there and at jit.ts. */
export const BROWSER_TRANSLATOR_ENTRIES = ['src/host/worker/compile-worker-main.ts', 'src/engine/jit/jit.ts'].map((p) => join(ROOT, p));

/**
 * The translator's version for the browser bundle (vite.config.ts defines it as
 * `__WEBX86_JIT_VERSION__` for src/host/worker/translation-store.ts): the same hash over the
 * page's translator sources, binaryen's version and the record format; no environment switches
 * (a page cannot set them).
 */
export function browserTranslatorVersion(): string {
  return hashSources(translatorSources(BROWSER_TRANSLATOR_ENTRIES), ROOT, [`record ${RECORD_FORMAT}`, `binaryen ${binaryenVersion()}`, 'browser'].join('\0'));
}

function binaryenVersion(): string {
  try {
    const req = createRequire(import.meta.url);
    return (JSON.parse(readFileSync(join(dirname(req.resolve('binaryen')), 'package.json'), 'utf8')) as { version: string }).version;
  } catch { return '?'; }
}

function hashSources(files: readonly string[], root: string, salt: string): string {
  const h = createHash('sha256');
  h.update(`${salt}\0`);
  for (const f of files) h.update(`${relative(root, f)}\0`).update(readFileSync(f)).update('\0');
  return h.digest('hex');
}

interface VersionManifest { salt: string; version: string; inputs: Record<string, [size: number, mtimeMs: number]> }

/**
 * translatorVersion() through a manifest in `dir` (the files hashed, with their size and
 * mtime, as compile-worker.ts keeps for its bundle): while none of them changed, a run
 * stats them (~0.5 ms) instead of reading and hashing them (8-9 ms measured, once per
 * process). A changed file — including one that now imports another — hashes them again.
 */
export function cachedTranslatorVersion(dir: string, entries: readonly string[] = TRANSLATOR_ENTRIES, root = ROOT): string {
  const salt = versionSalt();
  const file = join(dir, `version-${createHash('sha256').update(`${root}\0${entries.join('\0')}`).digest('hex').slice(0, 16)}.json`);
  try {
    const m = JSON.parse(readFileSync(file, 'utf8')) as VersionManifest;
    const inputs = Object.entries(m.inputs);
    if (m.salt === salt && typeof m.version === 'string' && inputs.length > 0 && inputs.every(([p, [size, mtime]]) => {
      const st = statSync(p, { throwIfNoEntry: false });
      return st !== undefined && st.size === size && st.mtimeMs === mtime;
    })) return m.version;
  } catch { /* none yet, or unreadable: hash */ }
  const files = translatorSources(entries);
  const inputs: VersionManifest['inputs'] = {};
  // Stat before reading: a file changed while it is hashed then fails the next run's check.
  for (const f of files) { const st = statSync(f); inputs[f] = [st.size, st.mtimeMs]; }
  const version = hashSources(files, root, salt);
  try {
    mkdirSync(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ salt, version, inputs } satisfies VersionManifest));
    renameSync(tmp, file);
  } catch { /* read-only: hashed again next time */ }
  return version;
}

export interface NodeStoreOptions {
  /** The translator's version (default: translatorVersion() through a manifest in the directory, at first use). */
  version?: string;
  /** Bytes the directory may hold (default STORE_BUDGET). */
  budget?: number;
}

let tmpSeq = 0;

/** Records as files in one directory. */
export class NodeTranslationStore implements TranslationStore {
  private ver: string | null;
  /** Record names present when this process first looked, plus those it wrote since. */
  private names: Set<string> | null = null;
  private readonly pending = new Set<Promise<void>>();
  private writes = 0;
  readonly budget: number;
  /** What this process did, for tests and the bench. */
  readonly counts = { hits: 0, writes: 0, writeErrors: 0, dropped: 0, pruned: 0, touches: 0, measured: 0 };

  constructor(readonly dir: string, o: NodeStoreOptions = {}) {
    this.ver = o.version ?? null;
    this.budget = o.budget ?? STORE_BUDGET;
  }

  get version(): string { return (this.ver ??= cachedTranslatorVersion(this.dir)); }

  private file(name: string): string { return join(this.dir, name + SUFFIX); }

  private listing(): Set<string> {
    if (this.names === null) {
      const prefix = `${this.version.slice(0, 12)}-`;
      let files: string[] = [];
      try { files = readdirSync(this.dir); } catch { /* no directory yet: nothing cached */ }
      this.names = new Set(files.filter((f) => f.startsWith(prefix) && f.endsWith(SUFFIX)).map((f) => f.slice(0, -SUFFIX.length)));
      this.entries = new Set([...this.names].map(recordEntry));
    }
    return this.names;
  }

  /** The entries of the records listed (names hold the entry: recordName); a drop leaves its entry (another record may share it). */
  private entries = new Set<number>();

  holds(entry: number): boolean {
    this.listing();
    return this.entries.has(entry >>> 0);
  }

  get(name: string): Uint8Array | null {
    if (!this.listing().has(name)) return null;
    const file = this.file(name);
    let data: Uint8Array, mtimeMs: number;
    try { ({ data, mtimeMs } = readWithMtime(file)); } catch { this.names!.delete(name); return null; }
    this.counts.hits++;
    // Most recently used: the prune removes the oldest mtimes first (to the hour).
    const now = Date.now();
    if (now - mtimeMs > TOUCH_AFTER_MS) {
      this.counts.touches++;
      this.track(utimes(file, now / 1000, now / 1000));
    }
    return data;
  }

  put(name: string, data: Uint8Array): void {
    this.listing().add(name);
    this.entries.add(recordEntry(name));
    const file = this.file(name);
    // Unique per write in this process (every store: two stores on one directory must not share a temporary file).
    const tmp = `${file}.${process.pid}.${tmpSeq++}.tmp`;
    this.track((async () => {
      try {
        await mkdir(this.dir, { recursive: true });
        await writeFile(tmp, data);
        await rename(tmp, file);
        this.counts.writes++;
      } catch {
        this.counts.writeErrors++;
        await unlink(tmp).catch(() => {});
      }
    })());
    const k = this.writes++;
    if (k % PRUNE_EVERY === 0 && (k > 0 || this.pruneDue())) {
      this.track(this.pending.size > 0 ? Promise.allSettled([...this.pending]).then(() => this.prune()) : this.prune());
    }
  }

  /** No process has measured the directory within PRUNE_INTERVAL_MS (its stamp is missing or older). */
  private pruneDue(): boolean {
    try {
      const st = statSync(join(this.dir, PRUNE_STAMP), { throwIfNoEntry: false });
      return st === undefined || Date.now() - st.mtimeMs > PRUNE_INTERVAL_MS;
    } catch { return true; } // unreadable: measure, as before the stamp
  }

  drop(name: string): void {
    this.names?.delete(name);
    this.counts.dropped++;
    this.track(unlink(this.file(name)).catch(() => {}));
  }

  /** Resolves when every write, touch and prune started so far has finished. */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /**
   * Measure the directory; above the budget remove the least recently used records until it
   * holds 3/4 of it. Also removes temporary files left by dead writers. Errors (a file
   * removed by another process meanwhile) are skipped.
   */
  async prune(): Promise<void> {
    let files: string[];
    try { files = await readdir(this.dir); } catch { return; }
    this.counts.measured++;
    // Stamped first: another process starting meanwhile need not measure it too.
    await writeFile(join(this.dir, PRUNE_STAMP), '').catch(() => {});
    const now = Date.now();
    const records: { path: string; size: number; mtime: number }[] = [];
    let total = 0;
    for (const f of files) {
      const path = join(this.dir, f);
      const st = await stat(path).catch(() => null);
      if (st === null || !st.isFile()) continue;
      if (f.endsWith('.tmp')) { if (now - st.mtimeMs > STALE_TMP_MS) await unlink(path).catch(() => {}); continue; }
      if (!f.endsWith(SUFFIX)) continue;
      records.push({ path, size: st.size, mtime: st.mtimeMs });
      total += st.size;
    }
    if (total <= this.budget) return;
    records.sort((a, b) => a.mtime - b.mtime);
    for (const r of records) {
      if (total <= this.budget * 3 / 4) break;
      if (await unlink(r.path).then(() => true, () => false)) {
        total -= r.size;
        this.counts.pruned++;
        this.names?.delete(r.path.slice(this.dir.length + 1, -SUFFIX.length));
      }
    }
  }

  private track(p: Promise<unknown>): void {
    const q = p.then(() => {}, () => {});
    this.pending.add(q);
    void q.finally(() => this.pending.delete(q));
  }
}

/** A whole file and its mtime from one open (fstat on the descriptor: no second path lookup). */
function readWithMtime(file: string): { data: Uint8Array; mtimeMs: number } {
  const fd = openSync(file, 'r');
  try {
    const { mtimeMs } = fstatSync(fd);
    const b = readFileSync(fd);
    return { data: new Uint8Array(b.buffer, b.byteOffset, b.byteLength), mtimeMs };
  } finally { closeSync(fd); }
}

/** The store in use (tests and the bench read its counts and flush it). */
export let nodeTranslationStore: NodeTranslationStore | null = null;

/**
 * Keep the JIT's translations across runs in `<dir>/translations` (call once, with
 * useNodeBinaryen()). `dir` defaults to the cache directory; null, WEBX86_CACHE_DIR=off or
 * WEBX86_JIT_CACHE=off: no persistent cache.
 */
export function useNodeTranslationCache(dir: string | null = codeCacheDir(), o: NodeStoreOptions = {}): NodeTranslationStore | null {
  nodeTranslationStore = dir === null || process.env.WEBX86_JIT_CACHE === 'off' ? null : new NodeTranslationStore(join(dir, 'translations'), o);
  setTranslationStore(nodeTranslationStore);
  return nodeTranslationStore;
}
