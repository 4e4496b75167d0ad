/**
 * The JIT tier's manager, one per machine: decides which hot interpreter blocks become
 * regions (region.ts), has them compiled (codegen.ts through binaryen, loaded lazily the
 * first time code gets hot), keeps the compiled modules in a cache shared by every address
 * space (fork children, later execs of the same code, other processes) under a byte
 * budget, and enters translated code from the interpreter's run loop.
 *
 * Modes (MachineOptions.jit): 'off' never translates; 'on' translates blocks entered
 * HOT_HITS times, within a compile-time governor; 'force' translates every block at its
 * first execution, synchronously in the engine's thread (tests: everything the translator
 * handles runs translated).
 *
 * Where 'on' compiles (compile-client.ts, compile-service.ts): in a compile worker when the
 * host can make one — binaryen is then loaded only there, the engine thread forms regions,
 * sends them in batches and attaches the returned modules when it next yields, and keeps
 * interpreting meanwhile. Without a worker, in the engine's thread: binaryen's first load
 * then blocks it 0.4-0.9 s in Node and 2-3 s in Chromium (docs/JIT.md), so both ways load
 * only after hot code has already cost interpretation time (compile-client.ts StartPolicy).
 */
import type binaryenT from 'binaryen';
import type { AddressSpace } from '../mem/address-space.js';
import type { Cpu } from '../cpu/cpu.js';
import { cond, getFlags } from '../cpu/flags.js';
import { EIP, FLAGS, LA, LB, LOP, LRES } from '../cpu/state.js';
import { REFUSED, tierCounters, type CodeHost as JitHost, type HotBlock, type Tier, type Translation } from '../cpu/tier.js';
import { chainedHops, entryPointsInstalled, hubOf, nestedCallStats, regionRuns, runChained, unlinkRegion, type Hub } from './hub.js';
import { moduleEntries } from './codegen.js';
import { callCounts, interpHelper, setActiveCpu, setCountCalls } from './interp-call.js';
import { compiler, startPolicy } from './compile-client.js';
import { Governor, HOT_HITS, RENT_WINDOW_MS, SAMPLE_EVERY, threadClocks, v8Ms } from './governor.js';
import { compileRegion, errorText, isAbort, type CompileDone } from './compile-service.js';
import { MAX_BLOCKS, MAX_BLOCK_INSNS, decodeInsn, formRegion, opcodeName, regionKey, type Region } from './region.js';
import { PENDING, decodeRecord, type StoreReport, encodeRecord, recordName, recordRanges, regionCode, translationStore, type BlockCode } from './translation-cache.js';

export type JitMode = 'off' | 'on' | 'force';

/** A compiled region function: (state slot, instruction budget) -> instructions executed. */
type RegionFn = (slot: number, budget: number) => number;

/** The run loop's side of the tier interface (cpu/tier.ts). */
export type { HotBlock, JitHost };

/**
 * A compiled module, shared by every region object with the same key. Evicted (over the
 * budget): module, instances and its regions' links to it are dropped, so V8 can free
 * the code; the blocks see their region gone at their next entry.
 */
interface Compiled {
  key: string; module: WebAssembly.Module | null; bytes: number; instances: WeakMap<Hub, RegionFn>; evicted: boolean; users: JitRegion[];
  /** Made from worker bytes and not yet counted as compiled by the machine that asked. */
  fresh: boolean;
  /** The function's other entry points (codegen.ts moduleEntries), read at its first entry. */
  more?: number[];
}

/** A region attached to its entry block in one code cache. */
export class JitRegion implements Translation {
  valid = true;
  /** The last address space that ran it, and its instance there (the common case: one). */
  /** The hub (so the address space) lastFn was instantiated for: its import e.h is that hub's (a released space gets a new hub). */
  lastHub: Hub | null = null;
  lastFn: RegionFn | null = null;
  constructor(public compiled: Compiled | null, readonly pages: number[]) {}
  /** Invalidated (cpu/tier.ts invalidate): no other region's hub may jump into it any more. */
  unlink(): void { unlinkRegion(this); }
}

/** Region refused (first instruction untranslatable): never retried for this block. */
export const NO_REGION = REFUSED;

/** Module statistics (all machines). */
export const jitCounters = { /** Modules dropped to stay within the budget. */ evicted: 0 };

/** Block entries before a block is translated in 'on' mode (governor.ts raises it while translation does not repay). */
export { HOT_HITS };
/**
 * Entries at which a block not yet hot first asks the translation cache (cpu/tier.ts
 * Tier.probe), and again at each power of two up to HOT_HITS while the governor declines: a
 * warm run attaches its stored regions then, instead of interpreting each entry block HOT_HITS
 * times (or, with the governor's raised hotness, up to 3 x HOT_HITS times). Measured in
 * session 10 (docs/BENCHMARKS.md "JIT: where the warm time of bash, busybox sh and python3
 * goes"): bash's warm run interpreted 6.9 M instructions, 1-2.4% of them but 19-33% of the
 * profile, nearly all in entry blocks waiting for their record. The probe after 32 entries:
 * docs/BENCHMARKS.md "Session 11: warm attach".
 */
export const PROBE_HITS = 32;
/** A probe count no block reaches ('off' and 'force': no probes). */
const NEVER = 0x40000000;
/** Region size limits in 'force' mode (many small regions) and for a retry after a Relooper failure. */
const FORCE_BLOCKS = 16;
/**
 * An indirect jump's seen targets are taken into its region when at most 1 in MISS_SHARE of
 * its entries went elsewhere than its two chain links (any in 'force', for the tests).
 */
