/**
 * Loading binaryen in Node without tsx's loader hook in the way, with V8's code cache.
 *
 * This module imports nothing of the engine: the compile worker runs it (compile-worker-main.ts),
 * and a worker bundle that reached jit.ts took the whole interpreter with it (region.ts ->
 * interp-call.ts -> cpu/interp.ts and the instruction tables): 329 KB, whose evaluation was
 * 135-160 ms of CPU of the worker's boot (docs/JIT.md). binaryen.ts connects it to the engine.
 *
 * The CLI and the tests run under tsx, whose ESM load hook rewrites every dynamic
 * `import(` of every module it loads (transformDynamicImport: es-module-lexer plus a
 * high-resolution source map). On binaryen's 14.8 MB index.js that took 6.9-7.0 s of CPU,
 * against 0.34 s for a plain `import('binaryen')` (measured here, Node 20, loaded host).
 * So the Node host evaluates the file itself: binaryen.js is one ES module whose only
 * module syntax is a final `export{x as default}`, two `import.meta.url` and one
 * `await import("node:module")` (binaryen 132.0.0), which an async function body can
 * stand in for. Any other shape (a new binaryen release) falls back to `import()`.
 *
 * Evaluating it as a `node:vm` Script lets V8 keep its compiled code across runs: the
 * first run writes `Script.createCachedData()` (taken after binaryen has initialised, so
 * the functions its start-up ran are in it) under the cache directory; later runs hand it
 * back as `cachedData` and skip parsing and compiling those functions. Node 20 has no
 * `module.enableCompileCache` (added in 22.1), hence the Script. The cache file's name
 * holds binaryen's version, the file's size and mtime, and Node's V8 version, so any
 * change makes a new one; V8 also rejects data it cannot use (`cachedDataRejected`), and
 * then the file is rewritten. Measured load times: docs/JIT.md "Loading binaryen in Node".
 */
import { isAscii } from 'node:buffer';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Script } from 'node:vm';
import type binaryenT from 'binaryen';

type Binaryen = typeof binaryenT;
type Body = (url: string, imp: (s: string) => Promise<unknown>) => Promise<Binaryen>;

/** How the last load went (the bench and the tests read it). */
export interface BinaryenLoad {
  ms: number;
  /** 'hit': V8 accepted the cached code; 'miss': none yet (written now); 'rejected': stale (rewritten); 'off': no cache used; 'import': fallback import(). */
  cache: 'hit' | 'miss' | 'rejected' | 'off' | 'import';
  /** The cache file, when one was used. */
  file: string | null;
}
export let lastBinaryenLoad: BinaryenLoad | null = null;

/**
 * Where the code cache lives: WEBX86_CACHE_DIR, else $XDG_CACHE_HOME/webx86, else
 * ~/.cache/webx86, else the temp directory. WEBX86_CACHE_DIR=off disables it.
 */
export function codeCacheDir(): string | null {
  const env = process.env.WEBX86_CACHE_DIR;
  if (env === 'off') return null;
  if (env) return env;
  if (process.env.XDG_CACHE_HOME) return join(process.env.XDG_CACHE_HOME, 'webx86');
  try { return join(homedir(), '.cache', 'webx86'); } catch { return join(tmpdir(), 'webx86-cache'); }
}

export async function loadBinaryenNode(): Promise<Binaryen> {
  const t0 = performance.now();
  const req = createRequire(import.meta.url);
  const path = req.resolve('binaryen');
  // binaryen 132's 14.8 MB are ASCII: read as latin1 (a byte copy) they are the same string,
  // 20 against 35 ms of CPU for utf8 decoding (measured); anything else is decoded as UTF-8.
  const raw = readFileSync(path);
  const src = isAscii(raw) ? raw.toString('latin1') : raw.toString('utf8');
  const tail = /export\{([\w$]+) as default\};?\s*$/.exec(src);
  if (tail === null || !src.includes('import("node:module")')) {
    // By path, not by name: the compile worker may run from a bundle outside the checkout (compile-worker.ts).
    const mod = ((await import(pathToFileURL(path).href)) as { default: Binaryen }).default;
    lastBinaryenLoad = { ms: performance.now() - t0, cache: 'import', file: null };
    return mod;
  }
  const code = `(async function (__url, __import) {"use strict";${src.slice(0, tail.index).replaceAll('import.meta.url', '__url').replaceAll('import("node:module")', '__import("node:module")')}\nreturn ${tail[1]};\n})`;
  const dir = codeCacheDir();
  let file: string | null = null;
  let cachedData: Buffer | undefined;
  if (dir !== null) {
    const st = statSync(path);
    let version = '?';
    try { version = (JSON.parse(readFileSync(join(dirname(path), 'package.json'), 'utf8')) as { version: string }).version; } catch { /* unversioned: size and mtime still key it */ }
    file = join(dir, `binaryen-${version}-${st.size}-${Math.floor(st.mtimeMs)}-v8-${process.versions.v8}.cache`);
    try { cachedData = readFileSync(file); } catch { cachedData = undefined; }
  }
  const script = new Script(code, { filename: pathToFileURL(path).href, cachedData });
  const body = script.runInThisContext() as Body;
  const mod = await body(pathToFileURL(path).href, (s: string) => import(s));
  const cache: BinaryenLoad['cache'] = file === null ? 'off' : cachedData === undefined ? 'miss' : script.cachedDataRejected ? 'rejected' : 'hit';
  if (file !== null && cache !== 'hit') {
    // A cache that cannot be written (read-only home) only costs the next run its load time.
    try {
      mkdirSync(dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, script.createCachedData());
      renameSync(tmp, file);
    } catch { /* ignored: see above */ }
  }
  lastBinaryenLoad = { ms: performance.now() - t0, cache, file };
  return mod;
}
