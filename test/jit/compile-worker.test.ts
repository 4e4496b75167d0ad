/**
 * The JIT's compile worker (src/engine/jit/compile-client.ts, compile-service.ts; the Node
 * host's worker thread src/host/node/compile-worker.ts): compiles never block the guest.
 * The real worker is wrapped by ports that hold its answers, swallow requests or kill it,
 * so the tests see what the engine does meanwhile: it keeps interpreting, attaches regions
 * only once the answer is delivered, survives a worker that never answers or dies (output
 * equal to native, translation off with a warning), and compiles in its own thread when no
 * worker can be made.
 */
import { test, beforeEach, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { buildC } from '../support/build.js';
import { CaptureFile, InputFile, runGuest, runNative } from '../support/guest.js';
import { createMachine } from '../../src/engine/machine.js';
import { compiler, setCompilerFactory } from '../../src/engine/jit/compile-client.js';
import type { CompilerPort, FromCompiler } from '../../src/engine/jit/compile-service.js';
import { startNodeCompiler } from '../../src/host/node/compile-worker.js';
import { forgetModules } from '../../src/engine/jit/jit.js';

const DIR = new URL('.', import.meta.url).pathname;
const bin = buildC(join(DIR, 'spin.c'), [], ['-m32', '-static', '-O1', '-fno-pie', '-no-pie', '-Wall']);
const ROUNDS = '150';
const native = runNative([bin, ROUNDS]);
/** Rounds for the dying-worker case: the guest must outlive the worker's exit notice (a run of ~0.7 s under load once ended before it and printed no warning). */
const LONG_ROUNDS = '600';
const nativeLong = runNative([bin, LONG_ROUNDS]);

// Each test starts with no worker and no compiled module (the realm's cache would otherwise serve the same code).
beforeEach(() => { compiler.reset(); forgetModules(); });
after(() => setCompilerFactory(() => startNodeCompiler()));

/** A port in front of a real compile worker; `filter` sees each message from it and decides whether it goes on now. */
function wrapped(filter: (m: FromCompiler, deliver: () => void) => boolean, onPost?: (real: CompilerPort) => void): { port: CompilerPort; real: CompilerPort } {
  const real = startNodeCompiler();
  const port: CompilerPort = {
    post: (m) => { real.post(m); onPost?.(real); },
    onmessage: () => {},
    onerror: () => {},
    terminate: () => real.terminate(),
  };
  real.onmessage = (m) => { if (filter(m, () => port.onmessage(m))) port.onmessage(m); };
  real.onerror = (msg) => port.onerror(msg);
  return { port, real };
}

test('the guest keeps running while its regions compile; the first region attaches only once the answer is delivered', { timeout: 240_000 }, async () => {
  let held: (() => void) | null = null;
  let heldAt = -1;
  setCompilerFactory(() => wrapped((m, deliver) => {
    if (m.t === 'done' && held === null && heldAt < 0) { held = deliver; return false; }
    return true;
  }).port);
  const warnings: string[] = [];
  const { kernel } = await createMachine({ jit: 'on', debug: (m) => warnings.push(m) });
  await kernel.vfs.writeFile('/prog', (await import('node:fs')).readFileSync(bin), 0o755);
  const out = new CaptureFile(), err = new CaptureFile();
  const p = await kernel.spawn('/prog', { argv: ['/prog', ROUNDS], env: [], cwd: '/', stdio: [new InputFile(new Uint8Array()), out, err] });
  assert.notEqual(typeof p, 'number');
  const dots = () => out.text().split('').filter((c) => c === '.').length;
  const jit = kernel.jit!;
  let attachedEarly = false;
  let dotsWhileHeld = 0;
  // The longest the engine's thread went without yielding to the event loop (it yields every ~12 ms
  // between slices, scheduler.ts): binaryen loaded in this thread made it 0.55-1.1 s.
  let last = performance.now(), maxGap = 0;
  const watch = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
    if (held !== null && heldAt < 0) heldAt = dots();
    if (held !== null) {
      if (jit.stats.entries > 0 || jit.stats.regionsCompiled > 0) attachedEarly = true;
      dotsWhileHeld = dots() - heldAt;
      // Hold the answer until the guest has visibly run on, interpreted.
      if (dotsWhileHeld >= 5) { const f = held; held = null; f(); }
    }
  }, 5);
  try { await kernel.sched.run(); } finally { clearInterval(watch); }
  const s = jit.snapshot();
  assert.equal(out.text(), native.stdout, err.text());
  assert.ok(heldAt >= 0, `the worker never answered: ${JSON.stringify(s)}`);
  assert.equal(attachedEarly, false, 'a region ran before its answer was delivered');
  assert.ok(dotsWhileHeld >= 5, `the guest printed ${dotsWhileHeld} dots while the answer was held`);
  assert.equal(s.compiler, 'worker');
  assert.ok(s.regionsCompiled + s.regionsReused > 0 && s.entries > 0 && s.instructions > 0, JSON.stringify(s));
  assert.ok(maxGap < 500, `the engine's thread was blocked for ${maxGap.toFixed(0)} ms`);
});

