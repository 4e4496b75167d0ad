/**
 * Chaining between translated regions without returning to the JS run loop (issue 9, "the
 * hub" of shared/reference/jit/jit-design.md §2).
 *
 * Each address space gets one small hub module, written here as raw Wasm bytes (no binaryen:
 * it must exist before binaryen loads and in any thread). The hub owns a funcref table into
 * which every region instantiated against that memory is put, and a direct-mapped cache in
 * the memory itself (AddressSpace.hubBase, above the page table, below every guest mapping) of `{eip, table index}`
 * pairs, one per region entry. `run(slot, budget, idx)` calls region `idx`; while the region
 * returns having run something, the budget is not spent, and the EIP it left in the slot is
 * the entry of another region in the cache, it calls that one (call_indirect), so python's
 * and bash's dispatch through indirect jumps, returns to callers outside the region and
 * exits to a successor region stay in Wasm. Anything else (a syscall, an untranslated
 * instruction, a failed protection check, a target with no region) returns to the
 * interpreter exactly as a single region's exit does: every region exit leaves the slot
 * precise, so chaining changes nothing the interpreter sees.
 *
 * Why this shape (design §12, V8 11.3): a Wasm loop with call_indirect costs 5.2-5.5 ns per
 * hop against 27-42 ns for a JS loop calling exports, whatever module the callee lives in;
 * region modules do not import the table (V8 charged every importing instance in
 * proportion to the table's size), so only the hub's one instance sees it, and
 * `table.set` stays cheap (0.1 us with no importing instances).
 *
 * A second function, `call(slot, budget, stop)`, is the same loop for a call out of a region
 * (codegen.ts callOut, imported by regions as e.h): it stops when the EIP reaches the
 * caller's continuation, so the caller goes on in its own function after the callee's ret.
 *
 * Links are undone eagerly: a region invalidated (its code written), evicted (module budget)
 * or whose address space is released loses its cache entries and table slots here before
 * any translated code can run again, since only JS (the interpreter, the kernel) writes code
 * pages: translated code leaves the region before a store to a CODE page.
 */
import { HUB_AREA_BYTES, type AddressSpace } from '../mem/address-space.js';
import { EIP } from '../cpu/state.js';

/** A compiled region function: (state slot, instruction budget) -> instructions executed. */
export type RegionFn = (slot: number, budget: number) => number;
/** The hub's `call` (the regions' import e.h): (slot, budget, continuation) -> instructions run | CALL_RETURNED. */
export type HubCall = (slot: number, budget: number, stop: number) => number;

/** Cache entries (a power of two) and the layout of the hub area at AddressSpace.hubBase. */
export const HUB_ENTRIES = 1 << 15;
/** Bytes of the hub area: the cache (8 bytes per entry), then one word counting chained hops. */
export const HUB_BYTES = HUB_ENTRIES * 8 + 0x10000;
const HASH_SHIFT = 15;
if (HUB_BYTES > HUB_AREA_BYTES) throw new Error('jit hub: the cache does not fit AddressSpace\'s hub area');

/**
 * The cache slot of `eip` (the hub module computes the same). The cache is two-way: an EIP
 * lives in its slot or in the other slot of the pair (slot ^ 1), so two entries that hash
 * alike both stay. Direct-mapped, bash's loop lost ~1-2 hops per iteration to one such pair
 * (0x205ffad, a return from strcpy, and 0x2037fa0, a function's entry, session 13): each
 * entry from JS re-installed its own region's entry over the other, and every iteration
 * left to the run loop twice (48-100 K exits of a warm run instead of ~15 K budget exits).
 */
const slotOf = (eip: number): number => ((eip ^ (eip >>> HASH_SHIFT)) & (HUB_ENTRIES - 1));
/** Tests: the cache slot an EIP hashes to. */
export const hubSlot = slotOf;

// ---- the hub module, byte by byte (WebAssembly core spec, binary format §5) ----