const MISS_SHARE = 4;
/**
 * ... and when it ran at least LOOP_SHARE times per entry of the block the region grows from:
 * a switch inside a loop the region holds (xz's range coder, one jump per encoded bit), not a
 * dispatch run once per entry. Session 12: of bash's 677 jumps asked at formation, 2 pass
 * (python3 binary-trees: 0 of 127); xz's hops 38.9 -> 21.6 M with it (18.2 M with no such
 * gate), warm engine CPU -8%. Without the gate, session 11 measured bash's and python3's cold
 * runs slower (larger regions: region.ts setIndirectTargets) and turned the feature off.
 */
const LOOP_SHARE = 4;
/** Compiled modules kept (Wasm bytes; V8's machine code is a few times more). Shared by all machines of the page/process. */
export const MODULE_BUDGET = 64 << 20;
let moduleBudget = MODULE_BUDGET;
/** Tests: change the budget (bytes of Wasm kept), returning the previous one. */
export function setModuleBudget(bytes: number): number { const old = moduleBudget; moduleBudget = bytes; return old; }
/** What the JIT keeps in this JS realm (all machines): modules, their Wasm bytes, evictions so far. */
export function jitMemory(): { modules: number; moduleBytes: number; evicted: number; budget: number } {
  return { modules: modules.size, moduleBytes, evicted: jitCounters.evicted, budget: moduleBudget };
}

export interface JitStats {
  mode: JitMode;
  /** Time binaryen took to load (ms; in the compile worker when there is one), 0 until loaded. */
  loadMs: number;
  /**
   * Where regions are compiled (compile-client.ts): 'worker' (binaryen in a compile worker),
   * 'inthread' (no worker could be made, or 'force'), 'failed' (the worker died: no more
   * translation), 'none' (nothing hot enough yet).
   */
  compiler: 'none' | 'worker' | 'inthread' | 'failed';
  /** Why the compile worker failed or could not be used. */
  compilerError?: string;
  /** Regions sent to the compile worker. */
  regionsSent: number;
  /** Requests dropped before compiling: their block was not entered while they waited in the queue (compile-client.ts DROP_AFTER_MS). */
  dropped: number;
  /** Regions queued for or in the compile worker now (all machines of the realm). */
  waiting: number;
  /** Time the engine's thread spent on translation (forming regions, sending, compiling/instantiating returned bytes; in-thread, binaryen too), ms. */
  engineMs: number;
  regionsCompiled: number;
  /** Regions whose module came from the cache (fork, exec, another process). */
  regionsReused: number;
  /**
   * The persistent translation cache (translation-cache.ts; Node: files in the cache
   * directory): regions attached from a record of an earlier run (no compile), regions
   * written for later runs, records rejected as damaged or refused by V8 (and dropped),
   * records found for a hot entry whose code differs from this program's (left alone).
   */
  regionsFromDisk: number;
  regionsStored: number;
  diskRejected: number;
  diskStale: number;
  /** Early lookups in the translation cache (PROBE_HITS entries) of blocks whose entry the store holds a record for. */
  probes: number;
  /** Regions attached (from the translation cache, or the realm's modules) at such an early lookup. */
  probeAttached: number;
  /** The engine thread's time attaching regions from the translation cache (lookups, checks, V8's synchronous compile), ms: part of engineMs. */
  diskMs: number;
  /**
   * Of diskMs: V8's synchronous compile of the records' Wasm (`new WebAssembly.Module`), ms.
   * Wall time, like the rest: on a loaded machine it is mostly waiting (session 12, helper
   * attach: python3's warm run, 76-173 ms of it against ~33 ms of the engine thread's CPU in
   * V8's SyncCompile by `perf record`; docs/BENCHMARKS.md "Session 12: what an attach costs").
   */
  diskCompileMs: number;
  /**
   * Region instances made (`new WebAssembly.Instance`, at a module's first entry on a hub) and
   * the wall time of that call alone, ms: part of the first entry's charge to engineMs (which
   * also holds the first run, with V8's lazy Liftoff compile of the region's function). In
   * Node 20 (V8 11.3) each module's first instantiation makes ~3 uv_async_send writes (strace
   * -k; most likely V8's delayed lazy-compilation metrics tasks, waking Node's delayed-task
   * thread: gone with --no-wasm-lazy-compilation), where the
   * engine thread is often switched out: python3's warm run 58-261 ms of wall here against
   * ~6 ms of CPU (same section).
   */
  instances: number;
  instantiateMs: number;
  /** Requests answered PENDING by an asynchronous store (a page's IndexedDB) while it loaded the record. */
  diskWaits: number;
  /** The translation store's own figures, when it has any (the page's IndexedDB store: counts, quota messages). */
  store?: StoreReport;
  regionsRefused: number;
  /** binaryen time, wherever it ran (the worker reports its own), ms. */
  compileMs: number;
  /** Requests skipped by the governor (cost above its allowance, or the block not hot enough yet). */
  deferred: number;
  /**
   * The governor's view (governor.ts): what translation cost so far (engine thread, other
   * threads or their estimate, regions in flight), what it may cost by now, the block entries
   * a block needs now before it is translated, and requests refused over the budget.
   */
  governor: {
    costMs: number; allowedMs: number; wonMs: number; hotHits: number; refused: number;
    /** Requests and attaches granted past the budget because the block's own interpreted instructions paid for them (governor.ts RENT for requests, ATTACH_MS for attaches: ski rental per block). */
    rented: number;
    /** Attaches from the translation cache refused (Governor.attaches), and the modules attached from it. */
    refusedDisk: number; diskModules: number;
    /**
     * ns a translated instruction saves as measured now (ti - tj); ti, the engine thread's ns
     * per instruction in its cheapest window without translation, and tj, per instruction run
     * translated (-1: not measured); windows without and with translation; probes run, and
     * skipped while translation had repaid its cost many times (Governor PROBE_SKIP); instructions counted.
     */
    nsSaved: number; nsOff: number; nsOn: number; windowsOff: number; windowsOn: number; probes: number; probesSkipped: number; executed: number;
    /** The per-region account (Governor.account): compiled regions judged, those that repaid their cost, and the marginal bar (block entries) it set. */
    judged: number; repaid: number; marginalHits: number;
  };
  entries: number;
  /** Entries that made no progress (first instruction needed the interpreter). */
  bounced: number;
  /** Exits because the budget was spent. */
  budgetExits: number;
  /** Transfers from one region to the next inside Wasm, through the hub (hub.ts; all machines of the realm). */
  chained: number;
  /** Dispatcher targets the hubs enter regions at besides their entries (hub.ts "Entry points"; all machines of the realm). */
  entryPoints: number;
  /** Calls out of a region run as nested hub loops, and those that came back to the caller's continuation (hub.ts `call`; all machines of the realm). */
  nestedCalls: number;
  nestedReturns: number;
  instructions: number;
  invalidated: number;
  moduleBytes: number;
  /** Regions the translator or binaryen failed on (interpreted instead). */
  errors: number;
  /**
   * When the cold costs were paid, ms since this machine's JIT was made (its start), -1 until
   * it happened: the first hot block, the start of the compiler (worker or binaryen load), the
   * compiler ready (binaryen loaded), the first region sent, the first region attached.
   */
  timeline: { firstHot: number; compilerStart: number; ready: number; firstSent: number; firstAttached: number };
  /**
   * With --debug only (a decode per exit): exits at an instruction the translator does not
   * handle, by opcode (region.ts opcodeName), most frequent first.
   */
  untranslated?: Record<string, number>;
  /** With --debug only: instructions run inside regions by the interpreter's closure (interp-call.ts), by opcode (realm-wide). */
  interpCalls?: Record<string, number>;
}

