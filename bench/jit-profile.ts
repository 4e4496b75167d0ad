/**
 * Where a warm JIT run's engine time goes (issue 9, the interpreter-style workloads):
 *
 *   [WEBX86_JIT_ENTRY_POINTS=off] [WEBX86_JIT_CALLS=off] [WEBX86_JIT_INDIRECT=on|off] node --import tsx bench/jit-profile.ts python3|python3-start|bash|sh [--cold]
 *
 * Runs the workload once to fill a translation cache of its own (WEBX86_CACHE_DIR, else a
 * fresh temporary directory; --cold skips this run and measures the first), then measures the
 * next run in the same process (so its regions come from the realm's module cache, and V8
 * has already optimised the interpreter's JS) with V8's sampling profiler on the engine's thread (node:inspector) and prints one
 * JSON line: the engine thread's CPU (/proc, Linux), guest instructions in all and run
 * translated, region entries from the run loop (each a return to JS), hub hops, and the
 * profile's self time by part — the interpreter (cpu/, ops/, isa/), Wasm (regions and the
 * hub), the JIT's JS (jit/), the kernel (linux/), GC, the rest (module loading, I/O, idle).
 * The profile slows the JS parts more than Wasm, so read its split as shares, not times.
 * WEBX86_PROFILE_TOP=N also prints the N functions with the most self time and the JIT's
 * untranslated exits and interpreter calls; WEBX86_PROFILE_OUT=FILE keeps the profile
 * (a .cpuprofile: Chrome's DevTools, or a script walking its nodes for callers).
 * WEBX86_JIT_NAMES=1 names each region's function after its entry (`r425c040`, codegen.ts),
 * so the top list and the profile attribute Wasm time by region; the hub's functions stay
 * wasm-function[0] (run) and [2] (call) of one module.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from 'node:inspector/promises';
import { runGuest } from '../test/support/guest.js';
import { HostFs } from '../src/host/node/hostfs.js';
import { GLIBC_ROOT_PACKAGES, busyboxStatic, debianRoot } from '../src/host/node/debian-packages.js';
import { nodeTranslationStore, useNodeTranslationCache } from '../src/host/node/translation-store.js';
import { binaryTrees } from './binary-trees.js';
import { chainedHops, nestedCallStats, setEntryPoints, setNestedCalls } from '../src/engine/jit/hub.js';
import { setCallsOut, setIndirectTargets } from '../src/engine/jit/region.js';
import { threadCpu } from '../src/host/node/thread-cpu.js';

const LOOP = 'i=0; s=0; while (( i < 20000 )); do s=$((s+i*3)); i=$((i+1)); done; echo $s';
const SH_LOOP = 'i=0; s=0; while [ $i -lt 20000 ]; do s=$((s+i*3)); i=$((i+1)); done; echo $s';
/** The rows of bench/run.ts with these names, and python3's start alone. */
const WORKLOADS: Record<string, { argv: string[]; root: boolean }> = {
  python3: { argv: ['/usr/bin/python3', '/opt/bench/binary-trees.py'], root: true },
  'python3-start': { argv: ['/usr/bin/python3', '-c', 'pass'], root: true },
  bash: { argv: ['/bin/bash', '-c', LOOP], root: true },
  sh: { argv: ['/bin/busybox', 'sh', '-c', SH_LOOP], root: false },
};

const [name, flag] = process.argv.slice(2);
const w = WORKLOADS[name];
if (w === undefined) throw new Error(`jit-profile: the workload is one of ${Object.keys(WORKLOADS).join(', ')}, not ${name}`);
const root = debianRoot('bench', [...GLIBC_ROOT_PACKAGES, 'xz-utils']);
mkdirSync(join(root, 'opt/bench'), { recursive: true });
// Renamed into place: the root is shared, and a rewrite in place can be read half-written by another process (bench/run.ts).
writeFileSync(join(root, `opt/bench/binary-trees.py.${process.pid}.tmp`), binaryTrees(12));
renameSync(join(root, `opt/bench/binary-trees.py.${process.pid}.tmp`), join(root, 'opt/bench/binary-trees.py'));
const dir = process.env.WEBX86_CACHE_DIR ?? mkdtempSync(join(tmpdir(), 'webx86-jit-profile-'));
useNodeTranslationCache(join(dir, 'profile'));

const ENV = ['PATH=/usr/bin:/bin', 'HOME=/root', 'LC_ALL=C', 'PYTHONDONTWRITEBYTECODE=1'];
const run = () => runGuest(w.argv, w.root
  ? { root: new HostFs(root), env: ENV, jit: 'on', cwd: '/tmp' }
  : { files: { '/bin/busybox': busyboxStatic() }, jit: 'on' });