function uleb(v: number): number[] {
  const out: number[] = [];
  v >>>= 0;
  do { let b = v & 0x7f; v >>>= 7; if (v !== 0) b |= 0x80; out.push(b); } while (v !== 0);
  return out;
}
function sleb(v: number): number[] {
  const out: number[] = [];
  v |= 0;
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) { out.push(b); return out; }
    out.push(b | 0x80);
  }
}
const str = (s: string): number[] => [...uleb(s.length), ...[...s].map((ch) => ch.charCodeAt(0))];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];

const I32 = 0x7f, FUNCREF = 0x70;
const OP = {
  block: 0x02, loop: 0x03, void: 0x40, if: 0x04, end: 0x0b, br: 0x0c, brIf: 0x0d, return: 0x0f, callIndirect: 0x11,
  get: 0x20, set: 0x21, tee: 0x22, load: 0x28, store: 0x36, const: 0x41,
  eqz: 0x45, eq: 0x46, ne: 0x47, geS: 0x4e, geU: 0x4f, add: 0x6a, sub: 0x6b, and: 0x71, or: 0x72, xor: 0x73, shl: 0x74, shrU: 0x76,
};

/**
 * Words after the cache in the hub area (byte offsets from the end of the cache): chained
 * hops, the nesting depth of `call`, the invalidation generation, and `call`'s statistics
 * (calls made, calls that came back to their continuation).
 */
const W_HOPS = 0, W_DEPTH = 4, W_GEN = 8, W_CALLS = 12, W_RETURNS = 16;
/**
 * Instructions each region ran, by table slot (the governor's per-region account,
 * governor.ts Governor.account): an i32 per slot after the words, from this byte offset past
 * the cache, for the first COUNTED slots (a slot above shares its count with slot & (COUNTED
 * - 1), which regionRuns does not report). Counted at every call the hub makes, so a region
 * entered by a hop from another region (python's dispatch, a flat program's calls) is counted
 * as its own, not as its caller's: one load, add and store per hop.
 */
const COUNTS = 0x100;
export const COUNTED = 8192;
if (COUNTS + COUNTED * 4 > HUB_BYTES - HUB_ENTRIES * 8) throw new Error('jit hub: the region counts do not fit the hub area');
/**
 * Nested `call`s at most (each is a region frame and a hub frame on the Wasm stack): deeper
 * guest calls leave to the hub loop of the level below, as without nesting. CheerpX hit
 * "Maximum call stack size exceeded" with unbounded nesting (jit-design.md §2); 64 levels of
 * two frames stay far below V8's ~1 MB stack whatever the region's frame size.
 */
export const MAX_CALL_DEPTH = 64;
/** The bit of `call`'s result that says the chain came back to its continuation (the rest: instructions run). */
export const CALL_RETURNED = 0x80000000 | 0;

/**
 * The hub for a memory whose hub area starts at `base`:
 *
 *   run(slot, budget, idx):
 *     n = table[idx](slot, budget)
 *     while n != 0 && n < budget:
 *       eip = slot[EIP]; e = base + 8 * hash(eip)
 *       if mem[e] != eip: break
 *       r = table[mem[e + 4]](slot, budget - n)
 *       if r == 0: break          (bounced at its first instruction: the interpreter runs it)
 *       n += r; hops++
 *     return n
 *
 * Table slot 0 holds `zero` (returns 0), so an empty cache entry ({0, 0}) for an exit to
 * EIP 0 ends the loop instead of trapping on a null entry.
 */
