#!/usr/bin/env node
// `npm test`: type-check, every test/**/*.test.ts in Node (node's test runner), then the
// browser tests (test/browser) in Debian's Chromium against a fresh `vite build`.
// `npm test -- FILTER...` runs only matching Node test files; `npm test -- --browser [FILTER]`
// only the browser tests. The last line sums both runs.
// Before anything runs, scripts/setup.js checks Node's version and the Debian packages the
// tests use, installing missing ones when it can (root or sudo -n) or stopping with one line.
import { readdirSync, statSync, readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { spawnSync, spawn } from 'node:child_process';
import { ensureTestDeps } from './setup.js';

if (!ensureTestDeps()) process.exit(1);

const root = new URL('..', import.meta.url).pathname;
const argv = process.argv.slice(2);
const browserOnly = argv.includes('--browser');
const filter = argv.filter((a) => a !== '--browser');
const BROWSER_DIR = join(root, 'test', 'browser');

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const matches = (f) => filter.length === 0 || filter.some((x) => f.includes(x));
const all = find(join(root, 'test')).sort();
const nodeFiles = browserOnly ? [] : all.filter((f) => !f.startsWith(BROWSER_DIR) && matches(f));
const browserFiles = all.filter((f) => f.startsWith(BROWSER_DIR) && matches(f));

const totals = { passed: 0, failed: 0, skipped: 0 };
let ok = true;
/** Tests that failed once and passed when their file ran again alone. */
const flaky = [];

if (filter.length === 0 && !browserOnly) {
  for (const cfg of ['tsconfig.json', 'tsconfig.engine.json', 'tsconfig.web.json']) {
    const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, cfg)], { stdio: 'inherit' });
    if (tsc.status !== 0) process.exit(tsc.status ?? 1);
  }
}

/** Run a command, echoing its output, and return what it printed. */
function run(cmd, args, env = {}) {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => { process.stdout.write(d); out += d; });
    p.stderr.on('data', (d) => { process.stderr.write(d); out += d; });
    p.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

/**
 * Run Node test files through node's test runner and count its TAP summary; also name the
 * files of the failing top-level tests (from each failure's `location:`), for the retry below.
 */
async function runNode(files, concurrency) {
  // Not --test-force-exit (it would end a file that a timed-out test left a handle alive in):
  // with it, node 20 exits before the TAP reporter's file is written, and the counts below
  // read 0 (tried: 130 tests passed, "total: 0 passed"). Such a file is fixed in the test.
  const dir = mkdtempSync(join(tmpdir(), 'webx86-test-'));
  const tap = join(dir, 'node.tap');
  const r = await run(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`,
    '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tap}`, ...files]);
  const text = readFileSync(tap, 'utf8');
  rmSync(dir, { recursive: true, force: true });
  const count = (k) => Number(new RegExp(`^# ${k} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  const failing = new Map(); // file -> names of its failing top-level tests
  let unplaced = 0;
  for (const m of text.matchAll(/^not ok \d+ - (.*)\n((?: .*\n)*)/gm)) {
    const loc = /^ {2}location: '(.+?\.test\.ts)(?::\d+:\d+)?'$/m.exec(m[2])?.[1];
    if (!loc) { unplaced++; continue; }
    failing.set(loc, [...(failing.get(loc) ?? []), m[1]]);
  }
  return { code: r.code, passed: count('pass'), failed: count('fail') + count('cancelled'),
    skipped: count('skipped') + count('todo'), failing, unplaced };
}

if (nodeFiles.length) {
  const first = await runNode(nodeFiles, 2);
  totals.passed += first.passed;
  totals.skipped += first.skipped;
  let failed = first.failed;
  // A file whose tests failed runs once more, alone. Timing-bound tests on the two-CPU CI
  // machine have failed under the load of the neighbouring file and passed on their own
  // (stop 19's futex deadline). A test that fails again fails the run; one that passes on
  // the second try is listed as FLAKY below, so it is seen and fixed, not forgotten.
  if (failed > 0 && first.failing.size > 0 && first.unplaced === 0 && process.env.WEBX86_TEST_RETRY !== '0') {
    const files = [...first.failing.keys()];
    console.log(`\nretrying alone, once: ${files.map((f) => f.slice(root.length)).join(', ')}`);
    const again = await runNode(files, 1);
    if (again.code === 0 && again.failed === 0) {
      for (const [f, names] of first.failing) flaky.push(`${f.slice(root.length)}: ${names.join('; ')}`);
      totals.passed += failed;
      failed = 0;
    }
  }
  totals.failed += failed;
  if (failed > 0 || (first.code !== 0 && first.failed === 0)) ok = false;
}

/**
 * Run browser test files through web-test-runner; its summary line "N passed, N failed"
 * gives the counts, and the files with a ❌ under their heading are the failing ones.
 */
async function runBrowser(files) {
  const w = await run(process.execPath, ['--import', 'tsx', join(root, 'node_modules/@web/test-runner/dist/bin.js'), '--config', 'web-test-runner.config.mjs'],
    { WTR_FILES: files.map((f) => f.slice(root.length)).join(','), CI: 'true' });
  const m = [...w.out.matchAll(/(\d+) passed, (\d+) failed(?:, (\d+) skipped)?/g)].pop();
  const failing = new Set();
  let file = null;
  // eslint-disable-next-line no-control-regex
  for (const line of w.out.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').split('\n')) {
    const h = /^\s*(test\/browser\/\S+\.test\.ts):\s*$/.exec(line);
    if (h) file = h[1];
    else if (file && line.includes('❌')) failing.add(file);
  }
  return { code: w.code, passed: Number(m?.[1] ?? 0), failed: Number(m?.[2] ?? 0), skipped: Number(m?.[3] ?? 0), failing };
}

if (browserFiles.length) {
  const b = await run(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn']);
  if (b.code !== 0) {
    ok = false;
    totals.failed++;
    console.error('vite build failed: no browser tests run');
  } else {
    let w = await runBrowser(browserFiles);
    // As for Node files: the files with a failing test run once more; passing then is FLAKY.
    if (w.failed > 0 && w.code !== 0 && w.failing.size > 0 && process.env.WEBX86_TEST_RETRY !== '0') {
      const files = [...w.failing].map((f) => join(root, f));
      console.log(`\nretrying once: ${[...w.failing].join(', ')}`);
      const again = await runBrowser(files);
      if (again.code === 0 && again.failed === 0) {
        for (const f of w.failing) flaky.push(`${f} (browser)`);
        w = { ...w, code: 0, passed: w.passed + w.failed, failed: 0 };
      }
    }
    totals.passed += w.passed;
    totals.failed += w.failed;
    totals.skipped += w.skipped;
    if (w.code !== 0) {
      ok = false;
      if (w.failed === 0) totals.failed++;
    }
  }
}

if (flaky.length) console.log(`\nFLAKY (failed, then passed alone on a retry):\n  ${flaky.join('\n  ')}`);
console.log(`\ntotal: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(ok ? 0 : 1);
