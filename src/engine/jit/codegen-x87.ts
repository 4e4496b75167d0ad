/**
 * x87 instructions as Wasm (decoding: region-x87.ts; the hook: codegen.ts `insn` case
 * 'x87'). Results are bit-exact with the interpreter's (cpu/fpu-ops.ts hot forms,
 * float80.ts), flags and tag word included:
 *
 * - **State stays in the slot.** The eight registers (three words each: significand lo,
 *   hi, sign|exponent), TOP, the tag word, SW, CW and the instruction/operand pointers are
 *   read and written in the thread's state slot by every translated instruction, as the
 *   interpreter keeps them, so interpreter calls (every x87 form without a translation:
 *   fcom/fucom/fcomi, fist, fsqrt, transcendental...), exits and signal frames see them
 *   without synchronisation. TOP is read per instruction (not tracked statically).
 * - **Each instruction is a guarded fast path** mirroring the interpreter's hot form: no
 *   unmasked exception pending (SW.ES clear), the registers it reads present and the one it
 *   pushes into empty (no stack fault), for arithmetic and stores every exception masked
 *   (CW & 0x3f = 0x3f: the only flag raised is PE, which then never aborts), a memory
 *   float normal or zero, arithmetic operands and results normal (x87-runtime.ts, any
 *   precision and rounding control). Nothing is written before the guard and the result
 *   are known; otherwise the interpreter's closure runs the instruction inside the region
 *   (codegen.ts `interpOne`): NaN, infinities, denormals, zero operands of arithmetic,
 *   underflow/overflow, stack faults, unmasked exceptions (SIGFPE at the next x87
 *   instruction) are the interpreter's by construction.
 * - **Memory operands** are checked inline (both pages of an access that may cross one);
 *   a failed check leaves before the instruction, where the interpreter raises the fault
 *   with nothing changed (test/jit/x87.c).
 * - The pointers fnstenv/fsave/signal frames report: FIP and FOP for every data
 *   instruction, FOO (the operand's address) for memory forms, as dataM/loadHot store them.
 */
import type binaryenT from 'binaryen';
import { EAX, FPU_OFFSET } from '../cpu/state.js';
import type { Decoded } from './region.js';
import type { SseHost } from './codegen-sse.js';
import type { X87Insn } from './region-x87.js';
import { ARITH_FN, OP_ADD, OP_DIV, OP_MUL, OP_SUB } from './x87-runtime.js';

type B = typeof binaryenT;
type X = binaryenT.ExpressionRef;

/**
 * Memory operand formats: m32fp, m64fp, m32int, m16int. Here, not in region-x87.ts: the
 * compile worker's bundle must not reach region.ts (which imports the interpreter).
 */
export const M_F32 = 0, M_F64 = 1, M_I32 = 2, M_I16 = 3;

// The slot's x87 area (cpu/fpu.ts: FPU_R, FPU_CW...), in bytes from the slot's start; not
// imported from fpu.ts, which pulls in the soft-float the compile worker does not need.
const R0 = FPU_OFFSET, P_MEM = R0 + 9 * 12, CW = R0 + 120, SW = CW + 4, TOP = CW + 8, TAG = CW + 12, FIP = CW + 16, FOO = CW + 24, FOP = CW + 32;
const ES = 0x80, C1 = 0x200, PE = 0x20, C1F = 0x200;
const BIAS = 16383;
const PROT_READ = 1, PROT_WRITE = 2, CODE = 8;
const TOP64 = -0x8000000000000000n;

/** What codegen.ts lends the x87 translation: the SSE host (slot, checks, fallback) plus its own locals. */
export interface X87Host extends SseHost {
  /** i32 temporaries 0-8 and i64 temporaries 0-1 (local indices). */
  t(k: number): number;
  /** The previous instruction of the block is x87 too: TOP, the tags, SW and CW are still in their locals. */
  prevIsX87(): boolean;
  l(k: number): number;
  /** A label unique in the function. */
  label(): string;
  /** The function needs the arithmetic runtime (x87-runtime.ts). */
  needsRuntime(): void;
}
/** The x87 temporaries' types, appended after the SSE ones by codegen.ts. */
export const X87_LOCALS = (bn: B): number[] => [...new Array(9).fill(bn.i32), bn.i64, bn.i64];

