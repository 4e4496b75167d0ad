/** Data movement: mov family, lea, xchg, push/pop, cmov, setcc, bswap, xadd, cmpxchg, conversions. */
import { EXIT_AC, type Cpu } from '../cpu.js';
import { cond, getFlags, setArith } from '../flags.js';
import { AC, EAX, ECX, EDX, EBX, ESP, EBP, ZF, USER_FLAGS_MASK, FLAGS_FIXED } from '../state.js';
import { ALU, sc } from './alu.js';
import { R8, getRM, memGet, memSet, norm, regGet, regSet, rmOperand, setRM } from './operand.js';
import { lea32, load32, load8, loadExt, store32, store8, storeImm32 } from './mem32.js';
import { def } from './table.js';
import { pop16, pop32, popv, push16, push32, pushv, setStack, stack32, stackAddr, stackOffset } from './stack.js';

// 88-8B: mov.
def('mov', (d, op) => {
  const sz = op & 1 ? sc(d.opsize) : 0;
  d.modrm();
  const reg = d.reg;
  const rm = rmOperand(d);
  if (sz === 2) {
    if (rm.ea === null) {
      const j = rm.reg;
      return op & 2 ? (c) => { c.s[reg] = c.s[j]; } : (c) => { c.s[j] = c.s[reg]; };
    }
    if (rm.p !== null) return op & 2 ? load32(rm.p, reg) : store32(rm.p, reg);
    const ea = rm.ea;
    return op & 2 ? (c) => { c.s[reg] = c.mem.read32(ea(c)); } : (c) => { c.mem.write32(ea(c), c.s[reg]); };
  }
  if (sz === 0 && rm.p !== null) return op & 2 ? load8(rm.p, R8[reg]) : store8(rm.p, R8[reg]);
  if (op & 2) { const g = getRM(rm, sz), p = regSet(sz, reg); return (c) => p(c, g(c)); }
  const g = regGet(sz, reg), p = setRM(rm, sz);
  return (c) => p(c, g(c));
});
// C6/C7: mov Ev,Iv.
def('mov E,I', (d, op) => {
  const sz = op & 1 ? sc(d.opsize) : 0;
  d.modrm();
  const rm = rmOperand(d);
  const imm = norm(d.imm(sz === 2 ? 4 : sz === 1 ? 2 : 1), sz);
  if (sz === 2 && rm.p !== null) return storeImm32(rm.p, imm);
  if (sz === 2 && rm.ea !== null) { const ea = rm.ea; return (c) => c.mem.write32(ea(c), imm); }
  const p = setRM(rm, sz);
  return (c) => p(c, imm);
});
// B0-BF: mov reg, imm.
def('mov Z,I', (d, op) => {
  const sz = op >= 0xb8 ? sc(d.opsize) : 0;
  const imm = norm(d.imm(sz === 2 ? 4 : sz === 1 ? 2 : 1), sz);
  const i = op & 7;
  if (sz === 2) return (c) => { c.s[i] = imm; };
  const p = regSet(sz, i);
  return (c) => p(c, imm);
});
// A0-A3: mov with a memory offset.
def('mov moffs', (d, op) => {
  const sz = op & 1 ? sc(d.opsize) : 0;
  const ea = d.moffs();
  const rd = memGet(sz), wr = memSet(sz), g = regGet(sz, EAX), p = regSet(sz, EAX);
  return op & 2 ? (c) => wr(c, ea(c), g(c)) : (c) => p(c, rd(c, ea(c)));
});
// 8D: lea (no segment base).
def('lea', (d) => {
  d.modrm();
  const reg = d.reg, sz = sc(d.opsize);
  const seg = d.seg;
  d.seg = -1;
  const parts = sz === 2 ? d.eaParts() : null;
  if (parts !== null) { d.seg = seg; return lea32(parts, reg); }
  const ea = d.eaOffset();
  d.seg = seg;
  if (sz === 2) return (c) => { c.s[reg] = ea(c); };
  const p = regSet(sz, reg);
  return (c) => p(c, ea(c) & 0xffff);
});
// 0F B6/B7 movzx, BE/BF movsx.
def('movzx/movsx', (d, op) => {
  const ssz = op & 1 ? 1 : 0;
  const dsz = sc(d.opsize);
  d.modrm();
  const reg = d.reg;
  const rm = rmOperand(d);
  if (dsz === 2 && rm.p !== null) return loadExt(rm.p, reg, ssz, op >= 0xbe);
  if (dsz === 2 && rm.ea === null) {
    // Register source: read the byte or word view inline.
    if (ssz === 0) { const j = R8[rm.reg]; return op < 0xbe ? (c) => { c.s[reg] = c.b8[j]; } : (c) => { c.s[reg] = (c.b8[j] << 24) >> 24; }; }
    const j = rm.reg * 2;
    return op < 0xbe ? (c) => { c.s[reg] = c.w16[j]; } : (c) => { c.s[reg] = (c.w16[j] << 16) >> 16; };
  }
  const g = getRM(rm, ssz);
  const p = regSet(dsz, reg);
  if (op < 0xbe) return dsz === 2 ? (c) => { c.s[reg] = g(c); } : (c) => p(c, g(c));
  const sh = ssz ? 16 : 24;
  return (c) => p(c, norm((g(c) << sh) >> sh, dsz));
});
// 86/87, 90-97: xchg (memory forms are implicitly locked; single-threaded here, so plain).
def('xchg E,G', (d, op) => {
  const sz = op & 1 ? sc(d.opsize) : 0;
  d.modrm();
  const rg = regGet(sz, d.reg), rs = regSet(sz, d.reg);
  const rm = rmOperand(d);
  const mg = getRM(rm, sz), ms = setRM(rm, sz);
  if (rm.ea !== null) {
    const ea = rm.ea, rd = memGet(sz), wr = memSet(sz);
    return (c) => { const a = ea(c); const t = rd(c, a); wr(c, a, rg(c)); rs(c, t); };
  }
  return (c) => { const t = mg(c); ms(c, rg(c)); rs(c, t); };
});
def('nop', (d) => () => { void d; }); // nop, pause
def('xchg Z', (d, op) => {
  const sz = sc(d.opsize), i = op & 7;
  const g = regGet(sz, i), p = regSet(sz, i), ag = regGet(sz, EAX), ap = regSet(sz, EAX);
  return (c) => { const t = g(c); p(c, ag(c)); ap(c, t); };
});
// 98: cbw/cwde, 99: cwd/cdq.
def('cwde', (d) => d.opsize === 4
  ? (c) => { c.s[EAX] = (c.s[EAX] << 16) >> 16; }
  : (c) => { c.w16[0] = (c.b8[0] << 24) >> 24; });
