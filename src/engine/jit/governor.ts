/**
 * The JIT's governor (the cc1 guard, design §6 and §9): decides, for each hot block that asks,
 * whether translating one more region is worth it, so that a short code-heavy program with a
 * flat profile (gcc's cc1, configure scripts, bash start-up) is not made slower by the JIT,
 * while a hot loop funds every compile it wants.
 *
 *   cost    = the engine thread's translation work (engineMs)
 *             + binaryen's time in the compile worker (its thread CPU)
 *             + V8's compile of each module: V8_MS_PER_MODULE + V8_MS_PER_KB per KB of it
 *               (validation, Liftoff, TurboFan on a helper thread: the part the governor did
 *               not see before)
 *             + the regions in flight at the mean binaryen time and V8 cost per region so far
 *   allowed = BASE_MS + SHARE x the program's time since code got hot (the engine thread's CPU
 *             where the host has the clock, setThreadClocks; else wall time)
 *             + SAVED_NS_PER_INSN per instruction run translated (won)
 *             + what the attached regions will still win at their current rate if the program
 *               runs as long again, at most `won` (expected)
 *
 * A block may ask once it has been entered `hotHits` times: HOT_HITS while translation stays
 * within its speculative share or has been repaid, else HOT_HITS x the next power of two of
 * cost / (won + expected), at most HOT_MAX; so once regions stop repaying, the next ones
 * translated are the program's hottest blocks, not the first to reach HOT_HITS entries.
 *
 * Before, only binaryen's time was charged, against 5% of the wall time: gcc -O2 -c pngtest.c
 * compiled 6,926 regions for 13.9 s of binaryen and the process used 88.2 s of CPU against
 * 40.8 s interpreted (docs/BENCHMARKS.md "Every row, end of session 6"), and at load average
 * 14 the wall-time share alone allowed 17 s. Measured choices (the other threads' measured CPU
 * was tried and is not charged): docs/JIT.md "Governor".
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
 * V8's own work for a module it compiles, which the governor cannot see on its clocks:
 * validating it, Liftoff at the first call, TurboFan on a helper thread once it is hot. It
 * grows with the module's size: compiling all 3,211 of cc1's region modules (24.9 MB, 7.7 KB
 * each) took 20.0 s of CPU with TurboFan (6.2 ms each, 0.81 ms per KB) and 1.06 s with Liftoff
 * (bench/v8-compile-regions.ts on modules from bench/jit-compile-cost.ts); in whole cc1 runs the
 * threads other than the engine's and binaryen's used ~0.57 ms per KB of the modules compiled
 * (docs/BENCHMARKS.md "JIT: the governor charges what translation costs": not every region
 * gets hot enough for TurboFan). A flat 3 ms per module (python3 binary-trees: 2.9-3.1 s of
 * helper-thread CPU for 680 regions, about half of it TurboFan of JS) charged cc1's regions
 * half of what they cost and small loop regions more.
 */
export const V8_MS_PER_KB = 0.6;
/** V8's fixed cost per module: validation, instantiation, Liftoff's setup (~0.3 ms per cc1 module with Liftoff, above). */
export const V8_MS_PER_MODULE = 0.2;
/** A module's size before any was compiled (bytes: cc1's regions' mean, 7.7 KB). */
const PRIOR_MODULE_BYTES = 8 << 10;
/** V8's estimated cost of a module of `bytes`, ms. */
export const v8Ms = (bytes: number): number => V8_MS_PER_MODULE + V8_MS_PER_KB * bytes / 1024;
/** The win rate is sampled at most once per this much of the program's time, ms. */
const RATE_EVERY_MS = 50;
/** How long a reading of the engine's clock is reused (Node: a 30 us file read). */
const CLOCK_EVERY_MS = 5;

/** CPU clocks (ms, any origin, never decreasing), read on the engine's thread. */
export interface ThreadClocks {
  /** The engine thread's own CPU time. */
  engine: () => number;
}

let hostClocks: ThreadClocks | null = null;
/**
 * The host's CPU clocks (Node on Linux: src/host/node/thread-cpu.ts); null where there are
 * none (the governor then measures the program's time in wall time).
 */
export function setThreadClocks(c: ThreadClocks | null): void { hostClocks = c; }
/** The clocks set by the host, for new machines. */
export function threadClocks(): ThreadClocks | null { return hostClocks; }

export class Governor {
  /**
   * The engine thread's translation work, ms (forming and keying regions, sending them,
   * compiling and attaching modules, cache lookups; in-thread, binaryen too): JitStats.engineMs.
   */
  engineMs = 0;
  /** binaryen time the compile worker reported, ms (charged only without an off-thread clock: the clock includes it). */
  workerMs = 0;
  /** Modules V8 compiled for this machine (fresh or from the translation cache), and their bytes. */
  modules = 0;
  moduleBytes = 0;
  /** Regions sent to the compile worker and not answered yet, and answered so far. */
  unanswered = 0;
  answered = 0;
  /** Block entries a block needs before it may ask (raised while the budget is spent). */
  hotHits = HOT_HITS;
  /** Requests refused because the budget was spent. */
  refused = 0;

