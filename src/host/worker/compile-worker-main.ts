/**
 * The browser compile worker's entry: a dedicated Worker nested in the engine's worker
 * (compile-worker.ts starts it). binaryen is imported here — its 13 MB chunk is fetched by
 * this worker, relative to this module's URL, so from the bundle's origin — and regions are
 * compiled by the engine's own service (engine/jit/compile-service.ts).
 */
import { serveCompiles, type FromCompiler, type ToCompiler } from '../../engine/jit/compile-service.js';
import { loadBrowserBinaryen } from './binaryen-wasm.js';

/** The dedicated worker global scope, as much of it as used (this file is type-checked with the DOM lib). */
const scope = self as unknown as {
  postMessage(m: FromCompiler, transfer: Transferable[]): void;
  onmessage: ((e: MessageEvent<ToCompiler>) => void) | null;
};
const handle = serveCompiles(loadBrowserBinaryen, (m, transfer) => scope.postMessage(m, transfer));
scope.onmessage = (e) => handle(e.data);
