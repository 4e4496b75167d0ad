/**
 * Soft-float on the x87's 80-bit extended format: a value is three words
 * [significand lo, significand hi (bit 31 = explicit integer bit), sign<<15 | exponent].
 * Algorithms from the Intel SDM vol.1 ch.4 and 8 (rounding, precision control, masked
 * responses, tininess detected before rounding) and IEEE 754-2008 §4 and §7; written
 * here, no code copied.
 *
 * Significands are pairs of uint32 held in JS numbers. A 32x32 product is exact from
 * Math.imul (low word) plus one float64 multiply (high word, see mul32), which measured
 * 3.6 ns on Node 20 against 183 ns for a BigInt 64-bit division; so + - * / are word
 * arithmetic, and BigInt is kept for the rare paths (a quotient within 2^-30 of a
 * rounding boundary, sqrt, fprem, BCD).
 *
 * Every operation writes its result to X and returns the exception flags it raised
 * (IE DE ZE OE UE PE, and C1 = "rounded up"), which the caller records (fpu.ts: raise).
 * Unmasked OE/UE on a register destination return the bias-adjusted result
 * (exponent -/+ 0x6000, SDM 4.9.1.4/4.9.1.5), as the CPU delivers it to the handler.
 */

export const IE = 0x1, DE = 0x2, ZE = 0x4, OE = 0x8, UE = 0x10, PE = 0x20, C1F = 0x200;

/** Result of the last operation: significand lo, hi, sign|exponent. */
export const X = new Int32Array(3);

/**
 * Scratch words shared by the helpers below (unpacked operand, 32x32 product, shifted
 * significand, rounded result, quotient, integer). A Float64Array, not module variables:
 * uint32 values above 2^30 are not small integers, and V8 boxed every store to a
 * module-level variable (measured: add 100 ns -> see docs/ISA.md).
 */
export const W = new Float64Array(16);
const W_MH = 0, W_ML = 1;                 // 32x32 product (mul32)
const W_S2 = 2, W_S1 = 3, W_S0 = 4;       // shifted significand (shr96)
const W_UE = 5, W_UH = 6, W_UL = 7;       // unpacked operand (unpack)
const W_OE = 8, W_OH = 9, W_OL = 10;      // rounded result (roundPack)
const W_Q2 = 11, W_Q1 = 12, W_Q0 = 13;    // quotient (divSig)
export const IH = 14, IL = 15;            // integer magnitude (toIntMag)
const T32 = 4294967296;
const BIAS = 16383;

// ---- Operand classes (SDM vol.1 table 8-3 and 8.2.2 "unsupported" encodings) ----
export const ZERO = 0, NORMAL = 1, DENORMAL = 2, INF = 3, QNAN = 4, SNAN = 5, UNSUPPORTED = 6;

/** Class of an 80-bit value. Pseudo-denormals (exponent 0, integer bit set) count as DENORMAL. */
export function classify(lo: number, hi: number, se: number): number {
  const e = se & 0x7fff;
  if (e === 0x7fff) {
    if (hi >= 0) return UNSUPPORTED; // pseudo-infinity / pseudo-NaN
    if ((hi & 0x7fffffff) === 0 && lo === 0) return INF;
    return hi & 0x40000000 ? QNAN : SNAN;
  }
  if (e === 0) return (hi | lo) === 0 ? ZERO : DENORMAL;
  return hi < 0 ? NORMAL : UNSUPPORTED; // unnormal
}
const isNaNCls = (k: number) => k === QNAN || k === SNAN;

export function setIndefinite(): void { X[0] = 0; X[1] = 0xc0000000 | 0; X[2] = 0xffff; }
export function setX(lo: number, hi: number, se: number): void { X[0] = lo; X[1] = hi; X[2] = se; }

/**
 * Result for operands at least one of which is a NaN or unsupported: IE for an SNaN or
 * an unsupported operand; the NaN picked as SDM vol.1 table 4-7 says (QNaN over SNaN,
 * else the larger significand; on a tie the positive one, measured), quieted.
 */
export function nanResult(aLo: number, aHi: number, aSe: number, ka: number, bLo: number, bHi: number, bSe: number, kb: number): number {
  if (ka === UNSUPPORTED || kb === UNSUPPORTED) { setIndefinite(); return IE; }
  const an = isNaNCls(ka), bn = isNaNCls(kb);
  let fl = ka === SNAN || kb === SNAN ? IE : 0;
  let pickB: boolean;
  if (an && bn) {
    if (ka !== kb) pickB = ka === SNAN;
    else {
      const ah = aHi & 0x7fffffff, bh = bHi & 0x7fffffff;
      pickB = bh > ah || (bh === ah && ((bLo >>> 0) > (aLo >>> 0) || (bLo === aLo && bSe >= 0 && !(bSe & 0x8000))));
    }
  } else pickB = bn;
  if (pickB) setX(bLo, bHi | 0x40000000, bSe); else setX(aLo, aHi | 0x40000000, aSe);
  return fl;
}

// ---- Unpacked operands: exponent (unbounded, biased) and normalized significand ----
/** Normalize a finite nonzero value into W[W_UE]/W[W_UH]/W[W_UL] (denormals get exponents below 1). */
function unpack(lo: number, hi: number, se: number): void {
  let e = se & 0x7fff;
  let h = hi >>> 0, l = lo >>> 0;
  if (e === 0) e = 1;
  if (h < 0x80000000) {
    if (h === 0) { const n = Math.clz32(l); h = (l << n) >>> 0; l = 0; e -= 32 + n; }
    else { const n = Math.clz32(h); h = ((h << n) | (l >>> (32 - n))) >>> 0; l = (l << n) >>> 0; e -= n; }
  }
  W[W_UE] = e; W[W_UH] = h; W[W_UL] = l;
}

/** 32x32 -> 64 exact: the low word from imul, the high from the float64 product (error < 2^12, rounded away). */
function mul32(a: number, b: number): void {
  const lo = Math.imul(a, b) >>> 0;
  W[W_ML] = lo;
  W[W_MH] = Math.round((a * b - lo) / T32);
}

