/**
 * Per-thread CPU clocks for the JIT in Node: the compile worker reports its own thread's CPU
 * time for each batch (compile-worker-main.ts), and the governor charges what every thread
 * but the engine's spent (src/engine/jit/governor.ts setThreadClocks).
 */
import { openSync, readSync } from 'node:fs';
import type { ThreadClocks } from '../../engine/jit/governor.js';

/**
 * The calling thread's CPU time in ms, from Linux's /proc/thread-self/schedstat (its first
 * field: nanoseconds on a CPU; 30 us per read), or undefined elsewhere. The file is opened
 * once, by the thread whose clock it is. Node 20 has no per-thread CPU clock
 * (process.threadCpuUsage is 23.9+), and process.cpuUsage() counts every thread of the process.
 */
export function threadCpu(): (() => number) | undefined {
  let fd: number;
  try { fd = openSync('/proc/thread-self/schedstat', 'r'); } catch { return undefined; }
  const buf = Buffer.alloc(96);
  const read = (): number => Number(buf.toString('latin1', 0, readSync(fd, buf, 0, buf.length, 0)).split(' ')[0]) / 1e6;
  try { if (!Number.isFinite(read())) return undefined; } catch { return undefined; }
  return read;
}

/**
 * The governor's clocks, for the calling (engine) thread: its own CPU time (schedstat), and
 * what every other thread spent — process.cpuUsage() (user + system of every thread) minus
 * this thread's: the compile worker, V8's compile and TurboFan threads, GC helpers, libuv's
 * pool. Undefined where the thread's own time cannot be read. The two sources differ slightly
 * (rusage ticks against the scheduler's ns), so the difference is kept from going backwards.
 */
export function engineClocks(): ThreadClocks | undefined {
  const engine = threadCpu();
  if (engine === undefined) return undefined;
  let last = 0;
  const others = (): number => {
    const u = process.cpuUsage();
    last = Math.max(last, (u.user + u.system) / 1000 - engine());
    return last;
  };
  return { engine, others };
}
