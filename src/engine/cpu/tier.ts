/**
 * The interface between the interpreter's run loop and a faster execution tier (the JIT,
 * src/engine/jit/jit.ts), defined here so the CPU layer does not import the tier: the run
 * loop counts block entries, hands hot blocks to the tier and enters their translations;
 * the code cache invalidates translations whose code pages are written. The tier depends on
 * the CPU, never the reverse (test/structure/imports.test.ts).
 */
import type { AddressSpace } from '../mem/address-space.js';
import type { Cpu } from './cpu.js';

/** A translation attached to an interpreter block. */
export interface Translation {
  /** False once a code page it covers was written, unmapped or lost PROT_EXEC. */
  valid: boolean;
  /** The guest pages its code lies on (the code cache marks them CODE). */
  readonly pages: readonly number[];
  /** Called once when it is invalidated: the tier drops whatever still leads into it (the JIT's chaining hubs). */
  unlink?(): void;
}

/** The block's code was refused by the tier (its first instruction is untranslatable): never retried. */
export const REFUSED: Translation = { valid: false, pages: [] };

/** Translations invalidated by writes to their code (all machines of this realm), for statistics. */
export const tierCounters = { invalidated: 0 };

/** A translation's code page was written, unmapped or lost PROT_EXEC: it is never entered again. */
export function invalidate(t: Translation): void {
  if (t.valid) { t.valid = false; tierCounters.invalidated++; t.unlink?.(); }
}

/** Interpreter block fields the tier reads and writes (interp.ts Block). */
export interface HotBlock {
  start: number;
  hits: number;
  valid: boolean;
  /** The tier's translation of the code starting here, REFUSED, or null (none yet). */
  jit: Translation | null;
  /** Instructions in the block. */
  count: number;
  /** Cpu.mode it was decoded in: only flat (0) code is translated. */
  mode: number;
  /** Address after its last instruction. */
  end: number;
  /**
   * The first two successors the run loop has seen after an indirect transfer ending the
   * block (interp.ts Block n1, s2): the JIT takes an indirect jump's into its region
   * (region.ts formRegion `seen`).
   */
  n1: HotBlock | null;
  s2: HotBlock | null;
  /** Entries after the block that its two chain links did not cover (interp.ts Block misses). */
  misses: number;
}

/** What the tier needs from the interpreter's code cache. */
export interface CodeHost {
  /** The valid interpreter block starting at eip, if decoded. */
  get(eip: number): HotBlock | undefined;
  /** Register a translation's code pages (marks them CODE; a write invalidates it). */
  addRegion(t: Translation): void;
}

/** A tier the run loop hands hot blocks to. */
export interface Tier {
  /** A block whose `hits & mask` is 0 after an entry is offered to `request`. */
  readonly mask: number;
  /**
   * A block without a translation is also offered to `request` at each power of two of its
   * entries from `probe` on (and below mask + 1), before it is hot: the tier may attach a
   * translation it already has (the JIT's translation cache) rather than leave the block
   * interpreted until `mask`'s count, and ask again a little later when it declined. A power
   * of two above any count (0x40000000): never.
   */
  readonly probe: number;
  /** Block b is hot: translate it (now or later) and set b.jit. `c` is the thread running it (its icount: the JIT's governor measures what translation saves). */
  request(host: CodeHost, mem: AddressSpace, b: HotBlock, c?: Cpu): void;
  /** Run b's translation for thread c within `budget` instructions; returns the instructions executed (0: the interpreter runs b). */
  enter(b: HotBlock, c: Cpu, budget: number): number;
}
