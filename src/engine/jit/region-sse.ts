/**
 * Region formation's half of the SSE translation: decodes the SIMD forms the translator
 * emits Wasm for (codegen-sse.ts `EMIT`) into an `sse` Insn. The form is looked up in the
 * instruction table (cpu/isa `rowFor`, by map, opcode, ModRM and mandatory prefix), so
 * validity, the operand order and the immediate come from the rows, not from a copy here.
 * Every other SIMD instruction is left to region.ts (run by the interpreter's closure).
 */
import { MAP0F, MAP0F38, MAP0F3A, rowFor, type OpMap } from '../cpu/isa/index.js';
import { EMIT } from './codegen-sse.js';
import { modrm, type Opnd, type Reader } from './region.js';

/**
 * One translated SIMD instruction: `mn` the row's mnemonic; `reg` ModRM.reg; `rm` the r/m
 * operand (an XMM or general register number, or memory); `rmDst` whether the r/m operand
 * is the destination (the row's first operand is W/E/M/U); `imm` the 8-bit immediate
 * (-1: none); `call` whether the exact interpreter closure may run inside the region as the
 * fallback of a guarded fast path (interp-call.ts; else the fallback leaves the region).
 */
export interface SseInsn { op: 'sse'; mn: string; reg: number; rm: Opnd; rmDst: boolean; imm: number; call: boolean }

/**
 * Decode the SIMD instruction whose first byte after the segment/66 prefixes is `b`
 * (0F, or F2/F3 followed by 0F), or undefined when it is not a form codegen-sse.ts
 * translates (the reader is then back where it was).
 */
export function decodeSimd(r: Reader, b: number, seg: number, opsize: number, call: boolean): SseInsn | undefined {
  const save = r.pos;
  let prefix = opsize === 2 ? 0x66 : 0;
  if (b === 0xf2 || b === 0xf3) {
    if (opsize === 2) return undefined; // both a 66 and an F2/F3: left to the interpreter
    prefix = b;
    b = r.u8();
  }
  const back = (): undefined => { r.pos = save; return undefined; };
  if (b !== 0x0f) return back();
  let map: OpMap = MAP0F, op = r.u8();
  if (op === 0x38 || op === 0x3a) { map = op === 0x38 ? MAP0F38 : MAP0F3A; op = r.u8(); }
  if (!r.ok) return back();
  // Peek at ModRM for the row (mod and reg select it), then decode the operand for real.
  const at = r.pos;
  const mrm = r.u8();
  const row = rowFor(map, op, mrm, prefix);
  if (row === undefined || !row.handler.startsWith('sse ') || !r.ok) return back();
  const emit = EMIT.get(row.mnem);
  // MMX rows (P/Q/N operands) are not translated; the shifts only with an immediate count.
  const mmx = row.operands.some((o) => o.method === 'P' || o.method === 'Q' || o.method === 'N');
  const hasImm = row.operands.some((o) => o.method === 'I');
  if (emit === undefined || mmx || (emit.immOnly && !hasImm)) return back();
  r.pos = at;
  const m = modrm(r, seg);
  const imm = hasImm ? r.u8() : -1;
  if (!r.ok) return back();
  const first = row.operands[0].method;
  return { op: 'sse', mn: row.mnem, reg: m.reg, rm: m.rm, rmDst: first === 'W' || first === 'E' || first === 'M' || first === 'U', imm, call };
}
