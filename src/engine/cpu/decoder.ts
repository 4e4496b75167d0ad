/**
 * Instruction decoder: prefixes, ModRM/SIB, immediates. Opcode handlers (ops/*.ts) read
 * operands through a Decoder and return a closure specialised to them.
 */
import type { AddressSpace } from '../mem/address-space.js';
import type { Cpu, Op } from './cpu.js';
import { SEGBASE, FS, GS, ZERO, DS, SS, ESP, EBP } from './state.js';
import { segAddr } from './seg-regs.js';

export type EA = (c: Cpu) => number;

/**
 * A 32-bit effective address as state-word indices: s[base] + (s[index] << scale) +
 * s[seg] + disp. Absent terms name the ZERO word.
 */
export interface EAParts {
  base: number;
  index: number;
  scale: number;
  /** SEGBASE + FS/GS, or ZERO. */
  seg: number;
  /** Displacement as int32. */
  disp: number;
}

/** The generic closure for an address (without segment base): an unsigned 32-bit result. */
function eaClosure(base: number, index: number, scale: number, disp: number): EA {
  if (index === ZERO) {
    if (base === ZERO) { const a = disp >>> 0; return () => a; }
    return disp === 0 ? (c) => c.s[base] >>> 0 : (c) => (c.s[base] + disp) >>> 0;
  }
  if (base === ZERO) return (c) => ((c.s[index] << scale) + disp) >>> 0;
  if (disp === 0) return (c) => (c.s[base] + (c.s[index] << scale)) >>> 0;
  return (c) => (c.s[base] + (c.s[index] << scale) + disp) >>> 0;
}
export type Handler = (d: Decoder, op: number) => Op;

export class Decoder {
  mem!: AddressSpace;
  /**
   * The code segment's mode (Cpu.mode; set per code cache, interp.ts): the default operand
   * and address size (4, or 2 in a 16-bit code segment), whether every memory operand goes
   * through its segment (base and limit: seg-regs.ts segAddr) instead of the flat fast
   * path, and the code segment's base (positions are offsets in it; fetches add it).
   */
  defSize = 4;
  segmented = false;
  csBase = 0;
  /** Segmented mode: the memory operand's size and whether it is written (set at dispatch: interp.ts memAccess). */
  memSize = 1;
  memWrite = false;
  /** Address of the instruction being decoded. */
  start = 0;
  pos = 0;
  /** Operand size in bytes (4, or 2 with 0x66). */
  opsize = 4;
  /** Address size in bytes (4, or 2 with 0x67). */
  adsize = 4;
  /** Segment override (ES..GS) or -1. */
  seg = -1;
  /** 0, 0xf2 (repne) or 0xf3 (rep/repe). */
  rep = 0;
  lock = false;
  /** ModRM fields, valid after modrm(). */
  mod = 0;
  reg = 0;
  rm = 0;
  /** Set by handlers of instructions that transfer control: the block ends after them. */
  ends = false;
  /** Set when the bytes decoded to #UD (an unknown or invalid encoding, or ud2). */
  invalid = false;
  /**
   * Set by direct jumps: the condition (0-15, or JMP_ALWAYS) and target. The block then
   * ends with this branch evaluated by the run loop instead of a closure.
   */
  jcc = -1;
  target = 0;
  /**
   * Set by a 32-bit cmp/test between registers or with an immediate (FUSE_*, operands
   * fa and fb: register indices, or the immediate): when a direct Jcc follows, the run
   * loop records the flags itself and the cmp's closure is dropped.
   */
  fuse = 0;
  fa = 0;
  fb = 0;
  /**
   * Set by a direct call (target in `target`): the op to run instead when the block
   * goes on decoding at the target (it pushes the return address and leaves EIP).
   */
  followOp: Op | null = null;

  flagOnly(kind: number, a: number, b: number): void {
    this.fuse = kind; this.fa = a; this.fb = b;
  }

  reset(mem: AddressSpace, eip: number): void {
    this.mem = mem;
    this.start = this.pos = eip;
    this.opsize = this.defSize;
    this.adsize = this.defSize;
    this.seg = -1;
    this.rep = 0;
    this.lock = false;
    this.ends = false;
    this.invalid = false;
    this.jcc = -1;
    this.fuse = 0;
    this.followOp = null;
  }

  /** Address just past the bytes consumed so far (the next instruction, once decoded). */
  get next(): number { return this.pos >>> 0; }

  u8(): number {
    const p = this.pos >>> 0;
    if (p - this.start >= 15) throw new LengthError();
    const f = (p + this.csBase) >>> 0;
    if (!(this.mem.perm[f >>> 12] & 4)) throw this.mem.fault(f, false, true);
    this.pos = p + 1;
    return this.mem.u8[f];
  }
  s8(): number { return (this.u8() << 24) >> 24; }
  u16(): number { return this.u8() | (this.u8() << 8); }
  s16(): number { return (this.u16() << 16) >> 16; }
  u32(): number { return (this.u16() | (this.u16() << 16)) >>> 0; }
  s32(): number { return this.u16() | (this.u16() << 16); }
  /** Immediate of the operand size (sign-extended to 32 bits for 16-bit operands is not done). */
  immv(): number { return this.opsize === 4 ? this.s32() : this.u16(); }
  imm(size: number): number { return size === 1 ? this.u8() : size === 2 ? this.u16() : this.s32(); }

