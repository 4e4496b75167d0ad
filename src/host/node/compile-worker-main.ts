/**
 * The Node compile worker's entry (a worker_threads thread, started by compile-worker.ts):
 * binaryen is loaded here with the host's loader (binaryen-load.ts: V8's code cache kept across
 * runs) and regions are compiled by the engine's own service (engine/jit/compile-service.ts).
 */
import { parentPort } from 'node:worker_threads';
import { serveCompiles, type ToCompiler } from '../../engine/jit/compile-service.js';
import { loadBinaryenNode } from './binaryen-load.js';
import { threadCpu } from './thread-cpu.js';

const port = parentPort;
if (port === null) throw new Error('compile-worker-main.ts runs as a worker thread (src/host/node/compile-worker.ts starts it)');
const handle = serveCompiles(loadBinaryenNode, (m, transfer) => port.postMessage(m, transfer), threadCpu());
port.on('message', (m: ToCompiler) => handle(m));
