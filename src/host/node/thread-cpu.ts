/**
 * Per-thread CPU clocks for the JIT in Node: the compile worker reports its own thread's CPU
 * time for each batch (compile-worker-main.ts), and the governor measures the program's time
 * in the engine thread's CPU (src/engine/jit/governor.ts setThreadClocks).
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

/** The governor's clock for the calling (engine) thread: its own CPU time, or undefined where it cannot be read. */
export function engineClocks(): ThreadClocks | undefined {
  const engine = threadCpu();
  return engine === undefined ? undefined : { engine };
}
