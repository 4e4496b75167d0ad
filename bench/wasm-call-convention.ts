/**
 * Registers through the state slot or as Wasm parameters and results? (issue 9: docs/JIT.md
 * named "live registers passed between regions as params/results" as the next step for the
 * hops between regions.) A hub-like loop calls a region-like function through call_indirect
 * N times, carrying K 32-bit "registers" from call to call:
 *
 * - slot: the function takes the slot address, loads the K words at entry and stores them
 *   at exit, as regions do (codegen.ts prologue/epilogue); the next call loads what the last
 *   one stored;
 * - params: the K words are the function's K parameters and K results (multi-value), kept
 *   in the loop's locals.
 *
 * Each function adds a constant to every word, so nothing is dead. Prints the process CPU per
 * call, median of 3 after a warm-up run (V8 tiers the functions up):
 *
 *   node --import tsx bench/wasm-call-convention.ts
 */
import { loadBinaryenNode } from '../src/host/node/binaryen-load.js';

const bn = await loadBinaryenNode();
const N = 20_000_000;
const i32 = bn.i32;

function build(K: number, mode: 'slot' | 'params'): () => number {
  const m = new bn.Module();
  m.setFeatures(bn.Features.MVP | bn.Features.Multivalue | bn.Features.ReferenceTypes);
  m.setMemory(1, 1);
  const get = (l: number): number => m.local.get(l, i32);
  const tup = bn.createType(new Array<number>(K).fill(i32));
  const fparams = mode === 'slot' ? bn.createType([i32]) : tup;
  const fres = mode === 'slot' ? i32 : tup;
  if (mode === 'slot') {
    const ops: number[] = [];
    for (let k = 0; k < K; k++) ops.push(m.local.set(1 + k, m.i32.load(k * 4, 4, get(0))));
    for (let k = 0; k < K; k++) ops.push(m.local.set(1 + k, m.i32.add(get(1 + k), m.i32.const(k + 1))));
    for (let k = 0; k < K; k++) ops.push(m.i32.store(k * 4, 4, get(0), get(1 + k)));
    ops.push(m.i32.const(1));
    m.addFunction('f', fparams, fres, new Array<number>(K).fill(i32), m.block(null, ops, i32));
  } else {
    const ops: number[] = [];
    for (let k = 0; k < K; k++) ops.push(m.local.set(k, m.i32.add(get(k), m.i32.const(k + 1))));
    ops.push(m.tuple.make(Array.from({ length: K }, (_, k) => get(k))));
    m.addFunction('f', fparams, fres, [], m.block(null, ops, fres));
  }
  m.addTable('t', 1, 1);
  m.addActiveElementSegment('t', 'e', ['f'], m.i32.const(0));
  // Locals of run: 0 the counter, 1 the slot address (0), 2.. the registers, then the tuple.
  const next = [m.local.set(0, m.i32.add(get(0), m.i32.const(1))), m.br('l', m.i32.lt_u(get(0), m.i32.const(N)))];
  const call = mode === 'slot'
    ? [m.drop(m.call_indirect('t', m.i32.const(0), [get(1)], fparams, fres))]
    : [m.local.set(2 + K, m.call_indirect('t', m.i32.const(0), Array.from({ length: K }, (_, k) => get(2 + k)), fparams, fres)),
      ...Array.from({ length: K }, (_, k) => m.local.set(2 + k, m.tuple.extract(m.local.get(2 + K, tup), k)))];
  const vars = mode === 'slot' ? [i32, i32] : [i32, i32, ...new Array<number>(K).fill(i32), tup];
  m.addFunction('run', bn.none, i32, vars, m.block(null, [m.loop('l', m.block(null, [...call, ...next])), get(0)], i32));
  m.addFunctionExport('run', 'run');
  if (!m.validate()) throw new Error(`wasm-call-convention: invalid module (${mode}, K=${K})`);
  const bytes = m.emitBinary();
  m.dispose();
  return new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>)).exports.run as () => number;
}

const cases: [('slot' | 'params'), number][] = [['slot', 0], ['slot', 4], ['slot', 8], ['slot', 13], ['params', 2], ['params', 4], ['params', 8], ['params', 13]];
for (const [mode, K] of cases) {
  const run = build(K, mode);
  run();
  const ms: number[] = [];
  for (let r = 0; r < 3; r++) { const c0 = process.cpuUsage(); run(); const c = process.cpuUsage(c0); ms.push((c.user + c.system) / 1000); }
  ms.sort((a, b) => a - b);
  console.log(`${mode.padEnd(6)} K=${String(K).padStart(2)}: ${(ms[1] * 1e6 / N).toFixed(2)} ns per call`);
}
