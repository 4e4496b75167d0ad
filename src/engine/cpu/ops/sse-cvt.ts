/**
 * Conversions between integers, single and double precision (SDM Vol. 2 CVT*): rounding
 * by MXCSR.RC (or truncation for CVTT*), the integer indefinite 0x80000000 with IE for NaN
 * and out-of-range sources, PE for inexact results, SNaN quieting with IE for
 * float-to-float conversions, DAZ on sources and FTZ on results (sse-round.ts).
 */
import type { Cpu } from '../cpu.js';
import type { Decoder } from '../decoder.js';
import type { Row } from '../isa/index.js';
import { B32, F32, F64, I32, MXCSR, binop, getM, getX, impl, isMmx, readMem, setM, setX } from './sse-dispatch.js';
import { getRM, regSet, rmOperand } from './operand.js';
import { DAZ, DE, DOUBLE, IE, PE, SINGLE, dec32, dec64, raise, roundExact, type Fmt, type Val } from './sse-round.js';

let acc = 0;
const INDEF = 0x80000000 | 0;

function decode(f: Fmt, w: number, mx: number, noteDE: boolean): Val {
  const v = f === SINGLE ? dec32(I32[w]) : dec64(I32[w], I32[w + 1]);
  if (v.kind === 'fin' && v.m < 1n << BigInt(f.p - 1)) {
    if (mx & DAZ) { v.kind = 'zero'; v.m = 0n; } else if (noteDE) acc |= DE;
  }
  return v;
}

/** Float lane (word w, format f) to int32 by rounding control rc (3 = truncate). */
function toInt32(f: Fmt, w: number, mx: number, rc: number): number {
  const v = decode(f, w, mx, false);
  if (v.kind === 'nan' || v.kind === 'inf') { acc |= IE; return INDEF; }
  if (v.kind === 'zero') return 0;
  const x = f === SINGLE ? F32[w] : F64[w >> 1];
  let r: number;
  if (rc === 3) r = Math.trunc(x);
  else if (rc === 1) r = Math.floor(x);
  else if (rc === 2) r = Math.ceil(x);
  else {
    const fl = Math.floor(x), diff = x - fl;
    r = diff > 0.5 ? fl + 1 : diff < 0.5 ? fl : fl % 2 === 0 ? fl : fl + 1;
  }
  if (r < -2147483648 || r > 2147483647) { acc |= IE; return INDEF; }
  if (r !== x) acc |= PE;
  return r | 0;
}
/** int32 to format f (lane word w): exact for double, rounded for single. */
function fromInt32(f: Fmt, v: number, w: number, mx: number): void {
  if (f === DOUBLE) { F64[w >> 1] = v; return; }
  if (v === 0) { I32[w] = 0; return; }
  const r = roundExact(v < 0, BigInt(Math.abs(v)), 0, false, SINGLE, mx);
  acc |= r.flags;
  I32[w] = r.bits[0];
}
/** Float lane (word wb, format from) to format to at word w. */
function convert(from: Fmt, to: Fmt, wb: number, w: number, mx: number): void {
  const v = decode(from, wb, mx, true);
  const put = (bits: number[]) => { I32[w] = bits[0]; if (to === DOUBLE) I32[w + 1] = bits[1]; };
  if (v.kind === 'nan') {
    if (v.snan) acc |= IE;
    // The payload's top bits carry over; the result is quiet.
    if (from === SINGLE) { const b = I32[wb]; put([b << 29, (b & 0x80000000) | 0x7ff80000 | ((b >>> 3) & 0xfffff)]); }
    else { const lo = I32[wb], hi = I32[wb + 1]; put([(hi & 0x80000000) | 0x7fc00000 | ((hi & 0xfffff) << 3) | (lo >>> 29)]); }
    return;
  }
  if (v.kind === 'inf') { put(to === SINGLE ? [v.neg ? 0xff800000 | 0 : 0x7f800000] : [0, v.neg ? 0xfff00000 | 0 : 0x7ff00000]); return; }
  if (v.kind === 'zero') { put(to === SINGLE ? [v.neg ? INDEF : 0] : [0, v.neg ? INDEF : 0]); return; }
  const r = roundExact(v.neg, v.m, v.e, false, to, mx);
  acc |= r.flags;
  put(r.bits);
}

type LaneOp = (mx: number) => void;
/** A conversion on scratch A/B (see binop), raising the gathered flags before the write-back. */
function cvt(d: Decoder, row: Row, bytes: number, body: LaneOp): ReturnType<typeof binop> {
  const ip = d.start >>> 0;
  return binop(d, row, (c) => { acc = 0; body(c.s[MXCSR]); raise(c, acc, ip); }, bytes);
}
const rcOf = (mx: number) => (mx >> 13) & 3;

