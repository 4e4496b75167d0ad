/**
 * The JIT's inline 80-bit arithmetic (src/engine/jit/x87-runtime.ts arith80) alone, on the
 * operations of the bench's x87 loop (bench/src/x87.c: t = (i + 0.5) * h; s += 4 / (1 + t * t);
 * x = x * 0.9999999 + t * 1e-7), in one Wasm loop over locals, TurboFan only:
 *
 *   node --no-liftoff --import tsx bench/x87-arith.ts [loop|loop2|add|mul|div|addc|mulc|divc] [B.ts | known]
 *
 * Prints CPU ns per iteration (median of K=6 runs of 3 M iterations). `loop`: the bench's 9
 * operations (4 add, 4 mul, 1 div) with the bench's dependences; add / mul / div: one add then
 * 8 independent operations of that kind (throughput); addc / mulc / divc: 8 dependent ones (latency);
 * loop2: loop's operations for two counter values per trip, their independent chains
 * interleaved (time per iteration: what overlapping iterations would give).
 * With a second argument, a module exporting its own arith80 (a copy of x87-runtime.ts with a
 * change) is built into the same Wasm module and timed alternately with the current one (A/B in
 * the same minutes, as docs/BENCHMARKS.md asks on a shared machine); both must give the same
 * bits. `known` instead builds B as the current arith80 told its operands are known normal
 * (maybeOdd 0: what codegen-x87.ts's flags give a steady loop of fast-path results). Session 10 (issue 9, helper x87) measured with it why the JIT's x87 loop stays at ~18x
 * native (docs/BENCHMARKS.md, "x87 loop"); session 11 added mulc and loop2 ("Session 11: x87").
 */
import { loadBinaryenNode } from '../src/host/node/binaryen-load.js';
import { arith80, ARITH_I32, ARITH_I64, OP_ADD, OP_DIV, OP_MUL, type ArithLocals } from '../src/engine/jit/x87-runtime.js';

type Arith = typeof arith80;
const kind = process.argv[2] ?? 'loop';
const known = process.argv[3] === 'known';
const other = known ? arith80 : process.argv[3] ? ((await import(new URL(process.argv[3], `file://${process.cwd()}/`).href)) as { arith80: Arith }).arith80 : null;
const bn = await loadBinaryenNode();
const m = new bn.Module();
const I = bn.i32, L = bn.i64;
type X = number;

/** Locals after the one parameter (the iteration count). */
const vars: number[] = [];
const local = (t: number): number => { vars.push(t); return vars.length; };
const A = {} as ArithLocals;
for (const k of ARITH_I64) A[k] = local(L);
for (const k of ARITH_I32) A[k] = local(I);
const cnt = local(I), cw = local(I);
const R: Record<string, [number, number]> = {};
for (const r of ['ri', 't', 'u', 's', 'x', 'v', 'half', 'h', 'one', 'four', 'c9', 'c7', 'ri2', 't2', 'u2', 'v2']) R[r] = [local(L), local(I)];
const g = (l: number, t = I): X => m.local.get(l, t), set = (l: number, v: X): X => m.local.set(l, v);

/** A double as an 80-bit register (significand, sign|exponent): normal doubles only. */
function f80(r: string, v: number): X[] {
  const b = new DataView(new ArrayBuffer(8));
  b.setFloat64(0, v, true);
  const bits = b.getBigUint64(0, true);
  const e = Number((bits >> 52n) & 0x7ffn);
  return [set(R[r][0], m.i64.const(BigInt.asIntN(64, (bits << 11n) | (1n << 63n)))), set(R[r][1], m.i32.const(e - 1023 + 16383))];
}

