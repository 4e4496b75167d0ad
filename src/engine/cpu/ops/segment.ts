/**
 * Segment registers and far transfers at CPL 3: mov/push/pop of segment registers,
 * lds/les/lss/lfs/lgs, far jmp/call/ret and iret, lar/lsl/verr/verw/arpl, and the
 * descriptor-table instructions Linux emulates for 32-bit programs under UMIP
 * (arch/x86/kernel/umip.c: sgdt, sidt, sldt, smsw, str). The checks live in seg-regs.ts.
 */
import { EXIT_MODE, type Cpu, type Op } from '../cpu.js';
import type { Decoder, EA } from '../decoder.js';
import { getFlags, setArith } from '../flags.js';
import { CS, ESP, FLAGS, FS, GS, NT, SS, ZF } from '../state.js';
import { sc } from './alu.js';
import { getRM, regSet, rmOperand, setRM } from './operand.js';
import { def } from './table.js';
import { pop16, pop32, popv, pushv, setStack, stackOffset } from './stack.js';
import { gp } from './faults.js';
import { setFlagsUser } from './move.js';
import { checkCode, commitCode, gpFault, loadSeg } from '../seg-regs.js';
import { D_CE, D_CODE, D_RW, D_S, LDT_SELECTOR, TSS_SELECTOR, descDpl, descLimit } from '../segments.js';

// ---- Segment register moves ----
def('mov E,S', (d) => {
  d.modrm();
  const seg = d.reg;
  const rm = rmOperand(d);
  // A register destination receives the zero-extended selector; memory gets 16 bits.
  if (rm.ea === null) { const p = regSet(sc(d.opsize), rm.reg); return (c) => p(c, c.selector(seg)); }
  const p = setRM(rm, 1);
  return (c) => p(c, c.selector(seg));
});
def('mov S,E', (d) => {
  d.modrm();
  const seg = d.reg;
  const get = getRM(rmOperand(d), 1);
  return (c) => loadSeg(c, seg, get(c));
});
// 06/0E/16/1E push es cs ss ds, 07/17/1F pop es ss ds: bits 3-4 of the opcode name the register.
def('push seg', (d, op) => { const seg = op >> 3, size = d.opsize; return (c) => pushv(c, c.selector(seg), size); });
/** pop into a segment register: ESP moves only if the load succeeds. */
const popSeg = (seg: number, size: number): Op => (c) => {
  const sp = c.s[ESP];
  const v = popv(c, size);
  try { loadSeg(c, seg, v); } catch (e) { c.s[ESP] = sp; throw e; }
};
def('pop seg', (d, op) => popSeg(op >> 3, d.opsize));
def('push fs/gs', (d, op) => { const seg = op === 0xa0 ? FS : GS, size = d.opsize; return (c) => pushv(c, c.selector(seg), size); });
def('pop fs/gs', (d, op) => popSeg(op === 0xa1 ? FS : GS, d.opsize));

/** Read a far pointer at a: the offset (operand size) then the 16-bit selector. */
function farPointer(c: Cpu, a: number, size: number): [number, number] {
  const off = size === 4 ? c.mem.read32(a) >>> 0 : c.mem.read16(a);
  return [off, c.mem.read16((a + size) >>> 0)];
}

// C4 les, C5 lds, 0F B2 lss, 0F B4 lfs, 0F B5 lgs: Gv <- offset, segment <- selector.
const LOAD_FAR_SEG: Record<number, number> = { 0xc4: 0, 0xc5: 3, 0xb2: SS, 0xb4: FS, 0xb5: GS };
def('load far pointer', (d, op) => {
  d.modrm();
  const seg = LOAD_FAR_SEG[op], size = d.opsize, set = regSet(sc(size), d.reg);
  const ea = d.ea();
  return (c) => {
    const [off, sel] = farPointer(c, ea(c), size);
    loadSeg(c, seg, sel);
    set(c, off);
  };
});

// ---- Far transfers ----

