/**
 * Opcode tables: one handler per one-byte opcode (OPS1) and per 0F-prefixed opcode
 * (OPS2). Handler files fill the rows; an empty row decodes to #UD (SIGILL).
 */
import type { Handler } from '../decoder.js';

export const OPS1: (Handler | undefined)[] = new Array(256).fill(undefined);
export const OPS2: (Handler | undefined)[] = new Array(256).fill(undefined);

/** Fill `table` rows `ops` with handler `h`. */
export function def(table: (Handler | undefined)[], ops: number | number[], h: Handler): void {
  for (const op of typeof ops === 'number' ? [ops] : ops) {
    if (table[op]) throw new Error(`opcode ${op.toString(16)} defined twice`);
    table[op] = h;
  }
}
/** Opcodes lo..hi inclusive. */
export const range = (lo: number, hi: number): number[] => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