let bn: typeof binaryenT | null = null;
let loading: Promise<void> | null = null;
let loadMs = 0;
/** When the in-thread load finished (performance.now()), -1 before. */
let loadedAt = -1;
/** Why the in-thread load failed, if it did (then nothing is translated in this realm). */
let loadError: string | null = null;

let loader: () => Promise<typeof binaryenT> = async () => (await import('binaryen')).default;
/** How binaryen is loaded (the Node host replaces the plain import: src/host/node/binaryen-load.ts says why). */
export function setBinaryenLoader(f: () => Promise<typeof binaryenT>): void { loader = f; }

/** Load binaryen once per JS realm (a 14.8 MB module: only when code gets hot, never for cold programs). */
export function loadBinaryen(): Promise<void> {
  if (loading === null) {
    const t0 = performance.now();
    loading = loader().then((mod) => { bn = mod; loadedAt = performance.now(); loadMs = loadedAt - t0; });
    loading.catch((e: unknown) => { loadError = `binaryen failed to load: ${errorText(e)}`; });
  }
  return loading;
}

const modules = new Map<string, Compiled>();
let moduleBytes = 0;

/** The condition helper for a Jcc whose producer is unknown at translation time: flags.ts cond() on a scratch record. */
const scratch = new Int32Array(32);
const scratchCpu = { s: scratch } as unknown as Cpu;
function condHelper(lop: number, la: number, lb: number, lres: number, flags: number, cc: number): number {
  scratch[LOP] = lop; scratch[LA] = la; scratch[LB] = lb; scratch[LRES] = lres; scratch[FLAGS] = flags;
  return cond(scratchCpu, cc) ? 1 : 0;
}

/** EFLAGS materialised from a lazy record (pushf), as getFlags() computes it. */
function flagsHelper(lop: number, la: number, lb: number, lres: number, flags: number): number {
  scratch[LOP] = lop; scratch[LA] = la; scratch[LB] = lb; scratch[LRES] = lres; scratch[FLAGS] = flags;
  return getFlags(scratchCpu);
}

/** Put a compiled module in the realm's cache, evicting the least recently used beyond the budget. */
function store(key: string, module: WebAssembly.Module, bytes: number): Compiled {
  const comp: Compiled = { key, module, bytes, instances: new WeakMap(), evicted: false, users: [], fresh: false };
  modules.set(key, comp);
  moduleBytes += comp.bytes;
  while (moduleBytes > moduleBudget && modules.size > 1) evict(modules.values().next().value as Compiled);
  return comp;
}

/** The cached module for `key`, made the most recently used (eviction takes the first), or undefined. */
function cachedModule(key: string): Compiled | undefined {
  const comp = modules.get(key);
  if (comp !== undefined) { modules.delete(key); modules.set(key, comp); }
  return comp;
}

/** Drop a module, its instances and its regions' links to it, so V8 can free the code. */
function evict(old: Compiled): void {
  modules.delete(old.key);
  moduleBytes -= old.bytes;
  old.evicted = true;
  old.module = null;
  old.instances = new WeakMap();
  for (const r of old.users) { r.compiled = null; r.lastFn = null; r.lastHub = null; unlinkRegion(r); }
  old.users = [];
  jitCounters.evicted++;
}

/** Tests: evict every module (the next run of the same code compiles it again). */
export function forgetModules(): void {
  for (const c of [...modules.values()]) evict(c);
}

/** Modules being compiled from worker bytes, by key (two machines asking for the same code share one compile). */
const compiling = new Map<string, Promise<Compiled>>();

