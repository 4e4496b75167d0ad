/**
 * The JIT's compile worker in the browser: a dedicated Worker started from the engine's
 * worker (nested workers: Chromium 69+, Firefox, Safari 15.5+), so binaryen's fetch, parse
 * and instantiation (2-3 s in Chromium, docs/JIT.md) and every region's compile leave the
 * engine's thread. No SharedArrayBuffer, so no COOP/COEP: messages only.
 *
 * Cross-origin bundles (a CDN): as for the engine's worker (src/api/worker-client.ts), a
 * worker cannot be made from another origin's URL, so it starts from a same-origin blob
 * that imports the real module (fetched with CORS, its imports resolved against its own
 * URL, so binaryen's chunk comes from the bundle's origin too).
 */
import compileWorkerUrl from './compile-worker-main.ts?worker&url';
import type { CompilerPort, FromCompiler, ToCompiler } from '../../engine/jit/compile-service.js';
import { PAGE_START, setCompilerFactory } from '../../engine/jit/compile-client.js';

/** Start the compile worker; null where this scope cannot make workers (the engine then compiles in its own thread). */
export function startBrowserCompiler(): CompilerPort | null {
  if (typeof Worker !== 'function') return null;
  const url = new URL(compileWorkerUrl, import.meta.url);
  let blobUrl: string | null = null;
  let w: Worker;
  if (url.origin === self.location.origin) {
    w = new Worker(url, { type: 'module', name: 'webx86-jit-compiler' });
  } else {
    blobUrl = URL.createObjectURL(new Blob([`import ${JSON.stringify(url.href)};\n`], { type: 'text/javascript' }));
    w = new Worker(blobUrl, { type: 'module', name: 'webx86-jit-compiler' });
  }
  const release = () => { if (blobUrl !== null) { URL.revokeObjectURL(blobUrl); blobUrl = null; } };
  const port: CompilerPort = {
    post: (m: ToCompiler) => w.postMessage(m),
    onmessage: () => {},
    onerror: () => {},
    terminate: () => { release(); w.terminate(); },
  };
  w.onmessage = (e: MessageEvent<FromCompiler>) => { release(); port.onmessage(e.data); };
  w.onerror = (e: ErrorEvent) => { e.preventDefault(); port.onerror(`compile worker failed${e.message ? `: ${e.message}` : ''} (loading ${url.href})`); };
  w.onmessageerror = () => port.onerror('compile worker: a message could not be read');
  return port;
}

/** Make the engine's JIT compile in a nested worker (the engine worker's entry calls it), started by PAGE_START. */
export function useBrowserCompileWorker(): void {
  setCompilerFactory(startBrowserCompiler, PAGE_START);
}
