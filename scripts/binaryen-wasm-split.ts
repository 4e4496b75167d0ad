/**
 * A Vite plugin for the browser bundle: binaryen's WebAssembly becomes a file of its own
 * (assets/binaryen-HASH.wasm), instantiated by streaming so Chromium caches its compiled code
 * (why: src/host/worker/binaryen-wasm.ts). binaryen's JavaScript chunk shrinks from 14.8 MB to
 * the glue around the Wasm.
 *
 * binaryen 132's index.js (Emscripten, minified) holds the Wasm as one template literal passed
 * to its string-to-bytes helper, `bA??=x6(`\0asm...`)`, used only when the module is not given
 * an `instantiateWasm` option, and creates its module once at the end with
 * `var jr=await S6()`. The transform replaces the literal by a throw (that path is no longer
 * taken) and gives the factory `instantiateWasm` from binaryen-wasm.ts with the asset's URL.
 * The minified names are binaryen's build's own: both anchors must appear exactly once, the
 * literal must decode to bytes that WebAssembly.validate accepts, or the file is left as it
 * is (a build warning says so: the bundle then works as before, without the cache). The
 * Node host does not use this (src/host/node/binaryen-load.ts evaluates the file itself).
 */
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';

const LITERAL_ANCHOR = 'bA??=x6(`';
const FACTORY_CALL = 'var jr=await S6()';
const HOOK_MODULE = fileURLToPath(new URL('../src/host/worker/binaryen-wasm.ts', import.meta.url));

const count = (s: string, p: string) => s.split(p).length - 1;

/** The template literal starting at `open` (a backtick): its end (the closing backtick's index). */
function literalEnd(s: string, open: number): number {
  let j = open + 1;
  for (;;) {
    const c = s.charCodeAt(j);
    if (Number.isNaN(c)) return -1;
    if (c === 0x5c) { j += 2; continue; } // a backslash escapes the next character
    if (c === 0x60) return j; // `
    if (c === 0x24 && s[j + 1] === '{') return -1; // a substitution: not the plain literal expected
    j++;
  }
}

/**
 * binaryen's index.js source → { code, wasm } with the Wasm taken out, or a reason it was
 * left alone. `wasmUrlExpr` is the JavaScript expression for the asset's URL.
 */
export function splitBinaryen(code: string, wasmUrlExpr: string): { code: string; wasm: Uint8Array } | { reason: string } {
  if (count(code, LITERAL_ANCHOR) !== 1) return { reason: `"${LITERAL_ANCHOR}" found ${count(code, LITERAL_ANCHOR)} times, not once` };
  if (count(code, FACTORY_CALL) !== 1) return { reason: `"${FACTORY_CALL}" found ${count(code, FACTORY_CALL)} times, not once` };
  const open = code.indexOf(LITERAL_ANCHOR) + LITERAL_ANCHOR.length - 1;
  const close = literalEnd(code, open);
  if (close < 0 || code[close + 1] !== ')') return { reason: 'the Wasm literal is not a plain template literal followed by ")"' };
  // The literal's value (JavaScript's own reading of its escapes), then x6's conversion: one
  // byte per character; binaryen's file is ASCII, so every character must be below 256.
  const text = (0, eval)(code.slice(open, close + 1)) as string;
  const wasm = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch > 0xff) return { reason: `the Wasm literal has character ${ch} at ${i}` };
    wasm[i] = ch;
  }
  // (The Node types this file is checked with omit validate; Node has it.)
  if (!(WebAssembly as unknown as { validate(b: Uint8Array): boolean }).validate(wasm)) return { reason: 'the literal does not hold a valid WebAssembly module' };
  const throwing = '(()=>{throw new Error("binaryen: its WebAssembly is a separate file in this bundle (scripts/binaryen-wasm-split.ts)")})()';
  let out = code.slice(0, open - 'x6('.length) + throwing + code.slice(close + 2);
  out = out.replace(FACTORY_CALL, `var jr=await S6({instantiateWasm:__webx86BinaryenWasm(${wasmUrlExpr})})`);
  out = `import { binaryenInstantiateWasm as __webx86BinaryenWasm } from ${JSON.stringify(HOOK_MODULE)};\n${out}`;
  return { code: out, wasm };
}

/** The plugin: for the worker build that holds the compile worker (vite.config.ts). */
export function binaryenWasmSplit(): Plugin {
  return {
    name: 'webx86-binaryen-wasm-split',
    apply: 'build',
    transform(code, id) {
      if (!/[\\/]node_modules[\\/]binaryen[\\/]index\.js$/.test(id)) return null;
      const r = splitBinaryen(code, 'import.meta.ROLLUP_FILE_URL_REF');
      if ('reason' in r) {
        this.warn(`binaryen's WebAssembly stays inside its JavaScript (no code cache in browsers): ${r.reason}`);
        return null;
      }
      const ref = this.emitFile({ type: 'asset', name: 'binaryen.wasm', source: r.wasm });
      return { code: r.code.replace('import.meta.ROLLUP_FILE_URL_REF', `import.meta.ROLLUP_FILE_URL_${ref}`), map: null };
    },
  };
}