/** This (the engine's) thread's CPU time, ms (src/host/node/thread-cpu.ts). */
const threadCpuMs = threadCpu() ?? ((): number => { throw new Error('per-thread CPU time needs Linux /proc/thread-self/schedstat'); });

// WEBX86_JIT_ENTRY_POINTS=off: regions entered at their entry only (hub.ts "Entry points"), to compare.
if (process.env.WEBX86_JIT_ENTRY_POINTS === 'off') setEntryPoints(false);
// WEBX86_JIT_CALLS=off: calls out of a region leave to the hub instead of nesting (hub.ts `call`), to compare.
if (process.env.WEBX86_JIT_CALLS === 'off') { setNestedCalls(false); setCallsOut(false); }
// WEBX86_JIT_INDIRECT=on|off: indirect jumps take their seen targets into the region, or always leave (region.ts setIndirectTargets; off by default).
if (process.env.WEBX86_JIT_INDIRECT) setIndirectTargets(process.env.WEBX86_JIT_INDIRECT === 'on');
if (flag !== '--cold') {
  await run();
  // The measured run gets a store of its own over the same directory, as a new process (and bench/run.ts's warm run) would.
  await nodeTranslationStore?.flush();
  useNodeTranslationCache(join(dir, 'profile'));
}
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 500 });
await session.post('Profiler.start');
const m0 = threadCpuMs(), h0 = chainedHops(), c0 = nestedCallStats();
const g = await run();
const mainCpu = threadCpuMs() - m0;
const { profile } = await session.post('Profiler.stop');
session.disconnect();
// WEBX86_PROFILE_OUT=FILE: the profile itself (a .cpuprofile for Chrome's DevTools).
if (process.env.WEBX86_PROFILE_OUT) writeFileSync(process.env.WEBX86_PROFILE_OUT, JSON.stringify(profile));

/** The part of the engine a sampled frame belongs to, by its script's path. */
function part(url: string, fn: string): string {
  if (url.startsWith('wasm')) return 'wasm';
  if (/\/engine\/(cpu|ops|isa)\//.test(url)) return 'interpreter';
  if (url.includes('/engine/jit/')) return 'jit-js';
  if (url.includes('/engine/linux/')) return 'kernel';
  if (fn === '(garbage collector)') return 'gc';
  if (fn === '(idle)') return 'idle';
  return 'other';
}
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<string, number>();
let total = 0;
profile.samples!.forEach((id, k) => {
  const n = nodes.get(id)!;
  const dt = profile.timeDeltas![k] ?? 0;
  const p = part(n.callFrame.url, n.callFrame.functionName);
  self.set(p, (self.get(p) ?? 0) + dt);
  total += dt;
});
const fnSelf = new Map<string, number>();
profile.samples!.forEach((id, k) => {
  const n = nodes.get(id)!;
  const key = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.replace(/^.*\/src\//, '')}:${n.callFrame.lineNumber}`;
  fnSelf.set(key, (fnSelf.get(key) ?? 0) + (profile.timeDeltas![k] ?? 0));
});
const shares = Object.fromEntries([...self].sort((a, b) => b[1] - a[1]).map(([p, t]) => [p, `${(100 * t / total).toFixed(1)}%`]));
const j = g.jit!;
process.stdout.write(`${JSON.stringify({
  name, status: g.status, mainCpu, instructions: g.icount, translated: j.instructions,
  interpreted: (g.icount ?? 0) - j.instructions, entries: j.entries, hops: j.chained - h0, entryPoints: j.entryPoints,
  nestedCalls: j.nestedCalls - c0.calls, nestedReturns: j.nestedReturns - c0.returns,
  budgetExits: j.budgetExits, bounced: j.bounced,
  fromDisk: j.regionsFromDisk, reused: j.regionsReused, compiled: j.regionsCompiled, deferred: j.deferred, probes: j.probes,
  engineMs: Math.round(j.engineMs), diskMs: Math.round(j.diskMs), refused: j.governor.refused, refusedDisk: j.governor.refusedDisk, costMs: Math.round(j.governor.costMs), shares,
})}\n`);
// WEBX86_PROFILE_TOP=N: the N functions with the most self time, and the JIT's untranslated exits and interpreter calls.
const top = Number(process.env.WEBX86_PROFILE_TOP ?? 0);
if (top > 0) {
  for (const [f, t] of [...fnSelf].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`${(100 * t / total).toFixed(1).padStart(5)}%  ${f}\n`);
  process.stdout.write(`untranslated ${JSON.stringify(j.untranslated)}\ninterpCalls ${JSON.stringify(j.interpCalls)}\n`);
}
// A directory this run made for itself goes with it (its records help no later run).
await nodeTranslationStore?.flush();
if (process.env.WEBX86_CACHE_DIR === undefined) rmSync(dir, { recursive: true, force: true });
process.exit(0);