function hubBytes(base: number): Uint8Array {
  // A pair of entries is 16 aligned bytes (e ^ 8 is the other one).
  if (base % 16 !== 0) throw new Error('jit hub: the hub area must be 16-byte aligned');
  const P_SLOT = 0, P_BUDGET = 1, P_IDX = 2, L_N = 3, L_R = 4, L_EIP = 5, L_E = 6;
  const counter = base + HUB_ENTRIES * 8;
  const mem = (off: number): number[] => [0x02, ...uleb(off)]; // align 4, offset
  const word = (w: number): number[] => [OP.const, ...sleb(counter + w)];
  const bump = (w: number, d: number): number[] => [...word(w), ...word(w), OP.load, ...mem(0), OP.const, ...sleb(d), OP.add, OP.store, ...mem(0)];
  // counts[idx & (COUNTED - 1)] += r, `idx` the code that leaves the slot on the stack, `a` a local to hold the address.
  const count = (idx: number[], a: number, r: number): number[] => [...idx, OP.const, ...sleb(COUNTED - 1), OP.and, OP.const, 2, OP.shl,
    OP.const, ...sleb(counter + COUNTS), OP.add, OP.tee, a, OP.get, a, OP.load, ...mem(0), OP.get, r, OP.add, OP.store, ...mem(0)];
  // One hop of both loops, inside their `block { loop {`: the cache entry of `eip` (leave the
  // block on a miss), the region's function called with the budget left, leave the block
  // when it ran nothing, else count its instructions into `n` and the hop.
  const hop = (slot: number, budget: number, n: number, eip: number, e: number, r: number): number[] => [
    OP.get, eip, OP.get, eip, OP.const, ...sleb(HASH_SHIFT), OP.shrU, OP.xor,
    OP.const, ...sleb(HUB_ENTRIES - 1), OP.and, OP.const, 3, OP.shl, OP.const, ...sleb(base), OP.add, OP.tee, e,
    // Not in its own entry: the other entry of its pair (e ^ 8), else leave the block.
    OP.load, ...mem(0), OP.get, eip, OP.ne, OP.if, OP.void,
    OP.get, e, OP.const, 8, OP.xor, OP.tee, e, OP.load, ...mem(0), OP.get, eip, OP.ne, OP.brIf, 2,
    OP.end,
    OP.get, slot, OP.get, budget, OP.get, n, OP.sub, OP.get, e, OP.load, ...mem(4), OP.callIndirect, 0, 0,
    OP.tee, r, OP.eqz, OP.brIf, 1,
    OP.get, n, OP.get, r, OP.add, OP.set, n,
    ...bump(W_HOPS, 1),
    // The callee's count (e is free again: its slot's address in the counts).
    ...count([OP.get, e, OP.load, ...mem(4)], e, r),
  ];
  const run = [
    ...vec([[...uleb(4), I32]]),
    OP.get, P_SLOT, OP.get, P_BUDGET, OP.get, P_IDX, OP.callIndirect, 0, 0, OP.set, L_N,
    ...count([OP.get, P_IDX], L_E, L_N),
    OP.block, OP.void,
    OP.get, L_N, OP.eqz, OP.brIf, 0,
    OP.loop, OP.void,
    OP.get, L_N, OP.get, P_BUDGET, OP.geS, OP.brIf, 1,
    OP.get, P_SLOT, OP.load, ...mem(EIP * 4), OP.set, L_EIP,
    ...hop(P_SLOT, P_BUDGET, L_N, L_EIP, L_E, L_R),
    OP.br, 0,
    OP.end,
    OP.end,
    OP.get, L_N,
    OP.end,
  ];
  // call(slot, budget, stop): the hub loop for a call that leaves its region (codegen.ts
  // "Calls out of a region"): run from slot[EIP] while the budget lasts and the EIP is a
  // region's entry, until the EIP is `stop` (the caller's continuation: the callee
  // returned). Result: instructions run, | CALL_RETURNED when it stopped at `stop` and no
  // region was unlinked meanwhile (the caller's own code may be the one invalidated).
  const Q_SLOT = 0, Q_BUDGET = 1, Q_STOP = 2, Q_N = 3, Q_R = 4, Q_EIP = 5, Q_E = 6, Q_GEN = 7, Q_OK = 8;
  const call = [
    ...vec([[...uleb(6), I32]]),
    ...word(W_DEPTH), OP.load, ...mem(0), OP.const, ...sleb(MAX_CALL_DEPTH), OP.geU, OP.if, OP.void, OP.const, 0, OP.return, OP.end,
    ...bump(W_DEPTH, 1), ...bump(W_CALLS, 1),
    ...word(W_GEN), OP.load, ...mem(0), OP.set, Q_GEN,
    OP.block, OP.void,
    OP.loop, OP.void,
    OP.get, Q_N, OP.get, Q_BUDGET, OP.geS, OP.brIf, 1,
    OP.get, Q_SLOT, OP.load, ...mem(EIP * 4), OP.tee, Q_EIP, OP.get, Q_STOP, OP.eq, OP.if, OP.void,
    ...word(W_GEN), OP.load, ...mem(0), OP.get, Q_GEN, OP.eq, OP.set, Q_OK, OP.br, 2,
    OP.end,
    ...hop(Q_SLOT, Q_BUDGET, Q_N, Q_EIP, Q_E, Q_R),
    OP.br, 0,
    OP.end,
    OP.end,
    ...bump(W_DEPTH, -1),
    OP.get, Q_OK, OP.if, OP.void, ...bump(W_RETURNS, 1), OP.end,
    OP.get, Q_N, OP.get, Q_OK, OP.const, 31, OP.shl, OP.or,
    OP.end,
  ];
  const zero = [0, OP.const, 0, OP.end];
  // `call` switched off (setNestedCalls): nothing runs, the caller leaves as without nesting.
  const nocall = zero; // the same body (no locals, 0) under call's type
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, 2, I32, I32, 1, I32], [0x60, 3, I32, I32, I32, 1, I32]])),
    ...section(2, vec([[...str('e'), ...str('m'), 0x02, 0x00, 0x00]])),
    ...section(3, vec([[1], [0], [1], [1]])),
    ...section(4, vec([[FUNCREF, 0x00, 1]])),
    ...section(7, vec([[...str('run'), 0x00, 0], [...str('t'), 0x01, 0], [...str('call'), 0x00, 2], [...str('nocall'), 0x00, 3]])),
    ...section(9, vec([[0x00, OP.const, 0, OP.end, ...vec([[1]])]])),
    ...section(10, vec([[...uleb(run.length), ...run], [...uleb(zero.length), ...zero], [...uleb(call.length), ...call], [...uleb(nocall.length), ...nocall]])),
  ];
  return new Uint8Array(bytes);
}

