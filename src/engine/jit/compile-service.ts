/**
 * Compiling regions to Wasm bytes, and the protocol of the compile worker that does it off
 * the engine's thread (design §6 "binaryen in its own worker").
 *
 * The engine sends regions (region.ts `Region`: plain data, so structured clone carries it)
 * in batches; the worker answers with each region's module bytes (their ArrayBuffers
 * transferred) or the error that stopped it. binaryen is loaded only inside the worker.
 * `serveCompiles` is the worker's whole logic and has no host API in it: the Node host
 * (src/host/node/compile-worker-main.ts, worker_threads) and the browser host
 * (src/host/worker/compile-worker-main.ts, a nested dedicated Worker) only connect it to
 * their message port and give it their binaryen loader. `compileRegion` is also what the
 * engine runs in its own thread when no worker can be made, and in 'force' mode.
 */
import type binaryenT from 'binaryen';
import { generate } from './codegen.js';
import type { RBlock, Region } from './region.js';

type Binaryen = typeof binaryenT;

/** One region to compile; `id` names it in the answer. */
export interface CompileJob { id: number; region: Region; permBase: number }
/** A region's module bytes (exported function "f", imports e.m/e.c/e.f: codegen.ts), or why there are none. */
export interface CompileDone {
  id: number;
  bytes: Uint8Array | null;
  /** Blocks translated: fewer than sent when binaryen refused the whole region and a smaller one was built. */
  blocks: number;
  /**
   * Time spent on it in the compiler's thread, ms: CPU time where the host can measure its
   * thread's (serveCompiles `threadCpuMs`), else wall time.
   */
  ms: number;
  error?: string;
  /** Not compiled: its block was not entered while it waited in the queue (compile-client.ts DROP_AFTER_MS); the block may ask again. */
  dropped?: boolean;
}
/** Engine -> compile worker. */
export interface ToCompiler { t: 'compile'; jobs: CompileJob[] }
/** Compile worker -> engine. `fatal`: binaryen cannot be loaded or aborted; the worker does no more. */
export type FromCompiler =
  | { t: 'ready'; loadMs: number }
  | { t: 'done'; results: CompileDone[]; last: boolean }
  | { t: 'fatal'; message: string };

/**
 * The engine's end of a compile worker, made by the host (setCompilerFactory in
 * compile-client.ts). The engine sets the two callbacks right after creation.
 */
export interface CompilerPort {
  post(msg: ToCompiler): void;
  /** Messages from the worker. */
  onmessage: (m: FromCompiler) => void;
  /** The worker died, failed to start, or sent something unreadable. */
  onerror: (message: string) => void;
  terminate(): void;
}

/**
 * A batch's answers go back in parts, one whenever this long has passed since the last
 * (and one at its end), so the first regions of a large batch attach while the rest
 * compile: python3's first batch after binaryen's load is 50 regions, 0.1-0.5 s of work.
 */
const POST_EVERY_MS = 5;

/** Blocks kept when binaryen's Relooper throws on a larger region (it did on some 16-48-block graphs). */
export const RETRY_BLOCKS = 8;

/** The first `n` blocks of a region, in formation order: what formRegion(…, n) would have returned for the same hits. */
function firstBlocks(r: Region, n: number): Region {
  const blocks = new Map<number, RBlock>();
  let count = 0;
  for (const [a, b] of r.blocks) {
    if (blocks.size === n) break;
    blocks.set(a, b);
    count += b.insns.length;
  }
  const pages = new Set<number>();
  for (const b of blocks.values()) for (const d of b.insns) { pages.add(d.at >>> 12); pages.add((d.at + d.len - 1) >>> 12); }
  return { entry: r.entry, blocks, pages: [...pages], count };
}

/** An error's text, short (binaryen throws numbers and strings too). */
export function errorText(e: unknown): string {
  return (e instanceof Error ? e.message : JSON.stringify(e) ?? String(e)).slice(0, 300);
}

/** binaryen's Emscripten runtime aborted: it is unusable from now on in this realm. */
export const isAbort = (msg: string): boolean => msg.includes('Aborted');