/**
 * The cached module for `key`, or one compiled from `bytes` with the asynchronous
 * WebAssembly.compile (V8 compiles off the calling thread; with lazy compilation it is
 * 0.17-0.73 ms for 1-50 regions, design §12). `fresh` on the Compiled it made.
 */
function moduleFor(key: string, bytes: Uint8Array): Promise<Compiled> {
  const have = cachedModule(key);
  if (have !== undefined) return Promise.resolve(have);
  let p = compiling.get(key);
  if (p === undefined) {
    p = WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>).then((module) => {
      compiling.delete(key);
      const comp = store(key, module, bytes.length);
      comp.fresh = true;
      return comp;
    }, (e: unknown) => { compiling.delete(key); throw e; });
    compiling.set(key, p);
  }
  return p;
}

/**
 * The instructions block b's region would have run had it been attached, as far as the
 * interpreter's counts tell cheaply (the governor's rent, governor.ts RENT): b's own entries x
 * its length, and those of the blocks that follow it in a straight line (each at most b's
 * entries), while untranslated, up to MAX_BLOCK_INSNS (a region block's length: straight-line
 * code past it is another region's). A lower bound: blocks the region reaches by jumps are
 * not counted. Per block alone, openssl's sha256 loop (~40 interpreter blocks of 64
 * instructions in a row, every one asking at once) paid each region ~3x later.
 */
function straightWork(host: JitHost, b: HotBlock): number {
  let work = b.hits * b.count, count = b.count, at = b.end >>> 0;
  while (count < MAX_BLOCK_INSNS) {
    const nb = host.get(at);
    if (nb === undefined || nb.jit !== null || nb.count === 0) break;
    const n = Math.min(nb.count, MAX_BLOCK_INSNS - count);
    work += Math.min(b.hits, nb.hits) * n;
    count += n;
    at = nb.end >>> 0;
  }
  return work;
}

export class Jit implements Tier {
  readonly stats: JitStats;
  /** hits & mask === 0 triggers a request. */
  readonly mask: number;
  /** The early probes' first entry count ('on' mode; NEVER otherwise): see PROBE_HITS. */
  readonly probe: number;
  private firstHot = 0;
  /** When this machine's JIT was made (the timeline's zero). */
  private readonly born = performance.now();
  /** Instructions interpreted in hot blocks, HOT_HITS entries at a time (the load policy's measure). */
  private hotInstructions = 0;
  /** Exits at untranslated instructions by opcode; counted only when debugging. */
  private readonly exitOps: Map<string, number> | null;
  /** Exit address -> its opcode name, or null when translatable (a fault or an indirect branch): decoding every exit cost gzip 60% more CPU. */
  private readonly exitNames = new Map<number, string | null>();

  constructor(readonly mode: JitMode, private readonly debug?: (msg: string) => void) {
    this.mask = mode === 'force' ? 1 : HOT_HITS - 1;
    this.probe = mode === 'on' ? PROBE_HITS : NEVER;
    this.exitOps = debug ? new Map() : null;
    if (debug) setCountCalls(true);
    // Held weakly: the realm's compiler outlives machines.
    const self = new WeakRef(this);
    const onFailed = (): void => { compiler.onFailed.delete(onFailed); self.deref()?.translationOff(); };
    if (mode !== 'force') compiler.onFailed.add(onFailed);
    this.gov = new Governor(() => performance.now(), mode === 'on' ? threadClocks() : null);
    // The host may start the compiler now rather than once code is hot (compile-client.ts StartPolicy.atCreate).
    if (mode === 'on' && compiler.state === 'none' && startPolicy().atCreate === true) compiler.start();
    this.stats = {
      mode, loadMs: 0, regionsCompiled: 0, regionsReused: 0, regionsFromDisk: 0, regionsStored: 0, diskRejected: 0, diskStale: 0, diskWaits: 0, probes: 0, probeAttached: 0, diskMs: 0, diskCompileMs: 0, instances: 0, instantiateMs: 0, regionsRefused: 0, compileMs: 0, deferred: 0,
      governor: { costMs: 0, allowedMs: 0, wonMs: 0, hotHits: HOT_HITS, refused: 0, refusedDisk: 0, rented: 0, diskModules: 0, nsSaved: 0, nsOff: -1, nsOn: -1, windowsOff: 0, windowsOn: 0, probes: 0, probesSkipped: 0, executed: 0, judged: 0, repaid: 0, marginalHits: HOT_HITS },
      entries: 0, bounced: 0, budgetExits: 0, chained: 0, entryPoints: 0, nestedCalls: 0, nestedReturns: 0, instructions: 0, invalidated: 0, moduleBytes: 0, errors: 0,
      compiler: 'none', regionsSent: 0, dropped: 0, waiting: 0, engineMs: 0,
      timeline: { firstHot: -1, compilerStart: -1, ready: -1, firstSent: -1, firstAttached: -1 },
    };
  }

  /** Resolves once translation is possible ('force' machines wait for it at creation). */
  ready(): Promise<void> { return loadBinaryen(); }

