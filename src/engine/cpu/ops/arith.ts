/** Integer arithmetic and logic: ALU rows, groups 1-5 (minus control transfers), mul/div, bit ops. */
import type { Cpu, Op } from '../cpu.js';
import { FUSE_CMP_RI, FUSE_CMP_RR, FUSE_TEST_RI, FUSE_TEST_RR, type Decoder } from '../decoder.js';
import { getCF, getFlags, setArith } from '../flags.js';
import { CF, EAX } from '../state.js';
import { ALU, SHIFTS, div, idiv, imul1, imul2, mul, sc, shld, shrd, szp, type Alu2 } from './alu.js';
import { fastIncDec32, fastNeg32, fastNot32, fastShift32, imul32 } from './fast32.js';
import { binReg, binRM, getRM, memGet, memSet, norm, regGet, regSet, rmOperand, srcImm, srcReg, unRM } from './operand.js';
import { def } from './table.js';

const byteOrV = (op: number, d: Decoder): number => (op & 1 ? sc(d.opsize) : 0);

// 00-3D: add or adc sbb and sub xor cmp (k = op >> 3), in six forms each.
const fOf = (sz: number, k: number): Alu2 => ALU[sz].group[k];
// Eb,Gb / Ev,Gv
def('alu E,G', (d, op) => {
  const sz = byteOrV(op, d), k = op >> 3, write = k !== 7;
  d.modrm();
  const rm = rmOperand(d);
  if (k === 7 && sz === 2 && rm.ea === null) d.flagOnly(FUSE_CMP_RR, rm.reg, d.reg);
  return binRM(rm, sz, srcReg(d.reg), fOf(sz, k), write);
});
// Gb,Eb / Gv,Ev
def('alu G,E', (d, op) => {
  const sz = byteOrV(op, d), k = op >> 3, write = k !== 7;
  d.modrm();
  const rm = rmOperand(d);
  if (k === 6 && rm.ea === null && rm.reg === d.reg && sz === 2) {
    // xor r,r: the zeroing idiom.
    const i = d.reg;
    return (c) => { c.s[i] = ALU[2].xor(c, 0, 0); };
  }
  if (k === 7 && sz === 2 && rm.ea === null) d.flagOnly(FUSE_CMP_RR, d.reg, rm.reg);
  return binReg(d.reg, rm, sz, fOf(sz, k), write);
});
// AL,Ib / eAX,Iv
def('alu A,I', (d, op) => {
  const sz = byteOrV(op, d), k = op >> 3, write = k !== 7;
  const imm = norm(d.imm(sz === 2 ? 4 : sz === 1 ? 2 : 1), sz);
  if (k === 7 && sz === 2) d.flagOnly(FUSE_CMP_RI, EAX, imm);
  return binRM({ reg: EAX, ea: null, p: null }, sz, srcImm(imm), fOf(sz, k), write);
});

// 80-83: group 1 with immediates; 82 is an alias of 80 in 32-bit mode.
def('alu grp1', (d, op) => {
  const sz = op & 1 ? sc(d.opsize) : 0;
  d.modrm();
  const k = d.reg;
  const rm = rmOperand(d);
  const imm = norm(op === 0x83 ? d.s8() : d.imm(sz === 2 ? 4 : sz === 1 ? 2 : 1), sz);
  if (k === 7 && sz === 2 && rm.ea === null) d.flagOnly(FUSE_CMP_RI, rm.reg, imm);
  return binRM(rm, sz, srcImm(imm), ALU[sz].group[k], k !== 7);
});

// 84/85 test, A8/A9 test with accumulator.
def('test E,G', (d, op) => {
  const sz = byteOrV(op, d);
  d.modrm();
  const rm = rmOperand(d);
  if (sz === 2 && rm.ea === null) d.flagOnly(FUSE_TEST_RR, rm.reg, d.reg);
  return binRM(rm, sz, srcReg(d.reg), ALU[sz].test, false);
});
def('test A,I', (d, op) => {
  const sz = byteOrV(op, d);
  const imm = norm(d.imm(sz === 2 ? 4 : sz === 1 ? 2 : 1), sz);
  if (sz === 2) d.flagOnly(FUSE_TEST_RI, EAX, imm);
  return binRM({ reg: EAX, ea: null, p: null }, sz, srcImm(imm), ALU[sz].test, false);
});

// 40-4F: inc/dec r16/r32.
def('inc/dec Z', (d, op) => {
  const sz = sc(d.opsize);
  if (sz === 2) return fastIncDec32(op & 7, op >= 0x48);
  return unRM({ reg: op & 7, ea: null, p: null }, sz, op < 0x48 ? ALU[sz].inc : ALU[sz].dec);
});

