/**
 * Loading binaryen in Node without tsx's loader hook in the way.
 *
 * The CLI and the tests run under tsx, whose ESM load hook rewrites every dynamic
 * `import(` of every module it loads (transformDynamicImport: es-module-lexer plus a
 * high-resolution source map). On binaryen's 14.8 MB index.js that took 6.9-7.0 s of CPU,
 * against 0.34 s for a plain `import('binaryen')` (measured here, Node 20, loaded host).
 * So the Node host evaluates the file itself: binaryen.js is one ES module whose only
 * module syntax is a final `export{x as default}`, two `import.meta.url` and one
 * `await import("node:module")` (binaryen 132.0.0), which an async function body can
 * stand in for. Any other shape (a new binaryen release) falls back to `import()`.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type binaryenT from 'binaryen';
import { setBinaryenLoader } from '../../engine/jit/jit.js';

type Binaryen = typeof binaryenT;
const AsyncFunction = (async () => {}).constructor as new (...args: string[]) => (...a: unknown[]) => Promise<Binaryen>;

export async function loadBinaryenNode(): Promise<Binaryen> {
  const path = createRequire(import.meta.url).resolve('binaryen');
  const src = readFileSync(path, 'utf8');
  const tail = /export\{([\w$]+) as default\};?\s*$/.exec(src);
  if (tail === null || !src.includes('import("node:module")')) return (await import('binaryen')).default;
  const body = `"use strict";${src.slice(0, tail.index).replaceAll('import.meta.url', '__url').replaceAll('import("node:module")', '__import("node:module")')}\nreturn ${tail[1]};`;
  return new AsyncFunction('__url', '__import', body)(pathToFileURL(path).href, (s: string) => import(s));
}

/** Make the engine's JIT load binaryen this way (call once, before machines run). */
export function useNodeBinaryen(): void {
  setBinaryenLoader(loadBinaryenNode);
}