// Shift right with the lost bits jammed into bit 0 (sticky).
function shr96(m2: number, m1: number, m0: number, n: number): void {
  if (n === 0) { W[W_S2] = m2; W[W_S1] = m1; W[W_S0] = m0; return; }
  let st: number;
  if (n < 32) {
    st = (m0 << (32 - n)); W[W_S0] = (m0 >>> n) | (m1 << (32 - n)); W[W_S1] = (m1 >>> n) | (m2 << (32 - n)); W[W_S2] = m2 >>> n;
  } else if (n < 64) {
    const k = n - 32;
    if (k === 0) { st = m0; W[W_S0] = m1; W[W_S1] = m2; }
    else { st = m0 | (m1 << (32 - k)); W[W_S0] = (m1 >>> k) | (m2 << (32 - k)); W[W_S1] = m2 >>> k; }
    W[W_S2] = 0;
  } else if (n < 96) {
    const k = n - 64;
    if (k === 0) { st = m0 | m1; W[W_S0] = m2; } else { st = m0 | m1 | (m2 << (32 - k)); W[W_S0] = m2 >>> k; }
    W[W_S1] = 0; W[W_S2] = 0;
  } else { st = m0 | m1 | m2; W[W_S0] = 0; W[W_S1] = 0; W[W_S2] = 0; }
  W[W_S0] = (W[W_S0] | (st !== 0 ? 1 : 0)) >>> 0; W[W_S1] >>>= 0; W[W_S2] >>>= 0;
}

// ---- Rounding (SDM 4.8.4, 8.1.5.2 precision control) ----


/**
 * Round sign, exponent e and the 96-bit significand m2:m1:m0 (bit 95 set, sticky in bit 0)
 * to pc bits (64, 53 or 24) with exponent range [emin, emax] under control word cw.
 * Sets W[W_OE]/W[W_OH]/W[W_OL]; returns flags. wrap: a register destination, where unmasked OE/UE
 * deliver the bias-adjusted result; otherwise the caller discards the result.
 */
export function roundPack(sg: number, e: number, m2: number, m1: number, m0: number, pc: number, emin: number, emax: number, cw: number, wrap: boolean): number {
  let fl = 0, tiny = false;
  if (e < emin) {
    if (wrap && !(cw & UE)) { e += 0x6000; fl |= UE; }
    else {
      // Tininess after rounding (measured: min normal - min denormal at PC=24 rounds to
      // min normal without UE): tiny unless rounding to pc bits with unbounded exponent
      // carries up to the smallest normal.
      tiny = !(e === emin - 1 && carriesOut(sg, m2, m1, m0, pc, cw));
      shr96(m2, m1, m0, emin - e); m2 = W[W_S2]; m1 = W[W_S1]; m0 = W[W_S0]; e = emin;
    }
  }
  let rb: number, st: boolean, lsb: number;
  if (pc === 64) { rb = m0 >>> 31; st = (m0 & 0x7fffffff) !== 0; lsb = m1 & 1; }
  else if (pc === 53) { rb = (m1 >>> 10) & 1; st = (m1 & 0x3ff) !== 0 || m0 !== 0; lsb = (m1 >>> 11) & 1; m1 = (m1 & ~0x7ff) >>> 0; }
  else { rb = (m2 >>> 7) & 1; st = (m2 & 0x7f) !== 0 || m1 !== 0 || m0 !== 0; lsb = (m2 >>> 8) & 1; m2 = (m2 & ~0xff) >>> 0; m1 = 0; }
  if (rb || st) {
    fl |= PE;
    const rc = (cw >> 10) & 3;
    const inc = rc === 0 ? rb !== 0 && (st || lsb !== 0) : rc === 1 ? sg !== 0 : rc === 2 ? sg === 0 : false;
    if (inc) {
      fl |= C1F;
      if (pc === 24) m2 += 0x100;
      else {
        m1 += pc === 64 ? 1 : 0x800;
        if (m1 >= T32) { m1 -= T32; m2 += 1; }
      }
      if (m2 >= T32) { m2 = 0x80000000; e++; }
    }
    if (tiny) fl |= UE;
  }
  if (e > emax) {
    if (wrap && !(cw & OE)) { e -= 0x6000; fl |= OE; }
    else {
      fl |= OE | PE;
      const rc = (cw >> 10) & 3;
      if (rc === 0 || (rc === 1 && sg) || (rc === 2 && !sg)) { e = emax + 1; m2 = 0x80000000; m1 = 0; fl |= C1F; }
      else {
        e = emax; fl &= ~C1F;
        m2 = pc === 24 ? 0xffffff00 : 0xffffffff; m1 = pc === 64 ? 0xffffffff : pc === 53 ? 0xfffff800 : 0;
      }
    }
  }
  W[W_OE] = e; W[W_OH] = m2; W[W_OL] = m1;
  return fl;
}

/** Whether rounding the normalized m2:m1:m0 to pc bits carries out of the top bit. */
function carriesOut(sg: number, m2: number, m1: number, m0: number, pc: number, cw: number): boolean {
  let rb: number, st: boolean, ones: boolean;
  if (pc === 64) { ones = m2 === 0xffffffff && m1 === 0xffffffff; rb = m0 >>> 31; st = (m0 & 0x7fffffff) !== 0; }
  else if (pc === 53) { ones = m2 === 0xffffffff && m1 >>> 11 === 0x1fffff; rb = (m1 >>> 10) & 1; st = (m1 & 0x3ff) !== 0 || m0 !== 0; }
  else { ones = m2 >>> 8 === 0xffffff; rb = (m2 >>> 7) & 1; st = (m2 & 0x7f) !== 0 || m1 !== 0 || m0 !== 0; }
  if (!ones || (!rb && !st)) return false;
  const rc = (cw >> 10) & 3;
  return rc === 0 ? rb !== 0 : rc === 1 ? sg !== 0 : rc === 2 ? sg === 0 : false;
}

/** Round into X as an 80-bit register value (precision from cw). */
function packReg(sg: number, e: number, m2: number, m1: number, m0: number, cw: number, pc: number): number {
  const fl = roundPack(sg, e, m2, m1, m0, pc, 1, 0x7ffe, cw, true);
  X[0] = W[W_OL] | 0; X[1] = W[W_OH] | 0;
  X[2] = (sg << 15) | (W[W_OE] > 0x7ffe ? 0x7fff : W[W_OH] >= 0x80000000 ? W[W_OE] : 0);
  return fl;
}
/**
 * packReg for 64-bit precision with the result in the normal range, inlined by V8: the
 * hot path of + - * / under Linux's default control word. Anything else goes to packReg.
 */
