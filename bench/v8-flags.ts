/**
 * V8 flags against the cost of compiling the JIT's region modules (docs/JIT.md "V8's compile
 * of region modules"): each configuration × workload runs in a process of its own
 * (bench/v8-run.ts, which sets the flags as the CLI does, from WEBX86_V8_FLAGS), the configurations interleaved round by round so that the machine's load
 * falls on all of them alike. Prints a Markdown table of medians and ranges:
 *
 *   node --import tsx bench/v8-flags.ts [ROUNDS] [WORKLOAD...]
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';

const CONFIGS: { label: string; env: Record<string, string> }[] = [
  { label: 'V8 default (Liftoff, dynamic tier-up)', env: { WEBX86_V8_FLAGS: 'off' } },
  { label: '--turbo-force-mid-tier-regalloc', env: { WEBX86_V8_FLAGS: '--turbo-force-mid-tier-regalloc' } },
  { label: '--wasm-tiering-budget=18000000 (10x)', env: { WEBX86_V8_FLAGS: '--wasm-tiering-budget=18000000' } },
];
const rounds = Number(process.argv[2] ?? 3);
const names = process.argv.length > 3 ? process.argv.slice(3) : ['python3', 'bash-loop', 'lcg', 'sha256sum'];
interface Run { wall: number; cpu: number; threads: Record<string, number>; status: number; out: string; err: string }
const runs = new Map<string, Run[]>();
const loads: number[] = [];
for (let r = 0; r < rounds; r++) {
  for (const name of names) {
    for (const c of CONFIGS) {
      loads.push(loadavg()[0]);
      const p = spawnSync('nice', ['-n', '10', process.execPath, '--import', 'tsx', new URL('./v8-run.ts', import.meta.url).pathname, name],
        { encoding: 'utf8', env: { ...process.env, ...c.env }, maxBuffer: 1 << 24 });
      const line = p.stdout.trim().split('\n').pop() ?? '';
      let run: Run;
      try { run = JSON.parse(line) as Run; } catch { throw new Error(`v8-flags: ${c.label} ${name}: no result (exit ${p.status}): ${p.stderr.slice(-500)}`); }
      process.stderr.write(`${r} ${name} ${c.label}: ${line}\n`);
      const k = `${name}\t${c.label}`;
      runs.set(k, [...runs.get(k) ?? [], run]);
    }
  }
}
const med = (a: number[]): number => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]; };
const fmt = (a: number[]): string => `${(med(a) / 1000).toFixed(2)} (${(Math.min(...a) / 1000).toFixed(2)}-${(Math.max(...a) / 1000).toFixed(2)})`;
console.log(`load average ${Math.min(...loads).toFixed(0)}-${Math.max(...loads).toFixed(0)}, ${rounds} rounds; seconds, median (min-max)\n`);
console.log('| workload | V8 flags | process CPU | engine thread | V8 pool threads | compile worker + libuv | wall | same output |');
console.log('|---|---|---:|---:|---:|---:|---:|---|');
for (const name of names) {
  const want = runs.get(`${name}\t${CONFIGS[0].label}`)![0].out;
  for (const c of CONFIGS) {
    const rs = runs.get(`${name}\t${c.label}`)!;
    console.log(`| ${name} | ${c.label} | ${fmt(rs.map((x) => x.cpu))} | ${fmt(rs.map((x) => x.threads.engine ?? 0))} | ${fmt(rs.map((x) => x.threads.v8pool ?? 0))} | ${fmt(rs.map((x) => (x.threads.later ?? 0) + (x.threads.other ?? 0)))} | ${fmt(rs.map((x) => x.wall))} | ${rs.every((x) => x.out === want) ? 'yes' : 'NO'} |`);
  }
}
