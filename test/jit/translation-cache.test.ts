/**
 * The JIT's persistent translation cache (src/engine/jit/translation-cache.ts, the Node store
 * src/host/node/translation-store.ts). In this process each "run" starts as a new process
 * would: no compile worker, no module in memory, a new store over the same directory.
 *
 * - A second run of a program attaches the first run's regions from the cache (no compile),
 *   at the early probe (jit.ts PROBE_HITS entries, not HOT_HITS), and prints what the native
 *   run prints.
 * - Damaged records (a flipped byte, a truncated file) are rejected and removed, the run
 *   still equals native; a record for other code at the same address is left alone.
 * - A change in the translator's sources gives a new version, and records of another
 *   version are never used.
 * - Writes are atomic renames (two stores racing on one name leave one whole record), the
 *   directory is kept under its budget (measured at a process's first write only when no
 *   process did within a minute; hits touch only records over an hour old), and WEBX86_CACHE_DIR=off / WEBX86_JIT_CACHE=off
 *   disable it (the CLI, in a process of its own, writes nothing then and hits otherwise).
 */
import { test, beforeEach, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildC } from '../support/build.js';
import { runGuest, runNative } from '../support/guest.js';
import { AddressSpace, PROT_EXEC, PROT_READ } from '../../src/engine/mem/address-space.js';
import { compiler } from '../../src/engine/jit/compile-client.js';
import { forgetModules } from '../../src/engine/jit/jit.js';
import { formRegion, regionKey } from '../../src/engine/jit/region.js';
import { decodeRecord, encodeRecord, rangesKey, recordName, regionRanges, translationStore } from '../../src/engine/jit/translation-cache.js';
import {
  NodeTranslationStore, PRUNE_EVERY, PRUNE_INTERVAL_MS, PRUNE_STAMP, TOUCH_AFTER_MS, cachedTranslatorVersion, nodeTranslationStore, translatorSources, translatorVersion, useNodeTranslationCache,
} from '../../src/host/node/translation-store.js';

const DIR = new URL('.', import.meta.url).pathname;
const bin = buildC(join(DIR, 'spin.c'), [], ['-m32', '-static', '-O1', '-fno-pie', '-no-pie', '-Wall']);
// 1000 rounds: ~1.6 G instructions, ~20 s if nothing were translated, so the first run's
// worker (booting and loading binaryen on a loaded machine) compiles the loop long before
// the end; translated, the run takes ~1 s.
const ROUNDS = '1000';
const native = runNative([bin, ROUNDS]);
const tmp = mkdtempSync(join(tmpdir(), 'webx86-jitcache-'));

beforeEach(() => { compiler.reset(); forgetModules(); });
after(() => { compiler.reset(); useNodeTranslationCache(null); rmSync(tmp, { recursive: true, force: true }); });

/** One run as a new process would make it, with the translation cache in `dir` (null: none). */
async function run(dir: string | null, version?: string) {
  compiler.reset();
  forgetModules();
  const store = useNodeTranslationCache(dir, version === undefined ? {} : { version });
  const g = await runGuest(['/prog', ROUNDS], { files: { '/prog': bin }, jit: 'on' });
  await store?.flush();
  assert.equal(g.stdout, native.stdout, g.stderr);
  assert.equal(g.status, native.status);
  return { s: g.jit!, store };
}

const records = (dir: string): string[] => readdirSync(join(dir, 'translations')).filter((f) => f.endsWith('.jit')).sort();