  /** Statistics for --debug (a snapshot). */
  snapshot(): JitStats {
    const worker = this.mode !== 'force' && (compiler.state === 'worker' || compiler.state === 'failed');
    this.stats.loadMs = worker ? compiler.loadMs : loadMs;
    this.stats.compiler = this.mode === 'force' ? 'inthread' : compiler.state;
    const why = compiler.failure ?? loadError;
    if (why !== null && this.mode !== 'force') this.stats.compilerError = why;
    this.stats.waiting = compiler.waiting;
    this.stats.moduleBytes = moduleBytes;
    this.stats.invalidated = tierCounters.invalidated;
    this.stats.chained = chainedHops();
    this.stats.entryPoints = entryPointsInstalled();
    const nc = nestedCallStats();
    this.stats.nestedCalls = nc.calls; this.stats.nestedReturns = nc.returns;
    const tl = this.stats.timeline;
    const since = (t: number): number => (t < 0 ? -1 : Math.max(0, t - this.born));
    if (this.mode !== 'force') { tl.compilerStart = since(compiler.startedAt); tl.ready = since(compiler.state === 'inthread' ? loadedAt : compiler.readyAt); }
    const now = performance.now();
    const g = this.gov;
    this.stats.governor = {
      costMs: g.cost(now), allowedMs: g.allowance(now, this.stats.instructions), wonMs: g.won(this.stats.instructions, now), hotHits: g.hotHits, refused: g.refused, refusedDisk: g.refusedDisk, rented: g.rented, diskModules: g.diskModules,
      nsSaved: g.nsSaved(), nsOff: g.nsOff(), nsOn: g.nsOn(), windowsOff: g.windowsOff, windowsOn: g.windowsOn, probes: g.probes, probesSkipped: g.probesSkipped, executed: g.executed,
      judged: g.judged, repaid: g.repaid, marginalHits: g.marginalHits,
    };
    const snap: JitStats = { ...this.stats, timeline: { ...tl } };
    const report = translationStore()?.report?.();
    if (report !== undefined) snap.store = report;
    if (this.exitOps !== null) snap.untranslated = Object.fromEntries([...this.exitOps].sort((a, b) => b[1] - a[1]).slice(0, 40));
    if (this.exitOps !== null) snap.interpCalls = Object.fromEntries([...callCounts].sort((a, b) => b[1] - a[1]).slice(0, 40));
    return snap;
  }

  /**
   * Block b (entered b.hits times) is hot: translate the region starting there and attach
   * it to b, if the governor allows — now (in-thread, or a module already in the cache) or
   * when the compile worker answers (b.jit is NO_REGION meanwhile, so the interpreter
   * neither enters nor asks again).
   */
  request(host: JitHost, mem: AddressSpace, b: HotBlock, c?: Cpu): void {
    // 'on' asks below HOT_HITS only at the probes ('force' asks at every second entry). First:
    // most probes find nothing in the store, and a cold cc1 makes ~10^5 of them.
    if (this.mode === 'on' && b.hits < HOT_HITS) { this.probeStore(host, mem, b); return; }
    if (c !== undefined) this.count(c);
    if (b.mode !== 0) { b.jit = NO_REGION; return; } // 16-bit or segmented code (cpu/seg-regs.ts): interpreter only
    const now = performance.now();
    if (this.firstHot === 0) { this.firstHot = now; this.stats.timeline.firstHot = now - this.born; this.gov.hot(now); }
    // A translation kept by an earlier run: attached now, before the start policy (a warm
    // run of a program whose hot code is all on disk never starts the compiler), within the
    // governor (each costs ~1 ms of this thread, and V8 still compiles it: gcc hello's 1,166
    // cached regions took its run above the interpreter's CPU when loaded unchecked).
    // 'force' never uses it: its tests check the translator.
    // Granted here, before the start policy, the request is not weighed again below (the governor counts what it grants past the budget).
    let granted = false;
    if (this.mode === 'on' && translationStore() !== null) {
      if (this.stored(b) && this.gov.attaches(this.stats.instructions, now, b.hits * b.count) && this.fromStore(host, mem, b, now)) return;
      if (!this.gov.allows(b.hits, this.stats.instructions, now, this.rent(host, b, now))) { this.stats.deferred++; return; }
      granted = true;
    }
    this.hotInstructions += (this.mask + 1) * b.count;
    if (this.mode === 'force') {
      // Tests: synchronous, in this thread (createMachine awaited binaryen).
      if (bn !== null) this.translateHere(host, mem, b, now);
      return;
    }
    let how = compiler.state;
    // Start binaryen's load (in the worker or here) when the host's policy says
    // (compile-client.ts StartPolicy); a program that stays cold never loads it. A compiler
    // started at the machine's creation (atCreate) still compiles only past the same bar:
    // `bash -c 'echo hi; ls /'` then stays uncompiled, as before (docs/JIT.md "First-run fixed cost").
    // A lower first trigger (startAfterInstructions) starts it before regions may be sent.
    const when = startPolicy();
    const early = now - this.firstHot < when.afterMs || this.hotInstructions < when.afterInstructions;
    const prestart = when.startAfterInstructions !== undefined && this.hotInstructions >= when.startAfterInstructions;
    if (how === 'none' && (!early || prestart)) {
      how = compiler.start();
      if (compiler.failure !== null) this.debug?.(`jit: ${compiler.failure}; compiling in the engine's thread`);
    }
    if (early && (how === 'none' || when.atCreate === true || when.startAfterInstructions !== undefined)) return;
    if (how === 'failed' || loadError !== null) { this.translationOff(); b.jit = NO_REGION; return; }
    if (how === 'inthread' && bn === null) { void loadBinaryen(); return; }
    if (!granted && !this.gov.allows(b.hits, this.stats.instructions, now, this.rent(host, b, now))) { this.stats.deferred++; return; }
    if (how === 'inthread') this.translateHere(host, mem, b, now);
    else this.translateInWorker(host, mem, b, now);
  }

  /** A store holds a record entered at b's start, as far as it can tell cheaply (TranslationStore.holds). */
  private stored(b: HotBlock): boolean {
    const st = translationStore();
    return st !== null && st.holds?.(b.start) !== false;
  }