// C0/C1/D0-D3: group 2 shifts and rotates.
def('shift', (d, op) => {
  const sz = op & 1 ? sc(d.opsize) : 0;
  d.modrm();
  const f = SHIFTS[sz][d.reg];
  const rm = rmOperand(d);
  const n = op === 0xd2 || op === 0xd3 ? -1 : op < 0xd0 ? d.u8() & 31 : 1;
  if (sz === 2 && rm.ea === null) {
    const fast = fastShift32(d.reg, rm.reg, n);
    if (fast) return fast;
  }
  if (n < 0) return unRM(rm, sz, (c, a) => f(c, a, c.s[1] & 31));
  return unRM(rm, sz, (c, a) => f(c, a, n));
});

// F6/F7: group 3.
def('grp3', (d, op) => {
  const sz = byteOrV(op, d);
  d.modrm();
  const rm = rmOperand(d);
  const get = getRM(rm, sz);
  switch (d.reg) {
    case 0: case 1: {
      const imm = norm(d.imm(sz === 2 ? 4 : sz === 1 ? 2 : 1), sz);
      if (sz === 2 && rm.ea === null) d.flagOnly(FUSE_TEST_RI, rm.reg, imm);
      return binRM(rm, sz, srcImm(imm), ALU[sz].test, false);
    }
    case 2: return sz === 2 && rm.ea === null ? fastNot32(rm.reg) : unRM(rm, sz, (_c, a) => norm(~a, sz));
    case 3: return sz === 2 && rm.ea === null ? fastNeg32(rm.reg) : unRM(rm, sz, ALU[sz].neg);
    case 4: return (c) => mul(c, get(c), sz);
    case 5: return (c) => imul1(c, get(c), sz);
    case 6: { const at = d.start; return (c) => div(c, get(c), sz, at); }
    default: { const at = d.start; return (c) => idiv(c, get(c), sz, at); }
  }
});

// FE: group 4 (inc/dec Eb). FF /0 /1 (inc/dec Ev) live here; FF's other rows are in control.ts.
def('grp4', (d, op) => {
  d.modrm();
  return unRM(rmOperand(d), 0, d.reg === 0 ? ALU[0].inc : ALU[0].dec);
});

// 69/6B: imul Gv,Ev,Iz/Ib.  0F AF: imul Gv,Ev.
def('imul G,E,I', (d, op) => {
  const sz = sc(d.opsize);
  d.modrm();
  const reg = d.reg;
  const rm = rmOperand(d);
  const get = getRM(rm, sz);
  const imm = norm(op === 0x6b ? d.s8() : d.immv(), sz);
  if (sz === 2) {
    if (rm.ea === null) { const j = rm.reg; return (c) => { const s = c.s; s[reg] = imul32(s, s[j], imm); }; }
    return (c) => { const v = get(c); const s = c.s; s[reg] = imul32(s, v, imm); };
  }
  const set = regSet(sz, reg);
  return (c) => set(c, imul2(c, get(c), imm, sz));
});
def('imul G,E', (d, op) => {
  const sz = sc(d.opsize);
  d.modrm();
  const reg = d.reg;
  const rm = rmOperand(d);
  const get = getRM(rm, sz);
  if (sz === 2) {
    if (rm.ea === null) { const j = rm.reg; return (c) => { const s = c.s; s[reg] = imul32(s, s[reg], s[j]); }; }
    return (c) => { const v = get(c); const s = c.s; s[reg] = imul32(s, s[reg], v); };
  }
  const r = regGet(sz, reg), set = regSet(sz, reg);
  return (c) => set(c, imul2(c, r(c), get(c), sz));
});

// 0F A4/A5 shld, AC/AD shrd.
def('shld/shrd', (d, op) => {
  const sz = sc(d.opsize);
  d.modrm();
  const src = regGet(sz, d.reg);
  const rm = rmOperand(d);
  const f = op < 0xa8 ? shld : shrd;
  if (op & 1) return unRM(rm, sz, (c, a) => f(c, a, src(c), c.s[1] & 31, sz));
  const n = d.u8() & 31;
  return unRM(rm, sz, (c, a) => f(c, a, src(c), n, sz));
});

// ---- Bit test family: bt bts btr btc (0F A3/AB/B3/BB with a register, 0F BA /4-7 with imm8). ----

type BitOp = (v: number, bit: number) => number;
const BITOPS: (BitOp | null)[] = [null, (v, b) => v | b, (v, b) => v & ~b, (v, b) => v ^ b];

function setBitCF(c: Cpu, bit: number): void {
  // bt leaves SF, ZF, AF, PF as they were on the CPUs we compare against.
  setArith(c, (getFlags(c) & ~CF) | bit);
}

