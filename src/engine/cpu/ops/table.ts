/**
 * Dispatch: the handler of each one-byte opcode (OPS1) and 0F-prefixed opcode (OPS2),
 * filled from the instruction rows (cpu/isa/rows.ts): each row names its handler, and
 * handler files register their handlers under those names with def(). An opcode without
 * a row decodes to #UD (SIGILL).
 */
import type { Handler } from '../decoder.js';
import { MAP0F, MAP0F38, MAP0F3A, MAP1, handlerOf } from '../isa/index.js';

export const OPS1: (Handler | undefined)[] = new Array(256).fill(undefined);
export const OPS2: (Handler | undefined)[] = new Array(256).fill(undefined);
/** The three-byte maps 0F 38 and 0F 3A (SSSE3 and later). */
export const OPS38: (Handler | undefined)[] = new Array(256).fill(undefined);
export const OPS3A: (Handler | undefined)[] = new Array(256).fill(undefined);

const HANDLERS = new Map<string, Handler>();

/** Register the semantic handler `name` (the name rows give in their handler column). */
export function def(name: string, h: Handler): void {
  if (HANDLERS.has(name)) throw new Error(`handler ${name} defined twice`);
  HANDLERS.set(name, h);
}

/**
 * Fill OPS1/OPS2 from the rows, once every handler module has registered. A row naming a
 * handler nobody defined, or a handler no row names, is a load-time error.
 */
export function fillDispatch(): void {
  const used = new Set<string>();
  for (const [map, table] of [[MAP1, OPS1], [MAP0F, OPS2], [MAP0F38, OPS38], [MAP0F3A, OPS3A]] as const) {
    for (let op = 0; op < 256; op++) {
      const name = handlerOf(map, op);
      if (name === undefined) continue;
      const h = HANDLERS.get(name);
      if (!h) throw new Error(`isa row ${map !== MAP1 ? `map ${map} ` : ''}${op.toString(16)} names handler ${name}, which is not defined`);
      table[op] = h;
      used.add(name);
    }
  }
  for (const name of HANDLERS.keys()) if (!used.has(name)) throw new Error(`handler ${name} is named by no isa row`);
}

/** Integers lo..hi inclusive. */
export const range = (lo: number, hi: number): number[] => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
