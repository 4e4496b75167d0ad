/**
 * String instructions: movs, cmps, stos, lods, scas, with rep/repe/repne. Each iteration
 * updates the registers before the next, so a fault mid-way restarts exactly where it
 * stopped. Forward rep movs/stos with flat addressing take bulk fast paths.
 */
import type { Cpu, Op } from '../cpu.js';
import type { Decoder } from '../decoder.js';
import { getZF } from '../flags.js';
import { ECX, ESI, EDI, DF, FLAGS, ES, DS } from '../state.js';
import { ALU, sc } from './alu.js';
import { memGet, memSet, regGet, regSet } from './operand.js';
import { def } from './table.js';
import { PROT_READ, PROT_WRITE } from '../../mem/address-space.js';
import { segAddr } from '../seg-regs.js';

interface Ctx {
  size: number;
  sz: number;
  /** Source segment base (DS, overridable) or null for flat. */
  srcBase: ((c: Cpu) => number) | null;
  a16: boolean;
  /**
   * Segmented mode (Decoder.segmented): the linear addresses of the source (DS or its
   * override) and destination (ES) with their segment checks; null on the flat path.
   */
  seg: { src: (c: Cpu, off: number) => number; dst: (c: Cpu, off: number) => number; write: (c: Cpu, off: number) => number } | null;
}

function ctx(d: Decoder, op: number): Ctx {
  const size = op & 1 ? d.opsize : 1;
  let seg: Ctx['seg'] = null;
  if (d.segmented) {
    const s = d.seg >= 0 ? d.seg : DS;
    seg = {
      src: (c, off) => segAddr(c, s, off, size, false),
      dst: (c, off) => segAddr(c, ES, off, size, false),
      write: (c, off) => segAddr(c, ES, off, size, true),
    };
  }
  return { size, sz: sc(size), srcBase: d.segBaseOf(DS), a16: d.adsize === 2, seg };
}

const step = (c: Cpu, size: number) => (c.s[FLAGS] & DF ? -size : size);

/** Index register access honouring the address size. */
function idx(a16: boolean, r: number) {
  return a16
    ? { get: (c: Cpu) => c.w16[r * 2], add: (c: Cpu, n: number) => { c.w16[r * 2] += n; } }
    : { get: (c: Cpu) => c.s[r] >>> 0, add: (c: Cpu, n: number) => { c.s[r] += n; } };
}
function counter(a16: boolean) {
  return a16
    ? { get: (c: Cpu) => c.w16[ECX * 2], set: (c: Cpu, v: number) => { c.w16[ECX * 2] = v; } }
    : { get: (c: Cpu) => c.s[ECX] >>> 0, set: (c: Cpu, v: number) => { c.s[ECX] = v; } };
}

/** Wrap a single-iteration op in a rep loop (rep=0: once; 0xf3 with cmp: repe; 0xf2: repne). */
function repeat(d: Decoder, a16: boolean, once: Op, compares: boolean): Op {
  if (!d.rep) return once;
  const cnt = counter(a16);
  const wantZ = d.rep === 0xf3;
  if (!compares) {
    return (c) => {
      for (let n = cnt.get(c); n !== 0; n--) { once(c); cnt.set(c, n - 1); }
    };
  }
  return (c) => {
    for (let n = cnt.get(c); n !== 0; n--) {
      once(c);
      cnt.set(c, n - 1);
      if (getZF(c) !== wantZ) break;
    }
  };
}

