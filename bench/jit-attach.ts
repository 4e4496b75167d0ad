/**
 * What attaching stored regions costs a warm run (issue 9; session 12, helper attach):
 *
 *   node --import tsx bench/jit-attach.ts DIR [python3|bash]
 *
 * One run of the workload (bench/run.ts's python3 binary-trees or bash loop) in this fresh
 * process with its translation cache in DIR: an empty DIR is the cold run that fills it; give
 * each warm run a copy of that fill (`cp -r`), as a warm run compiles and stores a few regions
 * more. Prints one JSON line: wall ms, the engine thread's CPU ms (/proc), the process's CPU
 * ms, instructions interpreted, the JIT's translation work on the engine thread (engineMs,
 * diskMs and its V8 compile, instantiations) and the governor's refusals. Its times are wall
 * time: for what they cost in CPU, run it under `perf record -g` (docs/BENCHMARKS.md
 * "Session 12: what an attach costs").
 */
import { join } from 'node:path';
import { runGuest } from '../test/support/guest.js';
import { HostFs } from '../src/host/node/hostfs.js';
import { useNodeTranslationCache, nodeTranslationStore } from '../src/host/node/translation-store.js';
import { threadCpu } from '../src/host/node/thread-cpu.js';

const ROOT = new URL('..', import.meta.url).pathname;
const [dir, name = 'python3'] = process.argv.slice(2);
if (dir === undefined || (name !== 'python3' && name !== 'bash')) throw new Error('usage: jit-attach.ts DIR [python3|bash]');
const LOOP = 'i=0; s=0; while (( i < 20000 )); do s=$((s+i*3)); i=$((i+1)); done; echo $s';
const argv = name === 'python3' ? ['/usr/bin/python3', '/opt/bench/binary-trees.py'] : ['/bin/bash', '-c', LOOP];
const cpuMs = threadCpu() ?? ((): number => { throw new Error('per-thread CPU time needs Linux /proc/thread-self/schedstat'); });
useNodeTranslationCache(dir);
const env = ['PATH=/usr/bin:/bin', 'HOME=/root', 'LC_ALL=C', 'PYTHONDONTWRITEBYTECODE=1'];
// The bench's root (bench/run.ts makes it, with /opt/bench/binary-trees.py).
const c0 = process.cpuUsage(), e0 = cpuMs(), t0 = performance.now();
const g = await runGuest(argv, { root: new HostFs(join(ROOT, '.cache/roots/bench')), env, jit: 'on', cwd: '/tmp' });
const wall = performance.now() - t0, eng = cpuMs() - e0, c = process.cpuUsage(c0);
await nodeTranslationStore?.flush();
const j = g.jit!;
const n = (x: number | undefined): number => x ?? -1;
const r = (x: number): number => Math.round(x * 10) / 10;
process.stdout.write(`${JSON.stringify({
  status: g.status, wall: r(wall), engineCpu: r(eng), cpu: r((c.user + c.system) / 1000),
  interpretedM: r((j.governor.executed - j.instructions) / 1e6),
  engineMs: r(j.engineMs), diskMs: r(j.diskMs), diskCompileMs: r(n(j.diskCompileMs)), instances: n(j.instances), instantiateMs: r(n(j.instantiateMs)),
  fromDisk: j.regionsFromDisk, compiled: j.regionsCompiled, refusedDisk: j.governor.refusedDisk, refused: j.governor.refused,
})}\n`);
process.exit(0);
