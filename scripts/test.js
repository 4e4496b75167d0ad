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

if (nodeFiles.length) {
  const dir = mkdtempSync(join(tmpdir(), 'webx86-test-'));
  const tap = join(dir, 'node.tap');
  const r = await run(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2',
    '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tap}`, ...nodeFiles]);
  const text = readFileSync(tap, 'utf8');
  const count = (k) => Number(new RegExp(`^# ${k} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  totals.passed += count('pass');
  totals.failed += count('fail') + count('cancelled');
  totals.skipped += count('skipped') + count('todo');
  rmSync(dir, { recursive: true, force: true });
  if (r.code !== 0) ok = false;
}

if (browserFiles.length) {
  const b = await run(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn']);
  if (b.code !== 0) {
    ok = false;
    totals.failed++;
    console.error('vite build failed: no browser tests run');
  } else {
    const w = await run(process.execPath, ['--import', 'tsx', join(root, 'node_modules/@web/test-runner/dist/bin.js'), '--config', 'web-test-runner.config.mjs'],
      { WTR_FILES: browserFiles.map((f) => f.slice(root.length)).join(','), CI: 'true' });
    // web-test-runner's summary line: "N passed, N failed" (and skipped when any).
    const m = [...w.out.matchAll(/(\d+) passed, (\d+) failed(?:, (\d+) skipped)?/g)].pop();
    if (m) {
      totals.passed += Number(m[1]);
      totals.failed += Number(m[2]);
      totals.skipped += Number(m[3] ?? 0);
    }
    if (w.code !== 0) {
      ok = false;
      if (!m || Number(m[2]) === 0) totals.failed++;
    }
  }
}

console.log(`\ntotal: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(ok ? 0 : 1);
