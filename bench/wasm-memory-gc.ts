/**
 * Why the desktop starts 3-4x slower in a page than in Node (docs/BENCHMARKS.md, "The page's
 * desktop start and V8's garbage collector"): in Chromium's V8 the length of every live
 * WebAssembly.Memory counts toward the global heap size, and each guest address space is one
 * of 3 GiB (engine/mem/address-space.ts). Past a few of them the global size sits at its
 * limit and every few MB allocated start another full (incremental mark-compact) collection.
 *
 * This reproduces it without the engine: a dedicated worker in headless Chromium keeps N such
 * memories alive and for 3 s makes small JS objects and 64 KiB Uint8Arrays (a guest's system
 * calls, roughly); it reports the loops done and, from V8's --trace-gc output, the
 * mark-compacts. Then the same loop in this Node process with N memories.
 *
 * Each N runs three ways (MODES): memories created at full size (what address spaces were),
 * created at 64 MiB with the 3 GiB maximum (what they are now: engine/mem/address-space.ts
 * grows them), and at 64 MiB without a maximum; V8 counts only the byte length, not the
 * maximum (docs/BENCHMARKS.md, 2026-12-07).
 *
 *   node --import tsx bench/wasm-memory-gc.ts [N...]      (default: 0 2 5 8)
 */
import { createServer } from 'node:http';
import { execFileSync } from 'node:child_process';
import puppeteer from 'puppeteer-core';

const CHROMIUM = process.env.CHROME_PATH ?? '/usr/bin/chromium';
const counts = process.argv.slice(2).map(Number).filter((n) => Number.isInteger(n) && n >= 0);
const NS = counts.length ? counts : [0, 2, 5, 8];
/** An address space's Memory: the 3 GiB task size plus the page table and the JIT's hub (4 MiB here). */
const PAGES = (3 * 1024 + 4) * 16;

/** How each memory is created: [initial pages, maximum pages or 0 for none]. */
const MODES: Record<string, [number, number]> = {
  'full size': [PAGES, PAGES],
  '64 MiB, 3 GiB maximum': [64 * 16, PAGES],
  '64 MiB, no maximum': [64 * 16, 0],
};

const LOOP = `(n, [initial, maximum]) => {
  const live = [];
  for (let i = 0; i < n; i++) live.push(new WebAssembly.Memory(maximum ? { initial, maximum } : { initial }));
  let sink = 0, loops = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 3000) {
    const a = new Array(1000).fill(0).map((x, i) => ({ i }));
    const b = new Uint8Array(65536);
    sink += a.length + b.length;
    loops++;
  }
  return { loops, live: live.length, sink: sink > 0 };
}`;

const PAGE = `<!doctype html><script>
window.run = (n, pages) => new Promise((resolve) => {
  const src = 'onmessage = (e) => postMessage((' + ${JSON.stringify(LOOP)} + ')(e.data.n, e.data.pages));';
  const w = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
  w.onmessage = (e) => { w.terminate(); resolve(e.data); };
  w.postMessage({ n, pages });
});
</script>`;

const srv = createServer((_q, r) => { r.setHeader('content-type', 'text/html'); r.end(PAGE); }).listen(0, '127.0.0.1');
await new Promise((r) => srv.once('listening', r));
const url = `http://127.0.0.1:${(srv.address() as { port: number }).port}/`;
try {
  process.stdout.write('| memories | live | Chromium worker: loops in 3 s | mark-compacts | Node: loops in 3 s | mark-compacts |\n|---|---:|---:|---:|---:|---:|\n');
  for (const [mode, PAGES] of Object.entries(MODES)) for (const n of NS) {
    const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, dumpio: false, args: ['--no-sandbox', '--disable-gpu', '--js-flags=--trace-gc'] });
    let gcs = 0;
    browser.process()?.stdout?.on('data', (d: Buffer) => { gcs += (d.toString().match(/Mark-Compact/g) ?? []).length; });
    let r: { loops: number };
    try {
      const page = await browser.newPage();
      await page.goto(url);
      r = await page.evaluate((k, p) => (globalThis as unknown as { run(n: number, p: [number, number]): Promise<{ loops: number }> }).run(k, p), n, PAGES);
    } finally {
      await browser.close();
    }
    // Node: a child process, so that each N starts from a fresh heap.
    const out = execFileSync(process.execPath, ['--trace-gc', '-e', `console.log(JSON.stringify((${LOOP})(${n}, ${JSON.stringify(PAGES)})))`], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const node = JSON.parse(out.trim().split('\n').filter((l) => l.startsWith('{')).pop()!) as { loops: number };
    process.stdout.write(`| ${mode} | ${n} | ${r.loops} | ${gcs} | ${node.loops} | ${(out.match(/Mark-Compact/g) ?? []).length} |\n`);
  }
} finally {
  srv.close();
}