test('a second run attaches the first run\'s translations from the cache, without compiling them', { timeout: 600_000 }, async () => {
  const dir = join(tmp, 'hit');
  const first = await run(dir);
  assert.ok(first.s.regionsCompiled > 0, `nothing compiled: ${JSON.stringify(first.s)}`);
  assert.equal(first.s.regionsFromDisk, 0);
  assert.ok(first.s.regionsStored > 0 && first.store!.counts.writes === first.s.regionsStored, JSON.stringify(first.store!.counts));
  const files = records(dir);
  assert.equal(files.length, first.s.regionsStored);
  assert.ok(files.every((f) => f.startsWith(first.store!.version.slice(0, 12))), files.join(' '));

  const second = await run(dir);
  assert.ok(second.s.regionsFromDisk > 0, JSON.stringify(second.s));
  assert.equal(second.s.diskRejected, 0);
  assert.ok(second.s.instructions > 0, 'the cached regions ran');
  // The first region attached before any region was sent to the compiler (if one was at all:
  // a block that got hot only in this run would still be compiled). The compiler itself may
  // have started earlier: Node's NODE_EAGER starts it with the machine.
  const tl = second.s.timeline;
  assert.ok(tl.firstAttached >= 0 && (tl.firstSent < 0 || tl.firstAttached <= tl.firstSent), JSON.stringify(tl));
  assert.ok(second.store!.counts.hits >= second.s.regionsFromDisk);
  // Attached early: at a probe (PROBE_HITS entries), not at the block's HOT_HITS-th entry.
  assert.ok(second.s.probeAttached > 0 && second.s.probeAttached >= second.s.regionsFromDisk / 2, JSON.stringify(second.s));
  assert.equal(first.s.probeAttached, 0, 'nothing to attach in the first run');
  // The attach's parts (docs/BENCHMARKS.md "Session 12: what an attach costs"): V8's compile of
  // the records is part of diskMs, and every region instance made is counted and timed alone
  // (part of engineMs) — in both runs.
  for (const s of [first.s, second.s]) {
    assert.ok(s.instances > 0 && s.instantiateMs >= 0 && s.instantiateMs <= s.engineMs, JSON.stringify(s));
  }
  assert.equal(first.s.diskCompileMs, 0);
  assert.ok(second.s.diskCompileMs > 0 && second.s.diskCompileMs <= second.s.diskMs, JSON.stringify(second.s));
});

test('damaged records are rejected and removed; the run equals native and stores them again', { timeout: 600_000 }, async () => {
  const dir = join(tmp, 'damaged');
  await run(dir);
  /** Damage every record; the next run must reject each one it looks up, remove it, compile and store it again. */
  const damage = async (how: string, f: (data: Buffer) => Buffer): Promise<void> => {
    const files = records(dir);
    assert.ok(files.length > 0);
    const damaged = new Map<string, Buffer>();
    for (const name of files) {
      const bad = f(readFileSync(join(dir, 'translations', name)));
      writeFileSync(join(dir, 'translations', name), bad);
      damaged.set(name, bad);
    }
    const r = await run(dir);
    assert.equal(r.s.regionsFromDisk, 0, `${how}: ${JSON.stringify(r.s)}`);
    assert.ok(r.s.diskRejected > 0, `${how}: ${JSON.stringify(r.s)}`);
    assert.ok(r.s.regionsCompiled > 0);
    // Rejected by the record's own checks, before V8 saw the Wasm (a refused module counts as an error).
    assert.equal(r.s.errors, 0, how);
    for (const [name, bad] of damaged) {
      const path = join(dir, 'translations', name);
      if (existsSync(path)) assert.notDeepEqual(readFileSync(path), bad, `${how}: ${name} still damaged`);
    }
  };
  // One bit flipped in the middle (the Wasm, or the copy of the x86 code), then the last 7 bytes lost.
  await damage('a flipped bit', (d) => { const b = Buffer.from(d); b[b.length >> 1] ^= 0x10; return b; });
  await damage('truncated', (d) => d.subarray(0, d.length - 7));
  const again = await run(dir);
  assert.ok(again.s.regionsFromDisk > 0 && again.s.diskRejected === 0, JSON.stringify(again.s));
});

test('records of another translator version are not used', { timeout: 600_000 }, async () => {
  const dir = join(tmp, 'version');
  const first = await run(dir, 'a'.repeat(64));
  assert.ok(first.s.regionsStored > 0);
  const other = await run(dir, 'b'.repeat(64));
  assert.equal(other.s.regionsFromDisk, 0, JSON.stringify(other.s));
  assert.equal(other.s.diskRejected, 0);
  assert.ok(other.s.regionsCompiled > 0);
  const again = await run(dir, 'a'.repeat(64));
  assert.ok(again.s.regionsFromDisk > 0, JSON.stringify(again.s));
});

