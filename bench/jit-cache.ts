/**
 * The JIT's translation cache per process, as `webx86 run` meets it (docs/JIT.md "Translation
 * cache"): each workload runs in fresh Node processes, first with an empty translation cache
 * (the cold first run of a program), then twice with what that run left (warm). binaryen's
 * code cache and the compile worker's bundle are warm in both (they are per checkout, not per
 * program), after one interpreter-only run to compare. Prints one markdown table: wall, process CPU (every thread: engine, compile
 * worker, V8's helpers), regions compiled / from the cache, when the first region attached.
 *
 *   node --import tsx bench/jit-cache.ts [NAME...]        (names: lcg sha256 gzip python3 bash-c gcc-hello)
 *   node --import tsx bench/jit-cache.ts --child DIR NAME  (one run; prints a JSON line)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;

interface W { name: string; label: string; argv: string[]; files?: Record<string, string>; root?: 'bench' | 'gcc' }

function text10(): string {
  const p = join(ROOT, '.cache/bench-bin/text10');
  if (existsSync(p)) return p;
  // The same text as bench/run.ts inputText (words from a small LCG).
  const words = ['lorem', 'ipsum', 'dolor', 'sit', 'amet', 'x86', 'linux', 'webx86', 'engine', 'bench', '\n'];
  let x = 12345, s = '';
  while (s.length < 10_000_000) { x = (x * 1103515245 + 12345) >>> 0; s += words[(x >>> 16) % words.length] + ' '; }
  writeFileSync(p, s.slice(0, 10_000_000));
  return p;
}

async function workloads(): Promise<W[]> {
  const { busyboxStatic } = await import('../src/host/node/debian-packages.js');
  const lcg = join(ROOT, '.cache/bench-bin/lcg');
  if (!existsSync(lcg)) execFileSync('gcc', ['-m32', '-static', '-O2', '-o', lcg, join(ROOT, 'bench/src/lcg.c')]);
  const bb = busyboxStatic();
  return [
    { name: 'lcg', label: 'integer loop (LCG, 30M iterations)', argv: ['/lcg'], files: { '/lcg': lcg } },
    { name: 'sha256', label: 'busybox sha256sum 8 MiB (of the 10 MB text)', argv: ['/bin/busybox', 'sha256sum', '/data'], files: { '/bin/busybox': bb, '/data': text10() } },
    { name: 'gzip', label: 'busybox gzip -6 10 MB text', argv: ['/bin/busybox', 'gzip', '-6', '-n', '-c', '/data'], files: { '/bin/busybox': bb, '/data': text10() } },
    { name: 'python3', label: 'python3 binary-trees (depth 12)', argv: ['/usr/bin/python3', '/opt/bench/binary-trees.py'], root: 'bench' },
    { name: 'bash-c', label: "bash -c 'echo hi; ls /' (stays cold)", argv: ['/bin/bash', '-c', 'echo hi; ls / >/dev/null'], root: 'bench' },
    { name: 'gcc-hello', label: 'gcc -O2 hello.c (compile, link, run)', argv: ['/bin/bash', '-c', 'printf "#include <stdio.h>\\nint main(void) { puts(\\"hello\\"); return 0; }\\n" > /tmp/h.c && gcc -O2 -o /tmp/h /tmp/h.c && /tmp/h'], root: 'gcc' },
  ];
}

if (process.argv[2] === '--child') {
  const [dir, name] = process.argv.slice(3);
  const { runGuest } = await import('../test/support/guest.js');
  const { HostFs } = await import('../src/host/node/hostfs.js');
  const { useNodeTranslationCache, nodeTranslationStore } = await import('../src/host/node/translation-store.js');
  const w = (await workloads()).find((x) => x.name === name)!;
  useNodeTranslationCache(dir === 'interp' ? null : dir);
  const env = ['PATH=/usr/bin:/bin', 'HOME=/root', 'LC_ALL=C', 'PYTHONDONTWRITEBYTECODE=1'];
  const c0 = process.cpuUsage(), t0 = performance.now();
  const jit = dir === 'interp' ? 'off' : 'on';
  const g = w.root
    ? await runGuest(w.argv, { root: new HostFs(join(ROOT, '.cache/roots', w.root)), env, jit, cwd: '/tmp' })
    : await runGuest(w.argv, { files: w.files!, jit });
  const wall = performance.now() - t0, c = process.cpuUsage(c0);
  await nodeTranslationStore?.flush();
  const j = g.jit ?? { regionsCompiled: 0, regionsFromDisk: 0, regionsStored: 0, compiler: 'off', timeline: { firstAttached: -1 }, engineMs: 0 };
  process.stdout.write(`${JSON.stringify({
    wall, cpu: (c.user + c.system) / 1000, status: g.status, outLen: (g.stdoutBytes ?? new Uint8Array()).length,
    compiled: j.regionsCompiled, fromDisk: j.regionsFromDisk, stored: j.regionsStored, compiler: j.compiler, attached: j.timeline.firstAttached, engineMs: j.engineMs,
  })}\n`);
  process.exit(0);
}

interface Run { wall: number; cpu: number; status: number; outLen: number; compiled: number; fromDisk: number; stored: number; compiler: string; attached: number }
const only = process.argv.slice(2);
const rows: string[] = [];
const load0 = loadavg()[0];
for (const w of (await workloads()).filter((x) => only.length === 0 || only.includes(x.name))) {
  const dir = mkdtempSync(join(tmpdir(), 'webx86-jitcache-bench-'));
  mkdirSync(dir, { recursive: true });
  const one = (cache = dir): Run => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, '--child', cache, w.name], { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (r.status !== 0) throw new Error(`${w.name}: ${r.stderr.slice(-500)}`);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as Run;
  };
  const interp = one('interp'), cold = one(), warm = [one(), one()];
  rmSync(dir, { recursive: true, force: true });
  const same = [cold, ...warm].every((x) => x.outLen === interp.outLen && x.status === interp.status) ? '' : ' (OUTPUT DIFFERS)';
  const f = (x: number): string => x.toFixed(0);
  const cell = (r: Run): string => `${f(r.wall)} / ${f(r.cpu)}`;
  const row = `| ${w.label}${same} | ${cell(interp)} | ${cell(cold)} | ${cold.compiled} | ${f(cold.attached)} | ${warm.map(cell).join(', ')} | ${warm[0].fromDisk} / ${warm[0].compiled} | ${f(warm[0].attached)} | ${warm[0].compiler} |`;
  rows.push(row);
  console.error(row);
}
console.log(`Load average ${load0.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end; wall / process CPU in ms.

| workload | interpreter: wall / CPU | JIT cold: wall / CPU | regions compiled | first attached (ms) | JIT warm: wall / CPU (two runs) | from cache / compiled | first attached (ms) | compiler |
|---|---:|---:|---:|---:|---:|---:|---:|---|
${rows.join('\n')}`);