/** Hub modules by hub area offset (one per task size in practice). */
const hubModules = new Map<number, WebAssembly.Module>();

/**
 * A region linked into a hub: its table slot, the entry it is cached under, and the other
 * entry points (its dispatcher's targets) cached under it too while no other region holds
 * their cache entries.
 */
interface Link { hub: Hub; idx: number; eip: number; more: number[] }

/**
 * Entry points (the module's ENTRY_SECTION, codegen.ts): a region whose function starts at
 * its dispatcher D is cached under each of D's targets, not only under its entry, so a hop
 * to one of them (python's computed-goto dispatch into a handler the region holds, a return
 * into a continuation inside it) enters this function instead of leaving to the interpreter
 * or to a region of its own, which that block then never needs. Off: only the entry
 * (setEntryPoints, to compare).
 */
let entryPoints = true;
/** Tests and the bench: cache regions under their dispatcher's targets (default) or only their entry; returns the previous setting. */
export function setEntryPoints(on: boolean): boolean { const old = entryPoints; entryPoints = on; return old; }
/** Entry points installed besides regions' entries (all hubs of the realm): JitStats.entryPoints. */
let installedMore = 0;
export function entryPointsInstalled(): number { return installedMore; }
const links = new WeakMap<object, Link[]>();

/** Hubs alive in this realm, and the hops of those released: JitStats.chained. */
const liveHubs = new Set<Hub>();
let releasedHops = 0;
/** Region-to-region transfers made inside Wasm so far (all machines of the realm). */
export function chainedHops(): number {
  let n = releasedHops;
  for (const h of liveHubs) n += h.hops();
  return n;
}

/**
 * Calls out of a region as nested hub loops (codegen.ts "Calls out of a region"): on by
 * default; off, the regions get `nocall` and leave at such calls as before (to compare, and
 * for tests). Takes effect for regions instantiated afterwards.
 */
let nestedCalls = true;
export function setNestedCalls(on: boolean): boolean { const old = nestedCalls; nestedCalls = on; return old; }