function bitOp(d: Decoder, kind: number, imm: boolean): Op {
  const sz = sc(d.opsize);
  const bits = sz === 2 ? 32 : 16;
  d.modrm();
  const rm = rmOperand(d);
  const f = BITOPS[kind];
  const src = imm ? null : regGet(sz, d.reg);
  const immv = imm ? d.u8() : 0;
  if (rm.ea === null || imm) {
    // Register operand, or immediate offset (taken modulo the operand size).
    const get = getRM(rm, sz), set = f ? (rm.ea === null ? regSet(sz, rm.reg) : null) : null;
    if (rm.ea !== null && f) {
      const ea = rm.ea, rd = memGet(sz), wr = memSet(sz);
      return (c) => {
        const a = ea(c), v = rd(c, a), b = 1 << (immv & (bits - 1));
        c.mem.writable(a, bits >> 3);
        setBitCF(c, v & b ? 1 : 0);
        wr(c, a, norm(f(v, b), sz));
      };
    }
    return (c) => {
      const v = get(c), n = src ? src(c) : immv;
      const b = 1 << (n & (bits - 1));
      setBitCF(c, v & b ? 1 : 0);
      if (f && set) set(c, norm(f(v, b), sz));
    };
  }
  // Memory with a register offset: the offset is signed and may reach outside the operand.
  const ea = rm.ea;
  return (c) => {
    const off = sz === 2 ? src!(c) : (src!(c) << 16) >> 16;
    const addr = (ea(c) + (off >> 3)) >>> 0;
    const byte = c.mem.read8(addr);
    const b = 1 << (off & 7);
    if (f) c.mem.writable(addr, 1);
    setBitCF(c, byte & b ? 1 : 0);
    if (f) c.mem.write8(addr, f(byte, b) & 0xff);
  };
}
// 0F A3/AB/B3/BB: bt bts btr btc Ev,Gv (bits 3-4 of the opcode name the operation);
// 0F BA /4-/7: the same with imm8 (the table makes /0-/3 #UD).
def('bt', (d, op) => {
  if (op !== 0xba) return bitOp(d, (op >> 3) & 3, false);
  const save = d.pos;
  d.modrm();
  const reg = d.reg;
  d.pos = save;
  return bitOp(d, reg - 4, true);
});

// 0F BC/BD: bsf/bsr. A zero source leaves the destination unchanged and sets ZF.
def('bsf/bsr', (d, op) => {
  const rev = op === 0xbd;
  const sz = sc(d.opsize);
  d.modrm();
  const reg = d.reg;
  const get = getRM(rmOperand(d), sz);
  const set = regSet(sz, reg);
  return (c) => {
    const v = get(c) & (sz === 2 ? -1 : 0xffff);
    if (v === 0) { setArith(c, szp(0, sz)); return; }
    const n = rev ? 31 - Math.clz32(v) : 31 - Math.clz32(v & -v);
    set(c, n);
    setArith(c, szp(v, sz) & ~0x40 /* ZF */ & ~0x80 & ~0x4);
  };
});

// ---- BCD ----
def('daa', () => (c) => { // daa
  const f = getFlags(c);
  let al = c.b8[0], cf = f & CF, af = f & 0x10;
  const old = al, oldcf = cf;
  cf = 0;
  if ((al & 0xf) > 9 || af) { al = (al + 6) & 0xff; cf = oldcf | (old + 6 > 0xff ? 1 : 0); af = 0x10; } else af = 0;
  if (old > 0x99 || oldcf) { al = (al + 0x60) & 0xff; cf = 1; } else cf = 0;
  c.b8[0] = al;
  setArith(c, szp(al, 0) | cf | af | (((old ^ al) & 0x80) & ~old & al ? 0x800 : 0));
});
def('das', () => (c) => { // das
  const f = getFlags(c);
  let al = c.b8[0], cf = 0, af = 0;
  const old = al, oldcf = f & CF;
  if ((al & 0xf) > 9 || f & 0x10) { cf = oldcf | (al < 6 ? 1 : 0); al = (al - 6) & 0xff; af = 0x10; }
  if (old > 0x99 || oldcf) { al = (al - 0x60) & 0xff; cf = 1; }
  c.b8[0] = al;
  setArith(c, szp(al, 0) | cf | af | (old & 0x80 & ~al ? 0x800 : 0));
});
def('aaa/aas', (d, op) => {
  const sub = op === 0x3f;
  return (c) => { // aaa / aas
    const f = getFlags(c);
    let ax = c.w16[0];
    let fl = 0;
    if ((ax & 0xf) > 9 || f & 0x10) {
      // SDM: aaa is AX += 0x106; aas is AX -= 6 then AH -= 1 (a borrow out of AL reaches AH).
      ax = sub ? (ax - 6 - 0x100) & 0xffff : (ax + 0x106) & 0xffff;
      fl = CF | 0x10;
    }
    c.w16[0] = ax & 0xff0f;
    setArith(c, (f & ~(CF | 0x10)) | fl);
  };
});
def('aam', (d, op) => { // aam
  const base = d.u8();
  if (base === 0) { const at = d.start; return (c) => div(c, 0, 0, at); } // raises the divide error
  return (c) => {
    const al = c.b8[0];
    c.b8[1] = Math.floor(al / base);
    c.b8[0] = al % base;
    setArith(c, szp(c.b8[0], 0));
  };
});
def('aad', (d, op) => { // aad
  const base = d.u8();
  return (c) => {
    const al = (c.b8[0] + c.b8[1] * base) & 0xff;
    c.w16[0] = al;
    setArith(c, szp(al, 0));
  };
});
def('salc', () => (c) => { c.b8[0] = getCF(c) ? 0xff : 0; }); // salc (undocumented)
