/**
 * Exact 80-bit x87 arithmetic in Wasm for the JIT's x87 translation (codegen-x87.ts): the
 * common case of float80.ts's add/sub/mul/div with i64 significands, bit for bit what
 * float80.ts computes (value, C1 = "rounded up", PE), or "slow" (-1) for everything it does
 * not handle, where the translated code runs the interpreter's exact closure instead.
 *
 * Handled: both operands normal (integer bit set, exponent 1..0x7ffe), any precision control
 * (64/53/24 bits) and rounding control, a result whose exponent after rounding is in the
 * normal range 1..0x7ffe, and for add/sub an alignment shift below 64 bits. Slow: NaN,
 * infinity, zero, denormal and unsupported operands, underflow and overflow (UE/OE and the
 * tininess rules), far-apart add operands. The caller checks that every exception is masked
 * (the only flag raised here is PE, which never aborts) and that no stack fault occurs.
 *
 * Algorithms (SDM vol.1 4.8.4 rounding, 8.1.5.2 precision control; Knuth TAOCP vol.2 4.3.1
 * algorithm D for the quotient, with 32-bit digits and Wasm's i64.div_u); written here, no
 * code copied. Tested against float80.ts on millions of operands: test/jit/x87-runtime.test.ts.
 *
 * `arith80` emits one operation inline, on locals of the calling function (codegen-x87.ts
 * puts it in the region's own function, specialised by operation: a call per instruction,
 * with the operands through memory, was 23% of the x87 loop's profile); `addX87Runtime`
 * wraps it in a function over memory operands for the tests, which check the very code the
 * regions inline.
 */
import type binaryenT from 'binaryen';

type B = typeof binaryenT;
type M = binaryenT.Module;
type X = binaryenT.ExpressionRef;

/** The runtime function's name in the module. */
export const ARITH_FN = 'x87arith';
/** Operations of x87arith's first parameter. */
export const OP_ADD = 0, OP_SUB = 1, OP_MUL = 2, OP_DIV = 3;
/** Flags x87arith returns (float80.ts PE and C1F: the status word's bits). */
export const PE = 0x20, C1F = 0x200;

const TOP64 = -0x8000000000000000n;

/** The locals arith80 uses: i64 `L` and i32 `I` names, each an index in the function. */
export const ARITH_I64 = ['aS', 'bS', 'sig', 'ext', 't', 'r', 'q', 'bh', 'v1', 'v0', 'qh', 'dl', 'dh', 'rnd', 'unit'] as const;
export const ARITH_I32 = ['aE', 'bE', 'ea', 'eb', 'sa', 'sb', 'e', 'd', 'n', 'pc', 'rc', 'inc', 'big', 'rE'] as const;
export type ArithLocals = Record<(typeof ARITH_I64)[number] | (typeof ARITH_I32)[number], number>;

/**
 * a op b (op: OP_ADD..OP_DIV, fixed), the operands in locals aS:aE and bS:bE (significand,
 * sign|exponent; bits above 15 ignored: codegen-x87.ts keeps a flag there), rounded by
 * control word cw(): statements that leave the result in sig:rE, in rnd an i64 that is
 * nonzero exactly when the result is inexact (PE) and in inc whether it was rounded up
 * (C1), or branch to label `slow` (nothing else written: only the listed locals). The
 * flags stay in that raw form: codegen-x87.ts ORs the rnd of a scope's operations together
 * and builds the status word's PE and C1 from them once, where the word is written or read
 * (building PE | C1F and merging it into SW per operation measured 3.5% of the bench's x87
 * loop, session 11). The statements are a block ending with the result in place.
 * `maybeOdd`: an i32 that is 0 only when both operands are known normal (then unchecked).
 */
