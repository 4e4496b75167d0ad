/**
 * Data movement between XMM/MMX registers, general registers and memory (SDM Vol. 2:
 * MOVUPS ... MOVNTI, MOVD/MOVQ, the SSE3 duplicating loads), EMMS, and group 15's
 * fences, cache-line flush and prefetch-like hints. Values move as dwords (never through
 * a float view, which would quiet signalling NaNs).
 */
import type { Cpu } from '../cpu.js';
import type { Decoder } from '../decoder.js';
import type { Row } from '../isa/index.js';
import { emms } from '../fpu.js';
import { I32, getM, getX, impl, isMmx, readMem, setM, setX, srcLoader, writeMem, xw } from './sse-dispatch.js';
import { regGet, regSet } from './operand.js';

/** Whether a 16-byte memory access of this row must be aligned (#GP otherwise). */
const unaligned = (row: Row) => /^(movups|movupd|movdqu|lddqu)$/.test(row.mnem);

/**
 * dst(reg) <- src(r/m): `bytes` copied into the low bytes of dst; with `zero` the rest of
 * dst is cleared (a memory source always clears for scalar moves: `zeroMem`).
 */
function load(d: Decoder, row: Row, bytes: number, zeroReg: boolean, zeroMem: boolean): (c: Cpu) => void {
  const mmx = isMmx(row), r = d.reg, words = bytes >> 2, total = mmx ? 2 : 4;
  const zero = d.isReg ? zeroReg : zeroMem;
  const src = srcLoader(d, mmx, bytes, bytes === 16 && !unaligned(row), 4);
  const get = mmx ? getM : getX, set = mmx ? setM : setX;
  if (!mmx && d.isReg && bytes === 16) { const a = xw(d.rm), b = xw(r); return (c) => { const s = c.s; s[b] = s[a]; s[b + 1] = s[a + 1]; s[b + 2] = s[a + 2]; s[b + 3] = s[a + 3]; }; }
  return (c) => {
    src(c);
    if (!zero) get(c, r, 0); else for (let k = words; k < total; k++) I32[k] = 0;
    for (let k = 0; k < words; k++) I32[k] = I32[4 + k];
    set(c, r, 0);
  };
}
/** dst(r/m) <- src(reg): the low `bytes` of src; a register dst keeps (or with zeroReg clears) the rest. */
function store(d: Decoder, row: Row, bytes: number, zeroReg: boolean, aligned: boolean): (c: Cpu) => void {
  const mmx = isMmx(row), r = d.reg, words = bytes >> 2, total = mmx ? 2 : 4;
  const get = mmx ? getM : getX, set = mmx ? setM : setX;
  if (d.isReg) {
    const q = d.rm;
    return (c) => {
      get(c, r, 4);
      if (zeroReg) for (let k = words; k < total; k++) I32[k] = 0; else get(c, q, 0);
      for (let k = 0; k < words; k++) I32[k] = I32[4 + k];
      set(c, q, 0);
    };
  }
  const ea = d.ea();
  return (c) => { get(c, r, 4); writeMem(c, ea(c), bytes, 4, aligned); };
}