def('cdq', (d) => d.opsize === 4
  ? (c) => { c.s[EDX] = c.s[EAX] >> 31; }
  : (c) => { c.w16[EDX * 2] = (c.w16[0] & 0x8000) ? 0xffff : 0; });
// D7: xlat.
def('xlat', (d) => {
  const base = d.segBaseOf(3);
  return (c) => { c.b8[0] = c.mem.read8((c.s[EBX] + c.b8[0] + (base ? base(c) : 0)) >>> 0); };
});

// ---- Stack ----
def('push Z', (d, op) => {
  const i = op & 7;
  if (d.opsize === 2) return (c) => push16(c, c.w16[i * 2]);
  // push %esp pushes the value before the decrement.
  return (c) => push32(c, c.s[i]);
});
def('pop Z', (d, op) => {
  const i = op & 7;
  if (d.opsize === 2) return (c) => { const v = pop16(c); c.w16[i * 2] = v; };
  return (c) => { const v = pop32(c); c.s[i] = v; };
});
def('push I', (d, op) => {
  const v = op === 0x6a ? d.s8() : d.immv();
  const size = d.opsize;
  return (c) => pushv(c, v, size);
});
def('pop E', (d) => {
  d.modrm();
  const size = d.opsize, sz = sc(size);
  const rm = rmOperand(d);
  if (rm.ea === null) { const p = regSet(sz, rm.reg); return (c) => p(c, popv(c, size)); }
  // The address is computed after ESP is incremented (an ESP-based operand sees the new value).
  const ea = rm.ea, wr = memSet(sz);
  return (c) => {
    const sp = c.s[ESP];
    const v = popv(c, size);
    try { wr(c, ea(c), v); } catch (e) { c.s[ESP] = sp; throw e; }
  };
});
def('pusha', (d) => { // pusha
  const size = d.opsize;
  return (c) => {
    const sp = c.s[ESP];
    for (let i = 0; i < 8; i++) pushv(c, i === ESP ? sp : c.s[i], size);
  };
});
def('popa', (d) => { // popa
  const size = d.opsize, sz = sc(size);
  return (c) => {
    for (let i = 7; i >= 0; i--) {
      const v = popv(c, size);
      if (i !== ESP) regSet(sz, i)(c, v);
    }
  };
});
// leave: ESP := EBP (SP := BP on a 16-bit stack), then pop EBP (BP with operand size 16).
def('leave', (d) => d.opsize === 4 // leave
  ? (c) => { setStack(c, c.s[EBP]); c.s[EBP] = pop32(c); }
  : (c) => { setStack(c, c.s[EBP]); c.w16[EBP * 2] = pop16(c); });