function pack64(sg: number, e: number, m2: number, m1: number, m0: number, cw: number): number {
  if (e < 1 || e > 0x7ffe) return packReg(sg, e, m2, m1, m0, cw, 64);
  let fl = 0;
  if (m0 !== 0) {
    fl = PE;
    const rc = cw & 0xc00;
    if (rc === 0 ? m0 > 0x80000000 || (m0 === 0x80000000 && (m1 & 1) !== 0) : rc === 0x400 ? sg !== 0 : rc === 0x800 && sg === 0) {
      if (m1 !== 0xffffffff) m1 += 1;
      else if (m2 !== 0xffffffff) { m1 = 0; m2 += 1; }
      else return packReg(sg, e, m2, m1, m0, cw, 64); // carries into the exponent
      fl |= C1F;
    }
  }
  X[0] = m1 | 0; X[1] = m2 | 0; X[2] = (sg << 15) | e;
  return fl;
}
const pcOf = (cw: number) => { const p = (cw >> 8) & 3; return p === 3 ? 64 : p === 2 ? 53 : 24; };

/** Round an exact finite value given as 96-bit significand (normalized) to 64 bits, into X. */
export function round80(sg: number, e: number, m2: number, m1: number, m0: number, cw: number): number {
  return packReg(sg, e, m2, m1, m0, cw, 64);
}

/**
 * Flags for denormal operands of an arithmetic op that has no NaN/unsupported operand.
 */
const denFlag = (ka: number, kb: number) => (ka === DENORMAL || kb === DENORMAL ? DE : 0);

// ---- + - ----

/**
 * a + b, or a - b when sub; precision control applies. Inline here: two normal operands
 * (integer bit set, exponent 1..0x7ffe) at 64-bit precision with an alignment shift
 * below 64 bits, rounded by one pack64 (one call site, so V8 inlines it: with the fast
 * path in a function of its own, several pack64 sites and one more call level, the bench's
 * x87 loop took 6.3-6.6 s of engine CPU, 5.9 s like this); the rest in addGeneral.
 */
export function add(aLo: number, aHi: number, aSe: number, bLo: number, bHi: number, bSe: number, sub: boolean, cw: number): number {
  const ea0 = aSe & 0x7fff, eb0 = bSe & 0x7fff;
  if ((aHi & bHi) >= 0 || (ea0 - 1) >>> 0 >= 0x7ffe || (eb0 - 1) >>> 0 >= 0x7ffe || (cw & 0x300) !== 0x300) return addGeneral(aLo, aHi, aSe, bLo, bHi, bSe, sub, cw);
  let sa = (aSe >> 15) & 1, sb = ((bSe >> 15) & 1) ^ (sub ? 1 : 0);
  let ea = ea0, eb = eb0, ah = aHi >>> 0, al = aLo >>> 0, bh = bHi >>> 0, bl = bLo >>> 0;
  if (eb > ea || (eb === ea && (bh > ah || (bh === ah && bl > al)))) {
    let t = ea; ea = eb; eb = t; t = ah; ah = bh; bh = t; t = al; al = bl; bl = t; t = sa; sa = sb; sb = t;
  }
  const d = ea - eb;
  if (d >= 64) return addGeneral(aLo, aHi, aSe, bLo, bHi, bSe, sub, cw);
  let b2: number, b1: number, b0: number;
  if (d === 0) { b2 = bh; b1 = bl; b0 = 0; }
  else if (d < 32) { b0 = (bl << (32 - d)) >>> 0; b1 = ((bl >>> d) | (bh << (32 - d))) >>> 0; b2 = bh >>> d; }
  else if (d === 32) { b0 = bl; b1 = bh; b2 = 0; }
  else {
    const k = d - 32;
    b0 = ((bl >>> k) | (bh << (32 - k)) | ((bl << (32 - k)) !== 0 ? 1 : 0)) >>> 0; b1 = bh >>> k; b2 = 0;
  }
  let r2: number, r1: number, r0: number, e = ea;
  if (sa === sb) {
    r0 = b0;
    let t = al + b1; r1 = t >>> 0;
    t = ah + b2 + (t >= T32 ? 1 : 0);
    if (t >= T32) {
      r0 = ((r0 >>> 1) | ((r1 & 1) << 31) | (r0 & 1)) >>> 0;
      r1 = ((r1 >>> 1) | ((t & 1) << 31)) >>> 0;
      t = Math.floor(t / 2); e++;
    }
    r2 = t;
  } else {
    let t = 0 - b0; let bor = t < 0 ? 1 : 0; r0 = t >>> 0;
    t = al - b1 - bor; bor = t < 0 ? 1 : 0; r1 = t >>> 0;
    r2 = (ah - b2 - bor) >>> 0;
    if (d > 1) {
      // Cancellation of at most one bit: normalize by one at most.
      if (r2 < 0x80000000) { r2 = ((r2 << 1) | (r1 >>> 31)) >>> 0; r1 = ((r1 << 1) | (r0 >>> 31)) >>> 0; r0 = (r0 << 1) >>> 0; e--; }
    } else {
      // Exponents within one: the difference is exact in 65 bits (r0 holds at most the
      // bit shifted out), and any cancellation is undone by a left shift.
      if ((r2 | r1 | r0) === 0) { X[0] = 0; X[1] = 0; X[2] = (cw & 0xc00) === 0x400 ? 0x8000 : 0; return 0; }
      if (r2 === 0) { r2 = r1; r1 = r0; r0 = 0; e -= 32; if (r2 === 0) { r2 = r1; r1 = 0; e -= 32; } }
      const n = Math.clz32(r2);
      if (n) { r2 = ((r2 << n) | (r1 >>> (32 - n))) >>> 0; r1 = ((r1 << n) | (r0 >>> (32 - n))) >>> 0; r0 = (r0 << n) >>> 0; e -= n; }
    }
  }
  return pack64(sa, e, r2, r1, r0, cw);
}

