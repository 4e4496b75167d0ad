/**
 * The JIT tier's manager, one per machine: decides which hot interpreter blocks become
 * regions (region.ts), compiles them (codegen.ts) with binaryen, loaded lazily the first
 * time code gets hot, keeps the compiled modules in a cache shared by every address space
 * (fork children, later execs of the same code, other processes) under a byte budget, and
 * enters translated code from the interpreter's run loop.
 *
 * Modes (MachineOptions.jit): 'off' never translates; 'on' translates blocks entered
 * HOT_HITS times once binaryen is loaded, within a compile-time governor; 'force'
 * translates every block at its first execution, synchronously (tests: everything the
 * translator handles runs translated). binaryen is compiled in the engine's thread for now
 * (no compile worker yet): its first load blocks the thread ~0.5-0.8 s (design §12), so
 * 'on' loads it only after hot code has already cost that much interpretation time.
 */
import type binaryenT from 'binaryen';
import type { AddressSpace } from '../mem/address-space.js';
import type { Cpu } from '../cpu/cpu.js';
import { cond, getFlags } from '../cpu/flags.js';
import { EIP, FLAGS, LA, LB, LOP, LRES } from '../cpu/state.js';
import { REFUSED, tierCounters, type CodeHost as JitHost, type HotBlock, type Tier, type Translation } from '../cpu/tier.js';
import { generate, type CodegenOut } from './codegen.js';
import { MAX_BLOCKS, decodeInsn, formRegion, opcodeName, regionKey, type Region } from './region.js';

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
interface Compiled { key: string; module: WebAssembly.Module | null; bytes: number; instances: WeakMap<AddressSpace, RegionFn>; evicted: boolean; users: JitRegion[] }

/** A region attached to its entry block in one code cache. */
export class JitRegion implements Translation {
  valid = true;
  /** The last address space that ran it, and its instance there (the common case: one). */
  lastMem: AddressSpace | null = null;
  lastFn: RegionFn | null = null;
  constructor(public compiled: Compiled | null, readonly pages: number[]) {}
}

/** Region refused (first instruction untranslatable): never retried for this block. */
export const NO_REGION = REFUSED;

/** Regions invalidated by writes to their code (all machines), for statistics. */
export const jitCounters = { /** Modules dropped to stay within the budget. */ evicted: 0 };

/** Block entries before a block is translated in 'on' mode (a power of two: the check is a mask). */
export const HOT_HITS = 1024;
/** Region size limits in 'force' mode (many small regions) and for a retry after a Relooper failure. */
const FORCE_BLOCKS = 16, RETRY_BLOCKS = 8;
/** Interpretation time of hot code before binaryen is loaded (its load costs 0.4-0.9 s of CPU in Node, src/host/node/binaryen.ts): below the ski-rental break-even, because a hot loop that has run this long usually runs much longer (bench: the LCG row). */
const LOAD_AFTER_MS = 150;
/**
 * Instructions interpreted in hot blocks (counted HOT_HITS block entries at a time) before
 * binaryen is loaded: the time above alone is wall time, which in a page mostly waits on
 * disk blocks, so a cold `bash -c 'echo; ls'` loaded binaryen (13 MB) 0.3 s after its
 * first hot block. Measured (test image, Node, whole run): that cold bash 0.29 M hot
 * instructions, `bash -il -c true` 0.47 M, `ls -la /usr/bin /usr/lib; grep -r zzz /etc`
 * 0.49 M; sha256sum of 0.8 MB 49 M, a 3,000-iteration bash loop 163 M. 4 M is ~0.1-0.2 s
 * of interpretation (20-50 MIPS, docs/BENCHMARKS.md).
 */
const LOAD_AFTER_INSTRUCTIONS = 4_000_000;
/** Compile work allowed per elapsed time since code first got hot (the cc1 guard: design §6). */
const COMPILE_SHARE = 0.25;
/**
 * Compile time allowed before that share applies. 100 ms let short fork+exec loops (busybox sh
 * 100 x fork+exec true) spend more on compiles than they won (743 -> 839 ms engine CPU, bench).
 */
