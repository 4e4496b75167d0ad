/**
 * The JIT in Chromium (issue 9's browser rows): sha256sum and python3 binary-trees run
 * through the page (bench/browser-jit.html, the public API, the engine in its worker and
 * the JIT's compile worker nested in it), interpreter only and with the JIT; per run the
 * time in the page, the longest the engine's worker left a page call unanswered, the JIT's
 * figures, and the peak memory of Chromium's processes (sum of VmRSS of the browser's
 * process tree, sampled every 100 ms: the worker threads live in the page's renderer, so
 * per-worker figures are not separable from outside). Each run gets a fresh browser.
 *
 *   node --import tsx bench/browser-jit.ts
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';
import { BenchServer } from './browser-disk-server.js';
import { jitBenchImage } from './browser-jit-image.js';
import { binaryTrees } from './binary-trees.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CHROMIUM = process.env.CHROME_PATH ?? '/usr/bin/chromium';
const say = (msg: string) => process.stderr.write(`browser-jit: ${msg}\n`);

const BINARY_TREES = binaryTrees(10);
const WORKLOADS: [string, string][] = [
  ['sha256sum of 4 MB (`head -c 4000000 /dev/zero \\| sha256sum`)', 'head -c 4000000 /dev/zero | sha256sum'],
  ['python3 binary-trees (depth 10)', `cat > /tmp/bt.py <<'EOF'${BINARY_TREES}EOF\npython3 /tmp/bt.py`],
];

interface PageRun { status: number; out: string; ms: number; maxRtt: number; stats: { regionsCompiled: number; regionsFromDisk: number; compileMs: number; engineMs: number; loadMs: number; compiler: string; instructions: number } | null }

/** Sum of VmRSS (kB) over pid and its descendants. */
function treeRssKb(pid: number): number {
  const kids = new Map<number, number[]>();
  const rss = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      (kids.get(ppid) ?? kids.set(ppid, []).get(ppid)!).push(Number(d));
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${d}/status`, 'utf8'));
      rss.set(Number(d), m ? Number(m[1]) : 0);
    } catch { /* gone */ }
  }
  let sum = 0;
  const stack = [pid];
  while (stack.length) { const p = stack.pop()!; sum += rss.get(p) ?? 0; stack.push(...(kids.get(p) ?? [])); }
  return sum;
}

/** One run in a fresh browser: with a new profile, or with `keep`'s (a later load of the page: its IndexedDB, so the JIT's translation store, is there). */
async function runOnce(srv: BenchServer, jit: boolean, script: string, keep?: string): Promise<PageRun & { peakMB: number; baseMB: number }> {
  const profile = keep ?? mkdtempSync(join(tmpdir(), 'webx86-bench-jit-'));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM, headless: true, userDataDir: profile, protocolTimeout: 1_200_000,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => say(`page error: ${e instanceof Error ? e.message : String(e)}`));
    await page.goto(`${srv.url}/`, { waitUntil: 'load' });
    await page.waitForFunction(() => typeof (globalThis as { benchRun?: unknown }).benchRun === 'function', { timeout: 30_000 });
    const pid = browser.process()!.pid!;
    const baseMB = treeRssKb(pid) / 1024;
    let peak = 0;
    const sampler = setInterval(() => { peak = Math.max(peak, treeRssKb(pid)); }, 100);
    try {
      const r = await page.evaluate((a) => (globalThis as unknown as { benchRun(a: unknown): Promise<PageRun> }).benchRun(a), { jit, script });
      return { ...r, peakMB: peak / 1024, baseMB };
    } finally { clearInterval(sampler); }
  } finally {
    await browser.close();
    if (keep === undefined) rmSync(profile, { recursive: true, force: true });
  }
}

export async function browserJitSection(): Promise<string> {
  const image = await jitBenchImage();
  const dist = mkdtempSync(join(tmpdir(), 'webx86-bench-dist-'));
  const load0 = loadavg()[0];
  let srv: BenchServer | undefined;
  try {
    say('bundling');
    const { build } = await import('vite');
    await build({ root: ROOT, configFile: join(ROOT, 'vite.config.ts'), logLevel: 'warn', build: { outDir: dist, emptyOutDir: true } });
    srv = new BenchServer({ page: join(ROOT, 'bench', 'browser-jit.html'), dist, image });
    await srv.start();
    const rows: string[] = [];
    for (const [label, script] of WORKLOADS) {
      const off = await runOnce(srv, false, script);
      say(`${label} interp: ${JSON.stringify({ ...off, out: off.out.slice(-80) })}`);
      // Cold: an empty translation store; warm: the next load of the page in the same profile.
      const profile = mkdtempSync(join(tmpdir(), 'webx86-bench-jit-store-'));
      let on: Awaited<ReturnType<typeof runOnce>>, warm: Awaited<ReturnType<typeof runOnce>>;
      try {
        on = await runOnce(srv, true, script, profile);
        say(`${label} jit: ${JSON.stringify({ ...on, out: on.out.slice(-80) })}`);
        warm = await runOnce(srv, true, script, profile);
        say(`${label} jit warm: ${JSON.stringify({ ...warm, out: warm.out.slice(-80) })}`);
      } finally { rmSync(profile, { recursive: true, force: true }); }
      const same = off.out === on.out && off.out === warm.out && off.status === 0 && on.status === 0 && warm.status === 0 ? '' : ' (OUTPUT DIFFERS)';
      const s = on.stats;
      rows.push(`| ${label}${same} | ${(off.ms / 1000).toFixed(1)} s | ${(on.ms / 1000).toFixed(1)} s | ${(off.ms / on.ms).toFixed(2)}x | `
        + `${s ? `${s.compiler}, ${s.regionsCompiled} regions, ${(s.compileMs / 1000).toFixed(1)} s binaryen, ${(s.engineMs / 1000).toFixed(2)} s engine thread, load ${(s.loadMs / 1000).toFixed(1)} s` : '-'} | `
        + `${off.maxRtt.toFixed(0)} / ${on.maxRtt.toFixed(0)} ms | +${(off.peakMB - off.baseMB).toFixed(0)} / +${(on.peakMB - on.baseMB).toFixed(0)} MB | `
        + `${(warm.ms / 1000).toFixed(1)} s | ${warm.stats ? `${warm.stats.regionsFromDisk} / ${warm.stats.regionsCompiled}, load ${(warm.stats.loadMs / 1000).toFixed(1)} s` : '-'} |`);
    }
    return `## JIT in Chromium (sha256sum, python3, memory)

${new Date().toISOString().slice(0, 10)}, Chromium (Debian's, headless), ${cpus().length} cores, load average ${load0.toFixed(1)} → ${loadavg()[0].toFixed(1)};
one run per cell, each in a fresh browser (\`node --import tsx bench/browser-jit.ts\`). The page (bench/browser-jit.html) boots an image
of bash, coreutils and python3 streamed from 127.0.0.1 and runs the workload with \`bash -c\`; time in the page from \`run()\` to its exit.
Longest answer: the longest a \`Linux.jitStats()\` call (one every 20 ms) waited for the engine's worker. Peak memory: the peak
sum of VmRSS over Chromium's processes during the run, minus the same sum with the page loaded before it (shared pages count
once per process in such sums, so only the difference is meaningful). JIT is the first load of the page (empty translation
store); JIT warm the next load in the same browser profile, whose IndexedDB holds what the first compiled (regions from
the store / compiled; binaryen's load, 0 when nothing had to be compiled).

| workload | interpreter | JIT | speed-up | JIT figures | longest answer (interp / JIT) | memory added (interp / JIT) | JIT warm | warm: from store / compiled |
|---|---:|---:|---:|---|---:|---:|---:|---|
${rows.join('\n')}
`;
  } finally {
    await srv?.stop();
    rmSync(dist, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(await browserJitSection());
