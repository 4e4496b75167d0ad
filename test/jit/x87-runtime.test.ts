/**
 * The JIT's Wasm x87 arithmetic (src/engine/jit/x87-runtime.ts) against the interpreter's
 * soft-float (src/engine/cpu/float80.ts), bit for bit: result words, PE and C1, under
 * every precision and rounding control, on random operands (random significands, exponents
 * near each other, far apart and near the range's ends) and edge significands (all ones,
 * the integer bit alone, one ulp apart). Where the runtime answers "slow" nothing may be
 * written; where it answers, float80.ts must give the same.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBinaryenNode } from '../../src/host/node/binaryen-load.js';
import { addX87Runtime, ARITH_FN, OP_ADD, OP_DIV, OP_MUL, OP_SUB } from '../../src/engine/jit/x87-runtime.js';
import * as F from '../../src/engine/cpu/float80.js';

const N = Number(process.env.X87_RUNTIME_N ?? 400_000);

test(`x87-runtime: add/sub/mul/div equal float80.ts bit for bit on ${N} operand pairs per op, all PC and RC`, { timeout: 600_000 }, async () => {
  const bn = await loadBinaryenNode();
  const m = new bn.Module();
  m.setMemory(1, 1, null, [], false, false, '0');
  m.addMemoryExport('0', 'mem');
  addX87Runtime(bn, m);
  m.addFunctionExport(ARITH_FN, 'arith');
  assert.ok(m.validate(), 'runtime module does not validate');
  const inst = new WebAssembly.Instance(new WebAssembly.Module(m.emitBinary()), {});
  m.dispose();
  const mem = new Int32Array((inst.exports.mem as WebAssembly.Memory).buffer);
  const arith = inst.exports.arith as (op: number, pa: number, pb: number, pd: number, cw: number) => number;

  let seed = 0x12345678;
  const rnd = (): number => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return seed >>> 0; };
  const edges = [0xffffffff, 0x80000000, 0, 1, 0x7fffffff, 0xfffff800, 0x800, 0x7ff, 0x400, 0xff, 0x100];
  const sig = (): [number, number] => {
    const kind = rnd() & 7;
    if (kind === 0) return [edges[rnd() % edges.length], (0x80000000 | edges[rnd() % edges.length]) >>> 0];
    if (kind === 1) return [0, (0x80000000 | (rnd() & 0xffffff00)) >>> 0]; // from m32 / few bits
    if (kind === 2) return [rnd() & ~0x7ff, (0x80000000 | rnd()) >>> 0]; // from m64
    if (kind === 3) return few(1 + (rnd() % 40)); // exact ties in add/mul
    return [rnd(), (0x80000000 | rnd()) >>> 0];
  };
  /** A significand of `bits` significant bits (the integer bit and bits - 1 random ones). */
  const few = (bits: number): [number, number] => {
    const v = ((1n << BigInt(bits - 1)) | (BigInt(rnd()) * 0x100000000n + BigInt(rnd())) & ((1n << BigInt(bits - 1)) - 1n)) << BigInt(64 - bits);
    return [Number(v & 0xffffffffn), Number(v >> 32n)];
  };
  /** a = b * q exactly, q with pc + 1 bits (a quotient halfway between two results, or not), b small enough. */
  const tieDiv = (pc: number): [number, number, number, number] => {
    const qb = pc + 1, bb = 1 + (rnd() % (63 - qb));
    const [ql, qh] = few(qb), [bl, bh] = few(bb);
    const q = (BigInt(qh >>> 0) << 32n | BigInt(ql >>> 0)) >> BigInt(64 - qb), b = (BigInt(bh >>> 0) << 32n | BigInt(bl >>> 0)) >> BigInt(64 - bb);
    let a = q * b;
    const len = a.toString(2).length;
    a <<= BigInt(64 - len);
    return [Number(a & 0xffffffffn), Number(a >> 32n), bl, bh];
  };
  const exp = (base: number): number => {
    const kind = rnd() & 7;
    if (kind === 0) return 1 + (rnd() % 0x7ffe);
    if (kind === 1) return rnd() & 1 ? 1 + (rnd() & 63) : 0x7ffe - (rnd() & 63);
    if (kind === 2) return Math.min(0x7ffe, Math.max(1, base + (rnd() % 140) - 70));
    return Math.min(0x7ffe, Math.max(1, base + (rnd() % 6) - 3));
  };
  const cws = [0x37f, 0x77f, 0xb7f, 0xf7f, 0x27f, 0x67f, 0xa7f, 0xe7f, 0x07f, 0x47f, 0x87f, 0xc7f, 0x17f];
  const ops = [OP_ADD, OP_SUB, OP_MUL, OP_DIV];
  const handled = [0, 0, 0, 0];
  for (const op of ops) {
    for (let i = 0; i < N; i++) {
      let [al, ah] = sig(), [bl, bh] = sig();
      if (op === OP_DIV && (rnd() & 3) === 0) [al, ah, bl, bh] = tieDiv([24, 53, 64][rnd() % 3]);
      const ae = ((rnd() & 1) << 15) | exp(0x3fff);
      const be = ((rnd() & 1) << 15) | exp(ae & 0x7fff);
      // One ulp apart / equal magnitudes now and then: cancellation.
      let bL = bl, bH = bh;
      if ((rnd() & 15) === 0) { bL = (al + (rnd() & 3) - 1) | 0; bH = ah; }
      const cw = cws[rnd() % cws.length];
      mem[0] = al; mem[1] = ah; mem[2] = ae; mem[4] = bL; mem[5] = bH; mem[6] = (rnd() & 15) === 0 ? (be & 0x8000) | (ae & 0x7fff) : be;
      mem[8] = 0x5a5a5a5a; mem[9] = 0x5a5a5a5a; mem[10] = 0x5a5a5a5a;
      const fl = arith(op, 0, 16, 32, cw);
      if (fl === -1) {
        assert.ok(mem[8] === 0x5a5a5a5a && mem[9] === 0x5a5a5a5a && mem[10] === 0x5a5a5a5a, 'slow answer wrote a result');
        continue;
      }
      handled[op]++;
      const [xl, xh, xe, yl, yh, ye] = [mem[0], mem[1], mem[2], mem[4], mem[5], mem[6]];
      const ref = op === OP_MUL ? F.mul(xl, xh, xe, yl, yh, ye, cw) : op === OP_DIV ? F.div(xl, xh, xe, yl, yh, ye, cw) : F.add(xl, xh, xe, yl, yh, ye, op === OP_SUB, cw);
      const want = [F.X[0] | 0, F.X[1] | 0, F.X[2] & 0xffff, ref];
      const got = [mem[8], mem[9], mem[10], fl];
      if (want.some((w, j) => w !== got[j])) {
        const h = (v: number) => (v >>> 0).toString(16);
        assert.fail(`op ${op} cw ${h(cw)}: a=${h(xh)}:${h(xl)} e${h(xe)} b=${h(yh)}:${h(yl)} e${h(ye)}: wasm ${got.map(h)} float80 ${want.map(h)}`);
      }
    }
  }
  // Most random normal operands are handled (the rest: out-of-range results, far-apart adds).
  for (const op of ops) assert.ok(handled[op] > N / 2, `op ${op}: only ${handled[op]} of ${N} handled`);
});