const COMPILE_BASE_MS = 20;
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
  /** Time binaryen took to load (ms), 0 until loaded. */
  loadMs: number;
  regionsCompiled: number;
  /** Regions whose module came from the cache (fork, exec, another process). */
  regionsReused: number;
  regionsRefused: number;
  compileMs: number;
  /** Requests skipped by the governor (compile time above its share). */
  deferred: number;
  entries: number;
  /** Entries that made no progress (first instruction needed the interpreter). */
  bounced: number;
  /** Exits because the budget was spent. */
  budgetExits: number;
  instructions: number;
  invalidated: number;
  moduleBytes: number;
  /** Regions the translator or binaryen failed on (interpreted instead). */
  errors: number;
  /**
   * With --debug only (a decode per exit): exits at an instruction the translator does not
   * handle, by opcode (region.ts opcodeName), most frequent first.
   */
  untranslated?: Record<string, number>;
}

let bn: typeof binaryenT | null = null;
let loading: Promise<void> | null = null;
let loadMs = 0;

let loader: () => Promise<typeof binaryenT> = async () => (await import('binaryen')).default;
/** How binaryen is loaded (the Node host replaces the plain import: src/host/node/binaryen.ts says why). */
export function setBinaryenLoader(f: () => Promise<typeof binaryenT>): void { loader = f; }