/** Nested calls made and those that came back to their continuation (all hubs of the realm): JitStats. */
let releasedCalls = 0, releasedReturns = 0;
export function nestedCallStats(): { calls: number; returns: number } {
  let calls = releasedCalls, returns = releasedReturns;
  for (const h of liveHubs) { calls += h.word(W_CALLS); returns += h.word(W_RETURNS); }
  return { calls, returns };
}

export class Hub {
  readonly run: (slot: number, budget: number, idx: number) => number;
  /** The import e.h of the regions instantiated against this memory. */
  readonly call: HubCall;
  private readonly nocall: HubCall;
  private readonly table: WebAssembly.Table;
  /** The cache as int32 pairs {eip, index} (rebuilt when the memory grows). */
  private cache: Int32Array;
  private readonly rebind = (): void => { this.cache = new Int32Array(this.mem.memory.buffer, this.mem.hubBase, HUB_BYTES >> 2); };
  private readonly zero: unknown;
  private readonly free: number[] = [];
  private readonly owner = new Map<number, object>();
  dead = false;

  constructor(private readonly mem: AddressSpace) {
    const base = mem.hubBase;
    let mod = hubModules.get(base);
    if (mod === undefined) hubModules.set(base, (mod = new WebAssembly.Module(hubBytes(base) as Uint8Array<ArrayBuffer>)));
    const inst = new WebAssembly.Instance(mod, { e: { m: mem.memory } });
    this.run = inst.exports.run as Hub['run'];
    this.table = inst.exports.t as WebAssembly.Table;
    this.call = inst.exports.call as HubCall;
    this.nocall = inst.exports.nocall as HubCall;
    this.zero = this.table.get(0);
    this.cache = new Int32Array(mem.memory.buffer, base, HUB_BYTES >> 2);
    mem.watchGrow(this.rebind);
    liveHubs.add(this);
  }

  hops(): number { return this.cache[HUB_ENTRIES * 2] >>> 0; }
  /** A counter word after the cache (W_*). */
  word(w: number): number { return this.cache[HUB_ENTRIES * 2 + (w >> 2)] >>> 0; }
  /** Instructions the region in slot idx ran through this hub (mod 2^32), or -1 for a slot not counted on its own (COUNTS). */
  runs(idx: number): number { return idx < COUNTED ? this.cache[((HUB_ENTRIES * 8 + COUNTS) >> 2) + idx] >>> 0 : -1; }
  /** The function regions import as e.h: the nested hub loop, or nothing when switched off. */
  callImport(): HubCall { return nestedCalls ? this.call : this.nocall; }
  /** At each entry from JS: no nested call is live (an exception may have left one counted). */
  resetDepth(): void { this.cache[HUB_ENTRIES * 2 + (W_DEPTH >> 2)] = 0; }
  /** A region was unlinked: a caller waiting in a nested call must not continue in code that may be stale. */
  private invalidated(): void { this.cache[HUB_ENTRIES * 2 + (W_GEN >> 2)]++; }

  /** A table slot for fn (owned by region `r`). */
  add(r: object, fn: RegionFn): number {
    if (this.free.length === 0) {
      const old = this.table.grow(Math.max(16, this.table.length >> 1));
      for (let k = this.table.length - 1; k >= old; k--) this.free.push(k);
    }
    const idx = this.free.pop()!;
    if (idx < COUNTED) this.cache[((HUB_ENTRIES * 8 + COUNTS) >> 2) + idx] = 0;
    this.table.set(idx, fn );
    this.owner.set(idx, r);
    return idx;
  }

  /**
   * Make `eip` enter slot idx: in the entry of its pair that holds `eip` already, else a free
   * one, else its own slot, the entry there moving to the other slot (whose entry is dropped):
   * the two latest of the EIPs that hash alike stay.
   */
  install(eip: number, idx: number): void {
    const c = this.cache, v = eip | 0, e = slotOf(eip >>> 0) * 2, p = e ^ 2;
    const k = c[e] === v ? e : c[p] === v ? p : c[e + 1] === 0 ? e : c[p + 1] === 0 ? p : -1;
    if (k >= 0) { c[k] = v; c[k + 1] = idx; return; }
    c[p] = c[e]; c[p + 1] = c[e + 1];
    c[e] = v; c[e + 1] = idx;
  }

