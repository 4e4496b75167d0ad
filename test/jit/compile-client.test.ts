/**
 * The engine's side of the compile worker (src/engine/jit/compile-client.ts) against a port
 * the test answers by hand: queued regions leave hottest first, a batch answered in parts
 * attaches each part as it arrives, a queued region whose block went cold while it waited is
 * dropped (not compiled), and the host's start policy decides when the worker is
 * made (NODE_START: after 1 M hot instructions, never for a program that stays below it;
 * NODE_EAGER: when the machine is made, regions still sent only past the same bar).
 */
import { test, beforeEach, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { buildC } from '../support/build.js';
import { runGuest, runNative } from '../support/guest.js';
import { DROP_AFTER_MS, compiler, setCompilerFactory, type StartPolicy } from '../../src/engine/jit/compile-client.js';
import type { CompileDone, CompilerPort, ToCompiler } from '../../src/engine/jit/compile-service.js';
import type { Region } from '../../src/engine/jit/region.js';
import { NODE_EAGER, NODE_START, startNodeCompiler } from '../../src/host/node/compile-worker.js';
import { forgetModules } from '../../src/engine/jit/jit.js';

beforeEach(() => { compiler.reset(); forgetModules(); });
after(() => { compiler.reset(); setCompilerFactory(() => startNodeCompiler(), NODE_START); });

/** A port that records what the engine posts and is answered by the test. */
function handPort(when?: StartPolicy): { posted: ToCompiler[]; port: () => CompilerPort } {
  const posted: ToCompiler[] = [];
  let port: CompilerPort | null = null;
  setCompilerFactory(() => (port = { post: (m) => posted.push(m), onmessage: () => {}, onerror: () => {}, terminate: () => {} }), when);
  return { posted, port: () => port! };
}

const region = (entry: number): Region => ({ entry, blocks: new Map(), pages: [], count: 1 });
const ok = (id: number): CompileDone => ({ id, bytes: new Uint8Array(8), blocks: 1, ms: 1 });

test('queued regions leave hottest first; a batch answered in parts is attached part by part', () => {
  const { posted, port } = handPort();
  assert.equal(compiler.start(), 'worker');
  port().onmessage({ t: 'ready', loadMs: 1 });
  const got: [number, CompileDone][] = [];
  // Each block is still entered while it waits (its heat grows), so none is dropped as gone cold (DROP_AFTER_MS).
  let more = 0;
  const ask = (entry: number, heat: number): boolean => compiler.submit(region(entry), 0, `k${entry}`, (d) => got.push([entry, d]), () => heat + (more += 1e-6));
  // The first request goes out at once; the others wait for it, whatever their heat.
  assert.ok(ask(1, 5));
  assert.equal(posted.length, 1);
  assert.ok(ask(2, 1) && ask(3, 100) && ask(4, 50));
  assert.equal(posted.length, 1, 'a second batch was sent while the first was in flight');
  port().onmessage({ t: 'done', results: [ok(posted[0].jobs[0].id)], last: true });
  assert.deepEqual(got.map(([e]) => e), [1]);
  // Batch two: by heat, not by arrival.
  assert.equal(posted.length, 2);
  const jobs = posted[1].jobs;
  assert.deepEqual(jobs.map((j) => j.region.entry), [3, 4, 2]);
  // Its first part: region 3 is attached now, the batch is still in flight.
  port().onmessage({ t: 'done', results: [ok(jobs[0].id)], last: false });
  assert.deepEqual(got.map(([e]) => e), [1, 3]);
  assert.equal(compiler.waiting, 2);
  assert.ok(ask(5, 7));
  assert.equal(posted.length, 2, 'a batch was sent before the one in flight ended');
  // The last part answers 4; 2 got no answer and hears so; region 5 leaves in the next batch.
  port().onmessage({ t: 'done', results: [ok(jobs[1].id)], last: true });
  assert.deepEqual(got.map(([e]) => e), [1, 3, 4, 2]);
  assert.equal(got[3][1].bytes, null);
  assert.match(got[3][1].error ?? '', /no answer/);
  assert.equal(posted.length, 3);
  assert.deepEqual(posted[2].jobs.map((j) => j.region.entry), [5]);
});

test('a queued region whose block was not entered while it waited is dropped when its batch leaves, not compiled', () => {
  const { posted, port } = handPort();
  compiler.start();
  port().onmessage({ t: 'ready', loadMs: 1 });
  const got = new Map<number, CompileDone>();
  const heat = new Map<number, number>([[1, 10], [2, 10], [3, 10]]);
  const ask = (entry: number): boolean => compiler.submit(region(entry), 0, `k${entry}`, (d) => got.set(entry, d), () => heat.get(entry)!);
  assert.ok(ask(1) && ask(2) && ask(3));
  assert.deepEqual(posted[0].jobs.map((j) => j.region.entry), [1]);
  // While batch one compiles, block 3 is entered again; block 2 is not.
  heat.set(3, 20);
  const t0 = performance.now();
  while (performance.now() - t0 <= DROP_AFTER_MS) { /* wait */ }
  port().onmessage({ t: 'done', results: [ok(posted[0].jobs[0].id)], last: true });
  assert.deepEqual(posted[1].jobs.map((j) => j.region.entry), [3]);
  assert.equal(got.get(2)?.dropped, true);
  assert.equal(got.get(2)?.bytes, null);
  assert.equal(got.has(3), false, 'still compiling');
  assert.equal(compiler.dropped, 1);
  assert.equal(compiler.waiting, 1);
});

const DIR = new URL('.', import.meta.url).pathname;
const bin = buildC(join(DIR, 'spin.c'), [], ['-m32', '-static', '-O1', '-fno-pie', '-no-pie', '-Wall']);
const native = runNative([bin, '40']);

test('the start policy: Node\'s starts the worker once hot code has run 1 M instructions, a higher bar leaves it unmade', { timeout: 240_000 }, async () => {
  // spin 40 runs 8 M iterations of a 9-instruction loop: ~70 M hot instructions.
  let made = 0;
  const posted: ToCompiler[] = [];
  const counting = (f: () => CompilerPort | null) => () => { made++; return f(); };
  setCompilerFactory(counting(() => ({ post: (m) => posted.push(m), onmessage: () => {}, onerror: () => {}, terminate: () => {} })), NODE_START);
  const g = await runGuest(['/prog', '40'], { files: { '/prog': bin }, jit: 'on' });
  assert.equal(g.stdout, native.stdout, g.stderr);
  assert.equal(made, 1);
  const tl = g.jit!.timeline;
  assert.ok(tl.firstHot >= 0 && tl.compilerStart >= tl.firstHot && tl.firstSent >= tl.compilerStart, JSON.stringify(tl));
  assert.ok(posted.length > 0, 'no region was sent');

  compiler.reset();
  made = 0;
  setCompilerFactory(counting(() => { throw new Error('must not be made'); }), { afterInstructions: 1e12, afterMs: 0 });
  const h = await runGuest(['/prog', '40'], { files: { '/prog': bin }, jit: 'on' });
  assert.equal(h.stdout, native.stdout, h.stderr);
  assert.equal(made, 0);
  assert.equal(h.jit?.compiler, 'none');
  assert.equal(h.jit?.timeline.compilerStart, -1);
});

test('NODE_EAGER: the worker is made with the machine, before any code is hot; regions leave only past the policy\'s bar', { timeout: 240_000 }, async () => {
  let made = 0;
  const posted: ToCompiler[] = [];
  const counting = (f: () => CompilerPort | null) => () => { made++; return f(); };
  setCompilerFactory(counting(() => ({ post: (m) => posted.push(m), onmessage: () => {}, onerror: () => {}, terminate: () => {} })), NODE_EAGER);
  const g = await runGuest(['/prog', '40'], { files: { '/prog': bin }, jit: 'on' });
  assert.equal(g.stdout, native.stdout, g.stderr);
  assert.equal(made, 1);
  const tl = g.jit!.timeline;
  assert.ok(tl.compilerStart >= 0 && tl.firstHot >= 0 && tl.compilerStart <= tl.firstHot && tl.firstSent >= tl.firstHot, JSON.stringify(tl));
  assert.ok(posted.length > 0, 'no region was sent');

  // Made at creation, but a program below the bar sends nothing (a cold `bash -c 'echo hi; ls /'` compiles nothing, as before).
  compiler.reset();
  made = 0;
  posted.length = 0;
  setCompilerFactory(counting(() => ({ post: (m) => posted.push(m), onmessage: () => {}, onerror: () => {}, terminate: () => {} })), { ...NODE_EAGER, afterInstructions: 1e12 });
  const h = await runGuest(['/prog', '40'], { files: { '/prog': bin }, jit: 'on' });
  assert.equal(h.stdout, native.stdout, h.stderr);
  assert.equal(made, 1);
  assert.equal(h.jit?.compiler, 'worker');
  assert.equal(posted.length, 0);
  assert.equal(h.jit?.regionsSent, 0);

  // 'off' machines never make it.
  compiler.reset();
  made = 0;
  await runGuest(['/prog', '1'], { files: { '/prog': bin }, jit: 'off' });
  assert.equal(made, 0);
});

test('startAfterInstructions (the page\'s PAGE_START): the worker starts at the lower trigger, regions leave only past the bar', { timeout: 240_000 }, async () => {
  let made = 0;
  const posted: ToCompiler[] = [];
  const counting = (f: () => CompilerPort | null) => () => { made++; return f(); };
  const port = () => ({ post: (m: ToCompiler) => posted.push(m), onmessage: () => {}, onerror: () => {}, terminate: () => {} });
  // Started past 1 M hot instructions; the bar for sending is never reached.
  setCompilerFactory(counting(port), { afterInstructions: 1e12, afterMs: 0, startAfterInstructions: 1_000_000 });
  const g = await runGuest(['/prog', '40'], { files: { '/prog': bin }, jit: 'on' });
  assert.equal(g.stdout, native.stdout, g.stderr);
  assert.equal(made, 1);
  const tl = g.jit!.timeline;
  assert.ok(tl.firstHot >= 0 && tl.compilerStart >= tl.firstHot, JSON.stringify(tl));
  assert.equal(posted.length, 0);
  assert.equal(g.jit?.regionsSent, 0);

  // Neither trigger reached: nothing made (a page whose programs stay cold downloads nothing).
  compiler.reset();
  made = 0;
  setCompilerFactory(counting(port), { afterInstructions: 1e12, afterMs: 0, startAfterInstructions: 1e12 });
  const h = await runGuest(['/prog', '40'], { files: { '/prog': bin }, jit: 'on' });
  assert.equal(h.stdout, native.stdout, h.stderr);
  assert.equal(made, 0);
  assert.equal(h.jit?.compiler, 'none');
});
