/**
 * The JIT's governor (the cc1 guard, design §6 and §9): decides, for each hot block that asks,
 * whether translating one more region is worth it, so that a short code-heavy program with a
 * flat profile (gcc's cc1, configure scripts, bash start-up) is never slower with the JIT than
 * interpreted, while a hot loop funds every compile it wants.
 *
 * It compares what translation has cost the process so far with what it has won:
 *
 *   cost = the engine thread's own translation work (forming, keying, sending regions,
 *          compiling and attaching modules; in-thread, binaryen too)
 *        + the CPU of every other thread of the process since the compiler was ready
 *          (the compile worker's binaryen, V8's compile and TurboFan tier-up of the
 *          region modules on its helper threads), read from the host's clock
 *          (setOffThreadClock; Node on Linux: process CPU minus the engine thread's);
 *          where the host has none (a page), the worker's binaryen time plus
 *          V8_MS_PER_REGION for each module V8 compiled
 *        + the regions sent and not answered yet, at the mean cost per region so far
 *   allowed = BASE_MS + SHARE × (time since code first got hot)
 *           + SAVED_NS_PER_INSN × instructions run translated
 *
 * Before, only binaryen's time was charged: gcc -O2 -c pngtest.c compiled 6,926 regions for
 * 13.9 s of binaryen and used 88.2 s of process CPU against 40.8 s interpreted
 * (docs/BENCHMARKS.md "Every row, end of session 6"): V8's compile and tier-up of the modules
 * on its helper threads, which the governor did not see, cost more than binaryen.
 *
 * The hotness a block needs before it may ask is raised while the budget is spent (each
 * refusal doubles it, up to HOT_MAX) and lowered again while it is ample, so once a program's
 * regions stop repaying, the next ones translated are its hottest blocks, not the first to
 * reach HOT_HITS entries.
 *
 * Pure bookkeeping: the times come from the clocks given to the constructor, so tests drive it
 * with clocks of their own (test/jit/governor.test.ts).
 */

/** Block entries before a block is translated in 'on' mode (a power of two: the run loop's check is a mask). */
export const HOT_HITS = 1024;
/** The highest hotness the governor raises the threshold to (32 x HOT_HITS). */
export const HOT_MAX = 32 * HOT_HITS;
/**
 * Share of the time since code got hot that translation may spend before it has won anything
 * back (speculation). Measured with the flat 25% share it replaced: the configure-like script of
 * bench/jit-worker.ts compiled 357 regions for 9.9 s to run 17.6 M instructions translated (a
 * win of ~0.3 s) and took 8.5 s engine CPU against 6.5 s interpreted.
 */
export const SHARE = 0.05;
/** Interpreter time a translated instruction saves: the interpreter runs 20-50 MIPS (docs/BENCHMARKS.md), translated code 0.3-3 ns per instruction. */
export const SAVED_NS_PER_INSN = 15;
/**
 * Compile time allowed before anything is won. 100 ms let short fork+exec loops (busybox sh
 * 100 x fork+exec true) spend more on compiles than they won (743 -> 839 ms engine CPU, bench).
 */
export const BASE_MS = 20;
/**
 * V8's own work for a module it compiles, which a host without an off-thread clock cannot see:
 * validating it, Liftoff at the first call, TurboFan on a helper thread once it is hot.
 * python3 binary-trees: 2.9-3.1 s of helper-thread CPU for 680 regions, about half of it
 * concurrent TurboFan of JS, so ~2 ms per region (docs/BENCHMARKS.md "JIT: cold and fixed costs").
 */
export const V8_MS_PER_REGION = 2;
/** How long a reading of the off-thread clock is reused (Node: a read is a getrusage and a 30 us file read). */
const CLOCK_EVERY_MS = 5;

/** CPU time (ms, any origin, never decreasing) the process has spent outside the engine's thread. */
export type OffThreadClock = () => number;

let hostClock: OffThreadClock | null = null;
/**
 * The host's off-thread CPU clock (Node on Linux: src/host/node/thread-cpu.ts), read on the
 * engine's thread; null where there is none (the governor then estimates V8's share).
 */
export function setOffThreadClock(f: OffThreadClock | null): void { hostClock = f; }
/** The clock set by the host, for new machines. */
export function offThreadClock(): OffThreadClock | null { return hostClock; }

export class Governor {
  /** The engine thread's translation work, ms. */
  engineMs = 0;
  /** binaryen time the compile worker reported, ms (charged only without an off-thread clock: the clock includes it). */
  workerMs = 0;
  /** Modules V8 compiled for this machine (fresh or from the translation cache). */
  modules = 0;
  /** Regions sent to the compile worker and not answered yet, and answered so far. */
  unanswered = 0;
  answered = 0;
  /** Block entries a block needs before it may ask (raised while the budget is spent). */
  hotHits = HOT_HITS;
  /** Requests refused because the budget was spent. */
  refused = 0;

  private firstHot = -1;
  /** The off-thread clock when the compiler became ready (-1: not yet). */
  private off0 = -1;
  private offSeen = 0;
  private offReadAt = -Infinity;

  /**
   * @param now a monotonic wall clock, ms (performance.now in the engine)
   * @param offThread the host's off-thread CPU clock, or null
   */
  constructor(private readonly now: () => number, private readonly offThread: OffThreadClock | null) {}

  /** Code first got hot (the allowance's zero). */
  hot(t: number): void { if (this.firstHot < 0) this.firstHot = t; }

  /**
   * The compiler can compile now (the worker said ready, or binaryen loaded in this thread).
   * The off-thread clock is charged from here: binaryen's load itself is the start policy's
   * decision (compile-client.ts StartPolicy), already paid whatever the governor says.
   */
  compilerReady(): void {
    if (this.off0 < 0 && this.offThread !== null) { this.off0 = this.offThread(); this.offSeen = this.off0; this.offReadAt = this.now(); }
  }

  /** CPU the other threads spent since the compiler was ready (read at most every CLOCK_EVERY_MS). */
  private offThreadMs(t: number): number {
    if (this.off0 < 0 || this.offThread === null) return 0;
    if (t - this.offReadAt >= CLOCK_EVERY_MS) { this.offSeen = this.offThread(); this.offReadAt = t; }
    return this.offSeen - this.off0;
  }

  /** What translation has cost so far, ms, including the regions still being compiled. */
  cost(t: number = this.now()): number {
    const away = this.offThread !== null ? this.offThreadMs(t) : this.workerMs + V8_MS_PER_REGION * this.modules;
    const mean = this.answered > 0 ? this.workerMs / this.answered : 1;
    return this.engineMs + away + this.unanswered * mean;
  }

  /** What translation may cost by now, ms, having run `translated` instructions in regions. */
  allowance(t: number, translated: number): number {
    return BASE_MS + SHARE * (t - (this.firstHot < 0 ? t : this.firstHot)) + translated * SAVED_NS_PER_INSN / 1e6;
  }

  /**
   * May a block entered `hits` times have its region translated now? Refusals raise the
   * hotness needed, a budget less than half spent lowers it again.
   */
  allows(hits: number, translated: number, t: number = this.now()): boolean {
    if (hits < this.hotHits) return false;
    const cost = this.cost(t), allowed = this.allowance(t, translated);
    if (cost > allowed) {
      this.refused++;
      if (this.hotHits < HOT_MAX) this.hotHits *= 2;
      return false;
    }
    if (cost < allowed / 2 && this.hotHits > HOT_HITS) this.hotHits /= 2;
    return true;
  }
}