export function arith80(bn: B, m: M, op: number, L: ArithLocals, cw: () => X, slowLabel: string, maybeOdd?: X): X {
  const I = bn.i32, Lt = bn.i64;
  const i64 = new Set<number>(ARITH_I64.map((k) => L[k]));
  const { aS, bS, sig, ext, t, r, q, bh, v1, v0, qh, dl, dh, rnd, unit, aE, bE, ea, eb, sa, sb, e, d, n, pc, rc, inc, big, rE } = L;
  const c = (x: number): X => m.i32.const(x | 0);
  const k = (x: bigint): X => m.i64.const(x);
  const g = (l: number): X => m.local.get(l, i64.has(l) ? Lt : I);
  const s = (l: number, x: X): X => m.local.set(l, x);
  const M32 = 0xffffffffn;
  const res = `${slowLabel}r`;

  const body: X[] = [];
  // Operands: both normal, else slow; not checked when the caller knows they are (maybeOdd 0:
  // codegen-x87.ts tracks which registers hold results of fast paths).
  body.push(s(ea, m.i32.and(g(aE), c(0x7fff))), s(eb, m.i32.and(g(bE), c(0x7fff))));
  const classify = m.if(m.i32.or(m.i32.or(m.i64.ge_s(g(aS), k(0n)), m.i64.ge_s(g(bS), k(0n))),
    m.i32.or(m.i32.ge_u(m.i32.sub(g(ea), c(1)), c(0x7ffe)), m.i32.ge_u(m.i32.sub(g(eb), c(1)), c(0x7ffe)))), m.br(slowLabel));
  body.push(maybeOdd === undefined ? classify : m.if(maybeOdd, classify));
  body.push(s(rnd, k(0n)), s(inc, c(0)));

  if (op === OP_ADD || op === OP_SUB) {
    // ---- add / sub: exact sum in sig:ext (d < 64 keeps every bit of the aligned operand) ----
    body.push(
      s(sa, m.i32.and(m.i32.shr_u(g(aE), c(15)), c(1))),
      s(sb, op === OP_SUB ? m.i32.xor(m.i32.and(m.i32.shr_u(g(bE), c(15)), c(1)), c(1)) : m.i32.and(m.i32.shr_u(g(bE), c(15)), c(1))),
      // Order by magnitude: a is the larger.
      m.if(m.i32.or(m.i32.gt_u(g(eb), g(ea)), m.i32.and(m.i32.eq(g(eb), g(ea)), m.i64.gt_u(g(bS), g(aS)))), m.block(null, [
        s(t, g(aS)), s(aS, g(bS)), s(bS, g(t)),
        s(d, g(ea)), s(ea, g(eb)), s(eb, g(d)),
        s(d, g(sa)), s(sa, g(sb)), s(sb, g(d)),
      ], bn.none)),
      s(d, m.i32.sub(g(ea), g(eb))),
      m.if(m.i32.ge_u(g(d), c(64)), m.br(slowLabel)),
      m.if(g(d), m.block(null, [
        s(bh, m.i64.shr_u(g(bS), m.i64.extend_u(g(d)))),
        s(t, m.i64.shl(g(bS), m.i64.extend_u(m.i32.sub(c(64), g(d))))),
      ], bn.none), m.block(null, [s(bh, g(bS)), s(t, k(0n))], bn.none)),
      s(e, g(ea)),
      m.if(m.i32.eq(g(sa), g(sb)), m.block(null, [
        s(sig, m.i64.add(g(aS), g(bh))), s(ext, g(t)),
        m.if(m.i64.lt_u(g(sig), g(aS)), m.block(null, [
          // Carry out: shift right one, the lost bit jammed into the sticky bit.
          s(ext, m.i64.or(m.i64.or(m.i64.shr_u(g(ext), k(1n)), m.i64.shl(g(sig), k(63n))), m.i64.and(g(ext), k(1n)))),
          s(sig, m.i64.or(m.i64.shr_u(g(sig), k(1n)), k(TOP64))),
          s(e, m.i32.add(g(e), c(1))),
        ], bn.none)),
      ], bn.none), m.block(null, [
        s(ext, m.i64.sub(k(0n), g(t))),
        s(sig, m.i64.sub(m.i64.sub(g(aS), g(bh)), m.i64.extend_u(m.i64.ne(g(t), k(0n))))),
        // Exact zero: +0, or -0 when rounding down (float80.ts add).
        m.if(m.i64.eqz(m.i64.or(g(sig), g(ext))), m.block(null, [
          s(rE, m.select(m.i32.eq(m.i32.and(cw(), c(0xc00)), c(0x400)), c(0x8000), c(0))),
          m.br(res),
        ], bn.none)),
        m.if(m.i64.eqz(g(sig)), m.block(null, [s(sig, g(ext)), s(ext, k(0n)), s(e, m.i32.sub(g(e), c(64)))], bn.none)),
        s(n, m.i32.wrap(m.i64.clz(g(sig)))),
        m.if(g(n), m.block(null, [
          s(sig, m.i64.or(m.i64.shl(g(sig), m.i64.extend_u(g(n))), m.i64.shr_u(g(ext), m.i64.extend_u(m.i32.sub(c(64), g(n)))))),
          s(ext, m.i64.shl(g(ext), m.i64.extend_u(g(n)))),
          s(e, m.i32.sub(g(e), g(n))),
        ], bn.none)),
      ], bn.none)),
    );
  } else if (op === OP_MUL) {
    // ---- mul: the 128-bit product from four 32x32 products ----
    const lo32 = (x: X): X => m.i64.and(x, k(M32));
    const hi32 = (x: X): X => m.i64.shr_u(x, k(32n));
    body.push(
      s(sa, m.i32.and(m.i32.shr_u(m.i32.xor(g(aE), g(bE)), c(15)), c(1))),
      s(e, m.i32.add(m.i32.add(g(ea), g(eb)), c(-16383 + 1))),
      // t = a0*b0, r = a0*b1, q = a1*b0, rnd = a1*b1; unit = the middle column.
      s(t, m.i64.mul(lo32(g(aS)), lo32(g(bS)))),
      s(r, m.i64.mul(lo32(g(aS)), hi32(g(bS)))),
      s(q, m.i64.mul(hi32(g(aS)), lo32(g(bS)))),
      s(rnd, m.i64.mul(hi32(g(aS)), hi32(g(bS)))),
      s(unit, m.i64.add(m.i64.add(hi32(g(t)), lo32(g(r))), lo32(g(q)))),
      s(ext, m.i64.or(m.i64.shl(g(unit), k(32n)), lo32(g(t)))),
      s(sig, m.i64.add(m.i64.add(g(rnd), hi32(g(r))), m.i64.add(hi32(g(q)), hi32(g(unit))))),
      // Below 2: one left shift, without a branch (the product's binade is data: a branch here
      // mispredicts about half the time).
      s(n, m.i64.ge_s(g(sig), k(0n))),
      s(t, m.i64.extend_u(g(n))),
      s(sig, m.i64.or(m.i64.shl(g(sig), g(t)), m.i64.and(m.i64.shr_u(g(ext), k(63n)), g(t)))),
      s(ext, m.i64.shl(g(ext), g(t))),
      s(e, m.i32.sub(g(e), g(n))),
    );
  } else {
    // ---- div: (a << 64) / b by two 32-bit digit steps (Knuth D), the remainder decides round/sticky ----
    const lo32 = (x: X): X => m.i64.and(x, k(M32));
    const hi32 = (x: X): X => m.i64.shr_u(x, k(32n));
    // One digit: q digit of (r << 32) / b, r := the remainder (r < b on entry and exit).
    const digit = (): X[] => [
      s(qh, m.i64.div_u(g(r), g(v1))),
      m.if(m.i64.gt_u(g(qh), k(M32)), s(qh, k(M32))),
      s(t, m.i64.mul(g(qh), g(v0))),
      // D = (r << 32) - qh * b as dh:dl (dl 32 bits, dh signed).
      s(dl, m.i64.and(m.i64.sub(k(0n), lo32(g(t))), k(M32))),
      s(dh, m.i64.sub(m.i64.sub(g(r), m.i64.add(m.i64.mul(g(qh), g(v1)), hi32(g(t)))), m.i64.extend_u(m.i64.ne(lo32(g(t)), k(0n))))),
      // qh exceeds the digit by at most 2 (b normalized): add b back while D < 0.
      ...[0, 1].map(() => m.if(m.i64.lt_s(g(dh), k(0n)), m.block(null, [
        s(qh, m.i64.sub(g(qh), k(1n))),
        s(dl, m.i64.add(g(dl), g(v0))),
        s(dh, m.i64.add(g(dh), m.i64.add(g(v1), hi32(g(dl))))),
        s(dl, lo32(g(dl))),
      ], bn.none))),
      s(r, m.i64.or(m.i64.shl(g(dh), k(32n)), g(dl))),
    ];
    body.push(
      s(sa, m.i32.and(m.i32.shr_u(m.i32.xor(g(aE), g(bE)), c(15)), c(1))),
      s(v1, hi32(g(bS))), s(v0, lo32(g(bS))),
      s(big, m.i64.ge_u(g(aS), g(bS))),
      s(r, m.select(g(big), m.i64.sub(g(aS), g(bS)), g(aS))),
      ...digit(), s(q, m.i64.shl(g(qh), k(32n))),
      ...digit(), s(q, m.i64.or(g(q), g(qh))),
      s(e, m.i32.add(m.i32.sub(g(ea), g(eb)), m.i32.add(c(16383 - 1), g(big)))),
      // big: 1.q, 63 fraction bits in the significand, q's last bit rounds, the remainder is
      // sticky; else 0.1q: the round bit is 2r >= b, sticky r != 0 apart from 2r == b.
      // Selects, not a branch: which case is data.
      s(t, m.i64.sub(g(bS), g(r))),
      s(ext, m.select(g(big), m.i64.or(m.i64.shl(g(q), k(63n)), m.i64.extend_u(m.i64.ne(g(r), k(0n)))),
        m.i64.or(m.select(m.i64.ge_u(g(r), g(t)), k(TOP64), k(0n)), m.i64.extend_u(m.i32.and(m.i64.ne(g(r), k(0n)), m.i64.ne(g(r), g(t))))))),
      s(sig, m.select(g(big), m.i64.or(k(TOP64), m.i64.shr_u(g(q), k(1n))), g(q))),
    );
  }

  // ---- round sig:ext to pc bits under rc (roundPack for a result in the normal range) ----
  // PC 64 with RC nearest (Linux's default control word 0x37f) first, with no unit or shift.
  // Without branches but the rare carry out of the significand (whether a result is inexact
  // and rounds up is data: branches on it mispredict about half the time).
  const nearest64: X[] = [
    s(inc, m.i32.or(m.i64.gt_u(g(ext), k(TOP64)), m.i32.and(m.i64.eq(g(ext), k(TOP64)), m.i32.wrap(m.i64.and(g(sig), k(1n)))))),
    s(rnd, g(ext)),
    s(sig, m.i64.add(g(sig), m.i64.extend_u(g(inc)))),
    m.if(m.i32.and(g(inc), m.i64.eqz(g(sig))), m.block(null, [s(sig, k(TOP64)), s(e, m.i32.add(g(e), c(1)))], bn.none)),
  ];
  const general: X[] = [
    s(pc, m.i32.and(m.i32.shr_u(cw(), c(8)), c(3))),
    s(rc, m.i32.and(m.i32.shr_u(cw(), c(10)), c(3))),
    m.if(m.i32.eq(g(pc), c(3)), m.block(null, [s(rnd, g(ext)), s(unit, k(1n))], bn.none), m.block(null, [
      // 53 (pc 2) or 24 bits (pc 0, and reserved 1): the dropped bits aligned to the top, sticky jammed.
      s(n, m.select(m.i32.eq(g(pc), c(2)), c(53), c(24))),
      s(rnd, m.i64.or(m.i64.shl(g(sig), m.i64.extend_u(g(n))), m.i64.extend_u(m.i64.ne(g(ext), k(0n))))),
      s(unit, m.i64.shl(k(1n), m.i64.extend_u(m.i32.sub(c(64), g(n))))),
      s(sig, m.i64.and(g(sig), m.i64.sub(k(0n), g(unit)))),
    ], bn.none)),
    m.if(m.i64.ne(g(rnd), k(0n)), m.block(null, [
      s(inc, m.if(m.i32.eqz(g(rc)),
        m.i32.or(m.i64.gt_u(g(rnd), k(TOP64)), m.i32.and(m.i64.eq(g(rnd), k(TOP64)), m.i64.ne(m.i64.and(g(sig), g(unit)), k(0n)))),
        m.if(m.i32.eq(g(rc), c(1)), g(sa), m.if(m.i32.eq(g(rc), c(2)), m.i32.eqz(g(sa)), c(0))))),
      m.if(g(inc), m.block(null, [
        s(sig, m.i64.add(g(sig), g(unit))),
        m.if(m.i64.eqz(g(sig)), m.block(null, [s(sig, k(TOP64)), s(e, m.i32.add(g(e), c(1)))], bn.none)),
      ], bn.none)),
    ], bn.none)),
  ];
  body.push(m.if(m.i32.eq(m.i32.and(cw(), c(0xf00)), c(0x300)), m.block(null, nearest64, bn.none), m.block(null, general, bn.none)));
  body.push(
    // Out of the normal range (underflow, overflow): the exact path.
    m.if(m.i32.ge_u(m.i32.sub(g(e), c(1)), c(0x7ffe)), m.br(slowLabel)),
    s(rE, m.i32.or(m.i32.shl(g(sa), c(15)), g(e))),
  );
  // (add/sub's exact zero branches to `res` early: sig = 0 there, rnd = 0, inc = 0.)
  return m.block(res, body, bn.none);
}

