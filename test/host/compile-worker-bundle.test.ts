/**
 * The Node compile worker's bundle (src/host/node/compile-worker.ts), each run in a fresh
 * Node process as `webx86 run` would be: the first run boots the worker through tsx and
 * leaves an esbuild bundle and its manifest in the cache directory; the next run starts the
 * worker from the bundle and translates with it; a manifest that no longer matches the
 * sources sends the run back to tsx (and the bundle is made again); WEBX86_CACHE_DIR=off
 * never bundles. Every run's output must equal the native run's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildC } from '../support/build.js';
import { runNative } from '../support/guest.js';

const bin = buildC(new URL('../jit/spin.c', import.meta.url).pathname, [], ['-m32', '-static', '-O1', '-fno-pie', '-no-pie', '-Wall']);
// 1000 rounds: 1.6 G instructions, ~20 s if nothing were ever translated, so the first region
// is compiled long before the end even when the worker boots through tsx on a loaded machine
// (40 rounds ended before the first compile there: "nothing compiled" in a CI run at load 20).
const ROUNDS = '1000';
const native = runNative([bin, ROUNDS]);
const GUEST = new URL('../support/guest.ts', import.meta.url).href;
const WORKER = new URL('../../src/host/node/compile-worker.ts', import.meta.url).href;
const PROGRAM = `
import { runGuest } from ${JSON.stringify(GUEST)};
import { lastCompilerBoot } from ${JSON.stringify(WORKER)};
const g = await runGuest(['/prog', ${JSON.stringify(ROUNDS)}], { files: { '/prog': ${JSON.stringify(bin)} }, jit: 'on' });
console.log(JSON.stringify({ boot: lastCompilerBoot, out: g.stdout, compiler: g.jit?.compiler, compiled: g.jit?.regionsCompiled ?? 0 }));
`;

interface Run { boot: string | null; out: string; compiler: string; compiled: number }
function run(cacheDir: string): Run {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', PROGRAM], {
    env: { ...process.env, WEBX86_CACHE_DIR: cacheDir, WEBX86_JIT: 'on' }, encoding: 'utf8', timeout: 180_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const res = JSON.parse(r.stdout.trim().split('\n').pop()!) as Run;
  assert.equal(res.out, native.stdout);
  assert.equal(res.compiler, 'worker');
  assert.ok(res.compiled > 0, `nothing compiled: ${JSON.stringify(res)}`);
  return res;
}

test('the compile worker runs from a cached bundle once one matches its sources', { timeout: 900_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'webx86-cwbundle-'));
  try {
    assert.equal(run(dir).boot, 'tsx');
    const files = readdirSync(dir).filter((f) => f.startsWith('compile-worker-')).sort();
    assert.equal(files.length, 2, `cache directory: ${readdirSync(dir).join(', ')}`);
    assert.match(files[0], /\.json$/);
    assert.match(files[1], /\.mjs$/);
    const manifest = JSON.parse(readFileSync(join(dir, files[0]), 'utf8')) as { inputs: Record<string, [number, number]> };
    const inputs = Object.keys(manifest.inputs);
    assert.ok(inputs.some((p) => p.endsWith('src/engine/jit/codegen.ts')) && inputs.some((p) => p.endsWith('src/host/node/compile-worker-main.ts')), inputs.join(', '));
    // Not the interpreter: evaluating it and its instruction tables was most of the worker's boot (binaryen-load.ts).
    assert.ok(!inputs.some((p) => /src\/engine\/cpu\/(interp|decoder)\.ts$|src\/engine\/jit\/jit\.ts$/.test(p)), inputs.join(', '));

    assert.equal(run(dir).boot, 'bundle');

    // A source changed since (its recorded size differs): back to tsx, and the bundle is made again.
    const codegen = inputs.find((p) => p.endsWith('codegen.ts'))!;
    manifest.inputs[codegen][0] += 1;
    writeFileSync(join(dir, files[0]), JSON.stringify(manifest));
    assert.equal(run(dir).boot, 'tsx');
    assert.equal(run(dir).boot, 'bundle');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('WEBX86_CACHE_DIR=off: the worker boots through tsx', { timeout: 300_000 }, () => {
  assert.equal(run('off').boot, 'tsx');
});
