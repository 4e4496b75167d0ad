/**
 * Instructions the translator has no Wasm for (x87, SSE, LOCK-prefixed ALU ops, xadd,
 * cmpxchg, lods/cmps/scas, rcl/rcr, the rarer 16-bit forms...) run *inside* a region by the
 * interpreter's own closure for them (cpu/interp.ts decodeOne), through one import, instead
 * of ending the region there. Before, every such instruction left the region, returned to
 * the run loop, ran interpreted and entered a region again: the x87 loop of the bench was
 * slower with the JIT (9.3 s) than without (8.2 s) because each of its x87 instructions did.
 *
 * The region stores its registers and flag record to the thread's state slot before a run
 * of such instructions and loads them back after it (codegen.ts `interpCall`), so the
 * closure sees exactly the state the interpreter would. The results are the interpreter's
 * by construction: the same closure runs.
 *
 * What the call returns:
 * - CALL_OK: go on in the region.
 * - CALL_FAULT: the closure threw (a page fault, #GP, #UD...): the region reloads the state
 *   (the closure's partial updates, e.g. a rep's ECX) and leaves *before* the instruction;
 *   the interpreter runs it again from that state and raises the fault precisely, as it
 *   does for a failed inline check.
 * - CALL_LEAVE: the closure changed something the region cannot go on under (it wrote a
 *   page holding translated code, or asked the run loop to stop): the region leaves *after*
 *   the instruction.
 *
 * Instructions that end an interpreter block (control transfers, system calls), write a
 * segment register (the CPU mode may change: seg-regs.ts updateMode) or popf (EXIT_AC) are
 * never called this way (`callableLength`): they still end the region.
 */
import type { AddressSpace } from '../mem/address-space.js';
import { EXIT_BUDGET, type Cpu, type Op } from '../cpu/cpu.js';
import { Decoder } from '../cpu/decoder.js';
import { decodeOne } from '../cpu/interp.js';
import { tierCounters } from '../cpu/tier.js';
import { LEGACY_PREFIXES, opcodeName, x87Translated } from './region.js';
import { CALL_FAULT, CALL_LEAVE, CALL_OK } from './codegen.js';

/** The thread whose region is running (set by jit.ts at each entry; regions of one realm run one at a time). */
let active: Cpu | null = null;
export function setActiveCpu(c: Cpu): void { active = c; }

/**
 * Opcodes (one byte, or 0x0f00 | second byte) excluded although their closure does not end
 * a block: segment register loads (mov Sreg, pop Sreg, les/lds/lss/lfs/lgs) may switch
 * the CPU out of the flat mode the run loop's JIT path assumes; popf may set EXIT_AC;
 * grp6/grp7 touch descriptor tables.
 */
const EXCLUDED = new Set([0x8e, 0x07, 0x17, 0x1f, 0xc4, 0xc5, 0x9d, 0x0fa1, 0x0fa9, 0x0fb2, 0x0fb4, 0x0fb5, 0x0f00, 0x0f01]);

const probe = new Decoder();
/**
 * x87 instructions without a translation (codegen-x87.ts) are called this way while x87 is
 * translated (region.ts x87Translated). With WEBX86_JIT_X87=off they are not, unless
 * WEBX86_JIT_X87_CALLS=on: without the translation the exact closures dominate, so a call
 * from Wasm only adds to them (the bench's x87 loop: 10.4 s CPU with calls, 9.5 s with its
 * loop left to the interpreter, paired runs at load 22).
 */
let x87Calls = false;
export function setX87Calls(on: boolean): void { x87Calls = on; }

/**
 * The length of the instruction at `at` when its interpreter closure may run inside a
 * region, else 0. Decodes it as the interpreter does (flat mode) and checks what the
 * decoder learned: no control transfer, no #UD, not excluded.
 */
export function callableLength(mem: AddressSpace, at: number): number {
  const d = probe;
  d.reset(mem, at >>> 0);
  try { decodeOne(d); } catch { return 0; }
  if (d.ends || d.jcc >= 0 || d.followOp !== null || d.invalid) return 0;
  let p = at >>> 0, b = mem.u8[p];
  while (LEGACY_PREFIXES.has(b)) b = mem.u8[++p >>> 0];
  if (b === 0x0f) b = 0x0f00 | mem.u8[(p + 1) >>> 0];
  if (EXCLUDED.has(b)) return 0;
  // With x87 translated (region.ts x87Translated) the forms without a translation are called.
  if (!x87Calls && !x87Translated() && ((b >= 0xd8 && b <= 0xdf) || b === 0x9b)) return 0;
  return (d.next - (at >>> 0)) >>> 0;
}

/** Calls per opcode name, counted while `countCalls` is set (jit.ts sets it with --debug). */
export const callCounts = new Map<string, number>();
export let countCalls = false;
export function setCountCalls(on: boolean): void { countCalls = on; }

/**
 * The import `e.i(k, at)` of the regions instantiated for `mem`: runs the interpreter's
 * closure for the instruction at `at` (decoded once per instance; an instance belongs to
 * one module, whose key holds these bytes) on the active thread.
 */
export function interpHelper(mem: AddressSpace): (k: number, at: number) => number {
  // By the call's index in the region (codegen.ts numbers them): an array read, not a Map's.
  const ops: ({ op: Op; name: string } | undefined)[] = [];
  const d = new Decoder();
  return (k: number, at: number): number => {
    const c = active!;
    const inv = tierCounters.invalidated;
    try {
      let e = ops[k];
      if (e === undefined) { d.reset(mem, at >>> 0); e = ops[k] = { op: decodeOne(d), name: opcodeName(mem, at >>> 0) }; }
      if (countCalls) callCounts.set(e.name, (callCounts.get(e.name) ?? 0) + 1);
      e.op(c);
    } catch {
      return CALL_FAULT;
    }
    // EIP is not set before the call: none of these closures reads it (control transfers are never called).
    if (tierCounters.invalidated !== inv || c.exit !== EXIT_BUDGET) return CALL_LEAVE;
    return CALL_OK;
  };
}