/** add for every other case: specials, denormals, other precisions, far-apart exponents. */
function addGeneral(aLo: number, aHi: number, aSe: number, bLo: number, bHi: number, bSe: number, sub: boolean, cw: number): number {
  const ka = classify(aLo, aHi, aSe), kb = classify(bLo, bHi, bSe);
  if (ka >= QNAN || kb >= QNAN) return nanResult(aLo, aHi, aSe, ka, bLo, bHi, bSe, kb);
  let sa = (aSe >> 15) & 1, sb = ((bSe >> 15) & 1) ^ (sub ? 1 : 0);
  if (ka === INF || kb === INF) {
    if (ka === INF && kb === INF && sa !== sb) { setIndefinite(); return IE; }
    const s = ka === INF ? sa : sb;
    setX(0, 0x80000000 | 0, (s << 15) | 0x7fff);
    return denFlag(ka, kb);
  }
  const fl = denFlag(ka, kb);
  if (fl && !(cw & DE)) return fl;
  const pc = pcOf(cw);
  if (ka === ZERO && kb === ZERO) {
    const s = sa === sb ? sa : ((cw >> 10) & 3) === 1 ? 1 : 0;
    setX(0, 0, s << 15);
    return 0;
  }
  if (ka === ZERO || kb === ZERO) {
    // x + 0 is x, rounded to the precision (and denormalized) like any result.
    if (ka === ZERO) { unpack(bLo, bHi, bSe); sa = sb; } else unpack(aLo, aHi, aSe);
    return fl | packReg(sa, W[W_UE], W[W_UH], W[W_UL], 0, cw, pc);
  }
  unpack(aLo, aHi, aSe);
  let ea = W[W_UE], ah = W[W_UH], al = W[W_UL];
  unpack(bLo, bHi, bSe);
  let eb = W[W_UE], bh = W[W_UH], bl = W[W_UL];
  // Order by magnitude: a is the larger.
  if (eb > ea || (eb === ea && (bh > ah || (bh === ah && bl > al)))) {
    let t = ea; ea = eb; eb = t; t = ah; ah = bh; bh = t; t = al; al = bl; bl = t; t = sa; sa = sb; sb = t;
  }
  shr96(bh, bl, 0, ea - eb);
  let r2: number, r1: number, r0: number, e = ea;
  if (sa === sb) {
    r0 = W[W_S0];
    let t = al + W[W_S1]; r1 = t >>> 0;
    t = ah + W[W_S2] + (t >= T32 ? 1 : 0);
    if (t >= T32) {
      // Carry out: shift right one, keeping the sticky bit.
      r0 = ((r0 >>> 1) | ((r1 & 1) << 31) | (r0 & 1)) >>> 0;
      r1 = ((r1 >>> 1) | ((t & 1) << 31)) >>> 0;
      r2 = Math.floor(t / 2); e++;
    } else r2 = t;
  } else {
    let t = 0 - W[W_S0]; let bor = t < 0 ? 1 : 0; r0 = t >>> 0;
    t = al - W[W_S1] - bor; bor = t < 0 ? 1 : 0; r1 = t >>> 0;
    r2 = (ah - W[W_S2] - bor) >>> 0;
    if ((r2 | r1 | r0) === 0) {
      setX(0, 0, ((cw >> 10) & 3) === 1 ? 0x8000 : 0);
      return fl;
    }
    // Normalize left (only one bit when the aligned operand lost bits, so sticky stays below the round bit).
    while (r2 === 0) { r2 = r1; r1 = r0; r0 = 0; e -= 32; }
    const n = Math.clz32(r2);
    if (n) { r2 = ((r2 << n) | (r1 >>> (32 - n))) >>> 0; r1 = ((r1 << n) | (r0 >>> (32 - n))) >>> 0; r0 = (r0 << n) >>> 0; e -= n; }
  }
  return fl | packReg(sa, e, r2, r1, r0, cw, pc);
}

// ---- * ----

/**
 * a * b. Inline here: two normal operands at 64-bit precision, the 128-bit product from
 * 32x32 products (two when a significand has 32 bits or fewer: from m32fp, an integer, a
 * constant), rounded by one pack64; the rest in mulGeneral.
 */
export function mul(aLo: number, aHi: number, aSe: number, bLo: number, bHi: number, bSe: number, cw: number): number {
  const ea0 = aSe & 0x7fff, eb0 = bSe & 0x7fff;
  if ((aHi & bHi) >= 0 || (ea0 - 1) >>> 0 >= 0x7ffe || (eb0 - 1) >>> 0 >= 0x7ffe || (cw & 0x300) !== 0x300) return mulGeneral(aLo, aHi, aSe, bLo, bHi, bSe, cw);
  const ah = aHi >>> 0, al = aLo >>> 0, bh = bHi >>> 0, bl = bLo >>> 0;
  let w3: number, w2: number, w1: number, w0: number;
  if ((al | 0) === 0 || (bl | 0) === 0) {
    const xh = al === 0 ? bh : ah, xl = al === 0 ? bl : al, yh = al === 0 ? ah : bh;
    let lo = Math.imul(xl, yh) >>> 0;
    w1 = lo; w0 = 0;
    let t2 = Math.round((xl * yh - lo) * 2.3283064365386963e-10);
    lo = Math.imul(xh, yh) >>> 0; t2 += lo; w3 = Math.round((xh * yh - lo) * 2.3283064365386963e-10);
    const c = t2 >= T32 ? 1 : 0; w2 = t2 - c * T32; w3 += c;
  } else {
    let lo = Math.imul(al, bl) >>> 0;
    w0 = lo;
    let t1 = Math.round((al * bl - lo) * 2.3283064365386963e-10);
    lo = Math.imul(al, bh) >>> 0; t1 += lo; let t2 = Math.round((al * bh - lo) * 2.3283064365386963e-10);
    lo = Math.imul(ah, bl) >>> 0; t1 += lo; t2 += Math.round((ah * bl - lo) * 2.3283064365386963e-10);
    lo = Math.imul(ah, bh) >>> 0; t2 += lo; w3 = Math.round((ah * bh - lo) * 2.3283064365386963e-10);
    let c = Math.floor(t1 * 2.3283064365386963e-10); w1 = t1 - c * T32;
    t2 += c; c = Math.floor(t2 * 2.3283064365386963e-10); w2 = t2 - c * T32; w3 += c;
  }
  let e = ea0 + eb0 - BIAS + 1;
  if (w3 < 0x80000000) {
    w3 = ((w3 << 1) | (w2 >>> 31)) >>> 0; w2 = ((w2 << 1) | (w1 >>> 31)) >>> 0;
    w1 = ((w1 << 1) | (w0 >>> 31)) >>> 0; w0 = (w0 << 1) >>> 0; e--;
  }
  return pack64(((aSe ^ bSe) >> 15) & 1, e, w3, w2, (w1 | (w0 !== 0 ? 1 : 0)) >>> 0, cw);
}

