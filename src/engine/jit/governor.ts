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
 *             (a module from the translation cache costs only its share of engineMs, measured:
 *             no binaryen, and no estimate at its attach; `loaded`, `attaches`)
 *   allowed = BASE_MS + SHARE x the program's time since code got hot (the engine thread's CPU
 *             where the host has the clock, setThreadClocks; else wall time)
 *             + what the instructions run translated saved (won): measured, not assumed
 *               (below; SAVED_NS_PER_INSN per instruction until the first measurement)
 *             + what the attached regions will still win at their current rate if the program
 *               runs as long again, at most `won` (expected)
 *
 * What a translated instruction saves is measured on the program itself: ti - tj.
 *   tj: the run loop's entries into translated code are timed, one in SAMPLE_EVERY (the engine
 *       thread's time per instruction run translated: hub hops, nested calls, exits included;
 *       wall time scaled by the share of it the thread was on a CPU).
 *   ti: the engine thread's time per instruction (cpu.icount of the threads the JIT sees) in
 *       the cheapest window without translation: probes of PROBE_MS in which translated code is
 *       not entered, every PROBE_EVERY windows of WINDOW_MS (PROBE_RARE once translation saves
 *       a third of the time), and windows before anything ran translated.
 * `won` credits min(ti - tj, SAVED_NS_PER_INSN) (nsSaved: the measure lowers the credit, it
 * is not trusted to raise it). The assumed 15 ns over-credited cc1 ~4x: ti - tj measured 3-4 ns
 * (19.5 against 15.6 ns), as its engine thread's time against an interpreted run. Two other measures of ti were tried and credited cc1 39-78 ns, compiling 8,263-
 * 8,438 regions: the residual outside timed entries per interpreted instruction (56 ns: new
 * code's decoding and GC are in it), and the mean of the windows without translation against
 * the mean with it (74 against 32 ns: V8's work for the modules attached and GC are per ms, not
 * per instruction, so they weigh on the slower mode; docs/JIT.md "Governor").
 *
 * A block may ask once it has been entered `hotHits` times: HOT_HITS while translation stays
 * within its speculative share or has been repaid, else HOT_HITS x the next power of two of
 * cost / (won + expected), at most HOT_MAX; so once regions stop repaying, the next ones
 * translated are the program's hottest blocks, not the first to reach HOT_HITS entries.
 *
 * The per-region account (account, judge): the budget weighs all regions' cost against all
 * regions' win, and on a flat profile a few hot regions fund thousands that never repay. Each
 * compiled region is judged JUDGE_MS after its attach on what it ran (the hub's count, its
 * own entries and the hops into it) at the saving measured then; while fewer than half of the
 * last JUDGED repaid their cost, the marginal bar (marginalHits) doubles, and a block's hotness
 * is the higher of that bar and the budget's. cc1 cold: 3,376-3,683 regions compiled and
 * 53-54 s of process CPU against the interpreter's 37.9 s, now 367-658 and 37.4-39.8 s
 * (the interpreter 36.0-38.2 s at the same load); warm 4,775-6,060 compiled and 55-61 s, now
 * 274-444 and 35.2-37.1 s (docs/BENCHMARKS.md "Session 13: cc1's per-region account").
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
/**
 * Interpreter time a translated instruction saves before the program has measured it: the
 * interpreter runs 20-50 MIPS (docs/BENCHMARKS.md), translated loops 0.3-3 ns per instruction.
 */
export const SAVED_NS_PER_INSN = 15;
/** Threads' instruction counts are read at one entry into translated code in SAMPLE_EVERY (a power of two: jit.ts's check is a mask). */
export const SAMPLE_EVERY = 16;
/** The program's time is measured in windows of this much of it, ms. */
export const WINDOW_MS = 250;
/**
 * A probe: a window this long in which translated code is not entered (the interpreter runs
 * all of it), ms. The engine's clock is read at most every 5 ms: 100 ms keeps that within 5%.
 */
export const PROBE_MS = 100;
/** tj needs this many timed entries behind it. */
export const MIN_SAMPLES = 32;
/** Windows between probes: few while translation gains less than GAIN_RARE of the program's time, else many. */
export const PROBE_EVERY = 4, PROBE_RARE = 32;
export const GAIN_RARE = 0.3;
/**
 * A probe due is skipped while what translation won (at the saving as known so far) is at
 * least PROBE_SKIP times what it cost: a probe can then only change a decision if translated
 * code saves less than SAVED_NS_PER_INSN / PROBE_SKIP (1.5 ns) per instruction, and what the
 * governor may wrongly allow meanwhile is bounded by that share of what ran translated. A
 * probe costs its 100 ms of the program interpreted, ~25 ns an instruction against 1-2 ns
 * translated: bash's warm loop interpreted 2.6-5.8 M instructions with its probes, 1.2-2.4 M
 * with them skipped; python3 binary-trees' warm run 0.1-4 M in its probe, which still runs
 * (its regions had not won 10 times their cost 1 s in; docs/BENCHMARKS.md "Session 12:
 * python3 and bash warm").
 */
export const PROBE_SKIP = 10;
/** A window counts only with at least this many instructions run (a program blocked or in system calls measures nothing). */
export const MIN_INSNS = 200_000;
/** Weight kept by the earlier windows' timed entries at each new window. */
const DECAY = 0.8;
/** The measured saving's bounds, ns per translated instruction (a few noisy windows are not a 1 us saving). */
const SAVED_MIN = -50, SAVED_MAX = 100;
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
/**
 * What attaching a region from the translation cache costs the engine thread, ms: the lookup,
 * the record's checks, V8's synchronous compile, instantiation and Liftoff at its first entry,
 * ~0.3-0.5 ms measured (docs/BENCHMARKS.md "Session 11: warm attach"); the price a block's
 * interpretation must have paid before an attach over the budget (Governor.attaches).
 */
export const ATTACH_MS = 0.5;
/** V8's fixed cost per module: validation, instantiation, Liftoff's setup (~0.3 ms per cc1 module with Liftoff, above). */
export const V8_MS_PER_MODULE = 0.2;
/** A module's size before any was compiled (bytes: cc1's regions' mean, 7.7 KB). */
const PRIOR_MODULE_BYTES = 8 << 10;
/** V8's estimated cost of a module of `bytes`, ms. */
export const v8Ms = (bytes: number): number => V8_MS_PER_MODULE + V8_MS_PER_KB * bytes / 1024;
/**
 * Ski rental per block, past the budget: a block whose own interpreted instructions so far
 * (its entries x its length), at the saving per instruction measured now (nsSaved), came to
 * RENT x what its region will cost is translated even while translation as a whole is over
 * its allowance (Governor.allows, attaches). The budget is the whole program's; it cannot
 * tell one very hot block from the many lukewarm ones of a flat profile. openssl's sha256
 * (SSSE3) is a loop of ~2,600 straight-line instructions, 64-instruction interpreter blocks:
 * its first regions (the file's read loop, binaryen's first compile 40 ms) spent the
 * speculative share before the loop got hot, and every block of the loop was refused for
 * 1.1-1.8 s (36,299 entries each, ~2.3 M instructions, ~35 ms interpreted, against ~6 ms for
 * its region) while 40-50% of the run was interpreted; a warm run whose first compiles (start-up
 * code the cold run had not stored) did the same was slower than the cold one. The rent is what
 * the block has already lost by staying interpreted, so what this rule adds is at most as much
 * again (ski rental's factor of 2), and a flat profile's blocks rarely pay it (cc1: ~3 ns saved
 * per instruction, ~7 ms per region, so over 2 M instructions run interpreted in one block).
 */
export const RENT = 1;
/**
 * A block's rent counts only what it ran since it first asked, within this much wall time (then
 * afresh): a loop that pays for its region pays in well under a second (openssl's sha256 loop:
 * ~0.2-0.3 s from its blocks' first ask), and a flat profile's blocks, paying over many
 * seconds, do not (jit.ts Jit.rent).
 */
export const RENT_WINDOW_MS = 1000;
/**
 * The per-region account (Governor.account): each compiled region is judged once it has been
 * attached this much of the program's time, ms: repaid if the instructions it ran (the hub's
 * count, hub.ts regionRuns: its own entries and hops into it), at the saving measured then
 * (nsSaved), came to what it cost (binaryen's time for it and V8's estimate for its module).
 * A loop's region repays in well under a second (RENT_WINDOW_MS); a flat program's marginal
 * region, asked for at its 1,024th entry, runs a few thousand instructions a second.
 */
export const JUDGE_MS = 1000;
/** The last JUDGED judgments decide the marginal bar; it moves once every JUDGED / 2 new ones. */
export const JUDGED = 32;
/**
 * The marginal bar moves up when fewer than REPAID_LOW of the last JUDGED regions repaid, and
 * down when at least REPAID_HIGH did.
 */
export const REPAID_LOW = 0.5, REPAID_HIGH = 0.75;
/** The highest the marginal bar goes (entries of a block before it may ask; a block that pays its rent is still translated). */
export const MARGINAL_MAX = 256 * HOT_HITS;
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
  /** Requests granted past the budget because the block had paid its rent (RENT), and attaches because its interpretation had cost an attach (ATTACH_MS). */
  rented = 0;

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

  /** Instructions run by the threads the JIT sees (interpreted and translated; jit.ts adds cpu.icount's growth). */
  executed = 0;
  /** In a probe now: translated code is not entered (jit.ts enter), so the window measures the interpreter alone. */
  probing = false;
  /** Timed entries into translated code (one in SAMPLE_EVERY): their wall time, ms, and instructions, decayed by DECAY per window, and how many. */
  private inJit = { ms: 0, insns: 0, entries: 0 };
  /** The engine thread's ns per instruction in the cheapest window without translation so far (-1: none yet). */
  private offBest = -1;
  /** Windows measured without translation (probes, and windows before anything ran translated), with it, and since the last without. */
  windowsOff = 0;
  windowsOn = 0;
  /** Probes run, and probes due but skipped while translation had repaid PROBE_SKIP times its cost. */
  probes = 0;
  probesSkipped = 0;
  private sinceOff = 0;
  /** The open window's start: program time, engine work, translated and executed instructions (el < 0: none open yet). */
  private w0 = { el: -1, t: 0, engineMs: 0, translated: 0, executed: 0 };
  /** What closed windows won, ms, and the translated instructions they credited. */
  private wonClosed = 0;
  private creditedInsns = 0;

  /** This window's timed entries' wall time, ms (scaled to the engine's CPU when the window closes). */
  private windowJitMs = 0;
  /** An entry into translated code took `ms` (wall) and ran `insns` instructions (jit.ts times one in SAMPLE_EVERY). */
  sampled(ms: number, insns: number): void { this.windowJitMs += ms; this.inJit.insns += insns; this.inJit.entries++; }

  /** The interpreter's ns per instruction (ti): the cheapest window without translation (-1: none yet). */
  nsOff(): number { return this.offBest; }
  /** The engine thread's ns per instruction run translated (tj), from the timed entries (-1: none yet). */
  nsOn(): number { return this.inJit.entries >= MIN_SAMPLES && this.inJit.insns > 0 ? (this.inJit.ms + this.windowJitMs * this.onCpuSeen) / this.inJit.insns * 1e6 : -1; }
  /** The share of the wall time the engine thread was on a CPU in the last window closed (scales the timed entries' wall time). */
  private onCpuSeen = 1;

  /** ti - tj as measured (SAVED_NS_PER_INSN before both were). */
  measured(): number {
    const ti = this.nsOff(), tj = this.nsOn();
    return ti < 0 || tj < 0 ? SAVED_NS_PER_INSN : Math.min(SAVED_MAX, Math.max(SAVED_MIN, ti - tj));
  }

  /**
   * ns a translated instruction saves now: ti - tj, at most SAVED_NS_PER_INSN. The measure
   * lowers the credit, it is not trusted to raise it: the timed entries miss what follows an
   * exit (the interpreter's block lookup), V8's main-thread work for the modules and GC, and
   * node -e 0's engine thread saved 6.4 ns per translated instruction end to end where ti - tj
   * said 24-30 ns; uncapped, that would let it compile more than the assumed 15 ns did.
   */
  nsSaved(): number { return Math.min(SAVED_NS_PER_INSN, this.measured()); }

  /**
   * Close the window once it is WINDOW_MS long (PROBE_MS for a probe). A window without
   * translation (a probe, or one in which nothing ran translated) with MIN_INSNS or more
   * instructions measures the interpreter: its time less the translation work in it, per
   * instruction; the cheapest such window is ti. The cheapest, not the mean: the engine's
   * time in a window also holds V8's work for the modules being attached and GC, which is
   * no interpreter's cost, and windows before anything was translated decode the program's
   * code first (cc1: 74 ns per instruction as the mean of its windows without translation,
   * against ~25 ns interpreted in a whole run). The window's translated instructions are
   * credited at the saving measured so far, and a probe follows every PROBE_EVERY windows
   * (PROBE_RARE once translation saves more than GAIN_RARE of the interpreter's time) unless
   * translation has repaid PROBE_SKIP times what it cost.
   */
  tick(t: number, translated: number): void {
    if (this.firstHot < 0) return;
    const el = this.elapsed(t);
    const w = this.w0;
    if (w.el < 0) { this.w0 = { el, t, engineMs: this.engineMs, translated, executed: this.executed }; return; }
    const dE = el - w.el;
    if (dE < (this.probing ? PROBE_MS : WINDOW_MS)) return;
    // The window's own share on a CPU: under a load that changes, the average since code got
    // hot scaled cc1's timed entries to 32 ns per instruction, above the interpreter's 19 ns,
    // while its engine thread saved ~12 ns per translated instruction against an interpreted run.
    this.onCpuSeen = this.clocks === null || t <= w.t ? 1 : Math.min(1, dE / (t - w.t));
    this.inJit.ms += this.windowJitMs * this.onCpuSeen;
    this.windowJitMs = 0;
    const dJ = translated - w.translated, dN = this.executed - w.executed;
    if (dN >= MIN_INSNS) {
      if (this.probing || dJ === 0) {
        const ns = Math.max(0, dE - (this.engineMs - w.engineMs) * this.onCpuSeen) / dN * 1e6;
        if (this.offBest < 0 || ns < this.offBest) this.offBest = ns;
        this.windowsOff++; this.sinceOff = 0;
      } else { this.windowsOn++; this.sinceOff++; }
    }
    this.wonClosed += dJ * this.nsSaved() / 1e6;
    this.creditedInsns = translated;
    this.judge(el);
    if (this.probing) this.probes++;
    const ti = this.nsOff(), gain = ti > 0 && this.executed > 0 ? this.measured() * translated / this.executed / ti : 0;
    const due = !this.probing && this.sinceOff >= (gain > GAIN_RARE ? PROBE_RARE : PROBE_EVERY);
    const repaid = due && this.wonClosed >= PROBE_SKIP * this.cost(t);
    if (repaid) this.probesSkipped++;
    this.probing = due && !repaid;
    if (this.inJit.entries >= MIN_SAMPLES) { this.inJit.ms *= DECAY; this.inJit.insns *= DECAY; }
    this.w0 = { el, t, engineMs: this.engineMs, translated, executed: this.executed };
  }

  /** What translation has won, ms: each closed window's translated instructions at its ti - tj, the open window's at the latest. */
  won(translated: number, t: number = this.now()): number {
    this.tick(t, translated);
    return this.wonClosed + (translated - this.creditedInsns) * this.nsSaved() / 1e6;
  }

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
    const won = this.won(translated, t), el = this.elapsed(t);
    if (el - this.lastElapsed >= RATE_EVERY_MS) {
      const now = (won - this.lastWon) / (el - this.lastElapsed);
      this.rate = this.rate === 0 ? now : 0.7 * this.rate + 0.3 * now;
      this.lastWon = won; this.lastElapsed = el;
    }
    return Math.min(this.rate * el, won);
  }

  /**
   * The per-region account: compiled regions not judged yet (in the order attached), with what
   * each cost, when it was attached (program time) and how to read what it has run.
   */
  private accounts: { cost: number; at: number; runs: () => number }[] = [];
  /** The last JUDGED judgments (true: repaid), oldest first, and judgments since the bar last moved. */
  private judgments: boolean[] = [];
  private sinceMoved = 0;
  /** Regions judged, and of them repaid (JitStats.governor). */
  judged = 0;
  repaid = 0;
  /**
   * The marginal bar: entries a block needs before it may ask, from the per-region account
   * (HOT_HITS until the judged regions say otherwise). The budget's hotness (allows) weighs
   * what translation cost against what all regions won: on a flat profile a few hot regions
   * win for the thousands that do not (cc1: 3,376-3,683 regions compiled cold, ~175 K
   * instructions run per region, a region costing ~5 ms), so the average says go on while
   * the regions compiled last, the ones the next compile is like, do not repay.
   */
  marginalHits = HOT_HITS;

  /**
   * A compiled region was attached: `cost` ms (binaryen's time for it and V8's estimate for
   * its module), `runs` the instructions it has run so far (-1: never entered).
   */
  account(cost: number, runs: () => number, t: number = this.now()): void {
    this.accounts.push({ cost, at: this.elapsed(t), runs });
  }

  /**
   * Judge the regions attached JUDGE_MS of the program's time ago or more (repaid: what they
   * ran at nsSaved came to their cost) and move the marginal bar: doubled while fewer than
   * REPAID_LOW of the last JUDGED repaid, halved once REPAID_HIGH do.
   */
  private judge(el: number): void {
    const ns = this.nsSaved();
    let k = 0;
    for (; k < this.accounts.length; k++) {
      const a = this.accounts[k];
      if (el - a.at < JUDGE_MS) break;
      const ok = Math.max(0, a.runs()) * ns / 1e6 >= a.cost;
      this.judged++;
      if (ok) this.repaid++;
      this.judgments.push(ok);
      if (this.judgments.length > JUDGED) this.judgments.shift();
      if (++this.sinceMoved < JUDGED / 2 || this.judgments.length < JUDGED) continue;
      this.sinceMoved = 0;
      const share = this.judgments.filter(Boolean).length / this.judgments.length;
      if (share < REPAID_LOW) this.marginalHits = Math.min(MARGINAL_MAX, this.marginalHits * 2);
      else if (share >= REPAID_HIGH) this.marginalHits = Math.max(HOT_HITS, this.marginalHits / 2);
    }
    if (k > 0) this.accounts.splice(0, k);
  }

  /** V8 compiled a module of `bytes` for this machine (a fresh compile). */
  compiled(bytes: number): void { this.modules++; this.moduleBytes += bytes; }

  /** Modules attached from the translation cache, and their bytes. */
  diskModules = 0;
  diskBytes = 0;
  /** Attaches from the translation cache refused: translation had not repaid what it cost. */
  refusedDisk = 0;

  /**
   * A module of `bytes` came from the translation cache. What it costs the engine thread (the
   * lookup, the record's checks, V8's synchronous validation, later its instantiation and
   * Liftoff at the first entry) is measured into engineMs, and that is all it is charged: no
   * binaryen, no V8 estimate at its attach. TurboFan recompiles it on a helper thread once it is
   * hot, as it would a fresh module, but that comes after it has run (V8 tiers a function up
   * once it has executed --wasm-tiering-budget's worth of code); charged at the attach, bash's
   * warm run refused its loop's regions before they had run: 10.9-14.4 M instructions
   * interpreted against 0.9-1.0 M (bench/jit-profile.ts, docs/BENCHMARKS.md "Session 11: warm attach").
   */
  loaded(bytes: number): void { this.diskModules++; this.diskBytes += bytes; }

  /**
   * May a region from the translation cache be attached now? Priced at what it costs (above),
   * not as a compile, and without the hotness rule: a record exists because an earlier run
   * found its block hot, and jit.ts asks early (PROBE_HITS entries). Refused, like a compile,
   * while translation costs more than its speculative share and what it won and will win:
   * a flat program's records do not repay their TurboFan either (cc1).
   *
   * Over the budget, a block whose own entries have run `interpreted` instructions is still
   * granted its attach once they cost, at what a translated instruction saves (nsSaved), the
   * attach's price (ATTACH_MS): ski rental per block, so attaches cost at most what their
   * blocks' interpretation did, whatever the budget says. Without it, the start of a warm run
   * could refuse its way into a spiral: python3 binary-trees' attaches early in its start-up
   * (its lukewarm code's, 32 entries each) cost more than the little run translated so far,
   * every later attach was refused, nothing more ran translated to win the budget back, and
   * hot blocks stayed interpreted for thousands of entries: 1.4-6.5 M instructions in most
   * warm runs, 99 M in one of five (121 M interpreted of 955 M; docs/BENCHMARKS.md
   * "Session 12: python3 and bash warm").
   */
  attaches(translated: number, t: number = this.now(), interpreted = 0): boolean {
    const cost = this.cost(t), won = this.won(translated, t) + this.expected(t, translated), spec = BASE_MS + SHARE * this.elapsed(t);
    if (cost <= spec + won) return true;
    if (this.paid(interpreted, ATTACH_MS)) { this.rented++; return true; }
    this.refusedDisk++;
    return false;
  }

  /** The mean size of the modules compiled so far (PRIOR_MODULE_BYTES before the first). */
  private meanBytes(): number { return this.modules > 0 ? this.moduleBytes / this.modules : PRIOR_MODULE_BYTES; }

  /** What one more region costs, ms: binaryen's mean time so far (1 ms before any) and V8's for a module of the mean size. */
  private regionMs(): number { return (this.answered > 0 ? this.workerMs / this.answered : 1) + v8Ms(this.meanBytes()); }

  /** Ski rental's test, for requests (RENT) and attaches (ATTACH_MS): `work` instructions a block ran interpreted came, at the saving measured now, to `price` ms. */
  private paid(work: number, price: number): boolean {
    const ns = this.nsSaved();
    return ns > 0 && work * ns / 1e6 >= price;
  }

  /** What translation has cost so far, ms, including the regions still being compiled. */
  cost(t: number = this.now()): number {
    const v8 = V8_MS_PER_MODULE * this.modules + V8_MS_PER_KB * this.moduleBytes / 1024;
    // A region in flight is charged in full: binaryen's mean so far and V8's for a module of the mean size so far.
    return this.engineMs * this.onCpu(t) + this.workerMs + v8 + this.unanswered * this.regionMs();
  }

  /** What translation may cost by now, ms, having run `translated` instructions in regions. */
  allowance(t: number, translated: number): number {
    return BASE_MS + SHARE * this.elapsed(t) + this.won(translated, t) + this.expected(t, translated);
  }

  /**
   * May a block entered `hits` times have its region translated now? Sets the hotness needed
   * first: HOT_HITS while translation lives within its speculative share or has won back what
   * it cost; past the share and not repaid yet, HOT_HITS times the next power of two of
   * cost / won (up to HOT_MAX), so the less the regions so far have repaid, the hotter a block
   * must be. Either way, a block whose `work` (instructions it ran interpreted) paid for its
   * region at the saving measured now is granted (RENT).
   */
  allows(hits: number, translated: number, t: number = this.now(), work = 0): boolean {
    const cost = this.cost(t), won = this.won(translated, t) + this.expected(t, translated), spec = BASE_MS + SHARE * this.elapsed(t);
    this.hotHits = Math.max(this.marginalHits, cost <= spec || won >= cost ? HOT_HITS
      : won <= 0 ? HOT_MAX : Math.min(HOT_MAX, HOT_HITS * 2 ** Math.ceil(Math.log2(cost / won))));
    if (hits >= this.hotHits && cost <= spec + won) return true;
    if (this.paid(work, RENT * this.regionMs())) { this.rented++; return true; }
    if (hits >= this.hotHits) this.refused++;
    return false;
  }
}