impl(['0f 10', '66 0f 10', '0f 28', '66 0f 28'], (d, row) => load(d, row, 16, false, false));
impl(['f3 0f 10'], (d, row) => load(d, row, 4, false, true));
impl(['f2 0f 10'], (d, row) => load(d, row, 8, false, true));
impl(['0f 11', '66 0f 11'], (d, row) => store(d, row, 16, false, false));
impl(['0f 29', '66 0f 29', '0f 2b m', '66 0f 2b m', '66 0f e7 m'], (d, row) => store(d, row, 16, false, true));
impl('f3 0f 11', (d, row) => store(d, row, 4, false, false));
impl('f2 0f 11', (d, row) => store(d, row, 8, false, false));
impl(['0f 12 m', '66 0f 12 m'], (d, row) => load(d, row, 8, false, false)); // movlps/movlpd: low half from memory
impl(['0f 13 m', '66 0f 13 m'], (d, row) => store(d, row, 8, false, false));
impl('0f 12 r', (d) => { // movhlps: dst.low = src.high
  const a = xw(d.rm), b = xw(d.reg);
  return (c) => { const s = c.s; const x = s[a + 2], y = s[a + 3]; s[b] = x; s[b + 1] = y; };
});
impl('0f 16 r', (d) => { // movlhps: dst.high = src.low
  const a = xw(d.rm), b = xw(d.reg);
  return (c) => { const s = c.s; const x = s[a], y = s[a + 1]; s[b + 2] = x; s[b + 3] = y; };
});
impl(['0f 16 m', '66 0f 16 m'], (d) => { // movhps/movhpd: high half from memory
  const ea = d.ea(), b = xw(d.reg);
  return (c) => { readMem(c, ea(c), 8, 4, false); c.s[b + 2] = I32[4]; c.s[b + 3] = I32[5]; };
});
impl(['0f 17 m', '66 0f 17 m'], (d) => {
  const ea = d.ea(), b = xw(d.reg);
  return (c) => { I32[4] = c.s[b + 2]; I32[5] = c.s[b + 3]; writeMem(c, ea(c), 8, 4, false); };
});
// movd/movq with general registers and memory.
impl(['0f 6e', '66 0f 6e'], (d, row) => {
  const mmx = isMmx(row), r = d.reg;
  const src = d.isReg ? regGet(2, d.rm) : ((ea) => (c: Cpu) => c.mem.read32(ea(c)))(d.ea());
  return mmx ? (c) => { I32[0] = src(c); I32[1] = 0; setM(c, r, 0); }
    : (c) => { const v = src(c); const s = c.s, b = xw(r); s[b] = v; s[b + 1] = 0; s[b + 2] = 0; s[b + 3] = 0; };
});
impl(['0f 7e', '66 0f 7e'], (d, row) => {
  const mmx = isMmx(row), r = d.reg;
  const dst = d.isReg ? regSet(2, d.rm) : ((ea) => (c: Cpu, v: number) => c.mem.write32(ea(c), v))(d.ea());
  return mmx ? (c) => { getM(c, r, 0); dst(c, I32[0]); } : (c) => dst(c, c.s[xw(r)]);
});
impl(['0f 6f', '66 0f 6f', 'f3 0f 6f', 'f2 0f f0 m'], (d, row) => load(d, row, isMmx(row) ? 8 : 16, false, false));
impl(['0f 7f', '66 0f 7f', 'f3 0f 7f'], (d, row) => store(d, row, isMmx(row) ? 8 : 16, false, row.mnem === 'movdqa'));
impl('0f e7 m', (d, row) => store(d, row, 8, false, false)); // movntq
impl('f3 0f 7e', (d, row) => load(d, row, 8, true, true)); // movq xmm, xmm/m64: upper half cleared
impl('66 0f d6', (d, row) => store(d, row, 8, true, false)); // movq xmm/m64, xmm
impl('f3 0f d6 r', (d) => { // movq2dq xmm, mm
  const r = d.reg, q = d.rm;
  return (c) => { getM(c, q, 0); I32[2] = 0; I32[3] = 0; setX(c, r, 0); };
});
impl('f2 0f d6 r', (d) => { // movdq2q mm, xmm
  const r = d.reg, q = d.rm;
  return (c) => { getX(c, q, 0); setM(c, r, 0); };
});
impl('0f c3 m', (d) => { // movnti m32, r32
  const ea = d.ea(), r = d.reg;
  return (c) => c.mem.write32(ea(c), c.s[r]);
});
impl('0f 77', () => (c) => emms(c));

// SSE3 duplicating loads.
impl('f2 0f 12', (d) => { // movddup: low quadword to both halves
  const src = srcLoader(d, false, 8, false, 4), r = d.reg;
  return (c) => { src(c); I32[0] = I32[2] = I32[4]; I32[1] = I32[3] = I32[5]; setX(c, r, 0); };
});
impl(['f3 0f 12', 'f3 0f 16'], (d, row) => { // movsldup / movshdup: even / odd dwords duplicated
  const src = srcLoader(d, false, 16, true, 4), r = d.reg, odd = row.op === 0x16 ? 1 : 0;
  return (c) => { src(c); I32[0] = I32[1] = I32[4 + odd]; I32[2] = I32[3] = I32[6 + odd]; setX(c, r, 0); };
});
