/**
 * scripts/binaryen-wasm-split.ts on the binaryen the project installs: the Wasm comes out
 * whole (the same bytes binaryen's own code hands WebAssembly.instantiate), the JavaScript
 * left is the glue, and a file of another shape is left alone with the reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { splitBinaryen } from '../../scripts/binaryen-wasm-split.js';

const file = createRequire(import.meta.url).resolve('binaryen');
const code = readFileSync(file, 'utf8');

/** The bytes binaryen instantiates when loaded as it ships (WebAssembly.instantiate watched while it initialises). */
async function shippedBytes(): Promise<Uint8Array> {
  // (Node's type declarations omit instantiate: no DOM lib.)
  const api = WebAssembly as unknown as { instantiate: (b: unknown, i: unknown) => unknown };
  const real = api.instantiate;
  let seen: Uint8Array | null = null;
  api.instantiate = (b, i) => {
    if (b instanceof Uint8Array || b instanceof ArrayBuffer) seen = new Uint8Array(b instanceof ArrayBuffer ? b : b.slice());
    return real(b, i);
  };
  try { await import('binaryen'); } finally { api.instantiate = real; }
  assert.ok(seen, 'binaryen instantiated no bytes');
  return seen;
}

test('binaryen\'s Wasm comes out whole, and the JavaScript left is the glue with the streaming hook', async () => {
  const r = splitBinaryen(code, 'URL_EXPR');
  assert.ok(!('reason' in r), 'reason' in r ? r.reason : '');
  assert.deepEqual(Buffer.from(r.wasm), Buffer.from(await shippedBytes()));
  assert.ok(r.code.length < 400_000, `${r.code.length} characters left`);
  assert.ok(r.code.length > 100_000);
  assert.match(r.code, /var jr=await S6\(\{instantiateWasm:__webx86BinaryenWasm\(URL_EXPR\)\}\)/);
  assert.match(r.code, /^import \{ binaryenInstantiateWasm as __webx86BinaryenWasm \} from ".*binaryen-wasm\.ts";/);
  assert.ok(!r.code.includes('\\0asm'), 'no Wasm literal left');
  // The embedded path now throws if ever taken.
  assert.match(r.code, /bA\?\?=\(\(\)=>\{throw new Error\("binaryen: its WebAssembly is a separate file/);
});

test('a binaryen of another shape is left alone, with the reason', () => {
  const twice = code.replace('var jr=await S6()', 'var jr=await S6();var jr=await S6()');
  assert.match((splitBinaryen(twice, 'U') as { reason: string }).reason, /found 2 times, not once/);
  assert.match((splitBinaryen(code.replace('bA??=x6(`', 'bA??=y6(`'), 'U') as { reason: string }).reason, /found 0 times/);
  const notWasm = code.replace('bA??=x6(`\\0asm', 'bA??=x6(`\\0nope');
  assert.match((splitBinaryen(notWasm, 'U') as { reason: string }).reason, /not hold a valid WebAssembly module/);
});
