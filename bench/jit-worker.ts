/**
 * The JIT's compile worker and governor, measured (docs/JIT.md "Compile worker"): each
 * workload of bench/jit-workloads.ts in a fresh process (bench/jit-run.ts) three ways —
 * interpreter only, JIT compiling in the engine's thread (WEBX86_JIT_WORKER=off), JIT with
 * the compile worker — and a Markdown table of wall time, engine-thread CPU, whole-process
 * CPU, the longest stall of the engine's thread and peak RSS.
 *
 *   node --import tsx bench/jit-worker.ts [WORKLOAD...]
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { JIT_BENCH_WORKLOADS } from './jit-workloads.js';

const ROOT = new URL('..', import.meta.url).pathname;
const CONFIGS = ['off', 'inthread', 'worker'] as const;
interface Run { wall: number; cpu: number; mainCpu: number; maxGap: number; rssMB: number; status: number; out: string; err: string; jit: { regionsCompiled: number; compileMs: number; engineMs: number; instructions: number; deferred: number } | null }

function once(config: string, name: string): Run {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/jit-run.ts', config, name], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26 });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try { return JSON.parse(line) as Run; } catch { throw new Error(`jit-run ${config} ${name} failed: ${r.stderr.slice(-2000)}`); }
}

export async function jitWorkerSection(only: string[] = []): Promise<string> {
  const load0 = loadavg()[0];
  const rows: string[] = [];
  for (const w of JIT_BENCH_WORKLOADS.filter((x) => only.length === 0 || only.includes(x.name))) {
    const runs = Object.fromEntries(CONFIGS.map((c) => [c, once(c, w.name)])) as Record<(typeof CONFIGS)[number], Run>;
    const same = runs.inthread.out === runs.off.out && runs.worker.out === runs.off.out && CONFIGS.every((c) => runs[c].status === runs.off.status);
    const cell = (r: Run) => `${(r.wall / 1000).toFixed(1)} / ${(r.mainCpu / 1000).toFixed(1)} / ${(r.cpu / 1000).toFixed(1)} s, ${r.maxGap.toFixed(0)} ms, ${r.rssMB.toFixed(0)} MB`;
    const jit = (r: Run) => r.jit ? `${r.jit.regionsCompiled} / ${(r.jit.compileMs / 1000).toFixed(1)} s / ${(r.jit.engineMs / 1000).toFixed(2)} s` : '-';
    const row = `| ${w.label}${same ? '' : ' (OUTPUT DIFFERS)'} | ${cell(runs.off)} | ${cell(runs.inthread)} | ${jit(runs.inthread)} | ${cell(runs.worker)} | ${jit(runs.worker)} |`;
    process.stderr.write(`${row}\n`);
    rows.push(row);
  }
  return `## JIT: compile worker and governor (Node)

${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? '?'} (${cpus().length} cores), Node ${process.version}, load average ${load0.toFixed(1)} → ${loadavg()[0].toFixed(1)};
one run per cell, each in a fresh process (\`node --import tsx bench/jit-worker.ts\`), root 'jit-cc1' (gcc's root + libpng-dev, sed, grep).
Cells: wall / engine-thread CPU / whole-process CPU (the compile worker's thread included), the engine thread's longest stall
(the longest gap of a 5 ms interval timer; the scheduler yields every ~12 ms), peak RSS. JIT cells: regions compiled /
binaryen time (wall, in whichever thread) / the engine thread's own JIT work.

| workload | interpreter only | JIT in the engine's thread | its JIT | JIT with compile worker | its JIT |
|---|---|---|---|---|---|
${rows.join('\n')}
`;
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(await jitWorkerSection(process.argv.slice(2)));
