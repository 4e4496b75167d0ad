/**
 * The lazily-flagged ALU operations, defined once: add, or, and, sub, xor, cmp, test.
 * scripts/gen-alu.ts turns these rows into every specialisation the interpreter runs
 * (ops/alu.gen.ts): the size-generic primitives of ops/alu.ts, the 32-bit register
 * closures of ops/fast32.ts and the result/record switches of the fused memory closures
 * of ops/mem32.ts. The closures must stay spelled out per operation (a shared closure
 * calling a per-operation function is a megamorphic call: 41 instead of ~55 MIPS on the
 * LCG loop, see fast32.ts), so they are generated rather than parameterised at run time.
 * test/cpu/alu-gen.test.ts fails when alu.gen.ts is not what these rows generate.
 *
 * Columns: k, the row in group-1 /reg order (add or adc sbb and sub xor cmp) with 8 for
 * test; kind, the lazy record (flags.ts K_*: ADD and SUB record operands and result, LOGIC
 * only the result); expr, the result in terms of the operands a and b (normalised to the
 * operand size by the generator for ADD/SUB; LOGIC results of normalised operands need none);
 * write, whether the destination receives the result (cmp and test only set flags).
 */
export interface AluDef { name: string; k: number; kind: 'ADD' | 'SUB' | 'LOGIC'; expr: string; write: boolean }

export const ALU_DEFS: AluDef[] = [
  { name: 'add', k: 0, kind: 'ADD', expr: 'a + b', write: true },
  { name: 'or', k: 1, kind: 'LOGIC', expr: 'a | b', write: true },
  { name: 'and', k: 4, kind: 'LOGIC', expr: 'a & b', write: true },
  { name: 'sub', k: 5, kind: 'SUB', expr: 'a - b', write: true },
  { name: 'xor', k: 6, kind: 'LOGIC', expr: 'a ^ b', write: true },
  { name: 'cmp', k: 7, kind: 'SUB', expr: 'a - b', write: false },
  { name: 'test', k: 8, kind: 'LOGIC', expr: 'a & b', write: false },
];