let labels = 0;
function build(name: string, impl: Arith, knownNormal = false): void {
  /** d := a op b; a slow answer traps (every operand here is normal, every result in range). */
  const op = (o: number, d: string, a: string, b: string): X => {
    const slow = `s${labels++}`;
    return m.block(`d${slow}`, [m.block(slow, [
      set(A.aS, g(R[a][0], L)), set(A.aE, g(R[a][1])), set(A.bS, g(R[b][0], L)), set(A.bE, g(R[b][1])),
      impl(bn, m, o, A, () => g(cw), slow, knownNormal ? m.i32.const(0) : undefined),
      set(R[d][0], g(A.sig, L)), set(R[d][1], g(A.rE)), m.br(`d${slow}`),
    ]), m.unreachable()]);
  };
  const eight = (f: () => X): X[] => Array.from({ length: 8 }, f);
  const seq: Record<string, () => X[]> = {
    loop: () => [op(OP_ADD, 't', 'ri', 'half'), op(OP_MUL, 't', 't', 'h'), op(OP_MUL, 'u', 't', 't'), op(OP_ADD, 'u', 'u', 'one'),
      op(OP_DIV, 'u', 'four', 'u'), op(OP_ADD, 's', 's', 'u'), op(OP_MUL, 'x', 'x', 'c9'), op(OP_MUL, 'v', 't', 'c7'), op(OP_ADD, 'x', 'x', 'v')],
    // Two iterations per trip (counters cnt and cnt + 1), their independent chains interleaved
    // in program order (the s and x chains keep their order, so the bits equal loop's): what
    // a translation that software-pipelines the guest loop would give. Time per trip / 2.
    loop2: () => [op(OP_ADD, 't', 'ri', 'half'), op(OP_ADD, 't2', 'ri2', 'half'), op(OP_MUL, 't', 't', 'h'), op(OP_MUL, 't2', 't2', 'h'),
      op(OP_MUL, 'u', 't', 't'), op(OP_MUL, 'u2', 't2', 't2'), op(OP_ADD, 'u', 'u', 'one'), op(OP_ADD, 'u2', 'u2', 'one'),
      op(OP_DIV, 'u', 'four', 'u'), op(OP_DIV, 'u2', 'four', 'u2'), op(OP_ADD, 's', 's', 'u'), op(OP_ADD, 's', 's', 'u2'),
      op(OP_MUL, 'x', 'x', 'c9'), op(OP_MUL, 'v', 't', 'c7'), op(OP_ADD, 'x', 'x', 'v'),
      op(OP_MUL, 'x', 'x', 'c9'), op(OP_MUL, 'v2', 't2', 'c7'), op(OP_ADD, 'x', 'x', 'v2')],
    add: () => [op(OP_ADD, 't', 'ri', 'half'), ...eight(() => op(OP_ADD, 'u', 't', 'one'))],
    mul: () => [op(OP_ADD, 't', 'ri', 'half'), ...eight(() => op(OP_MUL, 'u', 't', 'h'))],
    div: () => [op(OP_ADD, 't', 'ri', 'half'), ...eight(() => op(OP_DIV, 'u', 'four', 't'))],
    addc: () => eight(() => op(OP_ADD, 'x', 'x', 'c7')),
    mulc: () => eight(() => op(OP_MUL, 'x', 'x', 'c9')),
    divc: () => eight(() => op(OP_DIV, 'x', 'four', 'x')),
  };
  if (!seq[kind]) throw new Error(`x87-arith: no kind ${kind} (${Object.keys(seq).join(', ')})`);
  const body = [
    set(cw, m.i32.const(0x37f)), set(cnt, m.i32.const(1)),
    ...f80('half', 0.5), ...f80('h', 1e-7), ...f80('one', 1), ...f80('four', 4), ...f80('c9', 0.9999999), ...f80('c7', 1e-7),
    ...f80('s', 1), ...f80('x', 0.5),
    m.loop('L', m.block(null, [
      // ri := the counter as an 80-bit integer (fild).
      set(A.n, m.i32.wrap(m.i64.clz(m.i64.extend_u(g(cnt))))),
      set(R.ri[0], m.i64.shl(m.i64.extend_u(g(cnt)), m.i64.extend_u(g(A.n)))), set(R.ri[1], m.i32.sub(m.i32.const(16383 + 63), g(A.n))),
      ...(kind === 'loop2' ? [set(A.n, m.i32.wrap(m.i64.clz(m.i64.extend_u(m.i32.add(g(cnt), m.i32.const(1)))))),
        set(R.ri2[0], m.i64.shl(m.i64.extend_u(m.i32.add(g(cnt), m.i32.const(1))), m.i64.extend_u(g(A.n)))), set(R.ri2[1], m.i32.sub(m.i32.const(16383 + 63), g(A.n)))] : []),
      ...seq[kind](),
      set(cnt, m.i32.add(g(cnt), m.i32.const(kind === 'loop2' ? 2 : 1))),
      m.br('L', m.i32.le_u(g(cnt), g(0))),
    ])),
    // Every result's bits, so both builds can be compared.
    m.i32.xor(m.i32.xor(m.i32.wrap(g(R.s[0], L)), m.i32.wrap(g(R.x[0], L))), m.i32.xor(m.i32.wrap(g(R.u[0], L)), g(R.u[1]))),
  ];
  m.addFunction(name, bn.createType([I]), I, vars, m.block(null, body, I));
  m.addFunctionExport(name, name);
}

build('a', arith80);
if (other) build('b', other, known);
if (!m.validate()) throw new Error('x87-arith: module does not validate');
const inst = new WebAssembly.Instance(new WebAssembly.Module(m.emitBinary()), {});
m.dispose();
const fns = Object.entries(inst.exports) as [string, (n: number) => number][];
const N = 3_000_000, K = Number(process.env.K ?? 6);
const results = new Map<string, number>(fns.map(([n, f]) => [n, f(N)]));
if (other && results.get('a') !== results.get('b')) throw new Error('x87-arith: A and B give different bits');
const times = new Map<string, number[]>(fns.map(([n]) => [n, []]));
for (let k = 0; k < K; k++) {
  for (const [n, f] of fns) {
    const c0 = process.cpuUsage();
    f(N);
    const c = process.cpuUsage(c0);
    times.get(n)!.push(((c.user + c.system) * 1000) / N);
  }
}
const median = (a: number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1];
console.log(`${kind}: ${fns.map(([n]) => `${n === 'a' ? 'current' : 'B'} ${median(times.get(n)!).toFixed(1)}`).join(', ')} ns/iteration (CPU, median of ${K})`);
process.exit(0);
