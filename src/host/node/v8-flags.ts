/**
 * V8 flags for the Node host, set before any WebAssembly is compiled: WEBX86_V8_FLAGS (the
 * CLI, test/support/guest.ts and so bench/run.ts read it).
 *
 * The JIT hands V8 one small module per region; V8 runs each with Liftoff first and has
 * TurboFan recompile the hot functions on its background threads, which on a 2-core machine
 * take CPU from the guest. Measured (docs/BENCHMARKS.md "V8's cost of compiling region
 * modules", bench/v8-flags.ts): no flag won across python3, bash, the LCG and sha256sum, so
 * the default is V8's own (DEFAULT_V8_FLAGS is empty). --liftoff-only cut V8's threads but
 * made the engine thread 45-55% slower; --turbo-force-mid-tier-regalloc halved TurboFan's
 * CPU for the region modules alone (bench/v8-compile-regions.ts: 2.3-2.7 -> 1.3 s for
 * python3's 751) but its code was slower (LCG engine thread +25-60%) and it also applies to
 * binaryen's Wasm and the engine's JS; --wasm-tiering-budget=18000000 was within the noise.
 * The flags are V8's and Node 20's (V8 11.3); Chromium takes none from a page.
 *
 * WEBX86_V8_FLAGS unset: DEFAULT_V8_FLAGS; "off": none; otherwise its words, e.g.
 * WEBX86_V8_FLAGS='--wasm-tiering-budget=18000000 --no-wasm-loop-peeling'.
 */
import { setFlagsFromString } from 'node:v8';

export const DEFAULT_V8_FLAGS = '';

/**
 * The flags WEBX86_V8_FLAGS asks for: none for "off", DEFAULT_V8_FLAGS when unset, else its
 * words, each of which must look like a V8 flag (a typo must be named, not passed on: V8
 * only warns about a flag it does not know).
 */
export function parseV8Flags(env: string | undefined): string[] {
  if (env === 'off') return [];
  const flags = (env ?? DEFAULT_V8_FLAGS).split(/\s+/).filter((x) => x !== '');
  for (const f of flags) {
    if (!/^--[a-z0-9][a-z0-9_-]*(=\S+)?$/.test(f)) throw new Error(`WEBX86_V8_FLAGS: ${JSON.stringify(f)} is not a V8 flag (--name or --name=value; "off" for none)`);
  }
  return flags;
}

let applied: string | null = null;

/**
 * Set the flags, once per process and before any Wasm is compiled (V8 reads them when it
 * compiles; later calls return what the first set). Returns them, space-separated.
 */
export function applyV8Flags(env: string | undefined = process.env.WEBX86_V8_FLAGS): string {
  if (applied !== null) return applied;
  const flags = parseV8Flags(env);
  for (const f of flags) setFlagsFromString(f);
  applied = flags.join(' ');
  return applied;
}