/** mul for every other case. */
function mulGeneral(aLo: number, aHi: number, aSe: number, bLo: number, bHi: number, bSe: number, cw: number): number {
  const ka = classify(aLo, aHi, aSe), kb = classify(bLo, bHi, bSe);
  if (ka >= QNAN || kb >= QNAN) return nanResult(aLo, aHi, aSe, ka, bLo, bHi, bSe, kb);
  const sg = ((aSe ^ bSe) >> 15) & 1;
  if (ka === INF || kb === INF) {
    if (ka === ZERO || kb === ZERO) { setIndefinite(); return IE; }
    setX(0, 0x80000000 | 0, (sg << 15) | 0x7fff);
    return denFlag(ka, kb);
  }
  const fl = denFlag(ka, kb);
  if (fl && !(cw & DE)) return fl;
  if (ka === ZERO || kb === ZERO) { setX(0, 0, sg << 15); return fl; }
  unpack(aLo, aHi, aSe);
  const ea = W[W_UE], ah = W[W_UH], al = W[W_UL];
  unpack(bLo, bHi, bSe);
  let e = ea + W[W_UE] - BIAS + 1;
  const bh = W[W_UH], bl = W[W_UL];
  mul32(al, bl); const w0 = W[W_ML]; let t1 = W[W_MH];
  mul32(al, bh); t1 += W[W_ML]; let t2 = W[W_MH];
  mul32(ah, bl); t1 += W[W_ML]; t2 += W[W_MH];
  mul32(ah, bh); t2 += W[W_ML]; let w3 = W[W_MH];
  let c = Math.floor(t1 / T32); const w1 = t1 - c * T32;
  t2 += c; c = Math.floor(t2 / T32); let w2 = t2 - c * T32; w3 += c;
  let w1n = w1, w0n = w0;
  if (w3 < 0x80000000) {
    w3 = ((w3 << 1) | (w2 >>> 31)) >>> 0; w2 = ((w2 << 1) | (w1n >>> 31)) >>> 0;
    w1n = ((w1n << 1) | (w0n >>> 31)) >>> 0; w0n = (w0n << 1) >>> 0; e--;
  }
  return fl | packReg(sg, e, w3, w2, (w1n | (w0n !== 0 ? 1 : 0)) >>> 0, cw, pcOf(cw));
}

// ---- / ----

/** 64-bit significand quotient (A << 65) / B: sets W[W_Q2]:W[W_Q1]:W[W_Q0] (normalized, sticky in bit 0); returns 1 if A >= B. */
function divSig(ah: number, al: number, bh: number, bl: number): number {
  const ad = ah * T32 + al, bd = bh * T32 + bl;
  // Q0 ~ A * 2^52 / B within a few units; R = A * 2^52 - Q0 * B exactly (mod 2^96, |R| < 2^67).
  // Products as in mul32, inline; no % (a float modulo is a slow call in V8).
  const inv = 1 / bd; // one division, two uses
  const Q0 = Math.floor(ad * inv * 4503599627370496);
  const qh = Math.floor(Q0 * 2.3283064365386963e-10), ql = Q0 - qh * T32;
  let lo = Math.imul(ql, bl) >>> 0;
  const p0 = lo;
  let t = Math.round((ql * bl - lo) * 2.3283064365386963e-10);
  lo = Math.imul(ql, bh) >>> 0; t += lo; let u = Math.round((ql * bh - lo) * 2.3283064365386963e-10);
  lo = Math.imul(qh, bl) >>> 0; t += lo; u += Math.round((qh * bl - lo) * 2.3283064365386963e-10);
  const c = Math.floor(t * 2.3283064365386963e-10); const p1 = t - c * T32;
  const p2 = (u + c + (Math.imul(qh, bh) >>> 0)) >>> 0;
  const a1 = (al << 20) >>> 0, a2 = ((ah << 20) | (al >>> 12)) >>> 0;
  let r0 = (0 - p0), bor = r0 < 0 ? 1 : 0; r0 = r0 >>> 0;
  let r1 = a1 - p1 - bor; bor = r1 < 0 ? 1 : 0; r1 = r1 >>> 0;
  let r2 = (a2 - p2 - bor) >>> 0;
  let rd: number;
  if (r2 >= 0x80000000) {
    // Negative: two's complement magnitude.
    r0 = (~r0 >>> 0) + 1; r1 = ~r1 >>> 0; r2 = ~r2 >>> 0;
    if (r0 >= T32) { r0 -= T32; r1 += 1; if (r1 >= T32) { r1 -= T32; r2 += 1; } }
    rd = -(r2 * 18446744073709551616 + r1 * T32 + r0);
  } else rd = r2 * 18446744073709551616 + r1 * T32 + r0;
  // The 13 more quotient bits: T = R * 2^13 / B, known to within 2^-36.
  const tq = rd * 8192 * inv;
  const tf = Math.floor(tq), fr = tq - tf;
  if (fr < 1e-8 || fr > 1 - 1e-8) return divExact(ah, al, bh, bl);
  // Q = Q0 * 2^13 + tf as U * 2^32 + low.
  let U = Math.floor(Q0 * 1.9073486328125e-6); // Q0 / 2^19
  let low = (Q0 - U * 524288) * 8192 + tf;
  const carry = Math.floor(low * 2.3283064365386963e-10);
  low -= carry * T32; U += carry;
  if (U >= 8589934592) {
    const h = Math.floor(U * 0.25);
    W[W_Q2] = h; W[W_Q1] = (U - h * 4) * 1073741824 + (low >>> 2); W[W_Q0] = (((low & 3) << 30) | 1) >>> 0;
    return 1;
  }
  const h = Math.floor(U * 0.5);
  W[W_Q2] = h; W[W_Q1] = (U - h * 2) * 2147483648 + (low >>> 1); W[W_Q0] = (((low & 1) << 31) | 1) >>> 0;
  return 0;
}
/** The same quotient by BigInt division, when the fast estimate is too close to call. */
function divExact(ah: number, al: number, bh: number, bl: number): number {
  const A = (BigInt(ah) << 32n) | BigInt(al), B = (BigInt(bh) << 32n) | BigInt(bl);
  const N = A << 65n;
  let q = N / B;
  const st = q * B !== N ? 1n : 0n;
  const big = q >= 1n << 65n ? 1 : 0;
  // Place the top bit at bit 95.
  q = (q << (big ? 30n : 31n)) | st;
  W[W_Q2] = Number(q >> 64n); W[W_Q1] = Number((q >> 32n) & 0xffffffffn); W[W_Q0] = Number(q & 0xffffffffn);
  return big;
}

