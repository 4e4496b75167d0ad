/**
 * binaryen for the engine's JIT in Node: the loader (binaryen-load.ts: no tsx hook, V8's code
 * cache) made the engine's in-thread loader. The compile worker imports binaryen-load.ts
 * itself, so its bundle does not take jit.ts and the interpreter with it.
 */
import { setBinaryenLoader } from '../../engine/jit/jit.js';
import { loadBinaryenNode } from './binaryen-load.js';

export { codeCacheDir, lastBinaryenLoad, loadBinaryenNode, type BinaryenLoad } from './binaryen-load.js';

/** Make the engine's JIT load binaryen this way (call once, before machines run). */
export function useNodeBinaryen(): void {
  setBinaryenLoader(loadBinaryenNode);
}
