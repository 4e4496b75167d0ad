import type { AddressSpace } from '../mem/address-space.js';
import { EIP, FLAGS, FLAGS_FIXED, MXCSR_OFFSET, SEL, STATE_BYTES } from './state.js';
import { Fpu } from './fpu.js';
import { Descriptors } from './segments.js';

/** One instruction, decoded into a closure over its operands. */
export type Op = (c: Cpu) => void;

/** Why Cpu.run() returned. */
export const EXIT_BUDGET = 0, EXIT_SYSCALL = 1, EXIT_FAULT = 2;
/** EFLAGS.AC changed (popf): the scheduler runs the thread again with alignment checks on or off. */
export const EXIT_AC = 3;
/** A far transfer or segment load changed Cpu.mode: the scheduler runs the thread again in the new mode. */
export const EXIT_MODE = 4;

/**
 * Cpu.mode bits. 0 is flat 32-bit code: CS, DS, ES and SS are the 4 GiB segments at base 0
 * (only FS/GS bases apply), which is all the fast path and the JIT know. Any other value
 * runs in the interpreter's segmented loop (interp.ts), whose decoder applies the mode.
 */
export const MODE_CODE16 = 1, MODE_SEG = 2;

/**
 * A CPU exception raised by an instruction; becomes a signal for the guest
 * (divide error -> SIGFPE, #UD -> SIGILL, #GP -> SIGSEGV, int3 -> SIGTRAP).
 */
export class CpuException {
  constructor(
    readonly signo: number,
    /** si_code for the siginfo (e.g. FPE_INTDIV, ILL_ILLOPN, SI_KERNEL). */
    readonly code: number,
    /** si_addr: faulting instruction or address. */
    readonly addr = 0,
    /** x86 trap number for the sigcontext's trapno field. */
    readonly trapno = 0,
    /** The exception's error code (sigcontext err): a selector for #GP/#NP/#SS on a segment load. */
    readonly err = 0,
    /** Why, when the engine (not the program) is at fault: a feature it lacks; logged once. */
    readonly why = '',
  ) {}
}

/**
 * The register file of one guest thread, viewed over its slot in the address space's
 * linear memory (see state.ts for the layout).
 */
export class Cpu {
  readonly mem: AddressSpace;
  readonly slot: number;
  /** State as 32-bit words: GPRs at 0..7, EIP, FLAGS, lazy-flag record, segments. */
  s: Int32Array;
  /** Same bytes as 16-bit words: register i's low half is w16[i * 2]. */
  w16: Uint16Array;
  /** Same bytes: AL/CL/DL/BL at 0,4,8,12; AH/CH/DH/BH at 1,5,9,13. */
  b8: Uint8Array;
  readonly fpu: Fpu;
  /** TLS descriptors and LDT reachable through segment selectors. */
  desc = new Descriptors();
  /** Set by an instruction that must leave the run loop (int 0x80). */
  exit = EXIT_BUDGET;
  /** The exception that ended the last run with EXIT_FAULT. */
  fault: unknown = null;
  /** Instructions executed, for scheduling and statistics. */
  icount = 0;
  /**
   * The hidden part of the segment registers (ES CS SS DS FS GS): limit in bytes (G
   * applied) and the descriptor's high word (type, DPL, P, D/B, G), 0 for a null selector
   * (unusable). Bases live in the state (SEGBASE) where the fused memory ops read them.
   */
  readonly segLimit = new Uint32Array(6).fill(0xffffffff);
  /** Until execve or a fork sets them: CS the flat 32-bit code, DS/ES/SS flat data (USER32_CS, USER_DS), FS/GS null. */
  readonly segAttr = Int32Array.of(0x00cff300, 0x00cffb00, 0x00cff300, 0x00cff300, 0, 0);
  /** MODE_* bits of the current segments; 0 (flat) nearly always. */
  mode = 0;

  constructor(mem: AddressSpace, slot = mem.allocStateSlot()) {
    this.mem = mem;
    this.slot = slot;
    this.s = new Int32Array(mem.memory.buffer, slot, STATE_BYTES / 4);
    this.w16 = new Uint16Array(mem.memory.buffer, slot, STATE_BYTES / 2);
    this.b8 = new Uint8Array(mem.memory.buffer, slot, STATE_BYTES);
    this.fpu = new Fpu(this);
    mem.bindStateSlot(slot, () => this.bind());
    if (this.s[FLAGS] === 0) {
      this.s[FLAGS] = FLAGS_FIXED;
      this.fpu.reset();
      // MXCSR at reset and exec: all exceptions masked, round to nearest (SDM Vol. 1 10.2.3); XMM registers start zero.
      this.s[MXCSR_OFFSET / 4] = 0x1f80;
    }
  }

  /** The memory grew (AddressSpace.rebind): the state views move to its new buffer. */
  private bind(): void {
    const buf = this.mem.memory.buffer;
    this.s = new Int32Array(buf, this.slot, STATE_BYTES / 4);
    this.w16 = new Uint16Array(buf, this.slot, STATE_BYTES / 2);
    this.b8 = new Uint8Array(buf, this.slot, STATE_BYTES);
    this.fpu.s = this.s;
  }

  get eip(): number { return this.s[EIP] >>> 0; }
  set eip(v: number) { this.s[EIP] = v; }

  /** Copy the full register state (integer and FPU) from another CPU. */
  copyFrom(o: Cpu): void {
    this.b8.set(o.b8);
    this.copySegments(o);
  }

  /** The segment registers' hidden parts (the selectors and bases are in the state bytes). */
  copySegments(o: Cpu): void {
    this.segLimit.set(o.segLimit);
    this.segAttr.set(o.segAttr);
    this.mode = o.mode;
  }

  selector(seg: number): number { return this.w16[(SEL + seg) * 2]; }
  setSelector(seg: number, v: number): void { this.w16[(SEL + seg) * 2] = v; }
}