/** a / b. Inline here: two normal operands at 64-bit precision (divSig); the rest in divGeneral. */
export function div(aLo: number, aHi: number, aSe: number, bLo: number, bHi: number, bSe: number, cw: number): number {
  const ea0 = aSe & 0x7fff, eb0 = bSe & 0x7fff;
  if ((aHi & bHi) >= 0 || (ea0 - 1) >>> 0 >= 0x7ffe || (eb0 - 1) >>> 0 >= 0x7ffe || (cw & 0x300) !== 0x300) return divGeneral(aLo, aHi, aSe, bLo, bHi, bSe, cw);
  const big = divSig(aHi >>> 0, aLo >>> 0, bHi >>> 0, bLo >>> 0);
  return pack64(((aSe ^ bSe) >> 15) & 1, ea0 - eb0 + BIAS - 1 + big, W[W_Q2], W[W_Q1], W[W_Q0], cw);
}

/** div for every other case. */
function divGeneral(aLo: number, aHi: number, aSe: number, bLo: number, bHi: number, bSe: number, cw: number): number {
  const ka = classify(aLo, aHi, aSe), kb = classify(bLo, bHi, bSe);
  if (ka >= QNAN || kb >= QNAN) return nanResult(aLo, aHi, aSe, ka, bLo, bHi, bSe, kb);
  const sg = ((aSe ^ bSe) >> 15) & 1;
  if (ka === INF) {
    if (kb === INF) { setIndefinite(); return IE; }
    setX(0, 0x80000000 | 0, (sg << 15) | 0x7fff); return denFlag(ka, kb);
  }
  if (kb === ZERO) {
    if (ka === ZERO) { setIndefinite(); return IE; }
    // Zero divide outranks the denormal-operand exception (SDM 4.9.2).
    setX(0, 0x80000000 | 0, (sg << 15) | 0x7fff); return ZE;
  }
  if (kb === INF) { setX(0, 0, sg << 15); return denFlag(ka, kb); }
  const fl = denFlag(ka, kb);
  if (fl && !(cw & DE)) return fl;
  if (ka === ZERO) { setX(0, 0, sg << 15); return fl; }
  unpack(aLo, aHi, aSe);
  const ea = W[W_UE], ah = W[W_UH], al = W[W_UL];
  unpack(bLo, bHi, bSe);
  const big = divSig(ah, al, W[W_UH], W[W_UL]);
  return fl | packReg(sg, ea - W[W_UE] + BIAS - 1 + big, W[W_Q2], W[W_Q1], W[W_Q0], cw, pcOf(cw));
}

// ---- sqrt (BigInt: rare in hot loops) ----

/** floor(sqrt(n)): Newton's iteration from above (a float estimate raised by 2^-40). */
function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = BigInt(Math.ceil(Math.sqrt(Number(n)) * (1 + 2 ** -40))) + 1n;
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

export function sqrt(aLo: number, aHi: number, aSe: number, cw: number): number {
  const ka = classify(aLo, aHi, aSe);
  if (ka >= QNAN) return nanResult(aLo, aHi, aSe, ka, aLo, aHi, aSe, ka);
  const sg = (aSe >> 15) & 1;
  if (ka === ZERO) { setX(aLo, aHi, aSe); return 0; }
  if (sg) { setIndefinite(); return IE; }
  if (ka === INF) { setX(aLo, aHi, aSe); return 0; }
  const fl = ka === DENORMAL ? DE : 0;
  if (fl && !(cw & DE)) return fl;
  unpack(aLo, aHi, aSe);
  // value = M * 2^(e - BIAS - 63); make the exponent even, take 66+ result bits.
  const M = (BigInt(W[W_UH]) << 32n) | BigInt(W[W_UL]);
  let k = W[W_UE] - BIAS - 63;
  let N = M << 129n; k -= 129; // N has 193 bits: root has 97 bits
  if (k & 1) { N <<= 1n; k -= 1; }
  const r = isqrt(N);
  const st = r * r !== N ? 1n : 0n;
  const bits = r.toString(2).length;
  const q = (r << BigInt(96 - bits)) | st;
  const re = k / 2 + bits - 1 + BIAS; // value = r * 2^(k/2)
  return fl | packReg(0, re, Number(q >> 64n), Number((q >> 32n) & 0xffffffffn), Number(q & 0xffffffffn), cw, pcOf(cw));
}

// ---- Compare ----