test('a worker that never answers does not stall the guest', { timeout: 240_000 }, async () => {
  let posts = 0;
  setCompilerFactory(() => ({ post: () => { posts++; }, onmessage: () => {}, onerror: () => {}, terminate: () => {} }));
  const g = await runGuest(['/prog', ROUNDS], { files: { '/prog': bin }, jit: 'on' });
  assert.equal(g.stdout, native.stdout, g.stderr);
  assert.ok(posts > 0, 'no region was sent');
  assert.equal(g.jit?.compiler, 'worker');
  assert.ok((g.jit?.regionsSent ?? 0) > 0 && g.jit?.entries === 0, JSON.stringify(g.jit));
  // The engine's thread spent next to nothing on translation: it never waited for an answer.
  assert.ok((g.jit?.engineMs ?? Infinity) < 250, `engine thread in JIT work: ${g.jit?.engineMs} ms`);
});

test('a worker that dies after it started: translation turns off with a warning, the program runs on interpreted', { timeout: 240_000 }, async () => {
  let killed = false;
  // The worker is terminated right after the first batch reaches it (after it said ready: the answer is never sent).
  setCompilerFactory(() => {
    let ready = false;
    const w = wrapped((m) => { if (m.t === 'ready') ready = true; return true; }, (real) => { if (!killed) { killed = true; const kill = () => (ready ? real.terminate() : setTimeout(kill, 5)); kill(); } });
    // Its exit reaches the engine as onerror (compile-worker.ts 'exit').
    return w.port;
  });
  const g = await runGuest(['/prog', LONG_ROUNDS], { files: { '/prog': bin }, jit: 'on' });
  assert.equal(g.stdout, nativeLong.stdout, g.stderr);
  assert.ok(killed);
  assert.equal(g.jit?.compiler, 'failed', JSON.stringify(g.jit));
  assert.match(g.jit?.compilerError ?? '', /exited/);
  assert.ok(g.warnings.some((w) => /translation off/.test(w)), g.warnings.join('\n'));
});

test('no worker can be made: regions compile in the engine thread', { timeout: 240_000 }, async () => {
  setCompilerFactory(() => { throw new Error('no workers here'); });
  const g = await runGuest(['/prog', ROUNDS], { files: { '/prog': bin }, jit: 'on' });
  assert.equal(g.stdout, native.stdout, g.stderr);
  assert.equal(g.jit?.compiler, 'inthread', JSON.stringify(g.jit));
  assert.ok((g.jit?.regionsCompiled ?? 0) + (g.jit?.regionsReused ?? 0) > 0 && (g.jit?.entries ?? 0) > 0, JSON.stringify(g.jit));
});

test('a worker that fails before it is ready (its script does not load): the engine compiles in its own thread', { timeout: 240_000 }, async () => {
  setCompilerFactory(() => startNodeCompiler(new URL('./no-such-compile-worker.ts', import.meta.url).href));
  const g = await runGuest(['/prog', ROUNDS], { files: { '/prog': bin }, jit: 'on' });
  assert.equal(g.stdout, native.stdout, g.stderr);
  assert.equal(g.jit?.compiler, 'inthread', JSON.stringify(g.jit));
  assert.ok((g.jit?.entries ?? 0) > 0, JSON.stringify(g.jit));
});