def('enter', (d) => { // enter
  const size = d.u16();
  const level = d.u8() & 31;
  const osz = d.opsize;
  // The stack pointer and the frame pointers walked are ESP/EBP, or SP/BP on a 16-bit stack;
  // the frame pointer stored is all of ESP even then (measured: with ESP 0x12348000 and a
  // 16-bit SS, enter gives EBP 0x12347ffc; test/cpu/int/stackseg.c).
  return (c) => {
    pushv(c, c.s[EBP], osz);
    const mask = stack32(c) ? 0xffffffff : 0xffff;
    const frame = c.s[ESP];
    let bp = (c.s[EBP] & mask) >>> 0;
    for (let i = 1; i < level; i++) {
      bp = ((bp - osz) & mask) >>> 0;
      const a = stackAddr(c, bp, osz, false);
      pushv(c, osz === 4 ? c.mem.read32(a) : c.mem.read16(a), osz);
    }
    if (level > 0) pushv(c, frame, osz);
    if (osz === 4) c.s[EBP] = frame; else c.w16[EBP * 2] = frame;
    const nsp = ((stackOffset(c) - size) & mask) >>> 0;
    const a = stackAddr(c, nsp, 1, true);
    c.mem.write8(a, c.mem.read8(a)); // fault now, like the hardware, if the frame is unmapped
    setStack(c, nsp);
  };
});

// ---- Flags ----
def('pushf', (d) => { // pushf: RF and VM read as 0
  const size = d.opsize;
  return (c) => pushv(c, getFlags(c) & 0x00fcffff, size);
});
def('popf', (d) => { // popf
  const size = d.opsize;
  // The block ends here so that a change of EFLAGS.AC takes effect at the next instruction.
  d.ends = true;
  return (c) => {
    const v = popv(c, size);
    const before = c.s[9];
    setFlagsUser(c, size === 4 ? v : (getFlags(c) & ~0xffff) | v);
    if ((before ^ c.s[9]) & AC) c.exit = EXIT_AC;
  };
});
def('sahf', () => (c) => { // sahf
  setArith(c, (getFlags(c) & ~0xd5) | (c.b8[1] & 0xd5));
});
def('lahf', () => (c) => { c.b8[1] = (getFlags(c) & 0xd5) | 2; }); // lahf
def('cmc', () => (c) => { setArith(c, getFlags(c) ^ 1); }); // cmc
def('clc', () => (c) => { setArith(c, getFlags(c) & ~1); }); // clc
def('stc', () => (c) => { setArith(c, getFlags(c) | 1); }); // stc
def('cld', () => (c) => { c.s[9] &= ~0x400; }); // cld
def('std', () => (c) => { c.s[9] |= 0x400; }); // std