/**
 * Build region `r`'s module bytes; a binaryen exception on a region of more than
 * RETRY_BLOCKS blocks retries with its first RETRY_BLOCKS. Throws when both fail.
 */
export function compileRegion(bn: Binaryen, r: Region, permBase: number): { bytes: Uint8Array; blocks: number } {
  try {
    return { bytes: generate(bn, r, permBase).bytes, blocks: r.blocks.size };
  } catch (e) {
    if (r.blocks.size <= RETRY_BLOCKS || isAbort(errorText(e))) throw e;
    return { bytes: generate(bn, firstBlocks(r, RETRY_BLOCKS), permBase).bytes, blocks: RETRY_BLOCKS };
  }
}

/**
 * The compile worker's logic: load binaryen at once (the engine asks for a worker only
 * when code is hot), say `ready`, then answer each batch with one `done`. Batches that
 * arrive during the load wait for it. Returns the handler for incoming messages.
 *
 * `threadCpuMs`, when the host has it, reads this thread's CPU time: each batch's wall time
 * is then scaled to the CPU it took, so the engine's governor (governor.ts) charges compiles
 * what they cost. Wall time alone counted the time the worker waited for a core: at load
 * average 18 on 2 cores, python3 binary-trees' compiles measured 26 ms each, the governor
 * deferred 93,604 requests and only 98 M of its instructions ran translated (engine CPU
 * 15.3 s against 16.0 s interpreted).
 */
export function serveCompiles(load: () => Promise<Binaryen>, post: (m: FromCompiler, transfer: ArrayBuffer[]) => void, threadCpuMs?: () => number): (m: ToCompiler) => void {
  let dead = false;
  const t0 = performance.now();
  const ready = load().then((bn) => { post({ t: 'ready', loadMs: performance.now() - t0 }, []); return bn; });
  ready.catch((e: unknown) => { dead = true; post({ t: 'fatal', message: `binaryen failed to load: ${errorText(e)}` }, []); });
  let chain: Promise<unknown> = ready;
  return (m) => {
    if (m?.t !== 'compile' || !Array.isArray(m.jobs)) { post({ t: 'fatal', message: `compile worker: unexpected message ${JSON.stringify(m)?.slice(0, 100)}` }, []); return; }
    chain = chain.then(async () => {
      const bn = await ready;
      if (dead) return;
      let results: CompileDone[] = [];
      let transfer: ArrayBuffer[] = [];
      let w0 = performance.now(), c0 = threadCpuMs?.() ?? 0;
      const send = (last: boolean): void => {
        const now = performance.now();
        if (threadCpuMs !== undefined) {
          const c = threadCpuMs(), wall = now - w0;
          const share = wall > 0 ? Math.min(1, Math.max(0, (c - c0) / wall)) : 1;
          for (const r of results) r.ms *= share;
          c0 = c;
        }
        post({ t: 'done', results, last }, transfer);
        results = []; transfer = []; w0 = now;
      };
      let lastError = '';
      for (let k = 0; k < m.jobs.length; k++) {
        const job = m.jobs[k];
        const t = performance.now();
        try {
          const { bytes, blocks } = compileRegion(bn, job.region, job.permBase);
          // The bytes view binaryen's heap copy: give the engine an exact, transferable buffer.
          const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
          results.push({ id: job.id, bytes: own, blocks, ms: performance.now() - t });
          transfer.push(own.buffer as ArrayBuffer);
        } catch (e) {
          const msg = errorText(e);
          results.push({ id: job.id, bytes: null, blocks: 0, ms: performance.now() - t, error: msg });
          lastError = msg;
          if (isAbort(msg)) { dead = true; break; }
        }
        if (k < m.jobs.length - 1 && performance.now() - w0 >= POST_EVERY_MS) send(false);
      }
      send(true);
      if (dead) post({ t: 'fatal', message: `binaryen aborted: ${lastError}` }, []);
    }).catch(() => { /* a load failure was reported above */ });
  };
}
