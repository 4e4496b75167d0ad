/**
 * One JIT run of an integer row (the inputs of bench/run.ts's rows of those names), for
 * measuring the translated code itself (issue 9, helper jit-codegen):
 *
 *   node --import tsx bench/jit-codegen-run.ts lcg|x87|sha256sum|gzip|xz
 *
 * Prints one JSON line: wall ms, process CPU ms, the engine thread's CPU ms, a hash of stdout
 * and the JIT's counters (entries, hub hops, budget exits, interpreter fallbacks). Run twice
 * with the same JCG_CACHE=DIR for a warm translation cache. JCG_DUMP=DIR keeps every module.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runGuest } from '../test/support/guest.js';
import { HostFs } from '../src/host/node/hostfs.js';
import { useNodeTranslationCache } from '../src/host/node/translation-store.js';
import { workload } from './int-rows.js';
import { threadCpu } from '../src/host/node/thread-cpu.js';
import { nestedCallStats } from '../src/engine/jit/hub.js';
import { setIndirectTargets } from '../src/engine/jit/region.js';

const name = process.argv[2];

const dump = process.env.JCG_DUMP;
if (dump) {
  mkdirSync(dump, { recursive: true });
  let n = 0;
  const Mod = WebAssembly.Module;
  // A Proxy keeps the constructor's statics (customSections: codegen.ts moduleEntries) and instanceof.
  (WebAssembly as { Module: unknown }).Module = new Proxy(Mod, {
    construct(t, args: [Uint8Array]) { writeFileSync(join(dump, `${n++}.wasm`), args[0]); return Reflect.construct(t, args) as object; },
  });
  const compile = WebAssembly.compile.bind(WebAssembly);
  WebAssembly.compile = (b: Parameters<typeof compile>[0]) => { writeFileSync(join(dump, `${n++}.wasm`), b as Uint8Array); return compile(b); };
}

/** This (the engine's) thread's CPU time, ms (src/host/node/thread-cpu.ts). */
const mainThreadCpuMs = threadCpu() ?? ((): number => { throw new Error('per-thread CPU time needs Linux /proc/thread-self/schedstat'); });

// WEBX86_JIT_INDIRECT=on|off: indirect jumps take their seen targets into the region, or always leave (region.ts setIndirectTargets; off by default).
if (process.env.WEBX86_JIT_INDIRECT) setIndirectTargets(process.env.WEBX86_JIT_INDIRECT === 'on');
const w = workload(name);
const store = useNodeTranslationCache(process.env.JCG_CACHE ?? null);
const c0 = process.cpuUsage(), m0 = mainThreadCpuMs(), t0 = performance.now();
const g = await runGuest(w.argv, w.root
  ? { root: new HostFs(w.root), env: ['PATH=/usr/bin:/bin', 'HOME=/root', 'LC_ALL=C', ...w.env ?? []], jit: (process.env.WEBX86_JIT as 'on' | 'force' | undefined) ?? 'on', cwd: '/tmp' }
  : { files: w.files!, jit: (process.env.WEBX86_JIT as 'on' | 'force' | undefined) ?? 'on' });
const wall = performance.now() - t0;
const cpu = process.cpuUsage(c0);
await store?.flush();
const j = g.jit;
process.stdout.write(`${JSON.stringify({
  name, wall: Math.round(wall), cpu: Math.round((cpu.user + cpu.system) / 1000), engine: Math.round(mainThreadCpuMs() - m0), status: g.status,
  out: createHash('sha256').update(g.stdoutBytes ?? new Uint8Array()).digest('hex').slice(0, 16),
  jit: j ? { compiled: j.regionsCompiled, disk: j.regionsFromDisk, entries: j.entries, bounced: j.bounced, chained: j.chained, budgetExits: j.budgetExits, nested: nestedCallStats(), insns: j.instructions, icount: g.icount } : null,
})}\n`);
// JCG_STATS=1: the whole JitStats too (governor, probes, untranslated exits, interpreter calls).
if (process.env.JCG_STATS && j) process.stdout.write(`${JSON.stringify(j)}\n`);
process.exit(0);
