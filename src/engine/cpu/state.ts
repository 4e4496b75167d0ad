/**
 * CPU state layout. The state of one guest thread lives at a fixed offset in the
 * address space's WebAssembly linear memory (below 64 KiB, which Linux never maps for
 * user programs: vm.mmap_min_addr), so the interpreter (typed-array views) and
 * JIT-generated Wasm (loads/stores) share it without copying.
 *
 * Slots are 32-bit words; indices below are word indices into the Int32Array view.
 */

// General-purpose registers, in x86 encoding order (ModRM reg field).
export const EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7;
export const EIP = 8;
/** Materialised EFLAGS. Arithmetic bits are stale while LOP !== LOP_NONE. */
export const FLAGS = 9;
/** Lazy-flag record: the last flag-setting operation, its operands and result. */
export const LOP = 10, LA = 11, LB = 12, LRES = 13;
/** Segment selectors (ES CS SS DS FS GS) at 14..19, bases at 20..25. */
export const SEL = 14, SEGBASE = 20;
export const ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5;
/**
 * A word that is always 0. Fused memory ops (ops/mem32.ts) compute every address as
 * s[base] + (s[index] << scale) + s[seg] + disp, with this word standing in for an
 * absent base, index or segment base.
 */
export const ZERO = 31;
/** Word count of the integer part; the FPU area follows (see fpu.ts). */
export const INT_WORDS = 32;
export const FPU_OFFSET = INT_WORDS * 4;
/** Bytes reserved per thread slot (integer state + x87 state + SSE state). */
export const STATE_BYTES = 512;
/**
 * The slot's byte map: integer state 0..127 (above), the x87 area FPU_OFFSET..367
 * (fpu.ts owns its layout inside that range), the SSE area: XMM0-7 (16 bytes each,
 * little-endian lanes, 16-byte aligned so Wasm v128 loads need no fix-up) and MXCSR.
 * 500..511 are free.
 */
export const FPU_AREA_END = 368;
export const XMM_OFFSET = 368;
export const MXCSR_OFFSET = XMM_OFFSET + 8 * 16; // 496

// EFLAGS bits.
export const CF = 1 << 0, PF = 1 << 2, AF = 1 << 4, ZF = 1 << 6, SF = 1 << 7;
export const TF = 1 << 8, IF = 1 << 9, DF = 1 << 10, OF = 1 << 11;
export const NT = 1 << 14, RF = 1 << 16, AC = 1 << 18, ID = 1 << 21;
export const ARITH_FLAGS = CF | PF | AF | ZF | SF | OF;
/** Bits a user program can change with popf (IOPL, VM, VIF, VIP are not). */
export const USER_FLAGS_MASK = ARITH_FLAGS | TF | DF | NT | AC | ID;
/** Bit 1 always reads as 1; IF is always set in user mode. */
export const FLAGS_FIXED = 0x2 | IF;
