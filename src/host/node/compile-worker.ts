/**
 * The JIT's compile worker in Node: a worker_threads thread running compile-worker-main.ts,
 * so binaryen's load (0.55-1.1 s, binaryen-load.ts) and every region's compile leave the engine's
 * thread (docs/JIT.md "Compile worker").
 *
 * The sources are TypeScript run through tsx, whose hooks are registered per thread (the CLI
 * calls `register()` from tsx/esm/api, which a worker does not inherit). Registering them in
 * the worker starts Node's module-hooks thread and transforms each file: measured 0.5-0.9 s
 * of wall time and ~0.2 s of CPU from `new Worker` to the first line of the entry, on a
 * loaded 2-core host — as long as binaryen's own load, and paid by every `webx86 run` before
 * its first region can compile. So the worker runs from one plain ES module instead: the
 * entry and its imports bundled by esbuild (the copy tsx itself depends on, so it is there
 * wherever the CLI runs) and kept in the cache directory next to binaryen's code cache, with
 * a manifest of the sources it was made from (size and mtime of each). A run whose sources
 * match starts the worker from the bundle (boot measured at 0.1 s wall); otherwise it starts
 * through tsx as before and builds the bundle in the background for the next run (the build
 * takes ~0.2 s in esbuild's own process). `WEBX86_CACHE_DIR=off` always boots through tsx.
 * The worker is unref'd: an engine that has finished exits even while a batch compiles.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { CompilerPort, FromCompiler, ToCompiler } from '../../engine/jit/compile-service.js';
import { setCompilerFactory, type StartPolicy } from '../../engine/jit/compile-client.js';
import { codeCacheDir } from './binaryen-load.js';
import { setThreadClocks } from '../../engine/jit/governor.js';
import { engineClocks } from './thread-cpu.js';

const ENTRY = new URL('./compile-worker-main.ts', import.meta.url).href;

/** How the last worker was started (tests and the bench read it). */
export let lastCompilerBoot: 'bundle' | 'tsx' | null = null;

/** The bundle and its manifest for `entry` (a file: URL), or null when caching is off. */
function bundlePaths(entry: string): { file: string; manifest: string } | null {
  const dir = codeCacheDir();
  if (dir === null) return null;
  // One bundle per checkout and Node version: worktrees and installs do not share one.
  const key = createHash('sha256').update(`${entry}\0${process.version}`).digest('hex').slice(0, 16);
  return { file: join(dir, `compile-worker-${key}.mjs`), manifest: join(dir, `compile-worker-${key}.json`) };
}

interface Manifest { inputs: Record<string, [size: number, mtimeMs: number]> }

/** The cached bundle of `entry` if every source it was made from is unchanged, else null. */
function freshBundle(entry: string): string | null {
  const p = bundlePaths(entry);
  if (p === null) return null;
  try {
    const m = JSON.parse(readFileSync(p.manifest, 'utf8')) as Manifest;
    const inputs = Object.entries(m.inputs);
    if (inputs.length === 0) return null;
    for (const [path, [size, mtime]] of inputs) {
      const st = statSync(path);
      if (st.size !== size || st.mtimeMs !== mtime) return null;
    }
    statSync(p.file);
    return p.file;
  } catch { return null; }
}

let building = false;

/**
 * Bundle `entry` with esbuild in the background and write bundle, then manifest (each
 * atomically; the manifest last, so a reader never pairs it with an older bundle). Any
 * failure (no esbuild, a read-only cache) only means the next run boots through tsx too.
 */