  /**
   * An early probe (PROBE_HITS, 2 x PROBE_HITS, ... entries, the block not hot yet): attach
   * the block's translation if the store holds one and the governor allows (Governor.attaches);
   * nothing else (no compile, no start of the compiler, no count toward the start policy). A
   * block the store has nothing for costs a Set lookup (TranslationStore.holds).
   */
  private probeStore(host: JitHost, mem: AddressSpace, b: HotBlock): void {
    if (b.mode !== 0 || !this.stored(b)) return; // only flat code is translated (request)
    const now = performance.now();
    this.stats.probes++;
    // The governor's clock starts with the first translation work, a probe's included.
    this.gov.hot(now);
    if (this.gov.attaches(this.stats.instructions, now, b.hits * b.count) && this.fromStore(host, mem, b, now) && b.jit !== null) this.stats.probeAttached++;
  }

  /** Where each block's rent is counted from: when it first asked (or its window ran out), and its work then (RENT_WINDOW_MS). */
  private readonly rentFrom = new WeakMap<HotBlock, { t: number; work: number }>();

  /**
   * Block b's rent (governor.ts RENT): its straight-line work (straightWork) since it first
   * asked, within RENT_WINDOW_MS; past the window it is counted afresh. What it ran before
   * its first ask, or too slowly to pay within the window, does not count: rented on all it
   * had ever run, cc1 (gcc -O2 -c pngtest.c) compiled 2,577 regions instead of 1,379 (466
   * rented) and used 49.5 s of process CPU instead of 44.8 s, its phases' blocks paying once
   * and not running again.
   */
  private rent(host: JitHost, b: HotBlock, now: number): number {
    const work = straightWork(host, b), from = this.rentFrom.get(b);
    if (from === undefined || now - from.t > RENT_WINDOW_MS) { this.rentFrom.set(b, { t: now, work }); return 0; }
    return work - from.work;
  }

  /** The governor (governor.ts): what translation cost this machine against what it won. */
  private readonly gov: Governor;
  /** Each thread's icount when last seen (the governor's count of instructions run: interpreted ones are the rest). */
  private readonly icounts = new WeakMap<Cpu, number>();
  /** Entries from the run loop, for the one in SAMPLE_EVERY that is timed and counts instructions. */
  private tick = 0;

  /** Add what thread c ran since it was last seen (nothing at its first sight: its earlier time is not in the governor's windows either). */
  private count(c: Cpu): void {
    const was = this.icounts.get(c);
    if (was !== undefined) this.gov.executed += c.icount - was;
    this.icounts.set(c, c.icount);
  }

  /** Engine-thread translation work: in the statistics and charged by the governor. */
  private spent(ms: number): void { this.stats.engineMs += ms; this.gov.engineMs += ms; }

  /** The region from hot block b, or null (refused: b never asks again). */
  private form(host: JitHost, mem: AddressSpace, b: HotBlock): Region | null {
    const force = this.mode === 'force';
    const minHits = force ? 1 : Math.max(16, b.hits >> 6);
    const wanted = (a: number): boolean => { const nb = host.get(a); return nb !== undefined && nb.hits >= minHits; };
    // The targets the run loop saw after the block at `at` (when it is the region's block, ending at `end`).
    const seen = (at: number, end: number): number[] => {
      const nb = host.get(at);
      // Only a jump with few targets, two of which take most of its entries (xz's range
      // coder); python's and bash's dispatch jumps have many (taking two of them in moved
      // their regions' keys with the moment they formed: fewer translation cache hits).
      // And only one in a loop of the region (LOOP_SHARE).
      if (nb === undefined || nb.end >>> 0 !== end >>> 0 || (!force && (nb.misses * MISS_SHARE > nb.hits || nb.hits < LOOP_SHARE * b.hits))) return [];
      const out: number[] = [];
      for (const n of [nb.n1, nb.s2]) if (n !== null && n.valid && !out.includes(n.start >>> 0)) out.push(n.start >>> 0);
      // In address order: the key (regionKey) names the set, not the order they were seen in.
      return out.sort((x, y) => x - y);
    };
    const region = formRegion(mem, b.start >>> 0, wanted, force ? FORCE_BLOCKS : MAX_BLOCKS, seen);
    if (region === null) { b.jit = NO_REGION; this.stats.regionsRefused++; }
    return region;
  }

  /** Attach a compiled module to b as a new region over `pages`. */
  private attachNew(host: JitHost, b: HotBlock, comp: Compiled, pages: number[]): void {
    const r = new JitRegion(comp, pages);
    comp.users.push(r);
    host.addRegion(r);
    b.jit = r;
    if (this.stats.timeline.firstAttached < 0) this.stats.timeline.firstAttached = performance.now() - this.born;
  }

  /**
   * Attach block b's region from the persistent translation cache if a record for its entry
   * holds this code (translation-cache.ts decodeRecord); false when there is none (the
   * request goes on as usual). A damaged record, or one V8 refuses, is dropped.
   */
  private fromStore(host: JitHost, mem: AddressSpace, b: HotBlock, t0: number): boolean {
    const st = translationStore();
    if (st === null) return false;
    const name = recordName(st.version, mem, b.start);
    const data = name === null ? null : st.get(name);
    // Being loaded (an asynchronous store): not a miss, so the compiler is not started for it; asked again later.
    if (data === PENDING) { this.stats.diskWaits++; this.spent(performance.now() - t0); return true; }
    let done = false;
    if (data !== null) {
      const rec = decodeRecord(st.version, data, mem, b.start);
      if (rec === 'stale') this.stats.diskStale++;
      else if (rec === 'damaged') { this.stats.diskRejected++; st.drop(name!); }
      else {
        let comp = cachedModule(rec.key);
        if (comp !== undefined) this.stats.regionsReused++;
        else {
          try {
            // Synchronous, so the block runs translated from its next entry: 0.26 ms on average for gzip's 8.8 KB modules (measured).
            const tc = performance.now();
            comp = store(rec.key, new WebAssembly.Module(rec.wasm as Uint8Array<ArrayBuffer>), rec.wasm.length);
            this.stats.diskCompileMs += performance.now() - tc;
            this.stats.regionsFromDisk++;
            this.gov.loaded(rec.wasm.length);
          } catch (e) {
            this.stats.diskRejected++;
            st.drop(name!);
            this.translationError(b.start, `a cached translation: ${errorText(e)}`);
          }
        }
        if (comp !== undefined) { this.attachNew(host, b, comp, rec.pages); done = true; }
      }
    }
    const ms = performance.now() - t0;
    this.stats.diskMs += ms;
    this.spent(ms);
    return done;
  }