/** Far jmp or call to sel:off (checks first; for a call, the pushes before CS changes). */
function farTransfer(c: Cpu, sel: number, off: number, call: boolean, size: number, next: number): void {
  const desc = checkCode(c, sel, off, false);
  if (call) {
    const sp = c.s[ESP];
    try {
      pushv(c, c.selector(CS), size);
      pushv(c, next, size);
    } catch (e) { c.s[ESP] = sp; throw e; }
  }
  commitCode(c, sel, desc, off);
}

// EA jmp ptr16:16/32, 9A call ptr16:16/32.
def('far direct', (d, op) => {
  const size = d.opsize;
  const off = size === 4 ? d.u32() : d.u16();
  const sel = d.u16(), next = d.next, call = op === 0x9a;
  return (c) => farTransfer(c, sel, off, call, size, next);
});
/** FF /3 (call) and /5 (jmp) with an m16:16/32 operand (the ModRM has been read). */
export function farIndirect(d: Decoder, call: boolean): Op {
  const size = d.opsize;
  const ea: EA = d.ea();
  const next = d.next;
  return (c) => {
    const [off, sel] = farPointer(c, ea(c), size);
    farTransfer(c, sel, off, call, size, next);
  };
}

// CB retf, CA retf imm16: pop EIP then CS (operand size each), release imm16 bytes.
def('retf', (d, op) => {
  const extra = op === 0xca ? d.u16() : 0, size = d.opsize;
  return (c) => {
    const sp = c.s[ESP];
    let off: number, sel: number;
    try { off = size === 4 ? pop32(c) >>> 0 : pop16(c); sel = (size === 4 ? pop32(c) : pop16(c)) & 0xffff; } catch (e) { c.s[ESP] = sp; throw e; }
    let desc;
    try { desc = checkCode(c, sel, off, true); } catch (e) { c.s[ESP] = sp; throw e; }
    setStack(c, stackOffset(c) + extra);
    commitCode(c, sel, desc, off);
  };
});
// CF iret: pop EIP, CS, EFLAGS; a nested-task return (NT set) is #GP(0) at CPL 3.
def('iret', (d) => {
  const size = d.opsize;
  return (c) => {
    if (c.s[FLAGS] & NT) throw gpFault(0);
    const sp = c.s[ESP];
    let off: number, sel: number, fl: number, desc;
    try {
      off = size === 4 ? pop32(c) >>> 0 : pop16(c);
      sel = (size === 4 ? pop32(c) : pop16(c)) & 0xffff;
      fl = size === 4 ? pop32(c) : pop16(c);
      desc = checkCode(c, sel, off, true);
    } catch (e) { c.s[ESP] = sp; throw e; }
    setFlagsUser(c, size === 4 ? fl : (getFlags(c) & ~0xffff) | fl);
    commitCode(c, sel, desc, off);
    // EFLAGS.AC may have changed: the scheduler re-reads it as for popf (EXIT_AC's job).
    c.exit = EXIT_MODE;
  };
});

// ---- lar, lsl, verr, verw, arpl ----

const setZF = (c: Cpu, z: boolean): void => setArith(c, (getFlags(c) & ~ZF) | (z ? ZF : 0));

/**
 * The descriptor's high word if CPL 3 code may see it with `sel` (SDM LAR/LSL/VERR/VERW:
 * within its table, a code/data segment or an allowed system type, and DPL >= CPL and
 * RPL unless conforming code), else -1. The present bit is not checked.
 */
function visible(c: Cpu, sel: number, systemTypes: number): [number, number] | null {
  const dsc = (sel & ~3) === 0 ? null : c.desc.lookup(sel);
  if (dsc === null) return null;
  const hi = dsc[1];
  if (!(hi & D_S)) { if (!(systemTypes & (1 << ((hi >> 8) & 15)))) return null; }
  else if ((hi & (D_CODE | D_CE)) === (D_CODE | D_CE)) return dsc; // conforming code
  const dpl = descDpl(hi);
  return dpl < 3 || dpl < (sel & 3) ? null : dsc;
}
// System types lar accepts in IA-32e mode: LDT (2), 64-bit TSS (9, B), call gate (C); lsl: not gates.
const LAR_TYPES = (1 << 2) | (1 << 9) | (1 << 11) | (1 << 12), LSL_TYPES = (1 << 2) | (1 << 9) | (1 << 11);