// Integer -> float.
impl('f3 0f 2a', (d) => sc2(d, SINGLE)); impl('f2 0f 2a', (d) => sc2(d, DOUBLE));
function sc2(d: Decoder, f: Fmt) { // cvtsi2ss/sd xmm, r/m32: low lane only
  const r = d.reg, src = getRM(rmOperand(d), 2), ip = d.start >>> 0;
  return (c: Cpu) => {
    const v = src(c);
    getX(c, r, 0);
    acc = 0; fromInt32(f, v, 0, c.s[MXCSR]); raise(c, acc, ip);
    setX(c, r, 0);
  };
}
impl('0f 2a', (d) => { // cvtpi2ps xmm, mm/m64: lanes 0-1
  const ip = d.start >>> 0;
  const r = d.reg, mmx = d.isReg, q = d.rm, ea = mmx ? null : d.ea();
  return (c) => {
    if (ea) readMem(c, ea(c), 8, B32, false); else getM(c, q, B32);
    getX(c, r, 0);
    acc = 0; const mx = c.s[MXCSR];
    fromInt32(SINGLE, I32[B32], 0, mx); fromInt32(SINGLE, I32[B32 + 1], 1, mx);
    raise(c, acc, ip);
    setX(c, r, 0);
  };
});
impl('66 0f 2a', (d) => { // cvtpi2pd xmm, mm/m64
  const r = d.reg, mmx = d.isReg, q = d.rm, ea = mmx ? null : d.ea();
  return (c) => {
    if (ea) readMem(c, ea(c), 8, B32, false); else getM(c, q, B32);
    F64[0] = I32[B32]; F64[1] = I32[B32 + 1];
    setX(c, r, 0);
  };
});
impl('0f 5b', (d, row) => cvt(d, row, 0, (mx) => { for (let i = 0; i < 4; i++) fromInt32(SINGLE, I32[B32 + i], i, mx); })); // cvtdq2ps
impl('f3 0f e6', (d, row) => cvt(d, row, 8, () => { const a = I32[B32], b = I32[B32 + 1]; F64[0] = a; F64[1] = b; })); // cvtdq2pd

// Float -> integer.
function si(d: Decoder, f: Fmt, trunc: boolean) { // cvt(t)ss2si / cvt(t)sd2si r32, xmm/m
  const set = regSet(2, d.reg), bytes = f === SINGLE ? 4 : 8, ip = d.start >>> 0;
  const load = d.isReg ? ((q) => (c: Cpu) => getX(c, q, 0))(d.rm) : ((ea) => (c: Cpu) => readMem(c, ea(c), bytes, 0, false))(d.ea());
  return (c: Cpu) => {
    load(c);
    acc = 0; const mx = c.s[MXCSR];
    const v = toInt32(f, 0, mx, trunc ? 3 : rcOf(mx));
    raise(c, acc, ip);
    set(c, v);
  };
}
impl('f3 0f 2c', (d) => si(d, SINGLE, true)); impl('f2 0f 2c', (d) => si(d, DOUBLE, true));
impl('f3 0f 2d', (d) => si(d, SINGLE, false)); impl('f2 0f 2d', (d) => si(d, DOUBLE, false));
/** cvt(t)ps2pi / cvt(t)pd2pi mm, xmm/m: two lanes to an MMX register. */
function pi(d: Decoder, f: Fmt, trunc: boolean) {
  const r = d.reg, bytes = f === SINGLE ? 8 : 16, ip = d.start >>> 0;
  const load = d.isReg ? ((q) => (c: Cpu) => getX(c, q, B32))(d.rm) : ((ea) => (c: Cpu) => readMem(c, ea(c), bytes, B32, bytes === 16))(d.ea());
  const step = f === SINGLE ? 1 : 2;
  return (c: Cpu) => {
    load(c);
    acc = 0; const mx = c.s[MXCSR], rc = trunc ? 3 : rcOf(mx);
    const a = toInt32(f, B32, mx, rc), b = toInt32(f, B32 + step, mx, rc);
    raise(c, acc, ip);
    I32[0] = a; I32[1] = b;
    setM(c, r, 0);
  };
}
impl('0f 2c', (d) => pi(d, SINGLE, true)); impl('0f 2d', (d) => pi(d, SINGLE, false));
impl('66 0f 2c', (d) => pi(d, DOUBLE, true)); impl('66 0f 2d', (d) => pi(d, DOUBLE, false));
impl('66 0f 5b', (d, row) => cvt(d, row, 0, (mx) => { for (let i = 0; i < 4; i++) I32[i] = toInt32(SINGLE, B32 + i, mx, rcOf(mx)); })); // cvtps2dq
impl('f3 0f 5b', (d, row) => cvt(d, row, 0, (mx) => { for (let i = 0; i < 4; i++) I32[i] = toInt32(SINGLE, B32 + i, mx, 3); })); // cvttps2dq
impl(['66 0f e6', 'f2 0f e6'], (d, row) => {
  const trunc = row.prefix === 0x66;
  return cvt(d, row, 0, (mx) => {
    const rc = trunc ? 3 : rcOf(mx);
    const a = toInt32(DOUBLE, B32, mx, rc), b = toInt32(DOUBLE, B32 + 2, mx, rc);
    I32[0] = a; I32[1] = b; I32[2] = 0; I32[3] = 0;
  });
});

// Float <-> float.
impl('0f 5a', (d, row) => cvt(d, row, 8, (mx) => { convert(SINGLE, DOUBLE, B32 + 1, 2, mx); convert(SINGLE, DOUBLE, B32, 0, mx); })); // cvtps2pd
impl('66 0f 5a', (d, row) => cvt(d, row, 0, (mx) => { convert(DOUBLE, SINGLE, B32, 0, mx); convert(DOUBLE, SINGLE, B32 + 2, 1, mx); I32[2] = 0; I32[3] = 0; })); // cvtpd2ps
impl('f3 0f 5a', (d, row) => cvt(d, row, 4, (mx) => convert(SINGLE, DOUBLE, B32, 0, mx))); // cvtss2sd
impl('f2 0f 5a', (d, row) => cvt(d, row, 8, (mx) => convert(DOUBLE, SINGLE, B32, 0, mx))); // cvtsd2ss

void isMmx; void getM;
