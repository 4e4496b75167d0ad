/**
 * What one region costs to compile, part by part (issue 9: the compile cost per region rose from
 * 0.59 ms in session 6 to 2-3 ms in session 7, docs/BENCHMARKS.md). Two steps:
 *
 *   node --import tsx bench/jit-compile-cost.ts capture WORKLOAD FILE
 *     runs a bench/jit-workloads.ts row with the JIT on and keeps every region the engine sends
 *     to its compile worker (v8.serialize of the CompileJob list), then
 *   node --import tsx bench/jit-compile-cost.ts measure FILE [REPEAT]
 *     compiles them again in this thread with binaryen (codegen.ts generate) and prints one JSON
 *     line: regions, blocks and instructions per region, this thread's CPU for generate (ms per
 *     region), module bytes, and V8's cost of the bytes (new WebAssembly.Module: validation and,
 *     with V8's defaults, lazy compilation; then each function compiled by a call of `f` is not
 *     measured here: JCC_DUMP=DIR writes every module there for bench/v8-compile-regions.ts).
 *
 * A single thread on an otherwise idle core measures the compile worker's work without the
 * engine competing for the core; run it under `nice` on a loaded machine and read CPU, not wall.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { serialize, deserialize } from 'node:v8';
import { JIT_BENCH_ENV, jitBenchWorkload } from './jit-workloads.js';
import { threadCpu } from '../src/host/node/thread-cpu.js';
import type { CompileJob } from '../src/engine/jit/compile-service.js';

const [step, a, b] = process.argv.slice(2);
const cpu = threadCpu() ?? ((): number => performance.now());

if (step === 'capture') {
  const { setCompilerFactory } = await import('../src/engine/jit/compile-client.js');
  const { startNodeCompiler, NODE_START } = await import('../src/host/node/compile-worker.js');
  const { runGuest } = await import('../test/support/guest.js');
  const { HostFs } = await import('../src/host/node/hostfs.js');
  const jobs: CompileJob[] = [];
  // After guest.ts's useNodeCompileWorker: the same worker, with every batch recorded on its way.
  setCompilerFactory(() => {
    const port = startNodeCompiler();
    const post = port.post.bind(port);
    port.post = (m) => { jobs.push(...m.jobs); post(m); };
    return port;
  }, NODE_START);
  const found = jitBenchWorkload(a);
  if (!found || !b) throw new Error('jit-compile-cost: capture WORKLOAD FILE (a bench/jit-workloads.ts name)');
  const g = await runGuest(found.w.argv, { root: new HostFs(found.root), env: JIT_BENCH_ENV, jit: 'on', cwd: '/tmp' });
  writeFileSync(b, serialize(jobs));
  process.stdout.write(`${JSON.stringify({ workload: a, status: g.status, regions: jobs.length, jit: g.jit === undefined ? null : { compileMs: g.jit.compileMs, regionsCompiled: g.jit.regionsCompiled } })}\n`);
  process.exit(0);
} else if (step === 'measure') {
  const { loadBinaryenNode } = await import('../src/host/node/binaryen-load.js');
  const { generate } = await import('../src/engine/jit/codegen.js');
  const bn = await loadBinaryenNode();
  const jobs = deserialize(readFileSync(a)) as CompileJob[];
  const repeat = Number(b ?? 1);
  let blocks = 0, insns = 0, bytes = 0, failed = 0, gen = 0, v8 = 0;
  const per: number[] = [];
  // One warm-up pass (binaryen's and codegen's JS reach V8's optimising tier), then measured ones.
  for (let pass = -1; pass < repeat; pass++) {
    for (const j of jobs) {
      const c0 = cpu();
      let out: Uint8Array;
      try { out = generate(bn, j.region, j.permBase).bytes; } catch { if (pass === 0) failed++; continue; }
      const c1 = cpu();
      new WebAssembly.Module(out);
      const c2 = cpu();
      if (pass < 0) continue;
      gen += c1 - c0; v8 += c2 - c1; per.push(c1 - c0);
      if (pass === 0) {
        blocks += j.region.blocks.size; insns += j.region.count; bytes += out.length;
        if (process.env.JCC_DUMP) writeFileSync(`${process.env.JCC_DUMP}/${j.id}.wasm`, out);
      }
    }
  }
  const n = jobs.length - failed, runs = per.length;
  per.sort((x, y) => x - y);
  process.stdout.write(`${JSON.stringify({
    regions: jobs.length, failed, blocksPerRegion: +(blocks / n).toFixed(1), insnsPerRegion: +(insns / n).toFixed(1),
    bytesPerRegion: Math.round(bytes / n), generateMsPerRegion: +(gen / runs).toFixed(3), medianMs: +per[runs >> 1].toFixed(3),
    p90Ms: +per[Math.floor(runs * 0.9)].toFixed(3), v8ModuleMsPerRegion: +(v8 / runs).toFixed(3), usPerInsn: +(1000 * gen / runs / (insns / n)).toFixed(2),
  })}\n`);
} else {
  throw new Error('jit-compile-cost: capture WORKLOAD FILE | measure FILE [REPEAT]');
}
