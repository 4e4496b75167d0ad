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
  /** Time spent on it in the compiler's thread, ms. */
  ms: number;
  error?: string;
}
/** Engine -> compile worker. */
export interface ToCompiler { t: 'compile'; jobs: CompileJob[] }
/** Compile worker -> engine. `fatal`: binaryen cannot be loaded or aborted; the worker does no more. */
export type FromCompiler =
  | { t: 'ready'; loadMs: number }
  | { t: 'done'; results: CompileDone[] }
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
 */
export function serveCompiles(load: () => Promise<Binaryen>, post: (m: FromCompiler, transfer: ArrayBuffer[]) => void): (m: ToCompiler) => void {
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
      const results: CompileDone[] = [];
      const transfer: ArrayBuffer[] = [];
      for (const job of m.jobs) {
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
          if (isAbort(msg)) { dead = true; break; }
        }
      }
      post({ t: 'done', results }, transfer);
      if (dead) post({ t: 'fatal', message: `binaryen aborted: ${results[results.length - 1].error ?? ''}` }, []);
    }).catch(() => { /* a load failure was reported above */ });
  };
}
