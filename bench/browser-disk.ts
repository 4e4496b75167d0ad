/**
 * Browser disk benchmark (issue 4, Benchmarks): what it costs a real page to reach an
 * interactive bash prompt and to run `python3 -c pass` from the project's default Debian
 * image streamed over HTTP, in Debian's Chromium (/usr/bin/chromium, headless).
 *
 * How: the current source is bundled (vite, into a temporary directory so a concurrent
 * `npm run build` cannot pull dist/ from under the run), and one local server
 * (bench/browser-disk-server.ts) serves bench/browser-disk.html, the bundle and
 * .cache/images/debian.ext2 with Range support. The page mounts the image as
 * `OverlayDevice.create(HttpBytesDevice, IDBDevice)` — what a real page with a persistent
 * disk does — and runs the workload through the JS API (`Linux.create`, `run`,
 * `setCustomConsole`; bash: `/bin/bash -i` on the console until its prompt appears, then
 * `exit` is typed). Per workload:
 *  - cold: a new Chromium profile (empty IndexedDB and HTTP cache), no added latency;
 *  - cold +30 ms: another new profile, the server waits 30 ms before each image answer;
 *  - warm: the cold run's page reloaded in the same profile (same IndexedDB overlay).
 * Requests and bytes are counted by the server, image requests only (the page and bundle
 * are not counted). The image is served `Cache-Control: no-store`, so in the warm run only
 * IndexedDB can stand in for the network. Time is measured in the page from before the
 * devices are created to the workload's exit (bash: prompt, then `exit`); writing the
 * downloaded blocks back to IndexedDB (`linux.delete()`) comes after and is not included.
 * Beside it, the time after mounting with an image request in flight (the page's
 * `diskActivity` callback): the network's share, less blurred by a busy CPU.
 * Each configuration runs twice (each cold run on its own new profile); the table shows
 * the better time, and the counts (a range if the two runs differ).
 *
 * Run alone: `node --import tsx bench/browser-disk.ts` prints the section (progress on
 * stderr; WEBX86_BENCH_VERBOSE=1 adds the end of each run's console).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { BenchServer } from './browser-disk-server.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const IMAGE = join(ROOT, '.cache', 'images', 'debian.ext2');
const CHROMIUM = process.env.CHROME_PATH ?? '/usr/bin/chromium';
const LATENCY_MS = 30;
/** Each configuration runs this many times (new profiles for cold runs): the time is the best, as the machine may be busy. */
const REPEATS = 2;
/** A workload that has not finished by then has hung (a cold python3 start takes seconds). */
const RUN_TIMEOUT_MS = 120_000;
export const BROWSER_DISK_HEADING = '## Disk streaming in the browser';

type Workload = 'bash' | 'python';
const WORKLOADS: [Workload, string][] = [['bash', 'interactive bash prompt (`bash -i`, then `exit`)'], ['python', '`python3 -c pass`']];

/** What the page's benchRun returns. */
interface PageResult {
  status: number;
  output: string;
  progress: { bytes: number; requests: number } | null;
  /** After mounting, time with an image request in flight. */
  netMs: number;
  mountMs: number;
  promptMs: number | null;
  doneMs: number;
  closeMs: number;
}

interface Measured { requests: number; bytes: number; ms: number; netMs: number }

const say = (msg: string) => process.stderr.write(`browser-disk: ${msg}\n`);

/** The default image, built the way `npm start` builds it when it is missing. */
async function ensureImage(): Promise<void> {
  if (existsSync(IMAGE)) return;
  mkdirSync(join(ROOT, '.cache', 'images'), { recursive: true });
  say(`building the default Debian image into ${IMAGE} (once)`);
  const { imageMain } = await import('../src/host/node/image/cli.js');
  if ((await imageMain(['--out', IMAGE])) !== 0) throw new Error('the image build failed (see above)');
}

async function bundle(outDir: string): Promise<void> {
  const { build } = await import('vite');
  await build({ root: ROOT, configFile: join(ROOT, 'vite.config.ts'), logLevel: 'warn', build: { outDir, emptyOutDir: true } });
}