/** -1 a<b, 0 equal, 1 a>b, 2 unordered; flags in cmpFlags. */
export let cmpFlags = 0;
export function compare(aLo: number, aHi: number, aSe: number, bLo: number, bHi: number, bSe: number, quiet: boolean): number {
  const xa = aSe & 0x7fff, xb = bSe & 0x7fff;
  if ((aHi & bHi) < 0 && (xa - 1) >>> 0 < 0x7ffe && (xb - 1) >>> 0 < 0x7ffe) {
    // Two normal operands: no flags; order by sign, then exponent and significand.
    cmpFlags = 0;
    const neg = aSe & 0x8000;
    if (neg !== (bSe & 0x8000)) return neg ? -1 : 1;
    const ah = aHi >>> 0, bh = bHi >>> 0, al = aLo >>> 0, bl = bLo >>> 0;
    const m = xa !== xb ? (xa > xb ? 1 : -1) : ah !== bh ? (ah > bh ? 1 : -1) : al !== bl ? (al > bl ? 1 : -1) : 0;
    return neg ? -m : m;
  }
  const ka = classify(aLo, aHi, aSe), kb = classify(bLo, bHi, bSe);
  if (ka >= QNAN || kb >= QNAN) {
    cmpFlags = !quiet || ka === SNAN || kb === SNAN || ka === UNSUPPORTED || kb === UNSUPPORTED ? IE : 0;
    return 2;
  }
  cmpFlags = denFlag(ka, kb);
  const za = ka === ZERO, zb = kb === ZERO;
  if (za && zb) return 0;
  const sa = (aSe >> 15) & 1, sb = (bSe >> 15) & 1;
  if (za) return sb ? 1 : -1;
  if (zb) return sa ? -1 : 1;
  if (sa !== sb) return sa ? -1 : 1;
  let ea: number, ah: number, al: number;
  if (ka === INF) { ea = 1e6; ah = 0; al = 0; } else { unpack(aLo, aHi, aSe); ea = W[W_UE]; ah = W[W_UH]; al = W[W_UL]; }
  let eb: number, bh: number, bl: number;
  if (kb === INF) { eb = 1e6; bh = 0; bl = 0; } else { unpack(bLo, bHi, bSe); eb = W[W_UE]; bh = W[W_UH]; bl = W[W_UL]; }
  const m = ea !== eb ? (ea > eb ? 1 : -1) : ah !== bh ? (ah > bh ? 1 : -1) : al !== bl ? (al > bl ? 1 : -1) : 0;
  return sa ? -m : m;
}

// ---- Integers ----

/**
 * Round a finite value to an integer by rc: sets W[IH]/W[IL] (magnitude, up to 2^64 - 1;
 * iOver when it does not fit 64 bits), returns PE|C1 flags.
 */
export let iOver = false;
export function toIntMag(lo: number, hi: number, se: number, rc: number): number {
  const k = classify(lo, hi, se);
  iOver = false; W[IH] = 0; W[IL] = 0;
  if (k === ZERO) return 0;
  unpack(lo, hi, se);
  const sg = (se >> 15) & 1;
  const sh = BIAS + 63 - W[W_UE]; // right shift that leaves the integer part
  if (sh < 0) { iOver = true; return 0; }
  if (sh === 0) { W[IH] = W[W_UH]; W[IL] = W[W_UL]; return 0; }
  let rb: number, st: boolean;
  if (sh >= 66) { W[IH] = 0; W[IL] = 0; rb = 0; st = true; }
  else {
    shr96(W[W_UH], W[W_UL], 0, sh);
    W[IH] = W[W_S2]; W[IL] = W[W_S1]; rb = W[W_S0] >>> 31; st = (W[W_S0] & 0x7fffffff) !== 0;
  }
  if (!rb && !st) return 0;
  const inc = rc === 0 ? rb !== 0 && (st || (W[IL] & 1) !== 0) : rc === 1 ? sg !== 0 : rc === 2 ? sg === 0 : false;
  if (inc) {
    W[IL] += 1;
    if (W[IL] >= T32) { W[IL] = 0; W[IH] += 1; if (W[IH] >= T32) { W[IH] = 0; iOver = true; } }
    return PE | C1F;
  }
  return PE;
}

/** Exact 80-bit of sign and a 64-bit magnitude h:l, into X. */
export function fromIntMag(sg: number, h: number, l: number): void {
  h >>>= 0; l >>>= 0;
  if ((h | l) === 0) { setX(0, 0, sg << 15); return; }
  let e = BIAS + 63;
  if (h === 0) { h = l; l = 0; e -= 32; }
  const n = Math.clz32(h);
  if (n) { h = ((h << n) | (l >>> (32 - n))) >>> 0; l = (l << n) >>> 0; e -= n; }
  setX(l | 0, h | 0, (sg << 15) | e);
}
export function fromInt32(v: number): void {
  if (v < 0) fromIntMag(1, 0, -v); else fromIntMag(0, 0, v);
}

/** frndint: round to an integer by rc (the result keeps 64-bit precision). */
export function roundInt(lo: number, hi: number, se: number, cw: number): number {
  const k = classify(lo, hi, se);
  if (k >= QNAN) return nanResult(lo, hi, se, k, lo, hi, se, k);
  if (k === ZERO || k === INF || (se & 0x7fff) >= BIAS + 63) { setX(lo, hi, se); return k === DENORMAL ? DE : 0; }
  const fl0 = k === DENORMAL ? DE : 0;
  if (fl0 && !(cw & DE)) return fl0;
  const fl = toIntMag(lo, hi, se, (cw >> 10) & 3);
  fromIntMag((se >> 15) & 1, W[IH], W[IL]);
  return fl0 | fl;
}

// ---- Formats ----

