/**
 * Warm runs of an integer row in one process, as bench/run.ts's "JIT warm" column runs them
 * (issue 9, session 12, helper intcg): one cold JIT run fills a translation cache, then
 * JCG_RUNS (3) warm runs each start with no module in memory and attach from that cache.
 *
 *   node --import tsx bench/jit-warm.ts sha256sum|gzip|xz|lcg|bash|sh|python3
 *
 * Per warm run one JSON line: wall and engine-thread CPU ms, instructions run in all and
 * interpreted (the part before the regions attach and what they leave), the JIT's own time on
 * the engine's thread (attaching from disk included), and its timeline (ms since the machine's
 * JIT was made). The split says what of a warm run is fixed cost and what is the hot loop.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runGuest } from '../test/support/guest.js';
import { HostFs } from '../src/host/node/hostfs.js';
import { useNodeTranslationCache } from '../src/host/node/translation-store.js';
import { forgetModules } from '../src/engine/jit/jit.js';
import { threadCpu } from '../src/host/node/thread-cpu.js';
import { workload } from './int-rows.js';
import { setPltCalls } from '../src/engine/jit/region.js';

// WEBX86_JIT_PLT=off: PLT stubs stay regions of their own (region.ts pltStub), for A/B runs in the same minutes.
if (process.env.WEBX86_JIT_PLT === 'off') setPltCalls(false);

const name = process.argv[2];
const cpuMs = threadCpu() ?? ((): number => { throw new Error('per-thread CPU time needs Linux /proc/thread-self/schedstat'); });
const w = workload(name);
const run = () => runGuest(w.argv, w.root
  ? { root: new HostFs(w.root), env: ['PATH=/usr/bin:/bin', 'HOME=/root', 'LC_ALL=C', ...w.env ?? []], jit: 'on', cwd: '/tmp' }
  : { files: w.files!, jit: 'on' });
const dir = mkdtempSync(join(tmpdir(), 'webx86-jit-warm-'));
let store = useNodeTranslationCache(dir);
await run();
await store?.flush();
for (let k = 0; k < Number(process.env.JCG_RUNS ?? 3); k++) {
  forgetModules();
  store = useNodeTranslationCache(dir);
  const m0 = cpuMs(), t0 = performance.now();
  const g = await run();
  const wall = performance.now() - t0, engine = cpuMs() - m0;
  await store?.flush();
  const j = g.jit!;
  process.stdout.write(`${JSON.stringify({
    name, wall: Math.round(wall), engine: Math.round(engine), icount: g.icount, interpreted: (g.icount ?? 0) - j.instructions,
    jitMs: Math.round(j.engineMs), diskMs: Math.round(j.diskMs), disk: j.regionsFromDisk, compiled: j.regionsCompiled, hops: j.chained,
    timeline: Object.fromEntries(Object.entries(j.timeline).map(([k2, v]) => [k2, Math.round(v)])),
  })}\n`);
}
useNodeTranslationCache(null);
rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
process.exit(0);
