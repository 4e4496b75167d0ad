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
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { runGuest } from '../test/support/guest.js';
import { HostFs } from '../src/host/node/hostfs.js';
import { useNodeTranslationCache } from '../src/host/node/translation-store.js';
import { GLIBC_ROOT_PACKAGES, SIMD_ROOT_PACKAGES, busyboxStatic, debianRoot } from '../src/host/node/debian-packages.js';
import { threadCpu } from '../src/host/node/thread-cpu.js';
import { nestedCallStats } from '../src/engine/jit/hub.js';
import { setIndirectTargets } from '../src/engine/jit/region.js';

const ROOT = new URL('..', import.meta.url).pathname;
const BIN = join(ROOT, '.cache/bench-bin');
const name = process.argv[2];

function inputText(bytes: number): Uint8Array {
  const words = ['lorem', 'ipsum', 'dolor', 'sit', 'amet', 'x86', 'linux', 'webx86', 'engine', 'bench', '\n'];
  let x = 12345, s = '';
  while (s.length < bytes) { x = (x * 1103515245 + 12345) >>> 0; s += words[(x >>> 16) % words.length] + ' '; }
  return new TextEncoder().encode(s.slice(0, bytes));
}

function workload(): { argv: string[]; files?: Record<string, string | Uint8Array>; root?: string; env?: string[] } {
  if (name === 'lcg') {
    const out = join(BIN, 'lcg');
    if (!existsSync(out)) { mkdirSync(BIN, { recursive: true }); execFileSync('gcc', ['-m32', '-static', '-O2', '-o', out, join(ROOT, 'bench/src/lcg.c')]); }
    return { argv: ['/lcg'], files: { '/lcg': out } };
  }
  if (name === 'x87') {
    const out = join(BIN, 'x87');
    if (!existsSync(out)) { mkdirSync(BIN, { recursive: true }); execFileSync('gcc', ['-m32', '-static', '-O2', '-o', out, join(ROOT, 'bench/src/x87.c')]); }
    return { argv: ['/x87'], files: { '/x87': out } };
  }
  if (name === 'sha256sum') return { argv: ['/bin/busybox', 'sha256sum', '/data'], files: { '/bin/busybox': busyboxStatic(), '/data': inputText((8 << 20) * Number(process.env.JCG_SCALE ?? 1)) } };
  if (name === 'gzip') return { argv: ['/bin/busybox', 'gzip', '-6', '-n', '-c', '/data'], files: { '/bin/busybox': busyboxStatic(), '/data': inputText(10_000_000) } };
  if (name === 'xz') {
    const root = debianRoot('bench', [...GLIBC_ROOT_PACKAGES, 'xz-utils']);
    mkdirSync(join(root, 'opt/bench'), { recursive: true });
    if (!existsSync(join(root, 'opt/bench/text'))) writeFileSync(join(root, 'opt/bench/text'), inputText(10_000_000));
    return { argv: ['/usr/bin/xz', '-1', '-c', '-T1', '/opt/bench/text'], root };
  }
  if (name === 'openssl') {
    // bench/run.ts's row: sha256-586's SSSE3 code (OPENSSL_ia32cap as there).
    const root = debianRoot('progs', SIMD_ROOT_PACKAGES);
    mkdirSync(join(root, 'opt/bench'), { recursive: true });
    if (!existsSync(join(root, 'opt/bench/data4'))) writeFileSync(join(root, 'opt/bench/data4'), inputText(8 << 20).subarray(0, 4 << 20));
    return { argv: ['/usr/bin/openssl', 'dgst', '-sha256', '/opt/bench/data4'], root, env: ['OPENSSL_ia32cap=0x20007888111:0'] };
  }
  throw new Error(`jit-codegen-run: no workload ${name} (lcg, x87, sha256sum, gzip, xz, openssl)`);
}

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
const w = workload();
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
