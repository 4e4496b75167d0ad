/**
 * binaryen's WebAssembly as a file of its own in the browser bundle (scripts/binaryen-wasm-split.ts
 * takes it out of binaryen's JavaScript at build time and points the module here).
 *
 * binaryen 132 ships one 14.8 MB JavaScript file with its 10 MB of Wasm inside as a string
 * literal, handed to `WebAssembly.instantiate(bytes)`. In a page that means: the whole file is
 * downloaded before any of it compiles, the string is parsed and copied into bytes, and the
 * compiled code is never cached. Chromium keeps compiled Wasm (its TurboFan code too, once
 * enough of the module has tiered up) only for modules compiled by `compileStreaming` /
 * `instantiateStreaming` from a fetched response, keyed by the response's URL. The JIT's
 * compile worker runs binaryen's code unoptimised in a fresh page (compiles cost 11 ms a
 * region against 1.4 ms in Node: docs/BENCHMARKS.md, session 10's desktop section), so a
 * returning visitor should get the optimised code back from the cache.
 *
 * Emscripten calls `instantiateWasm(imports, receive)` instead of instantiating the embedded
 * bytes when the module is given one; this is it, streaming from `url`. A server that sends
 * the file with another Content-Type than application/wasm (which instantiateStreaming
 * refuses with a TypeError) gets its bytes instantiated instead: no cache, but working.
 * A failure (404, no network) cannot be given back through Emscripten's hook, whose promise
 * has no rejection path: it rejects `binaryenWasmFailure`, which the compile worker races
 * against binaryen's import (compile-worker-main.ts), so the JIT reports it and the machine
 * goes on interpreting instead of waiting for a compiler forever.
 */

import type binaryenT from 'binaryen';

let fail: (e: Error) => void = () => {};
/** Rejects with the reason binaryen's Wasm could not be fetched or instantiated; never resolves. */
export const binaryenWasmFailure: Promise<never> = new Promise<never>((_, reject) => { fail = reject; });
binaryenWasmFailure.catch(() => {});

/** What WebAssembly's instantiate functions take and give (declared here: the Node type-check has no DOM lib). */
type Imports = Record<string, Record<string, unknown>>;
interface Instantiated { instance: WebAssembly.Instance; module: WebAssembly.Module }
const wasmApi = WebAssembly as unknown as {
  instantiateStreaming?: (source: Response, imports: Imports) => Promise<Instantiated>;
  instantiate(bytes: ArrayBuffer, imports: Imports): Promise<Instantiated>;
};

/** Fetch `url` and instantiate it: by streaming when served as application/wasm, else from its bytes. */
export async function instantiateWasmFrom(url: string, imports: Imports): Promise<Instantiated> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`binaryen's WebAssembly (${url}): HTTP ${res.status} ${res.statusText}`.trim());
  const type = res.headers.get('content-type') ?? '';
  if (typeof wasmApi.instantiateStreaming === 'function' && /^application\/wasm\b/i.test(type)) {
    return wasmApi.instantiateStreaming(res, imports);
  }
  // Another Content-Type: instantiateStreaming would refuse it (the Wasm JS API requires
  // application/wasm). Instantiated from its bytes, it works; only the code cache is lost.
  return wasmApi.instantiate(await res.arrayBuffer(), imports);
}

/** Emscripten's `instantiateWasm` option for binaryen, fetching its Wasm from `url`. */
export function binaryenInstantiateWasm(url: string): (imports: Imports, receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void) => object {
  return (imports, receive) => {
    instantiateWasmFrom(url, imports).then(
      (r) => receive(r.instance, r.module),
      (e: unknown) => fail(e instanceof Error ? e : new Error(String(e))),
    );
    // Emscripten's contract: the exports come later through `receive`; an empty object now.
    return {};
  };
}

/**
 * binaryen for a browser worker: its import, which settles once the Wasm is instantiated,
 * raced against that instantiation's failure (a missing or broken file is then a load error
 * the JIT reports, not a compiler awaited forever). Used by the compile worker and, where a
 * worker cannot start one, by the engine's worker (worker.ts).
 */
export function loadBrowserBinaryen(): Promise<typeof binaryenT> {
  return Promise.race([import('binaryen').then((m) => m.default), binaryenWasmFailure]);
}
