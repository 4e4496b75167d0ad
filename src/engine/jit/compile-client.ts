/**
 * The engine's side of the compile worker (compile-service.ts): one per JS realm (per
 * process in Node, per engine worker — one machine — in a page), shared by its machines.
 *
 * The host injects how a worker is made (setCompilerFactory: worker_threads in Node, a
 * nested dedicated Worker in the browser), as it injects binaryen's loader; the engine
 * itself imports neither. Nothing here blocks: regions are sent and their bytes come back
 * as messages, which the engine sees when its scheduler yields to the event loop
 * (scheduler.ts, every ~12 ms) — between run() calls, which is the safe point to attach.
 *
 * Batching: one batch in flight at a time. The first request goes out at once (the first
 * hot loop waits as little as possible); requests made while a batch is being compiled
 * queue and leave together, up to MAX_BATCH, hottest first (instructions their blocks have
 * run so far), when it is done. So a program whose code gets hot all at once (cc1, python3
 * start-up) sends few large messages, and one hot loop sends one small one. Design §6
 * measured 50 regions per message as the sweet spot. The worker answers a batch in parts
 * (compile-service.ts POST_EVERY_MS), so its first regions attach before its last compile.
 */
import { errorText, type CompileDone, type CompileJob, type CompilerPort, type FromCompiler } from './compile-service.js';
import type { Region } from './region.js';

/** Regions per message. */
export const MAX_BATCH = 50;
/** Regions waiting (queued or in flight) beyond which requests are refused for now (the block asks again HOT_HITS entries later). */
export const MAX_WAITING = 400;

export type CompilerFactory = () => CompilerPort | null;
let factory: CompilerFactory | null = null;

/**
 * When a machine starts the compiler (the worker and its binaryen load, or the load in the
 * engine's thread): once its hot blocks have run `afterInstructions` instructions (counted
 * HOT_HITS block entries at a time) and `afterMs` have passed since its first hot block.
 */
export interface StartPolicy {
  afterInstructions: number;
  afterMs: number;
  /**
   * Start it as soon as a machine with the JIT 'on' is made, before any code is hot (Node's
   * CLI: the worker's boot and binaryen's load then overlap the program's start instead of
   * following its first hot block; see compile-worker.ts NODE_EAGER for what it saves and costs).
   */
  atCreate?: boolean;
  /**
   * Start it (the worker's boot, binaryen's download and compile) once hot blocks have run this
   * many instructions, while regions are still sent only past `afterInstructions` and `afterMs`:
   * a lower first trigger, so the load overlaps the last stretch of interpretation before the
   * bar (the page: PAGE_START).
   */
  startAfterInstructions?: number;
}

/**
 * Ski rental against binaryen's load (0.4-0.9 s of CPU in Node, 2-3 s blocking the engine's
 * thread in a page when loaded there, and a 1.8 MB download in a page), so a program that
 * stays cold never loads it. The time alone is wall time, which in a page mostly waits on
 * disk blocks: a cold `bash -c 'echo; ls'` loaded binaryen (13 MB) 0.3 s after its first hot
 * block. Hot instructions measured per whole run (test image, Node): that cold bash 0.29 M,
 * `bash -il -c true` 0.47 M, `ls -la /usr/bin /usr/lib; grep -r zzz /etc` 0.49 M; sha256sum
 * of 0.8 MB 49 M, a 3,000-iteration bash loop 163 M. 4 M is ~0.1-0.2 s of interpretation
 * (20-50 MIPS, docs/BENCHMARKS.md). The default, and what the engine uses without a worker.
 */
export const SKI_RENTAL: StartPolicy = { afterInstructions: 4_000_000, afterMs: 150 };

/**
 * The page's policy with a compile worker: SKI_RENTAL's bar for compiling, but the worker (and
 * with it binaryen's 1.8 MB download and its compile) started at 1 M hot instructions, still
 * twice what the cold programs measured above run (0.29-0.49 M), so a page whose programs stay
 * cold still never downloads binaryen. In the session-7 timeline (Chromium, sha256sum) the
 * worker started 0.7 s after the first hot block and was ready 1.2 s later; measured with
 * this policy: docs/JIT.md "First-run fixed cost".
 */