  /** When code first got hot: wall time, and the engine thread's CPU time where there is a clock (-1: not yet). */
  private firstHot = -1;
  private engine0 = -1;
  /** The last reading of the engine's clock, and when (wall time). */
  private engineSeen = 0;
  private readAt = -Infinity;

  /**
   * @param now a monotonic wall clock, ms (performance.now in the engine)
   * @param clocks the host's CPU clocks, or null
   */
  constructor(private readonly now: () => number, private readonly clocks: ThreadClocks | null) {}

  /** Code first got hot (the allowance's zero). */
  hot(t: number): void {
    if (this.firstHot >= 0) return;
    this.firstHot = t;
    if (this.clocks !== null) { this.engine0 = this.clocks.engine(); this.engineSeen = this.engine0; this.readAt = t; }
  }

  /**
   * The program's time since code got hot, ms: the engine thread's CPU where the host has a
   * clock (wall time grows with the machine's load: cc1 at load average 14 ran 345 s of wall
   * time for 45 s of engine CPU, and 5% of the wall time allowed 17 s of compiles), else wall time.
   */
  private elapsed(t: number): number {
    if (this.firstHot < 0) return 0;
    if (this.clocks === null) return t - this.firstHot;
    // Read at most every CLOCK_EVERY_MS.
    if (t - this.readAt >= CLOCK_EVERY_MS) { this.engineSeen = this.clocks.engine(); this.readAt = t; }
    return Math.max(0, this.engineSeen - this.engine0);
  }

  /**
   * The share of the wall time the engine's thread spent on a CPU since code got hot (1 without
   * a clock): engineMs is wall time, which a loaded machine inflates (the busybox sh loop's 1.5-2 s
   * at load average 20 refused 9,606 requests when charged as it was: engine thread 6.0 s
   * against 3.1 s; cc1's 30.7 s, uncharged, let it compile 3,895 regions).
   */
  private onCpu(t: number): number {
    if (this.clocks === null || this.firstHot < 0 || t - this.firstHot < 100) return 1;
    return Math.min(1, this.elapsed(t) / (t - this.firstHot));
  }

  /** What translation has won, ms: SAVED_NS_PER_INSN per instruction run translated. */
  won(translated: number): number { return translated * SAVED_NS_PER_INSN / 1e6; }

  /** What the regions attached now win per ms of the program (smoothed), and when it was last sampled. */
  private rate = 0;
  private lastWon = 0;
  private lastElapsed = 0;

  /**
   * What the regions attached so far will still win if the program runs as long again as it
   * has since code got hot (their current rate times that time): a region's cost is paid when
   * it is compiled, its win over the rest of the run. Counting only what was won so far starved
   * busybox sh's 20k-iteration loop (600 regions, each repaying within a second or two) once
   * V8's share was charged: its engine thread used 5.4-6.4 s instead of 2.5-2.8 s.
   */
  expected(t: number, translated: number): number {
    const el = this.elapsed(t), won = this.won(translated);
    if (el - this.lastElapsed >= RATE_EVERY_MS) {
      const now = (won - this.lastWon) / (el - this.lastElapsed);
      this.rate = this.rate === 0 ? now : 0.7 * this.rate + 0.3 * now;
      this.lastWon = won; this.lastElapsed = el;
    }
    return Math.min(this.rate * el, won);
  }

  /** V8 compiled a module of `bytes` for this machine (a fresh compile, or one from the translation cache). */
  compiled(bytes: number): void { this.modules++; this.moduleBytes += bytes; }

  /** What translation has cost so far, ms, including the regions still being compiled. */
  cost(t: number = this.now()): number {
    const v8 = V8_MS_PER_MODULE * this.modules + V8_MS_PER_KB * this.moduleBytes / 1024;
    // A region in flight is charged in full: binaryen's mean so far and V8's for a module of the mean size so far.
    const mean = (this.answered > 0 ? this.workerMs / this.answered : 1) + v8Ms(this.modules > 0 ? this.moduleBytes / this.modules : PRIOR_MODULE_BYTES);
    return this.engineMs * this.onCpu(t) + this.workerMs + v8 + this.unanswered * mean;
  }

  /** What translation may cost by now, ms, having run `translated` instructions in regions. */
  allowance(t: number, translated: number): number {
    return BASE_MS + SHARE * this.elapsed(t) + this.won(translated) + this.expected(t, translated);
  }

  /**
   * May a block entered `hits` times have its region translated now? Sets the hotness needed
   * first: HOT_HITS while translation lives within its speculative share or has won back what
   * it cost; past the share and not repaid yet, HOT_HITS times the next power of two of
   * cost / won (up to HOT_MAX), so the less the regions so far have repaid, the hotter a block
   * must be.
   */
  allows(hits: number, translated: number, t: number = this.now()): boolean {
    const cost = this.cost(t), won = this.won(translated) + this.expected(t, translated), spec = BASE_MS + SHARE * this.elapsed(t);
    this.hotHits = cost <= spec || won >= cost ? HOT_HITS
      : won <= 0 ? HOT_MAX : Math.min(HOT_MAX, HOT_HITS * 2 ** Math.ceil(Math.log2(cost / won)));
    if (hits < this.hotHits) return false;
    if (cost > spec + won) { this.refused++; return false; }
    return true;
  }
}
