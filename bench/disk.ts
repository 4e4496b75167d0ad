/**
 * Disk streaming benchmark: bytes and requests for `webx86 run --disk http://...` to reach
 * `/bin/busybox sh -c true` on an ext2 image holding Debian's static busybox, served by a
 * local HTTP server: cold cache, cold with 30 ms added per request, and a warm overlay.
 * `npm run bench` appends the section to docs/BENCHMARKS.md; run alone
 * (`node --import tsx bench/disk.ts`) it prints the table and replaces that section.
 */
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { busyboxBinDir } from '../src/host/node/debian-packages.js';
import { TestServer } from '../test/block/server.js';
import { HttpBytesDevice, type HttpOptions } from '../src/engine/block/http.js';
import { Ext2Fs } from '../src/engine/fs/ext2/index.js';
import { allocAnonDev } from '../src/engine/fs/tmpfs.js';
import { createMachine } from '../src/engine/machine.js';

const ROOT = new URL('..', import.meta.url).pathname;
const BIN = join(ROOT, 'bin/webx86.js');
export const DISK_HEADING = '## Disk streaming over HTTP';

function run(args: string[]): Promise<{ ok: boolean; ms: number; stderr: string }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { encoding: 'utf8' }, (err, _out, stderr) => resolve({ ok: !err, ms: performance.now() - t0, stderr }));
  });
}

export async function diskSection(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'webx86-bench-disk-'));
  const tree = join(dir, 'tree');
  mkdirSync(tree);
  cpSync(busyboxBinDir(), join(tree, 'bin'), { recursive: true, verbatimSymlinks: true });
  const img = join(dir, 'img.ext2');
  execFileSync('mke2fs', ['-q', '-t', 'ext2', '-b', '4096', '-d', tree, img, '256M']);
  execFileSync(process.execPath, [BIN, 'image', 'split', img, join(dir, 'chunks')], { stdio: 'ignore' });
  const srv = new TestServer();
  const image = new Uint8Array(readFileSync(img));
  srv.files.set('/img.ext2', image);
  for (const f of readdirSync(join(dir, 'chunks'))) srv.files.set(`/c/${f}`, new Uint8Array(readFileSync(join(dir, 'chunks', f))));
  await srv.start();
  const url = `${srv.url}/img.ext2`;
  const cmd = ['--', '/bin/busybox', 'sh', '-c', 'true'];
  const rows: string[][] = [];
  const measure = async (name: string, args: string[], sw = {}, fresh?: string) => {
    // Time: best of 3 (process start dominates and varies); counts: from the first run.
    let ms = Infinity, requests = 0, bytes = 0;
    for (let i = 0; i < 3; i++) {
      if (fresh) rmSync(fresh, { force: true });
      srv.reset(sw);
      const r = await run(['run', ...args, ...cmd]);
      if (!r.ok) throw new Error(`${name}: ${r.stderr}`);
      ms = Math.min(ms, r.ms);
      if (i === 0) { requests = srv.requests; bytes = srv.bytesSent; }
    }
    const pct = ((bytes / image.length) * 100).toFixed(2);
    rows.push([name, String(requests), `${(bytes / 1024).toFixed(0)} KiB`, `${pct}%`, `${ms.toFixed(0)} ms`]);
    console.log(rows[rows.length - 1].join('  '));
  };
  try {
    await measure('local image file (no network)', ['--disk', img]);
    await measure('cold cache', ['--disk', url]);
    await measure('cold cache, +30 ms per request', ['--disk', url], { latencyMs: 30 });
    const ovl = join(dir, 'bench.overlay');
    await measure('cold, filling an overlay', ['--disk', url, '--overlay', ovl], {}, ovl);
    await measure('warm overlay (second run)', ['--disk', url, '--overlay', ovl]);
    await measure('warm overlay, +30 ms per request', ['--disk', url, '--overlay', ovl], { latencyMs: 30 });
    await measure('chunked (128 KiB chunks), cold', ['--disk', `${srv.url}/c/img.ext2.meta.json`, '--chunked']);
    await measure('chunked, +30 ms per request', ['--disk', `${srv.url}/c/img.ext2.meta.json`, '--chunked'], { latencyMs: 30 });
    // Ablations, in process (the CLI has no knobs for these): the same program, device options changed.
    const inProcess = async (name: string, opts: HttpOptions, sw = {}) => {
      let ms = Infinity, requests = 0, bytes = 0;
      for (let i = 0; i < 3; i++) {
        srv.reset(sw);
        const t0 = performance.now();
        const fs = await Ext2Fs.mount(await HttpBytesDevice.create(url, opts), allocAnonDev());
        const m = await createMachine({ root: fs });
        const p = await m.kernel.spawn('/bin/busybox', { argv: ['/bin/busybox', 'sh', '-c', 'true'], env: [], cwd: '/' });
        if (typeof p === 'number') throw new Error(`${name}: spawn failed ${p}`);
        await m.kernel.sched.run();
        ms = Math.min(ms, performance.now() - t0);
        if (i === 0) { requests = srv.requests; bytes = srv.bytesSent; }
      }
      rows.push([`in process: ${name}`, String(requests), `${(bytes / 1024).toFixed(0)} KiB`, `${((bytes / image.length) * 100).toFixed(2)}%`, `${ms.toFixed(0)} ms`]);
      console.log(rows[rows.length - 1].join('  '));
    };
    await inProcess('defaults, no added latency', {});
    await inProcess('defaults, +30 ms', {}, { latencyMs: 30 });
    await inProcess('no coalescing (1 block per request), +30 ms', { maxBlocksPerRequest: 1 }, { latencyMs: 30 });
    await inProcess('no read-ahead, +30 ms', { readAheadBlocks: 0 }, { latencyMs: 30 });
    await inProcess('16 KiB blocks, +30 ms', { blockSize: 16 * 1024, readAheadBlocks: 16 }, { latencyMs: 30 });
    await inProcess('128 KiB blocks, +30 ms', { blockSize: 128 * 1024 }, { latencyMs: 30 });
  } finally {
    await srv.stop();
    rmSync(dir, { recursive: true });
  }
  const bb = readFileSync(join(busyboxBinDir(), 'busybox')).length;
  return `
${DISK_HEADING}

Bytes and requests for \`webx86 run --disk http://127.0.0.1:PORT/img.ext2 -- /bin/busybox sh -c true\`
(a ${image.length >> 20} MiB ext2 image, 4 KiB blocks, holding Debian's static busybox of ${(bb / 1024).toFixed(0)} KiB and its
applet links), served by a local node:http server that honours Range. Defaults: 64 KiB blocks, up to
16 coalesced per request, 4 in parallel, read-ahead up to 8 blocks. Time is the whole CLI run
(process start, mount, program), best of 3; counts are from the first. Latency is added by the server
before each answer. The "in process" rows run the engine inside the benchmark (no process start, so
the time is mount + program) to compare device settings the CLI does not expose.

| scenario | requests | bytes fetched | of image | time |
|---|---:|---:|---:|---:|
${rows.map((r) => `| ${r.join(' | ')} |`).join('\n')}

Reproduce with \`node --import tsx bench/disk.ts\` (or \`npm run bench\`, which runs everything).
`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const section = await diskSection();
  const path = join(ROOT, 'docs/BENCHMARKS.md');
  let md = '';
  try { md = readFileSync(path, 'utf8'); } catch { md = '# Benchmarks\n'; }
  const at = md.indexOf(`\n${DISK_HEADING}`);
  writeFileSync(path, (at >= 0 ? md.slice(0, at) : md.trimEnd() + '\n') + section);
}