  /** What a region needs to be written to the translation cache once compiled (null: no store, or not in 'on' mode). */
  private recordOf(mem: AddressSpace, region: Region): { name: string; code: BlockCode[] } | null {
    const st = translationStore();
    if (st === null || this.mode !== 'on') return null;
    const name = recordName(st.version, mem, region.entry);
    return name === null ? null : { name, code: regionCode(mem, region) };
  }

  /**
   * Keep a freshly compiled region for later runs: its first `blocks` blocks, which are all of
   * them unless binaryen refused the whole region and a smaller one was built (compile-service.ts
   * RETRY_BLOCKS keeps the first blocks in formation order).
   */
  private keep(rec: { name: string; code: BlockCode[] } | null, blocks: number, permBase: number, wasm: Uint8Array): void {
    const st = translationStore();
    if (rec === null || st === null || blocks < 1) return;
    st.put(rec.name, encodeRecord(st.version, permBase, recordRanges(rec.code, blocks), wasm));
    this.stats.regionsStored++;
  }

  /** In this thread: binaryen is loaded here (no worker, or 'force'). */
  private translateHere(host: JitHost, mem: AddressSpace, b: HotBlock, t0: number): void {
    const region = this.form(host, mem, b);
    if (region !== null) {
      const compiled = this.stats.regionsCompiled;
      const comp = this.compile(mem, region, b.start, this.recordOf(mem, region));
      if (comp === null) b.jit = NO_REGION;
      else {
        this.attachNew(host, b, comp, region.pages);
        // A fresh compile goes into the per-region account (governor.ts Governor.account), as in received.
        const r = b.jit as JitRegion;
        if (this.stats.regionsCompiled > compiled) this.gov.account(this.lastCompileMs + v8Ms(comp.bytes), () => regionRuns(r), t0);
      }
    }
    this.spent(performance.now() - t0);
  }

  /**
   * Through the compile worker: the region is formed here (the interpreter's hits decide
   * its shape), sent, and attached by `received` when its bytes are back. Its pages are
   * registered now, so a write to its code before then invalidates it and the answer is
   * dropped (the module is still cached: its key holds the old bytes).
   */
  private translateInWorker(host: JitHost, mem: AddressSpace, b: HotBlock, t0: number): void {
    const region = this.form(host, mem, b);
    if (region !== null) {
      const key = `${mem.permBase}|${regionKey(mem, region)}`;
      const cached = cachedModule(key);
      if (cached !== undefined) {
        this.stats.regionsReused++;
        this.attachNew(host, b, cached, region.pages);
      } else {
        const r = new JitRegion(null, region.pages);
        const rec = this.recordOf(mem, region);
        if (compiler.submit(region, mem.permBase, key, (done) => this.received(b, r, key, done, rec, mem.permBase), () => b.hits * b.count)) {
          host.addRegion(r);
          b.jit = NO_REGION;
          if (this.stats.regionsSent++ === 0) this.stats.timeline.firstSent = performance.now() - this.born;
          this.gov.unanswered++;
        } else {
          this.stats.deferred++;
        }
      }
    }
    this.spent(performance.now() - t0);
  }

  /** The compile worker's answer for the region r of block b (a message callback: between run() calls). */
  private received(b: HotBlock, r: JitRegion, key: string, done: CompileDone, rec: { name: string; code: BlockCode[] } | null, permBase: number): void {
    if (done.dropped === true) {
      // Gone cold in the queue (compile-client.ts DROP_AFTER_MS): nothing compiled or charged; the block may ask again.
      this.gov.unanswered--;
      r.valid = false;
      if (b.jit === NO_REGION) b.jit = null;
      this.stats.dropped++;
      return;
    }
    this.stats.compileMs += done.ms;
    this.gov.workerMs += done.ms;
    this.gov.unanswered--;
    this.gov.answered++;
    if (done.bytes === null) {
      if (compiler.state === 'inthread') { if (b.jit === NO_REGION) b.jit = null; return; } // the worker never started: ask again, compiled here
      if (compiler.state === 'failed') { this.translationOff(); return; }
      this.translationError(b.start, done.error ?? 'no bytes');
      return;
    }
    const bytes = done.bytes;
    moduleFor(key, bytes).then((comp) => {
      const t0 = performance.now();
      if (comp.fresh) {
        comp.fresh = false;
        this.stats.regionsCompiled++;
        this.gov.compiled(bytes.length);
        this.keep(rec, done.blocks, permBase, bytes);
      } else this.stats.regionsReused++;
      // Attach unless its code changed while it compiled (r invalidated) or the cache already dropped it.
      if (r.valid && !comp.evicted) {
        r.compiled = comp;
        comp.users.push(r);
        // The per-region account (governor.ts Governor.account): what this region cost against what it runs.
        this.gov.account(done.ms + v8Ms(bytes.length), () => regionRuns(r), t0);
        if (b.valid && b.jit === NO_REGION) { b.jit = r; if (this.stats.timeline.firstAttached < 0) this.stats.timeline.firstAttached = t0 - this.born; }
      }
      this.spent(performance.now() - t0);
    }, (e: unknown) => this.translationError(b.start, `WebAssembly.compile: ${errorText(e)}`));
  }

