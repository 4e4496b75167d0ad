/**
 * V8's code cache for binaryen (src/host/node/binaryen.ts), each load in a fresh Node
 * process as `webx86 run` would do: the first run writes the cache, the next one uses it,
 * a damaged cache is rejected by V8 and rewritten, and WEBX86_CACHE_DIR=off writes nothing.
 * Every load must give a working binaryen (a module built, validated and run).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LOADER = new URL('../../src/host/node/binaryen.ts', import.meta.url).href;
const PROGRAM = `
import { loadBinaryenNode, lastBinaryenLoad } from ${JSON.stringify(LOADER)};
const b = await loadBinaryenNode();
const m = new b.Module();
m.addFunction('f', b.none, b.i32, [], m.i32.add(m.i32.const(40), m.i32.const(2)));
m.addFunctionExport('f', 'f');
if (!m.validate()) throw new Error('invalid module');
const f = new WebAssembly.Instance(new WebAssembly.Module(m.emitBinary())).exports.f;
console.log(JSON.stringify({ cache: lastBinaryenLoad.cache, file: lastBinaryenLoad.file, ms: lastBinaryenLoad.ms, result: f() }));
`;

function load(cacheDir: string): { cache: string; file: string | null; ms: number; result: number } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', PROGRAM], {
    env: { ...process.env, WEBX86_CACHE_DIR: cacheDir }, encoding: 'utf8', timeout: 120_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

test('binaryen\'s code cache: written by the first run, used by the next, rewritten when damaged', () => {
  const dir = mkdtempSync(join(tmpdir(), 'webx86-v8cache-'));
  try {
    const first = load(dir);
    assert.equal(first.cache, 'miss');
    assert.equal(first.result, 42);
    assert.deepEqual(readdirSync(dir), [first.file!.slice(dir.length + 1)]);
    assert.match(first.file!, /binaryen-\d+\.\d+\.\d+-\d+-\d+-v8-/);
    const size = readFileSync(first.file!).length;
    assert.ok(size > 1 << 20, `a code cache of ${size} bytes`);

    const second = load(dir);
    assert.equal(second.cache, 'hit');
    assert.equal(second.result, 42);

    // Damaged (a truncated copy from a crash, a disk error): V8 refuses it, the load still works.
    writeFileSync(first.file!, readFileSync(first.file!).subarray(0, 4096));
    const third = load(dir);
    assert.equal(third.cache, 'rejected');
    assert.equal(third.result, 42);
    assert.equal(load(dir).cache, 'hit');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('WEBX86_CACHE_DIR=off: no cache, binaryen still loads', () => {
  const r = load('off');
  assert.equal(r.cache, 'off');
  assert.equal(r.file, null);
  assert.equal(r.result, 42);
});
