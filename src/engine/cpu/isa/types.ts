/**
 * The shape of an instruction row (rows.ts) and its legend. One row describes one opcode
 * form as the Intel SDM Vol. 2 opcode map (Appendix A) and the instruction's
 * "Flags Affected" section give it; the decoder, the interpreter's dispatch, the JIT's
 * translator and the tests read these rows instead of keeping their own copies of the facts.
 */

/**
 * Opcode map: the one-byte map, the two-byte map after 0F, and the three-byte maps after
 * 0F 38 and 0F 3A (SDM Tables ).
 */
export const MAP1 = 1, MAP0F = 2, MAP0F38 = 3, MAP0F3A = 4;
export type OpMap = typeof MAP1 | typeof MAP0F | typeof MAP0F38 | typeof MAP0F3A;
/** Every map, and the opcode bytes that introduce each (for keys and encodings). */
export const MAPS: readonly OpMap[] = [MAP1, MAP0F, MAP0F38, MAP0F3A];
export const MAP_BYTES: Record<OpMap, number[]> = { [MAP1]: [], [MAP0F]: [0x0f], [MAP0F38]: [0x0f, 0x38], [MAP0F3A]: [0x0f, 0x3a] };

// EFLAGS bits a row can read or write (same values as cpu/state.ts).
export const FL_CF = 0x001, FL_PF = 0x004, FL_AF = 0x010, FL_ZF = 0x040, FL_SF = 0x080;
export const FL_DF = 0x400, FL_OF = 0x800;
/** The six arithmetic flags, OSZAPC. */
export const FL_ARITH = FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF;

/**
 * Control flow of a row, for block building and the JIT:
 * - `none`: falls through to the next instruction;
 * - `jmp` / `jcc` / `call`: a direct transfer (target = next + rel); `jcc` includes
 *   loop/loope/loopne/jecxz, whose condition is not a Jcc condition code;
 * - `ret`: near return (pops EIP);
 * - `jmp-indirect` / `call-indirect`: target read from a register or memory;
 * - `int`: raises an interrupt or exception on purpose (int3, int n, into, int1; `int 0x80`
 *   is Linux's system call: the immediate decides, not the row);
 * - `syscall`: sysenter/syscall (#UD here: Linux i386 user code enters through int 0x80
 *   or the vDSO, which the engine's AT_SYSINFO does not provide);
 * - `end`: always ends a block for another reason (#UD/#GP encodings such as ud2,
 *   privileged and I/O instructions, far transfers).
 */
export type Flow = 'none' | 'jmp' | 'jcc' | 'call' | 'ret' | 'jmp-indirect' | 'call-indirect' | 'int' | 'syscall' | 'end';

/**
 * The CPUID feature a row needs (leaf 1 EDX bits, and later ECX): `none` for the base
 * i386/i486/Pentium set, which every CPU the engine claims to be has. SSE and friends
 * join here (issue 10).
 */
export type Feature = 'none' | 'fpu' | 'tsc' | 'cx8' | 'cmov' | 'mmx' | 'fxsr' | 'sse' | 'sse2' | 'sse3' | 'ssse3' | 'sse4.1' | 'sse4.2' | 'popcnt';
/** Features whose prefixed rows are selected by their mandatory prefix (a prefix without a row is #UD). */
export const SIMD_FEATURES: ReadonlySet<Feature> = new Set<Feature>(['mmx', 'fxsr', 'sse', 'sse2', 'sse3', 'ssse3', 'sse4.1', 'sse4.2', 'popcnt']);

/**
 * An operand, in the SDM Appendix A.2 notation: a method letter and a size letter.
 * Methods: E (ModRM r/m: register or memory), G (ModRM reg), M (ModRM r/m, memory
 * only), I (immediate), J (relative offset), O (moffs), A (far pointer immediate),
 * S (segment register in ModRM reg), R (ModRM r/m, register only), C / D (control /
 * debug register in ModRM reg), X (DS:eSI), Y (ES:eDI), Z (the register in the opcode's
 * low 3 bits; SDM writes it as e.g. "rAX/r8"), 'fixed' (a register named in `reg`: AL,
 * eAX, CL, DX, ES..., and ST for the x87 stack top), STi (x87 register ST(i) in ModRM.rm),
 * '1' (the constant 1 of shift-by-one).
 * Sizes: b (byte), w (word), d (dword), v (word or dword by operand size), z (word for
 * 16-bit operand size, else dword: immediates and rel offsets), p (far pointer), q (qword),
 * t (ten bytes: x87 extended and BCD), a (bound pair), '' (none: M of lea, fixed registers).
 * SIMD (SDM A.2.1/A.2.2): V (XMM register in ModRM reg), W (XMM register or memory in
 * ModRM r/m), U (XMM register in r/m, register form only), P (MMX register in ModRM reg),
 * Q (MMX register or memory in r/m), N (MMX register in r/m, register form only); sizes
 * dq (128 bits), ps/pd (packed single/double), ss/sd (scalar single/double), pi (packed
 * dwords in an MMX register), y (dword in 32-bit mode).
 */
export interface Operand {
  method: 'E' | 'G' | 'M' | 'R' | 'I' | 'J' | 'O' | 'A' | 'S' | 'C' | 'D' | 'X' | 'Y' | 'Z' | 'STi' | 'fixed' | '1'
    | 'V' | 'W' | 'U' | 'P' | 'Q' | 'N';
  size: 'b' | 'w' | 'd' | 'v' | 'z' | 'p' | 'q' | 't' | 'a' | '' | 'dq' | 'ps' | 'pd' | 'ss' | 'sd' | 'pi' | 'y';
  /** For method 'fixed': the register's name (AL, eAX, CL, DX, ES...). */
  reg?: string;
}

export interface Row {
  /** Mnemonic, lower case, as objdump -M intel prints it for the 32-bit operand size. */
  mnem: string;
  map: OpMap;
  /** The opcode byte (the last one, after 0F for MAP0F). */
  op: number;
  /** ModRM.reg of a group row (the SDM's /digit), or -1 when the row covers all eight. */
  reg: number;
  /**
   * ModRM.rm of a register-form row the SDM names by its whole ModRM byte (x87 "D9 E0
   * FCHS"), or -1. The decoder's masks work per reg and mod; validity by rm is the handler's.
   */
  rm: number;
  /** Restriction on ModRM.mod: 'mem' (mod != 3), 'reg' (mod == 3), or 'any'. */
  mod: 'mem' | 'reg' | 'any';
  /** A mandatory prefix (66, F2, F3) that selects this form, or 0. */
  prefix: number;
  /** Whether the instruction has a ModRM byte. */
  modrm: boolean;
  /** Operands in Intel order (destination first); `args` is their source text. */
  operands: Operand[];
  args: string;
  /** Flags read (including flags passed through unchanged on some path, e.g. a shift by 0). */
  use: number;
  /**
   * Flags written with defined values (for a variable-count shift or rotate: with a count
   * of 1; OF may then be in def and undef both).
   */
  def: number;
  /** Flags the SDM leaves undefined afterwards (for shifts and rotates: with a count other than 1). */
  undef: number;
  /** Shifts and rotates with a variable count: the flags left undefined when the count is 1. */
  undef1: number;
  /** LOCK is allowed (with a memory destination); any other LOCK form is #UD. */
  lock: boolean;
  flow: Flow;
  cpuid: Feature;
  /** Name of the semantic handler (registered with cpu/ops/table.ts def()) that builds the closure. */
  handler: string;
  /** Why objdump's name or decoding differs, for rows the oracle test cannot compare by name. */
  note?: string;
}