/** Load binaryen once per JS realm (a 14.8 MB module: only when code gets hot, never for cold programs). */
export function loadBinaryen(): Promise<void> {
  if (loading === null) {
    const t0 = performance.now();
    loading = loader().then((mod) => { bn = mod; loadMs = performance.now() - t0; });
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

export class Jit implements Tier {
  readonly stats: JitStats;
  /** hits & mask === 0 triggers a request. */
  readonly mask: number;
  private firstHot = 0;
  /** Instructions interpreted in hot blocks, HOT_HITS entries at a time (the load policy's measure). */
  private hotInstructions = 0;
  /** Exits at untranslated instructions by opcode; counted only when debugging. */
  private readonly exitOps: Map<string, number> | null;
  /** Exit address -> its opcode name, or null when translatable (a fault or an indirect branch): decoding every exit cost gzip 60% more CPU. */
  private readonly exitNames = new Map<number, string | null>();

  constructor(readonly mode: JitMode, private readonly debug?: (msg: string) => void) {
    this.mask = mode === 'force' ? 1 : HOT_HITS - 1;
    this.exitOps = debug ? new Map() : null;
    this.stats = {
      mode, loadMs: 0, regionsCompiled: 0, regionsReused: 0, regionsRefused: 0, compileMs: 0, deferred: 0,
      entries: 0, bounced: 0, budgetExits: 0, instructions: 0, invalidated: 0, moduleBytes: 0, errors: 0,
    };
  }

  /** Resolves once translation is possible ('force' machines wait for it at creation). */
  ready(): Promise<void> { return loadBinaryen(); }

  /** Statistics for --debug (a snapshot). */
  snapshot(): JitStats {
    this.stats.loadMs = loadMs;
    this.stats.moduleBytes = moduleBytes;
    this.stats.invalidated = tierCounters.invalidated;
    const snap: JitStats = { ...this.stats };
    if (this.exitOps !== null) snap.untranslated = Object.fromEntries([...this.exitOps].sort((a, b) => b[1] - a[1]).slice(0, 40));
    return snap;
  }

  /**
   * Block b (entered b.hits times) is hot: translate the region starting there and attach
   * it to b, if binaryen is loaded and the governor allows.
   */
  request(host: JitHost, mem: AddressSpace, b: HotBlock): void {
    const now = performance.now();
    if (this.firstHot === 0) this.firstHot = now;
    this.hotInstructions += (this.mask + 1) * b.count;
    if (bn === null) {
      // Ski rental: load once hot code has run about as long as the load costs.
      if (this.mode === 'force' || (now - this.firstHot > LOAD_AFTER_MS && this.hotInstructions > LOAD_AFTER_INSTRUCTIONS)) void loadBinaryen();
      return;
    }
    if (this.mode !== 'force' && this.stats.compileMs > COMPILE_BASE_MS + COMPILE_SHARE * (now - this.firstHot)) { this.stats.deferred++; return; }
    const force = this.mode === 'force';
    const minHits = force ? 1 : Math.max(16, b.hits >> 6);
    const wanted = (a: number): boolean => { const nb = host.get(a); return nb !== undefined && nb.hits >= minHits; };
    let region = formRegion(mem, b.start >>> 0, wanted, force ? FORCE_BLOCKS : MAX_BLOCKS);
    if (region === null) { b.jit = NO_REGION; this.stats.regionsRefused++; return; }
    let comp = this.compile(mem, region, b.start);
    // binaryen's Relooper threw on some 48-block graphs (a C++ exception, its runtime survives): retry smaller.
    if (comp === null && region.blocks.size > RETRY_BLOCKS) {
      region = formRegion(mem, b.start >>> 0, wanted, RETRY_BLOCKS)!;
      comp = this.compile(mem, region, b.start);
    }
    if (comp === null) { b.jit = NO_REGION; return; }
    const r = new JitRegion(comp, region.pages);
    comp.users.push(r);
    host.addRegion(r);
    b.jit = r;
  }

  /** The module for `region` from the cache, or compiled now; null if translation failed. */
  private compile(mem: AddressSpace, region: Region, at: number): Compiled | null {
    const key = `${mem.permBase}|${regionKey(mem, region)}`;
    let comp = modules.get(key);
    if (comp !== undefined) {
      this.stats.regionsReused++;
      // Most recently used last: eviction takes the first.
      modules.delete(key); modules.set(key, comp);
      return comp;
    }
    const t0 = performance.now();
    let module: WebAssembly.Module, out: CodegenOut;
    try {
      out = generate(bn!, region, mem.permBase);
      module = new WebAssembly.Module(out.bytes as Uint8Array<ArrayBuffer>);
    } catch (e) {
      // A translator bug must cost speed, never correctness: interpret this code. An
      // abort inside binaryen leaves its runtime unusable, so stop translating altogether.
      this.stats.errors++;
      this.stats.compileMs += performance.now() - t0;
      const msg = (e instanceof Error ? e.message : JSON.stringify(e) ?? String(e)).slice(0, 300);
      if (this.stats.errors === 1) this.debug?.(`jit: region at 0x${(at >>> 0).toString(16)} (${region.blocks.size} blocks) not translated: ${msg}`);
      if (msg.includes('Aborted')) bn = null;
      return null;
    }
    comp = { key, module, bytes: out.bytes.length, instances: new WeakMap(), evicted: false, users: [] };
    modules.set(key, comp);
    moduleBytes += comp.bytes;
    while (moduleBytes > moduleBudget && modules.size > 1) {
      const [k, old] = modules.entries().next().value as [string, Compiled];
      modules.delete(k);
      moduleBytes -= old.bytes;
      old.evicted = true;
      old.module = null;
      old.instances = new WeakMap();
      for (const r of old.users) { r.compiled = null; r.lastFn = null; r.lastMem = null; }
      old.users = [];
      jitCounters.evicted++;
    }
    this.stats.compileMs += performance.now() - t0;
    this.stats.regionsCompiled++;
    return comp;
  }

  /**
   * Run block b's region for thread c with `budget` instructions; returns the instructions
   * executed (0: nothing ran, the interpreter runs b as usual).
   */
  enter(b: HotBlock, c: Cpu, budget: number): number {
    const r = b.jit as JitRegion;
    if (!r.valid) { b.jit = null; return 0; }
    if (r.compiled === null) {
      // Its module was evicted (over the budget): the block is translated again if it stays hot.
      b.jit = null;
      return 0;
    }
    let fn = r.lastFn;
    if (r.lastMem !== c.mem) {
      const comp = r.compiled!;
      fn = comp.instances.get(c.mem) ?? null;
      if (fn === null) {
        const inst = new WebAssembly.Instance(comp.module!, { e: { m: c.mem.memory, c: condHelper, f: flagsHelper } });
        fn = inst.exports.f as RegionFn;
        comp.instances.set(c.mem, fn);
      }
      r.lastMem = c.mem; r.lastFn = fn;
    }
    const n = fn!(c.slot, budget);
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
