/**
 * One measured engine run for bench/jit-worker.ts, in a process of its own (so each
 * configuration pays binaryen's load and its memory is its own):
 *
 *   node --import tsx bench/jit-run.ts off|inthread|worker WORKLOAD
 *
 * prints one JSON line: wall ms, CPU of the whole process (all threads: the compile worker
 * included) and of the engine's thread alone (src/host/node/thread-cpu.ts, Linux), the longest
 * the engine's thread went without reaching the event loop (a 5 ms interval timer; the
 * scheduler yields every ~12 ms), peak RSS, exit status, a hash of stdout, the JIT's figures.
 */
import { createHash } from 'node:crypto';
import { JIT_BENCH_ENV, jitBenchWorkload } from './jit-workloads.js';
import { threadCpu } from '../src/host/node/thread-cpu.js';

const [config, name] = process.argv.slice(2);
if (config !== 'off' && config !== 'inthread' && config !== 'worker') throw new Error(`jit-run: config is off, inthread or worker, not ${config}`);
// Read by useNodeCompileWorker(), which test/support/guest.ts calls when it is imported.
if (config === 'inthread') process.env.WEBX86_JIT_WORKER = 'off';
const { runGuest } = await import('../test/support/guest.js');
const { HostFs } = await import('../src/host/node/hostfs.js');
const found = jitBenchWorkload(name);
if (!found) throw new Error(`jit-run: no workload ${name}`);
const { w, root } = found;

/** This (the engine's) thread's CPU time, ms (src/host/node/thread-cpu.ts). */
const mainThreadCpuMs = threadCpu() ?? ((): number => { throw new Error('per-thread CPU time needs Linux /proc/thread-self/schedstat'); });

let last = performance.now(), maxGap = 0;
const timer = setInterval(() => { const now = performance.now(); maxGap = Math.max(maxGap, now - last); last = now; }, 5);
const c0 = process.cpuUsage(), m0 = mainThreadCpuMs(), t0 = performance.now();
const g = await runGuest(w.argv, { root: new HostFs(root), env: JIT_BENCH_ENV, jit: config === 'off' ? 'off' : 'on', cwd: '/tmp' });
const wall = performance.now() - t0;
const cpu = process.cpuUsage(c0);
const mainCpu = mainThreadCpuMs() - m0;
clearInterval(timer);
process.stdout.write(`${JSON.stringify({
  config, name, wall, cpu: (cpu.user + cpu.system) / 1000, mainCpu, maxGap,
  rssMB: process.resourceUsage().maxRSS / 1024, status: g.status,
  out: createHash('sha256').update(g.stdoutBytes ?? new Uint8Array()).digest('hex').slice(0, 16),
  err: g.stderr.slice(-300), jit: g.jit ?? null,
})}\n`);
process.exit(0);