/**
 * Add `x87arith(op, pa, pb, pd, cw) -> i32` to module m: the 80-bit values at addresses pa
 * (a) and pb (b) (significand i64, then sign|exponent i32), a op b under control word cw,
 * written at pd; returns the flags (PE | C1F), or -1 (nothing written) when not handled.
 * arith80 in a function, for the tests.
 */
export function addX87Runtime(bn: B, m: M): void {
  const I = bn.i32;
  // Parameters 0-4, then locals.
  const P_OP = 0, P_A = 1, P_B = 2, P_D = 3, P_CW = 4;
  const vars: number[] = [];
  const L = {} as ArithLocals;
  for (const name of ARITH_I64) { L[name] = 5 + vars.length; vars.push(bn.i64); }
  for (const name of ARITH_I32) { L[name] = 5 + vars.length; vars.push(I); }
  const c = (x: number): X => m.i32.const(x | 0);
  const body: X[] = [
    m.local.set(L.aS, m.i64.load(0, 4, m.local.get(P_A, I))), m.local.set(L.aE, m.i32.load(8, 4, m.local.get(P_A, I))),
    m.local.set(L.bS, m.i64.load(0, 4, m.local.get(P_B, I))), m.local.set(L.bE, m.i32.load(8, 4, m.local.get(P_B, I))),
  ];
  const done = (): X[] => [
    m.i64.store(0, 4, m.local.get(P_D, I), m.local.get(L.sig, bn.i64)),
    m.i32.store(8, 4, m.local.get(P_D, I), m.local.get(L.rE, I)),
    m.return(m.i32.or(m.i32.shl(m.i64.ne(m.local.get(L.rnd, bn.i64), m.i64.const(0n)), c(5)), m.i32.shl(m.local.get(L.inc, I), c(9)))),
  ];
  for (const op of [OP_ADD, OP_SUB, OP_MUL, OP_DIV]) {
    body.push(m.if(m.i32.eq(m.local.get(P_OP, I), c(op)), m.block(null, [
      m.block(`s${op}`, [arith80(bn, m, op, L, () => m.local.get(P_CW, I), `s${op}`), ...done()], bn.none),
      m.return(c(-1)),
    ], bn.none)));
  }
  body.push(m.return(c(-1)));
  m.addFunction(ARITH_FN, bn.createType([I, I, I, I, I]), I, vars, m.block(null, body, bn.none));
}