def('lar/lsl', (d, op) => {
  d.modrm();
  const size = d.opsize, set = regSet(sc(size), d.reg);
  const get = getRM(rmOperand(d), 1);
  const lar = op === 0x02;
  return (c) => {
    const dsc = visible(c, get(c), lar ? LAR_TYPES : LSL_TYPES);
    if (dsc !== null) set(c, lar ? dsc[1] & (size === 4 ? 0x00ffff00 : 0xff00) : descLimit(dsc[0], dsc[1]));
    setZF(c, dsc !== null);
  };
});

// 63 arpl Ew, Gw: raise the destination selector's RPL to the source's.
def('arpl', (d) => {
  d.modrm();
  const src = d.reg;
  const rm = rmOperand(d);
  const get = getRM(rm, 1), set = setRM(rm, 1);
  return (c) => {
    const v = get(c), r = c.w16[src * 2] & 3;
    if ((v & 3) < r) { set(c, (v & ~3) | r); setZF(c, true); } else setZF(c, false);
  };
});

// 0F 00: group 6. sldt and str are UMIP-emulated by Linux and show LDTR and TR as the
// kernel set them (measured: test/cpu/int/segments.c); a register destination gets the
// operand size, memory 2 bytes. lldt/ltr: #GP.
def('grp6', (d) => {
  d.modrm();
  const reg = d.reg;
  if (reg === 2 || reg === 3 || reg > 5) { if (!d.isReg) d.ea(); return gp(d); }
  const rm = rmOperand(d);
  if (reg <= 1) {
    // LDTR holds GDT_ENTRY_LDT's selector once the process has an LDT (load_mm_ldt), else 0.
    const set = rm.ea === null ? regSet(sc(d.opsize), rm.reg) : setRM(rm, 1);
    return reg === 0 ? (c) => set(c, c.desc.ldt.n > 0 ? LDT_SELECTOR : 0) : (c) => set(c, TSS_SELECTOR);
  }
  const get = getRM(rm, 1), write = reg === 5;
  return (c) => {
    const dsc = visible(c, get(c), 0);
    const hi = dsc === null ? 0 : dsc[1];
    // verr: data, or readable code; verw: writable data.
    const ok = dsc !== null && (write ? (hi & (D_CODE | D_RW)) === D_RW : !(hi & D_CODE) || (hi & D_RW) !== 0);
    setZF(c, ok);
  };
});

/** The dummy values Linux's UMIP emulation returns (umip.c UMIP_DUMMY_*_BASE, CR0 as set at boot). */
const UMIP_GDT_BASE = 0xfffe0000, UMIP_IDT_BASE = 0xffff0000, UMIP_CR0 = 0x80050033;

// 0F 01: group 7. sgdt/sidt (memory) store limit 0 and the dummy base; smsw stores CR0
// (the operand size into a register, 2 bytes into memory); the rest is #GP.
def('grp7', (d) => {
  d.modrm();
  const reg = d.reg;
  if (d.isReg && reg !== 4) return gp(d);
  if (reg === 0 || reg === 1) {
    const ea = d.ea(), base = reg === 0 ? UMIP_GDT_BASE : UMIP_IDT_BASE;
    return (c) => { const a = ea(c); c.mem.write16(a, 0); c.mem.write32((a + 2) >>> 0, base); };
  }
  if (reg === 4) {
    const rm = rmOperand(d);
    const set = rm.ea === null ? regSet(sc(d.opsize), rm.reg) : setRM(rm, 1);
    const v = rm.ea === null && d.opsize === 4 ? UMIP_CR0 : UMIP_CR0 & 0xffff;
    return (c) => set(c, v);
  }
  if (!d.isReg) d.ea();
  return gp(d);
});