/**
 * Load EFLAGS from user code: only the user-changeable bits move (CF PF AF ZF SF TF DF OF
 * NT AC ID); IOPL, VM, VIF and VIP stay as they are, as popf at CPL 3 does.
 */
export function setFlagsUser(c: Cpu, v: number): void {
  const cur = getFlags(c);
  c.s[9] = (cur & ~USER_FLAGS_MASK) | (v & USER_FLAGS_MASK) | FLAGS_FIXED;
}

// ---- 0F: cmov, setcc, bswap, xadd, cmpxchg ----
def('cmov', (d, op) => {
  const cc = op & 15, sz = sc(d.opsize);
  d.modrm();
  const reg = d.reg;
  const g = getRM(rmOperand(d), sz), p = regSet(sz, reg);
  // The source is read (and may fault) even when the condition is false.
  return (c) => { const v = g(c); if (cond(c, cc)) p(c, v); };
});
def('setcc', (d, op) => {
  const cc = op & 15;
  d.modrm();
  const p = setRM(rmOperand(d), 0);
  return (c) => p(c, cond(c, cc) ? 1 : 0);
});
def('bswap', (d, op) => {
  const i = op & 7;
  if (d.opsize === 2) return (c) => { c.w16[i * 2] = 0; }; // undefined; CPUs give 0
  return (c) => {
    const v = c.s[i];
    c.s[i] = (v << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
  };
});
def('xadd', (d, op) => { // xadd
  const sz = op & 1 ? sc(d.opsize) : 0;
  d.modrm();
  const rg = regGet(sz, d.reg), rs = regSet(sz, d.reg);
  const rm = rmOperand(d);
  const add = ALU[sz].add;
  if (rm.ea === null) {
    const g = regGet(sz, rm.reg), p = regSet(sz, rm.reg);
    return (c) => { const a = g(c), b = rg(c); const r = add(c, a, b); rs(c, a); p(c, r); };
  }
  const ea = rm.ea, rd = memGet(sz), wr = memSet(sz);
  // The store first: a fault on it (a read-only page) must leave the flags as they were, as
  // the CPU does (test/jit/calls.c); add() then sets them from the same operands.
  return (c) => { const at = ea(c); const a = rd(c, at), b = rg(c); wr(c, at, (a + b) | 0); rs(c, a); add(c, a, b); };
});
def('cmpxchg', (d, op) => { // cmpxchg
  const sz = op & 1 ? sc(d.opsize) : 0;
  d.modrm();
  const rg = regGet(sz, d.reg);
  const rm = rmOperand(d);
  const cmp = ALU[sz].cmp;
  const ag = regGet(sz, EAX), ap = regSet(sz, EAX);
  const g = getRM(rm, sz), p = setRM(rm, sz);
  if (rm.ea === null) {
    return (c) => { const v = g(c); cmp(c, ag(c), v); if (ag(c) === v) p(c, rg(c)); else ap(c, v); };
  }
  const ea = rm.ea, rd = memGet(sz), wr = memSet(sz);
  // The destination is always written (with its old value on failure), as the hardware does.
  // Flags after the store, so that a fault on it leaves them as they were (as xadd above).
  return (c) => {
    const a = ea(c); const v = rd(c, a), acc = ag(c);
    if (acc === v) wr(c, a, rg(c)); else wr(c, a, v);
    cmp(c, acc, v);
    if (acc !== v) ap(c, v);
  };
});
def('cmpxchg8b', (d) => { // cmpxchg8b
  d.modrm();
  const ea = d.ea();
  return (c) => {
    const a = ea(c), m = c.mem;
    const lo = m.read32(a), hi = m.read32((a + 4) >>> 0);
    const s = c.s;
    const f = getFlags(c);
    if (lo === s[EAX] && hi === s[EDX]) {
      m.write32(a, s[EBX]); m.write32((a + 4) >>> 0, s[ECX]);
      setArith(c, f | ZF);
    } else {
      m.write32(a, lo); m.write32((a + 4) >>> 0, hi);
      s[EAX] = lo; s[EDX] = hi;
      setArith(c, f & ~ZF);
    }
  };
});
