/**
 * V8's cost of compiling a set of region modules kept by bench/v8-run.ts (V8RUN_DUMP=DIR),
 * all with TurboFan up front (--no-liftoff --no-wasm-lazy-compilation on the command line,
 * plus the flags under test, or WEBX86_V8_FLAGS as the CLI sets them), and the time of WebAssembly.compile against new
 * WebAssembly.Module for the same bytes with V8's defaults (lazy: validation only):
 *
 *   node [V8 FLAGS] --import tsx bench/v8-compile-regions.ts DIR
 *
 * prints one JSON line: modules, bytes, process CPU ms and wall ms of the compiles.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyV8Flags } from '../src/host/node/v8-flags.js';

const flags = applyV8Flags();
const dir = process.argv[2];
const mods = readdirSync(dir).filter((f) => f.endsWith('.wasm')).map((f) => readFileSync(join(dir, f)));
const how = process.env.V8CR_API ?? 'module';
const c0 = process.cpuUsage(), t0 = performance.now();
if (how === 'module') for (const b of mods) new WebAssembly.Module(b);
else await Promise.all(mods.map((b) => WebAssembly.compile(b)));
const wall = performance.now() - t0, c = process.cpuUsage(c0);
process.stdout.write(`${JSON.stringify({ flags, how, modules: mods.length, bytes: mods.reduce((s, b) => s + b.length, 0), cpu: (c.user + c.system) / 1000, wall })}\n`);