/** m32 float bits -> X (exact). Returns DE for a denormal, IE for an SNaN (quieted). */
export function fromF32(b: number, quiet: boolean): number {
  const sg = (b >>> 31) << 15, e = (b >>> 23) & 0xff, f = b & 0x7fffff;
  if (e === 0xff) {
    if (f === 0) { setX(0, 0x80000000 | 0, sg | 0x7fff); return 0; }
    setX(0, (0x80000000 | (f << 8) | (quiet ? 0x40000000 : 0)) | 0, sg | 0x7fff);
    return f & 0x400000 ? 0 : IE;
  }
  if (e === 0) {
    if (f === 0) { setX(0, 0, sg); return 0; }
    const n = Math.clz32(f) - 8; // shift so bit 23 is set
    setX(0, ((f << (n + 8)) >>> 0) | 0, sg | (1 - 127 + BIAS - n));
    return DE;
  }
  setX(0, (0x80000000 | (f << 8)) | 0, sg | (e - 127 + BIAS));
  return 0;
}
/** m64 float words -> X (exact). */
export function fromF64(lo: number, hi: number, quiet: boolean): number {
  const sg = (hi >>> 31) << 15, e = (hi >>> 20) & 0x7ff;
  const fh = hi & 0xfffff;
  if (e === 0x7ff) {
    if ((fh | lo) === 0) { setX(0, 0x80000000 | 0, sg | 0x7fff); return 0; }
    setX(lo << 11, ((quiet ? 0xc0000000 : 0x80000000) | (fh << 11) | (lo >>> 21)) | 0, sg | 0x7fff);
    return fh & 0x80000 ? 0 : IE;
  }
  if (e === 0) {
    if ((fh | lo) === 0) { setX(0, 0, sg); return 0; }
    // Denormal: f * 2^-1074; f << 12 puts fraction bit 51 at bit 63 (exponent BIAS - 1023).
    let h = ((fh << 12) | (lo >>> 20)) >>> 0, l = (lo << 12) >>> 0, ex = BIAS - 1023;
    if (h === 0) { h = l; l = 0; ex -= 32; }
    const n = Math.clz32(h);
    if (n) { h = ((h << n) | (l >>> (32 - n))) >>> 0; l = (l << n) >>> 0; }
    setX(l | 0, h | 0, sg | (ex - n));
    return DE;
  }
  setX(lo << 11, (0x80000000 | (fh << 11) | (lo >>> 21)) | 0, sg | (e - 1023 + BIAS));
  return 0;
}

/** Stored float: bits for m32 (F32 result) or lo/hi for m64, rounded by cw's rc (no precision control). */
export const FOUT = new Int32Array(2);
/**
 * X80 -> m32 (bits 32) or m64 (bits 64) into FOUT. Returns flags; with unmasked OE/UE
 * the caller must not store (SDM FST: the destination is unchanged).
 */
export function toFloat(lo: number, hi: number, se: number, bits: number, cw: number): number {
  if (bits === 64) {
    // Inline: a normal value whose double is normal (fst m64 after every -O0 statement):
    // round away the low 11 significand bits by rc. Overflow by rounding goes below.
    const e = se & 0x7fff;
    if (hi < 0 && e >= BIAS - 1022 && e <= BIAS + 1023) {
      const sg = (se >> 15) & 1, drop = lo & 0x7ff;
      let m1 = hi >>> 0, m0 = (lo & ~0x7ff) >>> 0, ex = e, fl = 0;
      if (drop !== 0) {
        fl = PE;
        const rc = cw & 0xc00;
        if (rc === 0 ? drop > 0x400 || (drop === 0x400 && (lo & 0x800) !== 0) : rc === 0x400 ? sg !== 0 : rc === 0x800 && sg === 0) {
          fl |= C1F; m0 += 0x800;
          if (m0 >= T32) { m0 -= T32; m1 += 1; if (m1 >= T32) { m1 = 0x80000000; ex++; } }
        }
      }
      if (ex <= BIAS + 1023) {
        FOUT[1] = (sg << 31) | ((ex - BIAS + 1023) << 20) | ((m1 >>> 11) & 0xfffff);
        FOUT[0] = (m1 << 21) | (m0 >>> 11);
        return fl;
      }
    }
  }
  const k = classify(lo, hi, se);
  const sg = (se >> 15) & 1;
  const dbl = bits === 64;
  if (k === QNAN || k === SNAN || k === UNSUPPORTED) {
    let qh: number, ql: number;
    if (k === UNSUPPORTED) { qh = 0xc0000000; ql = 0; } else { qh = (hi | 0x40000000) >>> 0; ql = lo >>> 0; }
    const s = k === UNSUPPORTED ? 1 : sg;
    if (dbl) { FOUT[1] = (s << 31) | 0x7ff00000 | ((qh >>> 11) & 0xfffff); FOUT[0] = (qh << 21) | (ql >>> 11); }
    else FOUT[0] = (s << 31) | 0x7f800000 | ((qh >>> 8) & 0x7fffff);
    return k === QNAN ? 0 : IE;
  }
  if (k === INF || k === ZERO) {
    if (dbl) { FOUT[1] = (sg << 31) | (k === INF ? 0x7ff00000 : 0); FOUT[0] = 0; }
    else FOUT[0] = (sg << 31) | (k === INF ? 0x7f800000 : 0);
    return 0;
  }
  unpack(lo, hi, se);
  const pc = dbl ? 53 : 24;
  const emin = dbl ? BIAS - 1022 : BIAS - 126, emax = dbl ? BIAS + 1023 : BIAS + 127;
  const fl = roundPack(sg, W[W_UE], W[W_UH], W[W_UL], 0, pc, emin, emax, cw, false);
  const e = W[W_OE];
  if (dbl) {
    if (e > emax) { FOUT[1] = (sg << 31) | 0x7ff00000; FOUT[0] = 0; }
    else {
      const be = W[W_OH] >= 0x80000000 ? e - BIAS + 1023 : 0;
      FOUT[1] = (sg << 31) | (be << 20) | ((W[W_OH] >>> 11) & 0xfffff);
      FOUT[0] = (W[W_OH] << 21) | (W[W_OL] >>> 11);
    }
  } else if (e > emax) FOUT[0] = (sg << 31) | 0x7f800000;
  else {
    const be = W[W_OH] >= 0x80000000 ? e - BIAS + 127 : 0;
    FOUT[0] = (sg << 31) | (be << 23) | ((W[W_OH] >>> 8) & 0x7fffff);
  }
  return fl;
}

/** Round X80 to 64 bits under cw's rc with 80-bit range (fscale, transcendental results): input exact big value. */
export function scale(lo: number, hi: number, se: number, n: number, cw: number): number {
  unpack(lo, hi, se);
  return packReg((se >> 15) & 1, W[W_UE] + n, W[W_UH], W[W_UL], 0, cw, 64);
}

/** Exponent (unbiased, normalized) and normalized significand of a finite nonzero value. */
export function unpacked(lo: number, hi: number, se: number): [number, number, number] {
  unpack(lo, hi, se);
  return [W[W_UE], W[W_UH], W[W_UL]];
}
