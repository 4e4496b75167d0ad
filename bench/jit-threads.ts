/**
 * Where a JIT run's process CPU goes, by thread (issue 9: cc1 uses more process CPU with the
 * JIT than interpreted; which threads pay it):
 *
 *   node --import tsx bench/jit-threads.ts off|on WORKLOAD [CACHE_DIR]
 *
 * WORKLOAD is a bench/jit-workloads.ts name (cc1-png, gcc-hello, node-e0, bash-loop...). With
 * CACHE_DIR the run uses the translation cache there (a second run with the same directory is
 * a warm run). Prints one JSON line: wall, process CPU, and CPU by thread (Linux
 * /proc/self/task/TID/stat utime + stime): the engine's thread (tid = pid), the compile
 * worker's (the busiest thread made during the run: the worker starts with the machine), and the rest (V8's platform threads: TurboFan of JS and of
 * Wasm, background Liftoff, concurrent GC marking; libuv's pool), with the JIT's figures.
 * Threads that exited are in the process figure only.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { JIT_BENCH_ENV, jitBenchWorkload } from './jit-workloads.js';

const [config, name, cacheDir] = process.argv.slice(2);
if (config !== 'off' && config !== 'on') throw new Error(`jit-threads: config is off or on, not ${config}`);
const { runGuest } = await import('../test/support/guest.js');
const { HostFs } = await import('../src/host/node/hostfs.js');
const { nodeTranslationStore, useNodeTranslationCache } = await import('../src/host/node/translation-store.js');
const found = jitBenchWorkload(name);
if (!found) throw new Error(`jit-threads: no workload ${name}`);
const { w, root } = found;
if (cacheDir !== undefined) useNodeTranslationCache(cacheDir);

/** CPU ms of each live thread of this process. */
function threads(): Map<number, number> {
  const tick = 10; // USER_HZ 100: clock ticks of 10 ms
  const out = new Map<number, number>();
  for (const t of readdirSync('/proc/self/task')) {
    try {
      const s = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      out.set(Number(t), (Number(f[11]) + Number(f[12])) * tick);
    } catch { /* exited meanwhile */ }
  }
  return out;
}

const before = threads();
const c0 = process.cpuUsage(), t0 = performance.now();
const g = await runGuest(w.argv, { root: new HostFs(root), env: JIT_BENCH_ENV, jit: config, cwd: '/tmp' });
const wall = performance.now() - t0;
const cpu = process.cpuUsage(c0);
await nodeTranslationStore?.flush();
const after = threads();
let workerTid = -1, most = -1;
for (const [tid, ms] of after) if (!before.has(tid) && ms > most) { most = ms; workerTid = tid; }
let engine = 0, worker = 0, rest = 0;
const others: [number, number][] = [];
for (const [tid, ms] of after) {
  const d = ms - (before.get(tid) ?? 0);
  if (tid === process.pid) engine += d;
  else if (tid === workerTid) worker += d;
  else { rest += d; if (d > 0) others.push([tid, d]); }
}
const j = g.jit;
process.stdout.write(`${JSON.stringify({
  config, name, wall: Math.round(wall), cpu: Math.round((cpu.user + cpu.system) / 1000), engine, worker, rest, others, status: g.status,
  jit: j === undefined ? null : {
    compiled: j.regionsCompiled, fromDisk: j.regionsFromDisk, reused: j.regionsReused, compileMs: Math.round(j.compileMs), engineMs: Math.round(j.engineMs),
    moduleKB: Math.round(j.moduleBytes / 1024), instructions: j.instructions, entries: j.entries, deferred: j.deferred, governor: j.governor,
  },
  icount: g.icount,
})}\n`);
process.exit(0);
