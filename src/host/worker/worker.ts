/**
 * The engine's Web Worker entry: one machine per worker, driven by the page through
 * comlink (src/api/linux.ts holds the other end). The JIT compiles in a worker of its own
 * (compile-worker.ts), started only once code gets hot, and keeps its translations in IndexedDB
 * (translation-store.ts).
 */
import { expose } from 'comlink';
import { EngineHost } from './engine-host.js';
import { useBrowserCompileWorker } from './compile-worker.js';
import { useIdbTranslationCache } from './translation-store.js';
import { setBinaryenLoader } from '../../engine/jit/jit.js';

useBrowserCompileWorker();
// Where no nested worker can start, binaryen loads in this thread, its Wasm by streaming too.
// Imported when needed: a page whose code stays cold fetches nothing of it.
setBinaryenLoader(async () => (await import('./binaryen-wasm.js')).loadBrowserBinaryen());
// The JIT's translations kept across page loads in IndexedDB (translation-store.ts).
useIdbTranslationCache();
expose(new EngineHost());