async function launch(profile: string): Promise<Browser> {
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: profile,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

async function openPage(page: Page, url: string): Promise<void> {
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForFunction(() => typeof (globalThis as { benchRun?: unknown }).benchRun === 'function', { timeout: 30_000 });
}

/** One run of `workload` in `page`, counted by `srv` from a zeroed log. */
async function measure(page: Page, srv: BenchServer, workload: Workload, latencyMs: number, label: string): Promise<Measured> {
  srv.reset(latencyMs);
  const run = page.evaluate((w) => (globalThis as unknown as { benchRun(w: string): Promise<PageResult> }).benchRun(w), workload);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${workload} ${label}: no exit within ${RUN_TIMEOUT_MS / 1000} s`)), RUN_TIMEOUT_MS); });
  let r: PageResult;
  try { r = await Promise.race([run, timeout]); } finally { clearTimeout(timer); }
  if (r.status !== 0) throw new Error(`${workload} ${label}: exit status ${r.status}; console ends: ${JSON.stringify(r.output)}`);
  if (workload === 'bash' && r.promptMs === null) throw new Error(`bash ${label}: no prompt seen; console ends: ${JSON.stringify(r.output)}`);
  const m = { requests: srv.requests, bytes: srv.bytes, ms: r.doneMs, netMs: r.netMs };
  say(`${workload} ${label}: ${m.requests} requests, ${(m.bytes / 2 ** 20).toFixed(2)} MiB, ${(m.ms / 1000).toFixed(2)} s`
    + ` (mounted ${(r.mountMs / 1000).toFixed(2)} s, then requests in flight for ${(r.netMs / 1000).toFixed(2)} s${r.promptMs !== null ? `, prompt ${(r.promptMs / 1000).toFixed(2)} s` : ''}; then ${(r.closeMs / 1000).toFixed(2)} s writing IndexedDB back;`
    + ` engine saw ${r.progress ? `${r.progress.requests} requests, ${r.progress.bytes} bytes` : 'no progress event'})`);
  if (process.env.WEBX86_BENCH_VERBOSE) say(`console ends: ${JSON.stringify(r.output)}`);
  return m;
}

/**
 * A browser on a new profile: the workload cold (with `latencyMs`), then, if `warm`, again
 * after a reload in the same profile with no added latency.
 */
async function session(srv: BenchServer, workload: Workload, latencyMs: number, warm: boolean): Promise<{ cold: Measured; warm?: Measured; version: string }> {
  const profile = mkdtempSync(join(tmpdir(), 'webx86-bench-chromium-'));
  let browser: Browser | undefined;
  try {
    browser = await launch(profile);
    const version = await browser.version();
    const page = await browser.newPage();
    page.on('pageerror', (e) => say(`page error: ${e instanceof Error ? e.message : String(e)}`));
    await openPage(page, `${srv.url}/`);
    const cold = await measure(page, srv, workload, latencyMs, latencyMs ? `cold +${latencyMs} ms` : 'cold');
    if (!warm) return { cold, version };
    await page.reload({ waitUntil: 'load' });
    await page.waitForFunction(() => typeof (globalThis as { benchRun?: unknown }).benchRun === 'function', { timeout: 30_000 });
    return { cold, warm: await measure(page, srv, workload, 0, 'warm'), version };
  } finally {
    await browser?.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

/** Table cells for repeated runs of one configuration: counts (a range if runs differ), best times. */
function cells(runs: Measured[]): string[] {
  const span = (xs: number[], f: (x: number) => string) => {
    const lo = Math.min(...xs), hi = Math.max(...xs);
    return lo === hi ? f(lo) : `${f(lo)}–${f(hi)}`;
  };
  return [
    span(runs.map((m) => m.requests), String),
    span(runs.map((m) => m.bytes), (b) => (b / 2 ** 20).toFixed(2)),
    `${(Math.min(...runs.map((m) => m.ms)) / 1000).toFixed(2)} (${(Math.min(...runs.map((m) => m.netMs)) / 1000).toFixed(2)})`,
  ];
}

export async function browserDiskSection(): Promise<string> {
  await ensureImage();
  const dist = mkdtempSync(join(tmpdir(), 'webx86-bench-dist-'));
  let srv: BenchServer | undefined;
  try {
    say('bundling (vite build into a temporary directory)');
    await bundle(dist);
    srv = new BenchServer({ page: join(ROOT, 'bench', 'browser-disk.html'), dist, image: IMAGE });
    await srv.start();
    const rows: string[] = [];
    let version = '';
    let probeOnly = true;
    const load = loadavg()[0];
    for (const [w, label] of WORKLOADS) {
      const cold: Measured[] = [], slow: Measured[] = [], warm: Measured[] = [];
      for (let i = 0; i < REPEATS; i++) {
        const a = await session(srv, w, 0, true);
        const b = await session(srv, w, LATENCY_MS, false);
        cold.push(a.cold); warm.push(a.warm!); slow.push(b.cold);
        probeOnly &&= a.warm!.requests === 1;
        version = a.version;
      }
      rows.push(`| ${label} | ${[...cells(cold), ...cells(slow), ...cells(warm)].join(' | ')} |`);
    }
    const size = statSync(IMAGE).size;
    const date = new Date().toISOString().slice(0, 10);
    return `
${BROWSER_DISK_HEADING}

Latest run: ${date}, Chromium ${version.replace(/^\D*\//, '')} (Debian's, headless), ${cpus().length} cores (load average
${load.toFixed(1)} at the start). The default Debian image (\`.cache/images/debian.ext2\`, ${(size / 2 ** 20).toFixed(0)} MiB) is served
from 127.0.0.1 with Range support.
The page mounts it as \`OverlayDevice.create(HttpBytesDevice, IDBDevice)\` and runs the workload through the JS API.
Cold: a new Chromium profile (empty IndexedDB); +${LATENCY_MS} ms: the server waits ${LATENCY_MS} ms before each image answer;
warm: the cold page reloaded in the same profile, so the IndexedDB overlay holds every block read before${probeOnly ? `
(the one request left is the size probe \`HttpBytesDevice\` makes when it opens the image)` : ''}.
Requests and MiB: image requests and bytes as counted by the server (the image is sent \`Cache-Control: no-store\`,
so the browser's HTTP cache plays no part). Time: in the page, from creating the devices to the workload's exit;
writing the downloaded blocks back to IndexedDB happens after, in \`linux.delete()\`. In brackets: the part of it after
mounting during which an image request was in flight (read-ahead included), the network's share, which the
machine's CPU load blurs less than the total. Each configuration runs ${REPEATS} times (each cold run on a new
profile): the better times are shown, and the counts (a range if the runs differ).

| workload | cold: requests | MiB | s (network) | cold +${LATENCY_MS} ms: requests | MiB | s (network) | warm: requests | MiB | s (network) |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${rows.join('\n')}

Reproduce with \`node --import tsx bench/browser-disk.ts\`.
`;
  } finally {
    await srv?.stop();
    rmSync(dist, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(await browserDiskSection());
}