test('the translator\'s version follows its sources: the files it imports, not others', () => {
  const src = join(tmp, 'src');
  mkdirSync(join(src, 'sub'), { recursive: true });
  const put = (f: string, text: string): void => writeFileSync(join(src, f), text);
  put('main.ts', "import { a } from './a.js';\nexport { b } from './sub/b.js';\nconst c = await import('./c.js');\n");
  put('a.ts', "import type { T } from './sub/t.js';\nexport const a = 1;\n");
  put('sub/b.ts', "export const b = 2;\n");
  put('sub/t.ts', "export type T = number;\n");
  put('c.ts', "export const c = 3;\n");
  put('unrelated.ts', "export const u = 4;\n");
  const entries = [join(src, 'main.ts')];
  assert.deepEqual(translatorSources(entries).map((f) => f.slice(src.length + 1)), ['a.ts', 'c.ts', 'main.ts', 'sub/b.ts', 'sub/t.ts']);
  const v1 = translatorVersion(entries, src);
  assert.match(v1, /^[0-9a-f]{64}$/);
  put('unrelated.ts', "export const u = 5;\n");
  assert.equal(translatorVersion(entries, src), v1);
  const cacheDir = join(tmp, 'manifest');
  assert.equal(cachedTranslatorVersion(cacheDir, entries, src), v1);
  assert.equal(cachedTranslatorVersion(cacheDir, entries, src), v1, 'from the manifest');
  // A file two imports away changes (size and mtime differ): a new version, from the manifest too.
  put('sub/t.ts', "export type T = string;\n");
  utimesSync(join(src, 'sub/t.ts'), new Date(), new Date(Date.now() + 5000));
  const v2 = translatorVersion(entries, src);
  assert.notEqual(v2, v1);
  assert.equal(cachedTranslatorVersion(cacheDir, entries, src), v2);
  // The switches that change region formation are part of it.
  process.env.WEBX86_JIT_INTERP_CALLS = 'off';
  try { assert.notEqual(translatorVersion(entries, src), v2); } finally { delete process.env.WEBX86_JIT_INTERP_CALLS; }
  // The real translator's sources include the code generator, region formation and the manager.
  const real = translatorSources().map((f) => f.replace(/.*\/src\//, 'src/'));
  for (const f of ['src/engine/jit/codegen.ts', 'src/engine/jit/region.ts', 'src/engine/jit/jit.ts', 'src/engine/cpu/flags.ts', 'src/engine/jit/interp-call.ts']) assert.ok(real.includes(f), `${f} not in ${real.join(' ')}`);
});

const AT = 0x401000;
/** An address space with `code` at AT (0x401000: guest mappings start at MMAP_MIN_ADDR) (read + exec), and the region formed from it. */
function withCode(code: number[]): AddressSpace {
  const mem = new AddressSpace(1 << 24);
  mem.map(AT, 0x2000, PROT_READ | PROT_EXEC, 0x22);
  mem.u8.set(code, AT);
  return mem;
}
// inc eax; cmp eax, 100; jne 0x1000 ; ret
const LOOP = [0x40, 0x83, 0xf8, 0x64, 0x75, 0xfa, 0xc3];

test('records: named by entry and bytes, checked byte for byte, CRC-guarded; the key equals the in-memory one', () => {
  const mem = withCode(LOOP);
  const region = formRegion(mem, AT, () => true)!;
  assert.ok(region !== null);
  const ranges = regionRanges(mem, region);
  assert.equal(rangesKey(mem.permBase, ranges), `${mem.permBase}|${regionKey(mem, region)}`);
  // Block starts and ends, then the bytes in two lower-case hex digits each (the format records and modules are shared under).
  assert.equal(regionKey(mem, region), '401000:401006:4083f86475fa;401006:401007:c3;');
  // A PIC thunk call: the thunk's bytes after a '>' (mov (%esp),%ebx; ret at AT + 0x100).
  const pic = withCode([0xe8, 0xfb, 0x00, 0x00, 0x00, 0x40, 0xc3]);
  pic.u8.set([0x8b, 0x1c, 0x24, 0xc3], AT + 0x100);
  assert.equal(regionKey(pic, formRegion(pic, AT, () => true)!), '401000:401007:e8fb000000>8b1c24c340c3;');
  const wasm = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
  const v = 'c'.repeat(64);
  const rec = encodeRecord(v, mem.permBase, ranges, wasm);
  const ok = decodeRecord(v, rec, mem, AT);
  assert.ok(typeof ok === 'object');
  assert.deepEqual([...ok.wasm], [...wasm]);
  assert.deepEqual(ok.pages, [AT >>> 12]);
  assert.equal(ok.key, rangesKey(mem.permBase, ranges));
  // Every single-byte change anywhere and every truncation is caught.
  for (let i = 0; i < rec.length; i++) {
    const bad = rec.slice();
    bad[i] ^= 0x01;
    const r = decodeRecord(v, bad, mem, AT);
    assert.ok(r === 'damaged' || (i >= 16 && i < 24 && r === 'stale'), `byte ${i}: ${typeof r === 'object' ? 'accepted' : r}`);
  }
  for (let n = 0; n < rec.length; n++) assert.equal(decodeRecord(v, rec.subarray(0, n), mem, AT), 'damaged', `truncated to ${n}`);
  assert.equal(decodeRecord('d'.repeat(64), rec, mem, AT), 'damaged', 'another version');
  // Other code at the same address (another program), or the page no longer executable: stale.
  const other = withCode([0x40, 0x83, 0xf8, 0x65, 0x75, 0xfa, 0xc3]);
  assert.equal(decodeRecord(v, rec, other, AT), 'stale');
  mem.protect(AT, 0x1000, PROT_READ);
  assert.equal(decodeRecord(v, rec, mem, AT), 'stale');
  // The name depends on the version, the entry and its first bytes.
  const a = recordName(v, withCode(LOOP), AT);
  assert.match(a ?? '', /^c{12}-00401000-[0-9a-f]{16}$/);
  assert.equal(recordName(v, withCode(LOOP), AT), a);
  assert.notEqual(recordName(v, other, AT), a);
  assert.notEqual(recordName('d'.repeat(64), withCode(LOOP), AT), a);
  assert.equal(recordName(v, mem, AT), null, 'not executable');
});

test('a record of a region that calls a PIC thunk checks the thunk\'s bytes and keeps its page', () => {
  // 0x1000: call 0x2000; inc eax; cmp eax, 100; jne 0x1000; ret. 0x2000 (the next page):
  // mov (%esp),%ebx; ret (__x86.get_pc_thunk.bx), which the region inlines (region.ts 'pcthunk').
  const at = (thunk: number[]): AddressSpace => {
    const mem = withCode([0xe8, 0xfb, 0x0f, 0x00, 0x00, 0x40, 0x83, 0xf8, 0x64, 0x75, 0xf5, 0xc3]);
    mem.map(AT + 0x1000, 0x1000, PROT_READ | PROT_EXEC, 0x22);
    mem.u8.set(thunk, AT + 0x1000);
    return mem;
  };
  const THUNK = [0x8b, 0x1c, 0x24, 0xc3];
  const mem = at(THUNK);
  const region = formRegion(mem, AT, () => true)!;
  assert.ok([...region.blocks.values()].some((b) => b.insns.some((d) => d.insn.op === 'pcthunk')), 'the call is a pcthunk');
  const v = 'c'.repeat(64);
  const rec = encodeRecord(v, mem.permBase, regionRanges(mem, region), new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  const ok = decodeRecord(v, rec, mem, AT);
  assert.ok(typeof ok === 'object');
  assert.deepEqual(ok.pages.sort(), [AT >>> 12, (AT >>> 12) + 1], 'a write to the thunk\'s page invalidates the region');
  // Another thunk register at the same address: another translation.
  assert.equal(decodeRecord(v, rec, at([0x8b, 0x0c, 0x24, 0xc3]), AT), 'stale');
});

test('the store: atomic renames under racing writers, kept under its budget', async () => {
  const dir = join(tmp, 'store');
  const a = new NodeTranslationStore(dir, { version: 'e'.repeat(64), budget: 16 << 20 });
  const b = new NodeTranslationStore(dir, { version: 'e'.repeat(64), budget: 16 << 20 });
  const name = `${'e'.repeat(12)}-00001000-0123456789abcdef`;
  const one = Buffer.alloc(1 << 20, 1), two = Buffer.alloc(3 << 19, 2);
  // A reader meanwhile (as another process would read) sees a whole record or none, never a part.
  let writing = true, reads = 0;
  const parts: number[] = [];
  const reader = (async () => {
    while (writing) {
      try {
        const d = readFileSync(join(dir, `${name}.jit`));
        reads++;
        if (!d.equals(one) && !d.equals(two)) parts.push(d.length);
      } catch { /* not there yet */ }
      await new Promise((r) => setImmediate(r));
    }
  })();
  for (let i = 0; i < 20; i++) { a.put(name, one); b.put(name, two); }
  await Promise.all([a.flush(), b.flush()]);
  writing = false;
  await reader;
  assert.deepEqual(parts, [], `${parts.length} of ${reads} reads saw part of a record`);
  const got = readFileSync(join(dir, `${name}.jit`));
  assert.ok(got.equals(one) || got.equals(two), `a mixed record of ${got.length} bytes`);
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
  // A new store sees it; get returns it whole.
  const c = new NodeTranslationStore(dir, { version: 'e'.repeat(64), budget: 64 << 10 });
  assert.equal(c.get(name)?.length, got.length);
  assert.equal(c.get(`${'e'.repeat(12)}-00002000-0123456789abcdef`), null);
  // Thirty 10 KB records into a 64 KiB budget: the prune leaves at most the budget, newest kept.
  for (let i = 0; i < 30; i++) {
    c.put(`${'e'.repeat(12)}-${(0x10000 + i).toString(16).padStart(8, '0')}-0123456789abcdef`, new Uint8Array(10_000).fill(i));
    await c.flush();
  }
  await c.prune();
  const left = readdirSync(dir).filter((f) => f.endsWith('.jit'));
  const total = left.reduce((n, f) => n + readFileSync(join(dir, f)).length, 0);
  assert.ok(total <= 64 << 10, `${total} bytes in ${left.length} records`);
  assert.ok(left.includes(`${'e'.repeat(12)}-0001001d-0123456789abcdef.jit`), 'the newest record was pruned');
  assert.ok(c.counts.pruned > 0);
});

test('the store: a first write measures the directory only when its stamp is stale; hits touch only old records', async () => {
  const dir = join(tmp, 'stamp');
  const v = 'f'.repeat(64), name = (i: number): string => `${'f'.repeat(12)}-${(0x20000 + i).toString(16).padStart(8, '0')}-0123456789abcdef`;
  const a = new NodeTranslationStore(dir, { version: v });
  a.put(name(0), new Uint8Array(100).fill(1));
  await a.flush();
  assert.equal(a.counts.measured, 1, 'no stamp: the first write measures');
  assert.ok(existsSync(join(dir, PRUNE_STAMP)));
  // A later process within the interval: its first write does not measure, its PRUNE_EVERY-th does.
  const b = new NodeTranslationStore(dir, { version: v });
  b.put(name(1), new Uint8Array(100).fill(2));
  await b.flush();
  assert.equal(b.counts.measured, 0, 'a fresh stamp: no measurement');
  for (let i = 1; i <= PRUNE_EVERY; i++) b.put(name(1 + i), new Uint8Array(10).fill(i & 0xff));
  await b.flush();
  assert.equal(b.counts.measured, 1, `the ${PRUNE_EVERY}th write measures`);
  // A stale stamp: the next process measures at its first write.
  const old = new Date(Date.now() - 2 * PRUNE_INTERVAL_MS);
  utimesSync(join(dir, PRUNE_STAMP), old, old);
  const c = new NodeTranslationStore(dir, { version: v });
  c.put(name(9999), new Uint8Array(10));
  await c.flush();
  assert.equal(c.counts.measured, 1, 'a stale stamp: measured');
  // Hits: a record used within the hour keeps its mtime; an older one is touched.
  const d = new NodeTranslationStore(dir, { version: v });
  const f0 = join(dir, `${name(0)}.jit`), f1 = join(dir, `${name(1)}.jit`);
  const recent = new Date(Date.now() - 60_000), stale = new Date(Date.now() - 2 * TOUCH_AFTER_MS);
  utimesSync(f0, recent, recent);
  utimesSync(f1, stale, stale);
  assert.deepEqual(d.get(name(0)), new Uint8Array(100).fill(1));
  assert.deepEqual(d.get(name(1)), new Uint8Array(100).fill(2));
  await d.flush();
  assert.equal(d.counts.touches, 1);
  assert.equal(Math.round(statSync(f0).mtimeMs / 1000), Math.round(recent.getTime() / 1000), 'a recent record was touched');
  assert.ok(Date.now() - statSync(f1).mtimeMs < TOUCH_AFTER_MS / 2, 'an old record was not touched');
});

test('WEBX86_CACHE_DIR=off and WEBX86_JIT_CACHE=off: no store', () => {
  const saved = { dir: process.env.WEBX86_CACHE_DIR, jit: process.env.WEBX86_JIT_CACHE };
  try {
    process.env.WEBX86_CACHE_DIR = 'off';
    assert.equal(useNodeTranslationCache(), null);
    assert.equal(translationStore(), null);
    delete process.env.WEBX86_CACHE_DIR;
    process.env.WEBX86_JIT_CACHE = 'off';
    assert.equal(useNodeTranslationCache(join(tmp, 'never')), null);
    assert.equal(translationStore(), null);
    assert.equal(nodeTranslationStore, null);
    delete process.env.WEBX86_JIT_CACHE;
    assert.ok(useNodeTranslationCache(join(tmp, 'on')) !== null);
    assert.ok(translationStore() !== null);
  } finally {
    for (const [k, v] of [['WEBX86_CACHE_DIR', saved.dir], ['WEBX86_JIT_CACHE', saved.jit]] as const) if (v === undefined) delete process.env[k]; else process.env[k] = v;
    useNodeTranslationCache(null);
  }
});

const CLI = new URL('../../bin/webx86.js', import.meta.url).pathname;
test('the CLI keeps translations in WEBX86_CACHE_DIR across runs, and none with WEBX86_CACHE_DIR=off', { timeout: 600_000 }, () => {
  const home = join(tmp, 'home');
  const progDir = join(tmp, 'prog');
  mkdirSync(home, { recursive: true });
  mkdirSync(progDir, { recursive: true });
  writeFileSync(join(progDir, 'spin'), readFileSync(bin), { mode: 0o755 });
  const cli = (cacheDir: string) => {
    const r = spawnSync(process.execPath, [CLI, 'run', '--debug', '--mount', `${progDir}:/p`, '--', '/p/spin', ROUNDS], {
      env: { ...process.env, WEBX86_CACHE_DIR: cacheDir, HOME: home, XDG_CACHE_HOME: '', WEBX86_JIT: '' }, encoding: 'utf8', timeout: 300_000,
    });
    assert.equal(r.stdout, native.stdout, r.stderr);
    const line = /webx86: jit: (\{.*\})/.exec(r.stderr)?.[1];
    assert.ok(line, r.stderr);
    return JSON.parse(line) as { regionsCompiled: number; regionsStored: number; regionsFromDisk: number };
  };
  const cacheDir = join(tmp, 'cli-cache');
  const first = cli(cacheDir);
  assert.ok(first.regionsStored > 0, JSON.stringify(first));
  assert.ok(records(cacheDir).length > 0);
  assert.ok(cli(cacheDir).regionsFromDisk > 0);
  const off = cli('off');
  assert.equal(off.regionsStored, 0);
  assert.equal(off.regionsFromDisk, 0);
  assert.ok(off.regionsCompiled > 0);
  assert.deepEqual(readdirSync(home), [], 'something was written under HOME');
});