  private warnedOff = false;
  /** The compile worker died after it had worked: say so once; this machine keeps interpreting. */
  private translationOff(): void {
    if (this.warnedOff) return;
    this.warnedOff = true;
    this.debug?.(`jit: translation off, programs continue interpreted: ${compiler.failure ?? loadError ?? 'compiler unavailable'}`);
  }

  private translationError(at: number, msg: string): void {
    this.stats.errors++;
    if (this.stats.errors === 1) this.debug?.(`jit: region at 0x${(at >>> 0).toString(16)} not translated: ${msg}`);
  }

  /** binaryen's and V8's time for the last region compile() compiled, ms. */
  private lastCompileMs = 0;

  /** The module for `region` from the cache, or compiled now in this thread; null if translation failed. */
  private compile(mem: AddressSpace, region: Region, at: number, rec: { name: string; code: BlockCode[] } | null = null): Compiled | null {
    const key = `${mem.permBase}|${regionKey(mem, region)}`;
    const comp = cachedModule(key);
    if (comp !== undefined) {
      this.stats.regionsReused++;
      return comp;
    }
    const t0 = performance.now();
    let module: WebAssembly.Module, bytes: Uint8Array, blocks: number;
    try {
      ({ bytes, blocks } = compileRegion(bn!, region, mem.permBase));
      module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
    } catch (e) {
      // A translator bug must cost speed, never correctness: interpret this code. An
      // abort inside binaryen leaves its runtime unusable, so stop translating altogether.
      this.stats.compileMs += performance.now() - t0;
      const msg = errorText(e);
      this.translationError(at, `(${region.blocks.size} blocks) ${msg}`);
      if (isAbort(msg)) bn = null;
      return null;
    }
    this.lastCompileMs = performance.now() - t0;
    this.stats.compileMs += this.lastCompileMs;
    this.stats.regionsCompiled++;
    this.gov.compiled(bytes.length);
    this.keep(rec, blocks, mem.permBase, bytes);
    return store(key, module, bytes.length);
  }

  /**
   * Run block b's region for thread c with `budget` instructions; returns the instructions
   * executed (0: nothing ran, the interpreter runs b as usual).
   */
  enter(b: HotBlock, c: Cpu, budget: number): number {
    const r = b.jit as JitRegion;
    if (!r.valid) { b.jit = null; return 0; }
    // The governor's probe (governor.ts): the interpreter runs everything for a while.
    if (this.gov.probing) {
      if ((++this.tick & (SAMPLE_EVERY - 1)) === 0) { this.count(c); this.gov.tick(performance.now(), this.stats.instructions); }
      return 0;
    }
    if (r.compiled === null) {
      // Its module was evicted (over the budget): the block is translated again if it stays hot.
      b.jit = null;
      return 0;
    }
    let fn = r.lastFn;
    const hub = hubOf(c.mem);
    // A new instance's first entry is timed whole and charged as translation work: it includes
    // V8's instantiation and its lazy (Liftoff) compile of the function at its first call.
    let first = -1;
    if (r.lastHub !== hub) {
      const comp = r.compiled!;
      fn = comp.instances.get(hub) ?? null;
      if (fn === null) {
        first = performance.now();
        const inst = new WebAssembly.Instance(comp.module!, { e: { m: c.mem.memory, c: condHelper, f: flagsHelper, i: interpHelper(c.mem), h: hub.callImport() } });
        fn = inst.exports.f as RegionFn;
        comp.instances.set(hub, fn);
        this.stats.instances++;
        this.stats.instantiateMs += performance.now() - first;
      }
      r.lastHub = hub; r.lastFn = fn;
    }
    // Chaining (hub.ts): enter through the memory's hub, which goes on in Wasm into the next
    // region while the exit's EIP is a translated region's entry.
    setActiveCpu(c);
    const comp = r.compiled;
    const more = comp.more ??= (comp.module === null ? [] : moduleEntries(comp.module));
    // One entry in SAMPLE_EVERY is timed (the governor's tj) and counts the thread's instructions.
    const timed = first < 0 && (++this.tick & (SAMPLE_EVERY - 1)) === 0;
    const t0 = timed ? performance.now() : 0;
    const n = runChained(c.mem, r, b.start, fn!, c.slot, budget, more);
    if (timed) { this.gov.sampled(performance.now() - t0, n); this.count(c); }
    else if (first >= 0) this.spent(performance.now() - first);
    const st = this.stats;
    st.entries++;
    if (n === 0) st.bounced++;
    else if (n >= budget) st.budgetExits++;
    st.instructions += n;
    if (this.exitOps !== null && n < budget) {
      const eip = c.s[EIP] >>> 0;
      let k = this.exitNames.get(eip);
      if (k === undefined) { k = decodeInsn(c.mem, eip) === null ? opcodeName(c.mem, eip) : null; this.exitNames.set(eip, k); }
      if (k !== null) this.exitOps.set(k, (this.exitOps.get(k) ?? 0) + 1);
    }
    return n;
  }
}

/** Parse a mode name (the WEBX86_JIT variable, a CLI flag); undefined for anything else. */
export function parseJitMode(v: string | undefined | null): JitMode | undefined {
  return v === 'off' || v === 'on' || v === 'force' ? v : undefined;
}
