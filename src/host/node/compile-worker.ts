/**
 * The JIT's compile worker in Node: a worker_threads thread running compile-worker-main.ts,
 * so binaryen's load (0.55-1.1 s, binaryen.ts) and every region's compile leave the engine's
 * thread (docs/JIT.md "Compile worker").
 *
 * The sources are TypeScript run through tsx. tsx's hooks are registered per thread (the
 * CLI calls `register()` from tsx/esm/api, which a worker does not inherit), so the worker
 * starts from a two-line bootstrap that registers them and imports the entry. The worker is
 * unref'd: an engine that has finished exits even while a batch compiles.
 */
import { Worker } from 'node:worker_threads';
import type { CompilerPort, FromCompiler, ToCompiler } from '../../engine/jit/compile-service.js';
import { setCompilerFactory } from '../../engine/jit/compile-client.js';

const ENTRY = new URL('./compile-worker-main.ts', import.meta.url).href;

/** Start a compile worker thread (its binaryen load begins at once). */
export function startNodeCompiler(entry = ENTRY): CompilerPort {
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  // execArgv [] : no inherited flags (tsx registered twice, --inspect ports, heap limits meant for the engine).
  const w = new Worker(boot, { eval: true, execArgv: [], name: 'webx86-jit-compiler' });
  const port: CompilerPort = {
    post: (m: ToCompiler) => w.postMessage(m),
    onmessage: () => {},
    onerror: () => {},
    terminate: () => { void w.terminate(); },
  };
  w.on('message', (m: FromCompiler) => port.onmessage(m));
  w.on('error', (e) => port.onerror(`compile worker error: ${e instanceof Error ? e.message : String(e)}`));
  w.on('exit', (code) => port.onerror(`compile worker exited (code ${code})`));
  w.on('messageerror', (e) => port.onerror(`compile worker message error: ${String(e)}`));
  // After the listeners: adding a 'message' listener refs the worker again.
  w.unref();
  return port;
}

/**
 * Make the engine's JIT compile in a worker thread (call once, with useNodeBinaryen()).
 * WEBX86_JIT_WORKER=off keeps compiles in the engine's thread (to compare; docs/JIT.md).
 */
export function useNodeCompileWorker(): void {
  setCompilerFactory(process.env.WEBX86_JIT_WORKER === 'off' ? null : () => startNodeCompiler());
}
