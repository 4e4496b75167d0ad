/**
 * The engine's Web Worker entry: one machine per worker, driven by the page through
 * comlink (src/api/linux.ts holds the other end). The JIT compiles in a worker of its own
 * (compile-worker.ts), started only once code gets hot.
 */
import { expose } from 'comlink';
import { EngineHost } from './engine-host.js';
import { useBrowserCompileWorker } from './compile-worker.js';

useBrowserCompileWorker();
expose(new EngineHost());
