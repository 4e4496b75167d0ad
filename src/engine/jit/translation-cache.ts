/**
 * The persistent translation cache: compiled regions kept by the host across runs (Node: files
 * under the cache directory, src/host/node/translation-store.ts), so a later run of the same
 * program attaches its hot code's translations the first time a block gets hot, without the
 * compile worker, binaryen or a compile (docs/JIT.md "Translation cache").
 *
 * This module is the engine's half: the record format, how a record is named and how it is
 * checked against the guest's memory before it is used. The host's store only keeps bytes by
 * name. It is engine code (no host API) so a browser store (IndexedDB) can share it.
 *
 * Why look up by entry rather than by the in-memory module key (block starts and bytes):
 * which blocks a region holds depends on the interpreter's hit counts when its entry got hot,
 * and those depend on when earlier regions attached, which a cache changes. A region is a
 * correct translation of its bytes whatever the counts were, so a run may use any stored
 * region whose code bytes are all still there. The name is a hash of the translator's version,
 * the page-table base the code was compiled for (`permBase`, inlined in every access check),
 * the entry address and the first bytes at the entry; the record then holds each block's
 * range and bytes, compared byte for byte with the guest's memory (and each page must still be
 * executable, as region formation requires) before its Wasm is compiled. A record that is
 * damaged (CRC-32 over everything after the header's first 16 bytes), truncated, of another
 * format or translator, or whose Wasm V8 refuses is rejected and the host told to drop it.
 */
import type { AddressSpace } from '../mem/address-space.js';
import { PROT_EXEC } from '../mem/address-space.js';
import { hexBytes, inlinedRange, type Region } from './region.js';

/**
 * What `get` answers while the record may exist but is not in memory yet (a store whose reads
 * are asynchronous: IndexedDB in a page, src/host/worker/translation-store.ts). The block
 * stays interpreted and asks again at its next HOT_HITS entries, without counting toward
 * starting the compiler; the store has begun loading it meanwhile.
 */
export const PENDING = 'pending';

/**
 * The host's store of records by name (names are [0-9a-z-]). `get` is synchronous: it runs
 * when a block gets hot, in the engine's thread, and a hit must attach before the block runs
 * again; a store whose reads are asynchronous answers PENDING and loads the record meanwhile.
 * `put` may finish later (a lost write only costs the next run a compile).
 */
export interface TranslationStore {
  /** The translator's version (a hash of its sources, from the host): part of every name. */
  readonly version: string;
  get(name: string): Uint8Array | null | typeof PENDING;
  /**
   * False when the store holds no record for a region entered at `entry` (any name: names
   * carry the entry, recordName), so the JIT's early probe (jit.ts PROBE_HITS) skips naming
   * the block (hashing its bytes) for the many blocks that never had a region. Optional: a
   * store without it is asked by name.
   */
  holds?(entry: number): boolean;
  put(name: string, data: Uint8Array): void;
  /** The record under `name` was unusable (damaged, foreign): the host should remove it. */
  drop(name: string): void;
  /** What the store did, for JitStats.store (--debug, `Linux.jitStats()`). */
  report?(): StoreReport;
}

/** A store's own figures: its kind, counters, and what it had to say (quota, failures). */
export interface StoreReport { kind: string; counts: Record<string, number>; messages: string[] }

let store: TranslationStore | null = null;
/** The host's translation store (Node: src/host/node/translation-store.ts), or null: no persistent cache. */
export function setTranslationStore(s: TranslationStore | null): void { store = s; }
export function translationStore(): TranslationStore | null { return store; }

/** Record layout version: bump when the record or the regions' Wasm interface (imports, exports, slot layout) changes. */
export const RECORD_FORMAT = 1;
const MAGIC = 0x434a5857; // 'WXJC' little-endian
const HEADER = 40;
/** Bytes at the entry that name a record (fewer at the end of a page). */
export const NAME_BYTES = 16;
/** A block's bytes in a record: MAX_BLOCK_INSNS (200) instructions of at most 15 bytes. */
const MAX_BLOCK_BYTES = 200 * 15;

// ---- CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as zlib and PNG use it ----

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