function buildBundle(entry: string): void {
  const p = bundlePaths(entry);
  if (p === null || building) return;
  building = true;
  void (async () => {
    const req = createRequire(fileURLToPath(import.meta.resolve('tsx/esm/api')));
    const esbuild = (await import(pathToFileURL(req.resolve('esbuild')).href)) as typeof import('esbuild');
    const src = fileURLToPath(entry);
    const cwd = resolve(src, '../../../..');
    const r = await esbuild.build({
      entryPoints: [src], bundle: true, format: 'esm', platform: 'node', target: `node${process.versions.node.split('.')[0]}`,
      write: false, metafile: true, external: ['binaryen'], absWorkingDir: cwd, logLevel: 'silent',
      // binaryen-load.ts resolves binaryen from its own URL: keep it pointing into the checkout, not the cache directory.
      define: { 'import.meta.url': JSON.stringify(new URL('./binaryen-load.ts', entry).href) },
    });
    const inputs: Manifest['inputs'] = {};
    for (const rel of Object.keys(r.metafile.inputs)) {
      const path = resolve(cwd, rel);
      const st = statSync(path);
      inputs[path] = [st.size, st.mtimeMs];
    }
    mkdirSync(join(p.file, '..'), { recursive: true });
    const put = (file: string, data: string | Uint8Array): void => { const tmp = `${file}.${process.pid}.tmp`; writeFileSync(tmp, data); renameSync(tmp, file); };
    put(p.file, r.outputFiles[0].contents);
    put(p.manifest, JSON.stringify({ inputs } satisfies Manifest));
  })().catch(() => { /* see above */ }).finally(() => { building = false; });
}

/** Start a compile worker thread (its binaryen load begins at once). */
export function startNodeCompiler(entry = ENTRY): CompilerPort {
  const bundle = freshBundle(entry);
  let w: Worker;
  // execArgv [] : no inherited flags (tsx registered twice, --inspect ports, heap limits meant for the engine).
  if (bundle !== null) {
    w = new Worker(bundle, { execArgv: [], name: 'webx86-jit-compiler' });
    lastCompilerBoot = 'bundle';
  } else {
    const tsx = import.meta.resolve('tsx/esm/api');
    const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
    w = new Worker(boot, { eval: true, execArgv: [], name: 'webx86-jit-compiler' });
    lastCompilerBoot = 'tsx';
    buildBundle(entry);
  }
  const port: CompilerPort = {
    post: (m: ToCompiler) => w.postMessage(m),
    onmessage: () => {},
    onerror: () => {},
    terminate: () => { void w.terminate(); },
  };
  w.on('message', (m: FromCompiler) => port.onmessage(m));
  w.on('error', (e) => port.onerror(`compile worker error: ${e instanceof Error ? e.message : String(e)}`));
  w.on('exit', (code) => port.onerror(`compile worker exited (code ${code})`));
  w.on('messageerror', (e) => port.onerror(`compile worker message error: ${String(e)}`));
  // After the listeners: adding a 'message' listener refs the worker again.
  w.unref();
  return port;
}

/**
 * When a Node machine starts the compile worker: once its hot blocks have run 1 M
 * instructions, with no wait in wall time. The worker costs the engine's thread nothing (it
 * runs on another core) and there is nothing to download, so the page's ski rental
 * (compile-client.ts SKI_RENTAL: 4 M instructions and 150 ms) only delayed the first region:
 * the LCG's compile worker started 0.3-0.75 s after its first hot block under load. 1 M
 * still leaves short programs cold: `/bin/true` and `bash -c 'echo hi; ls /'` (dynamically
 * linked, Debian root) never start it, while starting at the first hot block made the
 * second cost 0.44 s more process CPU (1,144 against 708 ms, load average 20).
 */
export const NODE_START: StartPolicy = { afterInstructions: 1_000_000, afterMs: 0 };

/**
 * Node's default since session 8: the worker is started (and binaryen's load begun) when a
 * machine with the JIT 'on' is made, so its boot and load run on the other core while the
 * program starts instead of after its first hot block. MEASURED: see docs/JIT.md "First-run
 * fixed cost". `WEBX86_JIT_START=hot` restores NODE_START, to compare.
 */
export const NODE_EAGER: StartPolicy = { ...NODE_START, atCreate: true };

/**
 * Make the engine's JIT compile in a worker thread (call once, with useNodeBinaryen(), from
 * the engine's thread: the governor's off-thread clock is this thread's complement), started
 * by `when` (default NODE_EAGER). WEBX86_JIT_WORKER=off keeps compiles in the engine's thread
 * (to compare; docs/JIT.md).
 */
export function useNodeCompileWorker(when: StartPolicy = process.env.WEBX86_JIT_START === 'hot' ? NODE_START : NODE_EAGER): void {
  // The governor charges what the other threads spend (the worker, V8's compiles of the modules).
  setThreadClocks(engineClocks() ?? null);
  setCompilerFactory(process.env.WEBX86_JIT_WORKER === 'off' ? null : () => startNodeCompiler(), when);
}
