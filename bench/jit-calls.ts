/**
 * What a call out of a region costs, per call (issue 9: the hops and register spills between
 * regions, docs/JIT.md "Calls out of a region"):
 *
 *   node --import tsx bench/jit-calls.ts [N]
 *
 * Runs bench/src/calls.c (built with gcc -m32 -O2 -static) natively and in the engine with
 * the JIT, N iterations (default 20 M) in each mode — a direct call the JIT takes into the
 * loop's region, and the same call through a function pointer, which runs as a nested hub
 * call — three times each in this process (the first compiles; the later ones reuse the
 * realm's modules), and prints the engine thread's CPU per run, the hops and nested calls,
 * and the difference per call of the warm runs' medians.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runGuest } from '../test/support/guest.js';
import { threadCpu } from '../src/host/node/thread-cpu.js';
import { chainedHops, nestedCallStats } from '../src/engine/jit/hub.js';

const ROOT = new URL('..', import.meta.url).pathname;
const BIN = join(ROOT, '.cache/bench-bin');
mkdirSync(BIN, { recursive: true });
const exe = join(BIN, 'calls');
if (!existsSync(exe)) execFileSync('gcc', ['-m32', '-static', '-O2', '-o', exe, join(ROOT, 'bench/src/calls.c')]);
const cpu = threadCpu() ?? ((): never => { throw new Error('jit-calls: per-thread CPU time needs Linux /proc/thread-self/schedstat'); });
const n = process.argv[2] ?? '20000000';
const bin = readFileSync(exe);
const warm: Record<string, number[]> = { '0': [], '1': [] };
const want = spawnSync(exe, [n, '0'], { encoding: 'utf8' }).stdout;
if (spawnSync(exe, [n, '1'], { encoding: 'utf8' }).stdout !== want) throw new Error('jit-calls: the two modes print different sums natively');
for (let rep = 0; rep < 3; rep++) {
  for (const mode of ['0', '1']) {
    const t0 = cpu(), h0 = chainedHops(), c0 = nestedCallStats().calls;
    const g = await runGuest(['/calls', n, mode], { files: { '/calls': bin }, jit: 'on' });
    const ms = cpu() - t0;
    if (g.stdout !== want) throw new Error(`jit-calls: mode ${mode} printed ${JSON.stringify(g.stdout)}, natively ${JSON.stringify(want)}`);
    if (rep > 0) warm[mode].push(ms);
    console.log(`mode ${mode} run ${rep + 1}: ${ms.toFixed(0)} ms engine thread, prints ${g.stdout.trim()}, ${g.icount} instructions (${g.jit!.instructions} translated), hops ${chainedHops() - h0}, nested calls ${nestedCallStats().calls - c0}`);
  }
}
const med = (a: number[]): number => a.sort((x, y) => x - y)[a.length >> 1];
console.log(`per call out (warm medians): ${((med(warm['1']) - med(warm['0'])) * 1e6 / Number(n)).toFixed(1)} ns`);
process.exit(0);
