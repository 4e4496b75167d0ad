/**
 * The threads this process has before anything else is imported (bench/v8-run.ts imports this
 * first): besides the main thread, these are V8's platform workers (background Wasm compiles,
 * TurboFan tier-up, concurrent GC). Threads started later are libuv's pool and the JIT's
 * compile worker.
 */
import { readdirSync } from 'node:fs';

export const STARTUP_TIDS = new Set(readdirSync('/proc/self/task'));
