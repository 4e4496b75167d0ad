/**
 * The Node compile worker's entry (a worker_threads thread, started by compile-worker.ts):
 * binaryen is loaded here with the host's loader (binaryen-load.ts: V8's code cache kept across
 * runs) and regions are compiled by the engine's own service (engine/jit/compile-service.ts).
 */
import { openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { serveCompiles, type ToCompiler } from '../../engine/jit/compile-service.js';
import { loadBinaryenNode } from './binaryen-load.js';

const port = parentPort;
if (port === null) throw new Error('compile-worker-main.ts runs as a worker thread (src/host/node/compile-worker.ts starts it)');
const handle = serveCompiles(loadBinaryenNode, (m, transfer) => port.postMessage(m, transfer), threadCpu());
port.on('message', (m: ToCompiler) => handle(m));

/**
 * This thread's CPU time in ms, from Linux's /proc/thread-self/schedstat (its first field:
 * nanoseconds on a CPU; 30 us per read, two reads per batch), or undefined elsewhere.
 * Node 20 has no per-thread CPU clock (process.threadCpuUsage is 23.9+), and
 * process.cpuUsage() counts every thread of the process.
 */
function threadCpu(): (() => number) | undefined {
  let fd: number;
  try { fd = openSync('/proc/thread-self/schedstat', 'r'); } catch { return undefined; }
  const buf = Buffer.alloc(96);
  const read = (): number => Number(buf.toString('latin1', 0, readSync(fd, buf, 0, buf.length, 0)).split(' ')[0]) / 1e6;
  try { if (!Number.isFinite(read())) return undefined; } catch { return undefined; }
  return read;
}