// A4/A5 movs
def('movs', (d, op) => {
  const { size, sz, srcBase, a16, seg } = ctx(d, op);
  const rd = memGet(sz), wr = memSet(sz), si = idx(a16, ESI), di = idx(a16, EDI);
  const once: Op = seg ? (c) => {
    const v = rd(c, seg.src(c, si.get(c)));
    wr(c, seg.write(c, di.get(c)), v);
    const st = step(c, size);
    si.add(c, st); di.add(c, st);
  } : (c) => {
    const v = rd(c, (si.get(c) + (srcBase ? srcBase(c) : 0)) >>> 0);
    wr(c, di.get(c), v);
    const st = step(c, size);
    si.add(c, st); di.add(c, st);
  };
  const slow = repeat(d, a16, once, false);
  if (!d.rep || a16 || srcBase || seg) return slow;
  return (c) => {
    const n = c.s[ECX] >>> 0, bytes = n * size;
    const src = c.s[ESI] >>> 0, dst = c.s[EDI] >>> 0, m = c.mem;
    // Forward, non-overlapping-in-the-wrong-way copies are a memmove.
    if (n > 1 && !(c.s[FLAGS] & DF) && (dst <= src || dst >= src + bytes) &&
        m.isAccessible(src, bytes, PROT_READ) && m.isAccessible(dst, bytes, PROT_WRITE)) {
      m.invalidateCode(dst, bytes);
      m.u8.copyWithin(dst, src, src + bytes);
      c.s[ESI] = src + bytes; c.s[EDI] = dst + bytes; c.s[ECX] = 0;
      return;
    }
    slow(c);
  };
});

// AA/AB stos
def('stos', (d, op) => {
  const { size, sz, a16, seg } = ctx(d, op);
  const wr = memSet(sz), di = idx(a16, EDI), acc = regGet(sz, 0);
  const once: Op = seg
    ? (c) => { wr(c, seg.write(c, di.get(c)), acc(c)); di.add(c, step(c, size)); }
    : (c) => { wr(c, di.get(c), acc(c)); di.add(c, step(c, size)); };
  const slow = repeat(d, a16, once, false);
  if (!d.rep || a16 || seg) return slow;
  return (c) => {
    const n = c.s[ECX] >>> 0, bytes = n * size, dst = c.s[EDI] >>> 0, m = c.mem;
    if (n > 1 && !(c.s[FLAGS] & DF) && m.isAccessible(dst, bytes, PROT_WRITE)) {
      m.invalidateCode(dst, bytes);
      const v = acc(c);
      if (size === 1 || (v & 0xff) * (size === 2 ? 0x101 : 0x1010101) === (size === 4 ? v >>> 0 : v)) {
        m.u8.fill(v & 0xff, dst, dst + bytes);
      } else {
        for (let a = dst; a < dst + bytes; a += size) size === 4 ? m.dv.setInt32(a, v, true) : m.dv.setUint16(a, v, true);
      }
      c.s[EDI] = dst + bytes; c.s[ECX] = 0;
      return;
    }
    slow(c);
  };
});

// AC/AD lods
def('lods', (d, op) => {
  const { size, sz, srcBase, a16, seg } = ctx(d, op);
  const rd = memGet(sz), si = idx(a16, ESI), set = regSet(sz, 0);
  const once: Op = seg
    ? (c) => { set(c, rd(c, seg.src(c, si.get(c)))); si.add(c, step(c, size)); }
    : (c) => { set(c, rd(c, (si.get(c) + (srcBase ? srcBase(c) : 0)) >>> 0)); si.add(c, step(c, size)); };
  return repeat(d, a16, once, false);
});

// A6/A7 cmps
def('cmps', (d, op) => {
  const { size, sz, srcBase, a16, seg } = ctx(d, op);
  const rd = memGet(sz), si = idx(a16, ESI), di = idx(a16, EDI), cmp = ALU[sz].cmp;
  const once: Op = (c) => {
    const a = rd(c, seg ? seg.src(c, si.get(c)) : (si.get(c) + (srcBase ? srcBase(c) : 0)) >>> 0);
    const b = rd(c, seg ? seg.dst(c, di.get(c)) : di.get(c));
    cmp(c, a, b);
    const st = step(c, size);
    si.add(c, st); di.add(c, st);
  };
  return repeat(d, a16, once, true);
});

// AE/AF scas
def('scas', (d, op) => {
  const { size, sz, a16, seg } = ctx(d, op);
  const rd = memGet(sz), di = idx(a16, EDI), acc = regGet(sz, 0), cmp = ALU[sz].cmp;
  const once: Op = (c) => { cmp(c, acc(c), rd(c, seg ? seg.dst(c, di.get(c)) : di.get(c))); di.add(c, step(c, size)); };
  return repeat(d, a16, once, true);
});