  modrm(): void {
    const m = this.u8();
    this.mod = m >> 6;
    this.reg = (m >> 3) & 7;
    this.rm = m & 7;
  }
  get isReg(): boolean { return this.mod === 3; }

  /** Effective-address closure for the current (memory) ModRM; consumes SIB and displacement. */
  ea(): EA {
    if (this.adsize === 4) {
      const p = this.eaParts32();
      const off = eaClosure(p.base, p.index, p.scale, p.disp);
      if (this.segmented) return this.checked(off, p.base === ESP || p.base === EBP ? SS : DS);
      return this.withSegment(off);
    }
    // [bp+si] [bp+di] and [bp+disp] address the stack segment.
    const ss = this.rm === 2 || this.rm === 3 || (this.rm === 6 && this.mod !== 0);
    const off = this.ea16();
    if (this.segmented) return this.checked(off, ss ? SS : DS);
    return this.withSegment(off);
  }

  /** The operand's offset alone, without a segment (lea). */
  eaOffset(): EA {
    if (this.adsize === 4) { const p = this.eaParts32(); return eaClosure(p.base, p.index, p.scale, p.disp); }
    return this.ea16();
  }

  /** Segmented mode: the override or the default segment's base and limit check. */
  private checked(off: EA, defaultSeg: number): EA {
    const seg = this.seg >= 0 ? this.seg : defaultSeg, n = this.memSize, w = this.memWrite;
    return (c) => segAddr(c, seg, off(c), n, w);
  }

  /**
   * The current (memory) ModRM as address parts, for handlers that fuse the address
   * computation into their own closure (ops/mem32.ts); consumes SIB and displacement.
   * Null for 16-bit addressing: then call ea() for the same operand (nothing was consumed).
   */
  eaParts(): EAParts | null {
    if (this.adsize !== 4 || this.segmented) return null;
    const p = this.eaParts32();
    if (this.seg === FS || this.seg === GS) p.seg = SEGBASE + this.seg;
    return p;
  }

  /** Address of a moffs operand (mov al/eax <-> [imm]). */
  moffs(): EA {
    const a = this.adsize === 4 ? this.u32() : this.u16();
    if (this.segmented) return this.checked(() => a, DS);
    return this.withSegment(() => a);
  }

  /** Segment base for an implicit DS/ES access (string instructions honour overrides of DS). */
  segBaseOf(defaultSeg: number): EA | null {
    const seg = this.seg >= 0 ? this.seg : defaultSeg;
    if (seg !== FS && seg !== GS && !this.segmented) return null;
    const i = SEGBASE + seg;
    return (c) => c.s[i];
  }

  private withSegment(off: EA): EA {
    // Linux user mode is flat: only %fs and %gs have a non-zero base (TLS).
    if (this.seg !== FS && this.seg !== GS) return off;
    const i = SEGBASE + this.seg;
    return (c) => (off(c) + c.s[i]) >>> 0;
  }

  private eaParts32(): EAParts {
    const mod = this.mod, rm = this.rm;
    if (rm === 4) {
      const sib = this.u8();
      const scale = sib >> 6, index = (sib >> 3) & 7, base = sib & 7;
      const noBase = base === 5 && mod === 0;
      const disp = mod === 1 ? this.s8() : mod === 2 || noBase ? this.s32() : 0;
      return { base: noBase ? ZERO : base, index: index === 4 ? ZERO : index, scale, seg: ZERO, disp };
    }
    if (mod === 0) {
      if (rm === 5) return { base: ZERO, index: ZERO, scale: 0, seg: ZERO, disp: this.s32() };
      return { base: rm, index: ZERO, scale: 0, seg: ZERO, disp: 0 };
    }
    return { base: rm, index: ZERO, scale: 0, seg: ZERO, disp: mod === 1 ? this.s8() : this.s32() };
  }

  private ea16(): EA {
    const mod = this.mod, rm = this.rm;
    if (mod === 0 && rm === 6) { const d = this.u16(); return () => d; }
    const disp = mod === 1 ? this.s8() : mod === 2 ? this.s16() : 0;
    // [bx+si] [bx+di] [bp+si] [bp+di] [si] [di] [bp] [bx]
    const A = [3, 3, 5, 5, 6, 7, 5, 3][rm];
    const B = [6, 7, 6, 7, -1, -1, -1, -1][rm];
    if (B < 0) return (c) => (c.s[A] + disp) & 0xffff;
    return (c) => (c.s[A] + c.s[B] + disp) & 0xffff;
  }
}

/** Decoder.fuse kinds: cmp r,r / cmp r,imm / test r,r / test r,imm (32-bit). */
export const FUSE_CMP_RR = 1, FUSE_CMP_RI = 2, FUSE_TEST_RR = 3, FUSE_TEST_RI = 4;

/** Decoder.jcc of an unconditional direct jump. */
export const JMP_ALWAYS = 16;

/** An instruction longer than 15 bytes: #GP, delivered as SIGSEGV. */
export class LengthError {}