export function crc32(data: Uint8Array, from = 0, to = data.length): number {
  let c = -1;
  for (let i = from; i < to; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

// ---- names ----

/** FNV-1a (32-bit) over a string's UTF-16 units, continuing from `h`. */
function fnvString(s: string, h: number): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * The name of the record for a region entered at `entry` in `mem`, or null when the entry's
 * bytes are not readable code. Two independent 32-bit hashes (FNV-1a and CRC-32) of the
 * version, permBase, entry and first bytes: a collision only costs a verification miss.
 */
export function recordName(version: string, mem: AddressSpace, entry: number): string | null {
  entry >>>= 0;
  const pageEnd = ((entry >>> 12) + 1) * 4096;
  const end = Math.min(entry + NAME_BYTES, pageEnd, mem.size);
  if (end <= entry || !(mem.perm[entry >>> 12] & PROT_EXEC)) return null;
  const head = `${version}|${mem.permBase.toString(16)}|${entry.toString(16)}|`;
  let h = fnvString(head, 0x811c9dc5);
  for (let i = entry; i < end; i++) h = Math.imul(h ^ mem.u8[i], 0x01000193) >>> 0;
  const tail = new Uint8Array(end - entry + head.length);
  for (let i = 0; i < head.length; i++) tail[i] = head.charCodeAt(i) & 0xff;
  tail.set(mem.u8.subarray(entry, end), head.length);
  const hex = (v: number, n: number): string => v.toString(16).padStart(n, '0');
  return `${version.slice(0, 12)}-${hex(entry, 8)}-${hex(h, 8)}${hex(crc32(tail), 8)}`;
}

/** The entry address a record's name holds (recordName: `VERSION12-EEEEEEEE-HASH`), for stores' holds(). */
export function recordEntry(name: string): number {
  return parseInt(name.slice(13, 21), 16) >>> 0;
}

// ---- records ----

/** A block of a region as a record keeps it: its address range and the code bytes in it. */
export interface CodeRange { start: number; end: number; bytes: Uint8Array }

/**
 * A block of a formed region and the PIC thunks it calls (region.ts 'pcthunk': the translation
 * inlines `mov (%esp),%r; ret`, so it depends on the thunk's bytes too), copied now.
 */
export interface BlockCode { block: CodeRange; thunks: CodeRange[] }

/** The code of a formed region's blocks (formation order, entry first), with copies of their bytes now. */
export function regionCode(mem: AddressSpace, r: Region): BlockCode[] {
  const copy = (start: number, end: number): CodeRange => ({ start, end, bytes: mem.u8.slice(start, end) });
  return [...r.blocks.values()].map((b) => ({
    block: copy(b.start >>> 0, b.end >>> 0),
    thunks: b.insns.flatMap((d) => { const x = inlinedRange(d.insn); return x === null ? [] : [copy(x[0], x[1])]; }),
  }));
}

/**
 * The ranges a record keeps of the first `blocks` blocks (fewer than formed when binaryen
 * refused the region and a smaller one was built): the blocks, then each thunk they call,
 * once, so that decodeRecord checks the thunks' bytes and pages like the blocks'.
 */
export function recordRanges(code: readonly BlockCode[], blocks: number): CodeRange[] {
  const kept = code.slice(0, blocks);
  const thunks = new Map<number, CodeRange>();
  for (const c of kept) for (const t of c.thunks) thunks.set(t.start, t);
  return [...kept.map((c) => c.block), ...thunks.values()];
}

/** The ranges of a whole formed region, as a record keeps them (recordRanges). */
export function regionRanges(mem: AddressSpace, r: Region): CodeRange[] {
  return recordRanges(regionCode(mem, r), r.blocks.size);
}

/**
 * The in-memory module key of a region with these blocks: equal to `${permBase}|` +
 * region.ts regionKey (block starts and ends, then every byte, in hex), so a region loaded
 * from a record and one formed by this run share one compiled module (test/jit/translation-cache.test.ts
 * checks the two agree). Not for a region that calls a PIC thunk: regionKey marks the
 * thunk's bytes inside its block, a record lists them as ranges of their own, so the two
 * keys differ and such a region loaded from a record compiles no module a formed one would
 * share (never the wrong one: only regionKey has the '>' mark).
 */
export function rangesKey(permBase: number, ranges: readonly CodeRange[]): string {
  const parts: string[] = [`${permBase}|`];
  for (const r of ranges) {
    parts.push(`${r.start.toString(16)}:${r.end.toString(16)}:`);
    parts.push(hexBytes(r.bytes, 0, r.bytes.length), ';');
  }
  return parts.join('');
}

/** The code pages a region over these ranges lies on (what formRegion's `pages` holds). */
export function rangesPages(ranges: readonly CodeRange[]): number[] {
  const pages = new Set<number>();
  for (const r of ranges) for (let p = r.start >>> 12; p <= (r.end - 1) >>> 12; p++) pages.add(p);
  return [...pages];
}

/**
 * A record: header (magic, format, total length, CRC-32 of bytes 16.., entry, permBase,
 * block count, Wasm length, the version's first 8 bytes), each block's start and end, the
 * blocks' bytes, the Wasm module. Little-endian.
 */
export function encodeRecord(version: string, permBase: number, ranges: readonly CodeRange[], wasm: Uint8Array): Uint8Array {
  const code = ranges.reduce((n, r) => n + r.bytes.length, 0);
  const total = HEADER + ranges.length * 8 + code + wasm.length;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, MAGIC, true);
  dv.setUint32(4, RECORD_FORMAT, true);
  dv.setUint32(8, total, true);
  dv.setUint32(16, ranges[0].start, true);
  dv.setUint32(20, permBase, true);
  dv.setUint32(24, ranges.length, true);
  dv.setUint32(28, wasm.length, true);
  for (let i = 0; i < 8; i++) out[32 + i] = version.charCodeAt(i) & 0xff;
  let at = HEADER;
  for (const r of ranges) { dv.setUint32(at, r.start, true); dv.setUint32(at + 4, r.end, true); at += 8; }
  for (const r of ranges) { out.set(r.bytes, at); at += r.bytes.length; }
  out.set(wasm, at);
  dv.setUint32(12, crc32(out, 16), true);
  return out;
}

/** A record checked against the guest's memory: usable here. */
export interface Loaded { key: string; ranges: CodeRange[]; pages: number[]; wasm: Uint8Array }

/**
 * Read `data` as a record for a region entered at `entry` in `mem`. 'damaged': not a valid
 * record of this format and version (the host drops it); 'stale': a valid record whose code
 * is not what `mem` holds now (another program at the same address, code since changed, or
 * a page no longer executable) — left alone, another program may use it.
 */
export function decodeRecord(version: string, data: Uint8Array, mem: AddressSpace, entry: number): Loaded | 'damaged' | 'stale' {
  if (data.length < HEADER) return 'damaged';
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (dv.getUint32(0, true) !== MAGIC || dv.getUint32(4, true) !== RECORD_FORMAT || dv.getUint32(8, true) !== data.length) return 'damaged';
  if (dv.getUint32(12, true) !== crc32(data, 16)) return 'damaged';
  for (let i = 0; i < 8; i++) if (data[32 + i] !== (version.charCodeAt(i) & 0xff)) return 'damaged';
  const n = dv.getUint32(24, true), wasmLen = dv.getUint32(28, true);
  if (n === 0 || n > 4096 || HEADER + n * 8 > data.length) return 'damaged';
  if (dv.getUint32(16, true) !== entry >>> 0 || dv.getUint32(20, true) !== mem.permBase) return 'stale';
  const ranges: CodeRange[] = [];
  let at = HEADER + n * 8;
  for (let i = 0; i < n; i++) {
    const start = dv.getUint32(HEADER + i * 8, true), end = dv.getUint32(HEADER + i * 8 + 4, true);
    if (end <= start || end - start > MAX_BLOCK_BYTES || at + end - start > data.length) return 'damaged';
    ranges.push({ start, end, bytes: data.subarray(at, at + end - start) });
    at += end - start;
  }
  if (at + wasmLen !== data.length || ranges[0].start !== entry >>> 0) return 'damaged';
  for (const r of ranges) {
    if (r.end > mem.size) return 'stale';
    for (let p = r.start >>> 12; p <= (r.end - 1) >>> 12; p++) if (!(mem.perm[p] & PROT_EXEC)) return 'stale';
    const now = mem.u8;
    for (let i = 0; i < r.bytes.length; i++) if (now[r.start + i] !== r.bytes[i]) return 'stale';
  }
  return { key: rangesKey(mem.permBase, ranges), ranges, pages: rangesPages(ranges), wasm: data.subarray(at) };
}