export const PAGE_START: StartPolicy = { ...SKI_RENTAL, startAfterInstructions: 1_000_000 };
let policy = SKI_RENTAL;

/**
 * How the host makes a compile worker, and when it may be started; without one (or when it
 * returns null or throws) regions compile in the engine's thread, started by SKI_RENTAL.
 */
export function setCompilerFactory(f: CompilerFactory | null, when: StartPolicy = SKI_RENTAL): void { factory = f; policy = when; }

/** When machines start the compiler (setCompilerFactory). */
export function startPolicy(): StartPolicy { return factory === null ? SKI_RENTAL : policy; }

/**
 * 'none': not started; 'worker': a worker is (being) started; 'inthread': no worker could be
 * made, the engine compiles itself; 'failed': the worker died after it had worked — no more
 * translation in this realm (the programs keep running interpreted).
 */
export type CompilerState = 'none' | 'worker' | 'inthread' | 'failed';

/** What a request is told when its region's bytes are there (or are not). */
export type Waiter = (r: CompileDone) => void;

/**
 * A queued request whose block has not been entered for this long (its heat unchanged since it
 * was queued) is dropped when its batch leaves, not compiled: the code went cold while it
 * waited (cc1: 152 of 663 regions compiled in a cold run were never entered; session 11,
 * bench/jit-threads.ts). The block asks again if it gets hot again.
 */
export const DROP_AFTER_MS = 10;

interface Pending { job: CompileJob; key: string; waiters: Waiter[]; heat: () => number; heat0: number; at: number }

class CompileClient {
  /**
   * Called when the worker dies after it had worked, so each machine can say so at once: a
   * machine whose blocks were all waiting hears nothing else before its program ends.
   */
  readonly onFailed = new Set<() => void>();
  state: CompilerState = 'none';
  /** binaryen's load time in the worker, ms (0 until it said ready). */
  loadMs = 0;
  /** When start() made the worker, and when it said ready (performance.now()), -1 before. */
  startedAt = -1;
  readyAt = -1;
  ready = false;
  /** Why the worker failed ('failed', or a fallback to 'inthread'). */
  failure: string | null = null;
  private port: CompilerPort | null = null;
  private nextId = 1;
  private queue: Pending[] = [];
  /** The batch being compiled, by job id (answers come back in parts, compile-service.ts POST_EVERY_MS). */
  private inFlight: Map<number, Pending> | null = null;
  /** Requests dropped from the queue as gone cold (DROP_AFTER_MS). */
  dropped = 0;
  /** Regions queued or in flight by key: a second request for the same code joins the first. */
  private readonly byKey = new Map<string, Pending>();

  /** Start translating: a worker if the host can make one, else in-thread. */
  start(): CompilerState {
    if (this.state !== 'none') return this.state;
    this.startedAt = performance.now();
    let port: CompilerPort | null = null;
    try { port = factory?.() ?? null; } catch (e) { this.failure = `no compile worker: ${errorText(e)}`; }
    if (port === null) { this.state = 'inthread'; return this.state; }
    this.port = port;
    this.state = 'worker';
    // A port stays bound to this worker: messages or the exit of one already replaced are ignored.
    port.onmessage = (m) => { if (this.port === port) this.receive(m); };
    port.onerror = (msg) => { if (this.port === port) this.fail(msg); };
    return this.state;
  }

  /** Regions queued or in flight. */
  get waiting(): number { return this.byKey.size; }

  /**
   * Ask for `region`'s bytes; `done` is called once, from a message callback (never
   * synchronously). False when refused (too many waiting, or no worker).
   */
  submit(region: Region, permBase: number, key: string, done: Waiter, heat: () => number = () => 0): boolean {
    if (this.state !== 'worker') return false;
    const same = this.byKey.get(key);
    if (same !== undefined) { same.waiters.push(done); return true; }
    if (this.byKey.size >= MAX_WAITING) return false;
    const p: Pending = { job: { id: this.nextId++, region, permBase }, key, waiters: [done], heat, heat0: heat(), at: performance.now() };
    this.byKey.set(key, p);
    this.queue.push(p);
    if (this.inFlight === null) this.flush();
    return true;
  }