  /**
   * Make `eip` enter slot idx only if it has no entry and one of its pair is free (a region's
   * own entry is re-installed at each entry from JS and wins): false when taken.
   */
  installIfFree(eip: number, idx: number): boolean {
    const c = this.cache, v = eip | 0, e = slotOf(eip >>> 0) * 2, p = e ^ 2;
    if ((c[e] === v && c[e + 1] !== 0) || (c[p] === v && c[p + 1] !== 0)) return false;
    const k = c[e + 1] === 0 ? e : c[p + 1] === 0 ? p : -1;
    if (k < 0) return false;
    c[k] = v;
    c[k + 1] = idx;
    return true;
  }

  /** Drop slot idx and its cache entries (at `eip` and the entry points `more`, in either entry of their pairs). */
  remove(eip: number, idx: number, more: number[] = []): void {
    if (this.dead) return;
    const c = this.cache;
    for (const a of [...more, eip]) {
      const e = slotOf(a >>> 0) * 2;
      for (const k of [e, e ^ 2]) if (c[k + 1] === idx) { c[k] = 0; c[k + 1] = 0; }
    }
    this.table.set(idx, this.zero );
    this.invalidated();
    this.owner.delete(idx);
    this.free.push(idx);
  }

  /** The address space is released (reused for another process): forget everything. */
  release(): void {
    if (this.dead) return;
    releasedHops += this.hops();
    releasedCalls += this.word(W_CALLS); releasedReturns += this.word(W_RETURNS);
    this.cache.fill(0);
    this.dead = true;
    this.mem.unwatchGrow(this.rebind);
    liveHubs.delete(this);
    this.owner.clear();
  }
}

/** The hub of `mem`, created on first use. */
export function hubOf(mem: AddressSpace): Hub {
  let h = mem.jitHub as Hub | null;
  if (h === null || h.dead) mem.jitHub = h = new Hub(mem);
  return h;
}

/**
 * Run region `r` (entered at `eip`, its function `fn` instantiated for c's memory) through
 * the hub of `mem`, chaining into further regions: instructions executed.
 */
export function runChained(mem: AddressSpace, r: object, eip: number, fn: RegionFn, slot: number, budget: number, more: readonly number[] = []): number {
  const hub = hubOf(mem);
  let ls = links.get(r);
  let link: Link | undefined;
  if (ls === undefined) links.set(r, (ls = []));
  else for (const l of ls) if (l.hub === hub) { link = l; break; }
  if (link === undefined) {
    link = { hub, idx: hub.add(r, fn), eip: eip >>> 0, more: [] };
    ls.push(link);
    // The function's other entry points, once, where their cache entries are free.
    if (entryPoints) for (const a of more) if (a !== link.eip && hub.installIfFree(a, link.idx)) { link.more.push(a); installedMore++; }
  }
  // Re-installed at every entry from JS: another entry hashing to the same cache slot may have taken it.
  hub.install(link.eip, link.idx);
  hub.resetDepth();
  return hub.run(slot, budget, link.idx);
}

/**
 * Instructions region r ran through the hubs that link it, entered from JS or by a hop from
 * another region (the governor's per-region account); -1 when it was never entered or has
 * no counted slot.
 */
export function regionRuns(r: object): number {
  const ls = links.get(r);
  if (ls === undefined) return -1;
  let n = -1;
  for (const l of ls) {
    if (l.hub.dead) continue;
    const k = l.hub.runs(l.idx);
    if (k >= 0) n = Math.max(0, n) + k;
  }
  return n;
}

/** Region r is invalid or its module was evicted: no hub may enter it again. */
export function unlinkRegion(r: object): void {
  const ls = links.get(r);
  if (ls === undefined) return;
  links.delete(r);
  for (const l of ls) l.hub.remove(l.eip, l.idx, l.more);
}