/** Runtime operation and operand order (a, b: 0 = ST(0), 1 = the other) for arithmetic row k. */
const ARITH: Record<number, [number, number]> = { 0: [OP_ADD, 0], 1: [OP_MUL, 0], 4: [OP_SUB, 0], 5: [OP_SUB, 1], 6: [OP_DIV, 0], 7: [OP_DIV, 1] };

export function x87Insn(h: X87Host, d: Decoded, out: X[]): void {
  const i = d.insn as X87Insn, m = h.m, bn = h.bn;
  const c = (v: number): X => m.i32.const(v | 0);
  const k64 = (v: bigint): X => m.i64.const(v);
  // T, G, S, C mirror TOP, the tag word, SW and CW after every x87 instruction (every path
  // that goes on: commits store through them, the slow path reloads them), so the next x87
  // instruction of the block reads the locals instead of the slot.
  const T = h.t(0), G = h.t(1), S = h.t(2), P = h.t(3), Q = h.t(4), OK = h.t(5), FL = h.t(6), E = h.t(7), C = h.t(8);
  const SIG = h.l(0), V = h.l(1);
  const g = (l: number): X => m.local.get(l, l === SIG || l === V ? bn.i64 : bn.i32);
  const s = (l: number, v: X): X => m.local.set(l, v);
  const ld = (off: number): X => m.i32.load(off, 4, h.slot());
  const mirror: Record<number, number> = { [TOP]: T, [TAG]: G, [SW]: S, [CW]: C };
  /** Store a slot word; TOP, TAG, SW and CW through their locals. */
  const st = (off: number, v: X): X => m.i32.store(off, 4, h.slot(), off in mirror ? m.local.tee(mirror[off], v, bn.i32) : v);
  /** Address of physical register p's first word (absolute, for the runtime and i64 accesses). */
  const regAt = (p: X): X => m.i32.add(h.slot(), m.i32.add(m.i32.mul(p, c(12)), c(R0)));
  const empty = (p: X): X => m.i32.eq(m.i32.and(m.i32.shr_u(g(G), m.i32.shl(p, c(1))), c(3)), c(3));
  const noES = (): X => m.i32.eqz(m.i32.and(g(S), c(ES)));
  const allMasked = (): X => m.i32.and(m.i32.eq(m.i32.and(g(C), c(0x3f)), c(0x3f)), noES());
  const reload = (): X[] => [s(T, ld(TOP)), s(G, ld(TAG)), s(S, ld(SW)), s(C, ld(CW))];
  const stack = (): X[] => (h.prevIsX87() ? [] : reload());
  /** FIP/FOP (and FOO) and C1 cleared, as the interpreter's data wrapper does; `fl` ORed into SW. */
  const record = (fl: X | null, foo: boolean): X[] => [
    st(SW, fl === null ? m.i32.and(g(S), c(~C1)) : m.i32.or(m.i32.and(g(S), c(~C1)), fl)),
    st(FIP, c(d.at)), st(FOP, c(i.fop)), ...(foo ? [st(FOO, h.a())] : []),
  ];
  const pop = (): X[] => [st(TAG, m.i32.or(g(G), m.i32.shl(c(3), m.i32.shl(g(T), c(1))))), st(TOP, m.i32.and(m.i32.add(g(T), c(1)), c(7)))];
  /** if (guard) { fast; if (ok) { commit; done } } slow path. */
  const guarded = (guard: X, fast: X[], ok: X, commit: X[]): X => {
    const done = h.label();
    return m.block(done, [
      m.if(guard, m.block(null, [...fast, m.if(ok, m.block(null, [...commit, m.br(done)], bn.none))], bn.none)),
      h.fallback(i.call),
      ...reload(),
    ], bn.none);
  };
  /** Inline check of an n-byte access at the address temporary: the pages of its first and last byte allow `want`. */
  const check = (n: number, want: number): X => {
    const mask = want | (want & PROT_WRITE ? CODE : 0);
    const bad = (p: X): X => m.i32.ne(m.i32.and(m.i32.load8_u(h.permBase, 1, m.i32.shr_u(p, c(12))), c(mask)), c(want));
    return m.if(m.i32.or(bad(h.a()), bad(m.i32.add(h.a(), c(n - 1)))), h.exit());
  };
  const size = (kind: number): number => (kind === M_F64 ? 8 : kind === M_I16 ? 2 : 4);
  /** The memory operand at the address temporary as 80 bits into SIG/E, OK = 0 where float80's general path is needed (not normal or zero). */
  const convert = (kind: number): X[] => {
    if (kind === M_F32) {
      return [s(Q, m.i32.load(0, 1, h.a())), s(P, m.i32.and(m.i32.shr_u(g(Q), c(23)), c(0xff))), s(E, m.i32.and(m.i32.shr_u(g(Q), c(16)), c(0x8000))),
        m.if(m.i32.or(m.i32.eqz(g(P)), m.i32.eq(g(P), c(0xff))),
          m.block(null, [s(OK, m.i32.eqz(m.i32.shl(g(Q), c(1)))), s(SIG, k64(0n))], bn.none),
          m.block(null, [s(OK, c(1)), s(E, m.i32.or(g(E), m.i32.add(g(P), c(BIAS - 127)))),
            s(SIG, m.i64.shl(m.i64.extend_u(m.i32.or(m.i32.shl(g(Q), c(8)), c(0x80000000))), k64(32n)))], bn.none))];
    }
    if (kind === M_F64) {
      return [s(V, m.i64.load(0, 1, h.a())), s(P, m.i32.and(m.i32.wrap(m.i64.shr_u(g(V), k64(52n))), c(0x7ff))),
        s(E, m.i32.and(m.i32.wrap(m.i64.shr_u(g(V), k64(48n))), c(0x8000))),
        m.if(m.i32.or(m.i32.eqz(g(P)), m.i32.eq(g(P), c(0x7ff))),
          m.block(null, [s(OK, m.i64.eqz(m.i64.shl(g(V), k64(1n)))), s(SIG, k64(0n))], bn.none),
          m.block(null, [s(OK, c(1)), s(E, m.i32.or(g(E), m.i32.add(g(P), c(BIAS - 1023)))),
            s(SIG, m.i64.or(m.i64.shl(g(V), k64(11n)), k64(TOP64)))], bn.none))];
    }
    // Integers: exact (float80.ts fromInt32): the magnitude normalized, 0 is +0.
    return [s(Q, kind === M_I32 ? m.i32.load(0, 1, h.a()) : m.i32.load16_s(0, 1, h.a())), s(OK, c(1)),
      s(V, m.i64.extend_s(g(Q))), s(V, m.select(m.i32.lt_s(g(Q), c(0)), m.i64.sub(k64(0n), g(V)), g(V))),
      m.if(m.i32.eqz(g(Q)), m.block(null, [s(SIG, k64(0n)), s(E, c(0))], bn.none), m.block(null, [
        s(P, m.i32.wrap(m.i64.clz(g(V)))),
        s(SIG, m.i64.shl(g(V), m.i64.extend_u(g(P)))),
        s(E, m.i32.or(m.i32.and(m.i32.shr_u(g(Q), c(16)), c(0x8000)), m.i32.sub(c(BIAS + 63), g(P)))),
      ], bn.none))];
  };
  const memAddr = (mr: Extract<X87Insn, { m: unknown }>['m'], n: number, want: number): void => {
    out.push(h.setA(h.ea(mr)), check(n, want));
  };

  switch (i.f) {
    case 'arith': case 'arithm': {
      h.flush(out);
      h.needsRuntime();
      const [op, rev] = ARITH[i.k];
      if (i.f === 'arithm') memAddr(i.m, size(i.kind), PROT_READ);
      out.push(...stack());
      // Expressions are single-use trees: the operand addresses are built per use.
      const x = (): X => regAt(g(T));
      let guard = m.i32.and(allMasked(), m.i32.eqz(empty(g(T))));
      const fast: X[] = [];
      let y: () => X, dst: () => X;
      if (i.f === 'arith') {
        out.push(s(Q, m.i32.and(m.i32.add(g(T), c(i.i)), c(7))));
        guard = m.i32.and(guard, m.i32.eqz(empty(g(Q))));
        y = () => regAt(g(Q)); dst = i.intoSti ? y : x;
        fast.push(s(OK, c(1)));
      } else {
        // The converted operand goes to the scratch slot P_MEM, as the general path puts it.
        fast.push(...convert(i.kind), m.i64.store(P_MEM, 4, h.slot(), g(SIG)), m.i32.store(P_MEM + 8, 4, h.slot(), g(E)));
        y = () => m.i32.add(h.slot(), c(P_MEM)); dst = x;
      }
      const [a, b] = rev ? [y(), x()] : [x(), y()];
      fast.push(m.if(g(OK), s(FL, m.call(ARITH_FN, [c(op), a, b, dst(), g(C)], bn.i32)), s(FL, c(-1))));
      const commit = [...record(g(FL), i.f === 'arithm'), ...(i.f === 'arith' && i.pop ? pop() : [])];
      out.push(guarded(guard, fast, m.i32.ge_s(g(FL), c(0)), commit));
      return;
    }
    case 'fldm': {
      h.flush(out);
      memAddr(i.m, size(i.kind), PROT_READ);
      out.push(...stack(), s(P, m.i32.and(m.i32.sub(g(T), c(1)), c(7))), s(FL, g(P)));
      // convert() uses P and Q as temporaries: the push slot is kept in FL.
      const fast = convert(i.kind);
      const commit = [
        m.i64.store(0, 4, regAt(g(FL)), g(SIG)), m.i32.store(8, 4, regAt(g(FL)), g(E)),
        st(TOP, g(FL)), st(TAG, m.i32.and(g(G), m.i32.xor(m.i32.shl(c(3), m.i32.shl(g(FL), c(1))), c(-1)))),
        ...record(null, true),
      ];
      out.push(guarded(m.i32.and(noES(), empty(g(P))), fast, g(OK), commit));
      return;
    }
    case 'fstm': {
      h.flush(out);
      const dbl = i.kind === M_F64;
      memAddr(i.m, dbl ? 8 : 4, PROT_WRITE);
      out.push(...stack());
      // float80.ts toFloat for a normal value whose m64/m32 is normal, and for zero: drop 11 (40) bits by RC.
      const drop = dbl ? 11n : 40n, lowMask = (1n << drop) - 1n, half = 1n << (drop - 1n);
      const emin = dbl ? BIAS - 1022 : BIAS - 126, emax = dbl ? BIAS + 1023 : BIAS + 127, fbias = dbl ? 1023 : 127;
      const sg = () => m.i32.shr_u(g(E), c(15));
      const rc = () => m.i32.and(g(C), c(0xc00));
      const fast: X[] = [
        s(SIG, m.i64.load(0, 4, regAt(g(T)))), s(E, m.i32.load(8, 4, regAt(g(T)))), s(FL, c(0)),
        s(P, m.i32.and(g(E), c(0x7fff))),
        m.if(m.i32.and(m.i32.eqz(g(P)), m.i64.eqz(g(SIG))),
          // Zero: the signed zero, no flag.
          m.block(null, [s(OK, c(1)), s(V, k64(0n))], bn.none),
          m.block(null, [
            s(OK, m.i32.and(m.i64.lt_s(g(SIG), k64(0n)), m.i32.le_u(m.i32.sub(g(P), c(emin)), c(emax - emin)))),
            s(V, m.i64.and(g(SIG), k64(lowMask))),
            s(SIG, m.i64.and(g(SIG), k64(~lowMask))),
            m.if(m.i64.ne(g(V), k64(0n)), m.block(null, [
              s(FL, c(PE)),
              s(Q, m.if(m.i32.eqz(rc()),
                m.i32.or(m.i64.gt_u(g(V), k64(half)), m.i32.and(m.i64.eq(g(V), k64(half)), m.i64.ne(m.i64.and(g(SIG), k64(1n << drop)), k64(0n)))),
                m.if(m.i32.eq(rc(), c(0x400)), sg(), m.if(m.i32.eq(rc(), c(0x800)), m.i32.eqz(sg()), c(0))))),
              m.if(g(Q), m.block(null, [
                s(FL, c(PE | C1F)),
                s(SIG, m.i64.add(g(SIG), k64(1n << drop))),
                m.if(m.i64.eqz(g(SIG)), m.block(null, [s(SIG, k64(TOP64)), s(P, m.i32.add(g(P), c(1)))], bn.none)),
              ], bn.none)),
            ], bn.none)),
            s(OK, m.i32.and(g(OK), m.i32.le_u(g(P), c(emax)))),
            // The stored bits (sign added below): biased exponent and fraction.
            s(V, m.i64.or(m.i64.shl(m.i64.extend_u(m.i32.sub(g(P), c(BIAS - fbias))), k64(dbl ? 52n : 23n)),
              m.i64.and(m.i64.shr_u(g(SIG), k64(drop)), k64(dbl ? (1n << 52n) - 1n : (1n << 23n) - 1n)))),
          ], bn.none)),
        s(V, m.i64.or(g(V), m.i64.shl(m.i64.extend_u(sg()), k64(dbl ? 63n : 31n)))),
      ];
      const commit = [
        dbl ? m.i64.store(0, 1, h.a(), g(V)) : m.i32.store(0, 1, h.a(), m.i32.wrap(g(V))),
        ...record(g(FL), true), ...(i.pop ? pop() : []),
      ];
      out.push(guarded(m.i32.and(allMasked(), m.i32.eqz(empty(g(T)))), fast, g(OK), commit));
      return;
    }
    case 'fld': case 'fxch': case 'fst': {
      h.flush(out);
      out.push(...stack(), s(Q, m.i32.and(m.i32.add(g(T), c(i.i)), c(7))), s(P, m.i32.and(m.i32.sub(g(T), c(1)), c(7))));
      /** Physical register `from` (a local) copied to `to`. */
      const copy = (to: number, from: number): X[] => [
        m.i64.store(0, 4, regAt(g(to)), m.i64.load(0, 4, regAt(g(from)))), m.i32.store(8, 4, regAt(g(to)), m.i32.load(8, 4, regAt(g(from)))),
      ];
      let guard: X, commit: X[];
      if (i.f === 'fld') {
        guard = m.i32.and(noES(), m.i32.and(m.i32.eqz(empty(g(Q))), empty(g(P))));
        commit = [...copy(P, Q), st(TOP, g(P)), st(TAG, m.i32.and(g(G), m.i32.xor(m.i32.shl(c(3), m.i32.shl(g(P), c(1))), c(-1))))];
      } else if (i.f === 'fxch') {
        guard = m.i32.and(noES(), m.i32.and(m.i32.eqz(empty(g(T))), m.i32.eqz(empty(g(Q)))));
        commit = [
          s(SIG, m.i64.load(0, 4, regAt(g(T)))), s(E, m.i32.load(8, 4, regAt(g(T)))),
          ...copy(T, Q),
          m.i64.store(0, 4, regAt(g(Q)), g(SIG)), m.i32.store(8, 4, regAt(g(Q)), g(E)),
        ];
      } else {
        guard = m.i32.and(noES(), m.i32.eqz(empty(g(T))));
        const tag = m.i32.and(g(G), m.i32.xor(m.i32.shl(c(3), m.i32.shl(g(Q), c(1))), c(-1)));
        commit = [
          ...copy(Q, T),
          ...(i.f === 'fst' && i.pop ? [st(TAG, m.i32.or(tag, m.i32.shl(c(3), m.i32.shl(g(T), c(1))))), st(TOP, m.i32.and(m.i32.add(g(T), c(1)), c(7)))] : [st(TAG, tag)]),
        ];
      }
      out.push(guarded(guard, [], c(1), [...commit, ...record(null, false)]));
      return;
    }
    case 'fchs': case 'fabs': {
      h.flush(out);
      out.push(...stack());
      const se = m.i32.load(8, 4, regAt(g(T)));
      const commit = [m.i32.store(8, 4, regAt(g(T)), i.f === 'fchs' ? m.i32.xor(se, c(0x8000)) : m.i32.and(se, c(0x7fff))), ...record(null, false)];
      out.push(guarded(m.i32.and(noES(), m.i32.eqz(empty(g(T)))), [], c(1), commit));
      return;
    }
    case 'fld1': case 'fldz': {
      h.flush(out);
      out.push(...stack(), s(P, m.i32.and(m.i32.sub(g(T), c(1)), c(7))));
      const one = i.f === 'fld1';
      const commit = [
        m.i64.store(0, 4, regAt(g(P)), k64(one ? TOP64 : 0n)), m.i32.store(8, 4, regAt(g(P)), c(one ? 0x3fff : 0)),
        st(TOP, g(P)), st(TAG, m.i32.and(g(G), m.i32.xor(m.i32.shl(c(3), m.i32.shl(g(P), c(1))), c(-1)))),
        ...record(null, false),
      ];
      out.push(guarded(m.i32.and(noES(), empty(g(P))), [], c(1), commit));
      return;
    }
    case 'fcom': case 'fcomi': case 'ftst': {
      // Both operands normal or zero: no flag raised (NaN, infinity, denormal: the closure),
      // ordered by sign, then exponent and significand (float80.ts compare); zeros are equal.
      h.flush(out);
      out.push(...stack());
      const tst = i.f === 'ftst';
      const other = 'i' in i ? i.i : 0, pops = 'pop' in i ? i.pop : 0;
      if (!tst) out.push(s(Q, m.i32.and(m.i32.add(g(T), c(other)), c(7))));
      const word = (p: number, off: number, l: boolean): X => (l ? m.i64.load(off, 4, regAt(g(p))) : m.i32.load(off, 4, regAt(g(p))));
      const nz = (p: number): X => {
        const e = m.i32.and(word(p, 8, false), c(0x7fff));
        return m.i32.or(m.i32.and(m.i64.lt_s(word(p, 0, true), k64(0n)), m.i32.lt_u(m.i32.sub(e, c(1)), c(0x7ffe))),
          m.i32.and(m.i32.eqz(m.i32.and(word(p, 8, false), c(0x7fff))), m.i64.eqz(word(p, 0, true))));
      };
      let guard = m.i32.and(m.i32.and(noES(), m.i32.eqz(empty(g(T)))), nz(T));
      if (!tst) guard = m.i32.and(guard, m.i32.and(m.i32.eqz(empty(g(Q))), nz(Q)));
      // SIG/E: a's significand and sign|exponent; V/P: b's. OK = a < b, FL = a == b.
      const fast: X[] = [s(SIG, word(T, 0, true)), s(E, word(T, 8, false))];
      if (tst) fast.push(s(V, k64(0n)), s(P, c(0)));
      else fast.push(s(V, word(Q, 0, true)), s(P, word(Q, 8, false)));
      const ea = () => m.i32.and(g(E), c(0x7fff)), eb = () => m.i32.and(g(P), c(0x7fff));
      const sa = () => m.i32.shr_u(g(E), c(15)), sb = () => m.i32.shr_u(g(P), c(15));
      const zero = (sig: number, se: () => X) => m.i32.and(m.i64.eqz(g(sig)), m.i32.eqz(se()));
      const ltMag = () => m.i32.or(m.i32.lt_u(ea(), eb()), m.i32.and(m.i32.eq(ea(), eb()), m.i64.lt_u(g(SIG), g(V))));
      const gtMag = () => m.i32.or(m.i32.gt_u(ea(), eb()), m.i32.and(m.i32.eq(ea(), eb()), m.i64.gt_u(g(SIG), g(V))));
      fast.push(
        s(FL, m.i32.or(m.i32.and(zero(SIG, ea), zero(V, eb)), m.i32.and(m.i32.eq(sa(), sb()), m.i32.and(m.i32.eq(ea(), eb()), m.i64.eq(g(SIG), g(V)))))),
        s(OK, m.i32.and(m.i32.eqz(g(FL)), m.if(m.i32.ne(sa(), sb()), sa(), m.if(sa(), gtMag(), ltMag())))),
      );
      const commit: X[] = [];
      if (i.f === 'fcomi') {
        // fcomi: ZF/PF/CF from the compare, OF SF AF cleared (fpu-ops.ts ccToEflags); C1 cleared.
        h.eager(m.i32.or(m.i32.shl(g(FL), c(6)), g(OK)), commit);
        commit.push(...record(null, false));
      } else {
        const cc = m.i32.or(m.i32.shl(g(FL), c(14)), m.i32.shl(g(OK), c(8)));
        commit.push(st(SW, m.i32.or(m.i32.and(g(S), c(~0x4700)), cc)), st(FIP, c(d.at)), st(FOP, c(i.fop)));
      }
      if (pops > 0) {
        let tag = m.i32.or(g(G), m.i32.shl(c(3), m.i32.shl(g(T), c(1))));
        if (pops === 2) tag = m.i32.or(tag, m.i32.shl(c(3), m.i32.shl(m.i32.and(m.i32.add(g(T), c(1)), c(7)), c(1))));
        commit.push(st(TAG, tag), st(TOP, m.i32.and(m.i32.add(g(T), c(pops)), c(7))));
      }
      out.push(guarded(guard, fast, c(1), commit));
      return;
    }
    case 'fnstsw':
      // AX = SW with TOP (fpu.ts `sw`); a control instruction: no check, pointers untouched.
      out.push(...stack());
      out.push(h.setReg(EAX, m.i32.or(m.i32.and(h.reg(EAX), c(0xffff0000)),
        m.i32.and(m.i32.or(m.i32.and(g(S), c(~0x3800)), m.i32.shl(g(T), c(11))), c(0xffff)))));
      return;
    case 'fnstcw':
      memAddr(i.m, 2, PROT_WRITE);
      out.push(...stack());
      out.push(m.i32.store16(0, 1, h.a(), g(C)));
      return;
    case 'fldcw': {
      // CW := m16 (reserved bits as fpu-ops.ts sets them), then ES/B follow the unmasked pending flags (syncPending).
      memAddr(i.m, 2, PROT_READ);
      out.push(...stack());
      out.push(s(Q, m.i32.or(m.i32.and(m.i32.load16_u(0, 1, h.a()), c(0x1f3f)), c(0x40))), st(CW, g(Q)));
      out.push(st(SW, m.select(m.i32.and(m.i32.and(g(S), m.i32.xor(g(Q), c(-1))), c(0x3f)),
        m.i32.or(g(S), c(ES | 0x8000)), m.i32.and(g(S), c(~(ES | 0x8000))))));
      return;
    }
  }
}