  private flush(): void {
    if (this.queue.length === 0 || this.port === null) return;
    // Hottest first: the blocks keep counting entries while they wait, so the code that ran
    // most meanwhile is sent (and, answers coming back in parts, attached) first.
    const now = performance.now();
    const heat = new Map(this.queue.map((p) => [p, p.heat()]));
    // Gone cold while queued: not compiled (DROP_AFTER_MS).
    const cold: Pending[] = [], kept: Pending[] = [];
    for (const p of this.queue) (heat.get(p) === p.heat0 && now - p.at >= DROP_AFTER_MS ? cold : kept).push(p);
    if (cold.length > 0) {
      this.queue = kept;
      this.dropped += cold.length;
      for (const p of cold) this.answer(p, { id: p.job.id, bytes: null, blocks: 0, ms: 0, dropped: true });
      if (this.queue.length === 0) return;
    }
    if (this.queue.length > 1) this.queue.sort((a, b) => heat.get(b)! - heat.get(a)!);
    const batch = this.queue.splice(0, MAX_BATCH);
    this.inFlight = new Map(batch.map((p) => [p.job.id, p]));
    try {
      this.port.post({ t: 'compile', jobs: batch.map((p) => p.job) });
    } catch (e) {
      // A region that cannot be cloned is a translator bug: drop the batch, say so, go on.
      this.inFlight = null;
      for (const p of batch) this.answer(p, { id: p.job.id, bytes: null, blocks: 0, ms: 0, error: `cannot send to the compile worker: ${errorText(e)}` });
      this.flush();
    }
  }

  private answer(p: Pending, r: CompileDone): void {
    this.byKey.delete(p.key);
    // The compile's time is the first asker's; the others joined it for free.
    p.waiters.forEach((w, i) => w(i === 0 ? r : { ...r, ms: 0 }));
  }

  private receive(m: FromCompiler): void {
    if (this.state !== 'worker') return;
    switch (m?.t) {
      case 'ready': this.ready = true; this.loadMs = m.loadMs; this.readyAt = performance.now(); return;
      case 'done': {
        const batch = this.inFlight ?? new Map<number, Pending>();
        for (const r of m.results) {
          const p = batch.get(r.id);
          if (p !== undefined) { batch.delete(r.id); this.answer(p, r); }
        }
        if (!m.last) return;
        this.inFlight = null;
        for (const p of batch.values()) this.answer(p, { id: p.job.id, bytes: null, blocks: 0, ms: 0, error: 'no answer for this region' });
        this.flush();
        return;
      }
      case 'fatal': this.fail(m.message); return;
      default: this.fail(`unexpected message from the compile worker: ${JSON.stringify(m)?.slice(0, 100)}`);
    }
  }

  /**
   * The worker is gone. Before it ever said ready (it could not start: no nested workers,
   * its script refused) the engine compiles in its own thread instead; after, translation
   * stops for good: whatever killed it (binaryen aborting, out of memory) would likely
   * happen again, and interpreting is always correct.
   */
  private fail(message: string): void {
    if (this.state !== 'worker') return;
    const port = this.port;
    this.port = null;
    try { port?.terminate(); } catch { /* already gone */ }
    this.failure = message;
    this.state = this.ready ? 'failed' : 'inthread';
    if (this.state === 'failed') for (const f of this.onFailed) f();
    const lost = [...this.byKey.values()];
    this.queue = [];
    this.inFlight = null;
    for (const p of lost) this.answer(p, { id: p.job.id, bytes: null, blocks: 0, ms: 0, error: `compile worker failed: ${message}` });
  }

  /** Tests: forget the worker (terminating it) and start from 'none' again. */
  reset(): void {
    const port = this.port;
    this.port = null;
    try { port?.terminate(); } catch { /* already gone */ }
    this.state = 'none';
    this.ready = false;
    this.loadMs = 0;
    this.startedAt = -1;
    this.readyAt = -1;
    this.failure = null;
    this.queue = [];
    this.inFlight = null;
    this.byKey.clear();
    this.dropped = 0;
  }
}

/** The realm's compile client. */
export const compiler = new CompileClient();
