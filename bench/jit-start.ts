/**
 * The JIT's first-run fixed cost through the real CLI: `webx86 run` of short programs with an
 * empty translation cache (WEBX86_JIT_CACHE=off; binaryen's V8 code cache and the compile
 * worker's bundle warm, as on every run after the first), the compile worker started when the
 * machine is made (NODE_EAGER, the default) against after 1 M hot instructions
 * (WEBX86_JIT_START=hot, NODE_START), in alternating pairs so the machine's load hits both alike.
 *
 *   nice -n 10 node --import tsx bench/jit-start.ts [ROUNDS] [FILTER]
 *
 * Prints, per program and policy, the median wall time and process CPU (user + sys of the whole
 * process, from /usr/bin/time: the compile worker's thread included) and the JIT's timeline
 * (--debug: first hot block, compiler start, ready, first region attached).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { busyboxStatic, debianRoot, GLIBC_ROOT_PACKAGES } from '../src/host/node/debian-packages.js';

const ROOT = new URL('..', import.meta.url).pathname;
const rounds = Number(process.argv[2] ?? 5);
const filter = process.argv[3] ?? '';

const dir = mkdtempSync(join(tmpdir(), 'webx86-jit-start-'));
try {
  const lcg = join(ROOT, '.cache/bench-bin/lcg');
  if (!existsSync(lcg)) execFileSync('gcc', ['-m32', '-static', '-O2', '-o', lcg, join(ROOT, 'bench/src/lcg.c')]);
  copyFileSync(lcg, join(dir, 'lcg'));
  copyFileSync(busyboxStatic(), join(dir, 'busybox'));
  // 1 MiB of text: a short sha256sum, the kind of run a fixed cost dominates.
  let x = 12345, s = '';
  while (s.length < 1 << 20) { x = (x * 1103515245 + 12345) >>> 0; s += ['lorem', 'ipsum', 'x86', 'webx86', '\n'][(x >>> 16) % 5] + ' '; }
  writeFileSync(join(dir, 'data'), s.slice(0, 1 << 20));
  const glibc = debianRoot('glibc', GLIBC_ROOT_PACKAGES);

  const programs: { name: string; args: string[] }[] = [
    { name: 'integer loop (LCG, 30M)', args: ['--mount', `${dir}:/`, '--', '/lcg'] },
    { name: 'busybox sha256sum 1 MiB', args: ['--mount', `${dir}:/`, '--', '/busybox', 'sha256sum', '/data'] },
    { name: "bash -c 'echo hi; ls /' (stays cold)", args: ['--mount', `${glibc}:/`, '--', '/bin/bash', '-c', 'echo hi; ls / >/dev/null'] },
  ].filter((p) => p.name.includes(filter));

  const one = (args: string[], start: string) => {
    const env = { ...process.env, WEBX86_JIT_CACHE: 'off', WEBX86_JIT_START: start };
    const r = spawnSync('/usr/bin/time', ['-f', 'TIME %e %U %S', process.execPath, join(ROOT, 'bin/webx86.js'), 'run', '--debug', ...args], { env, encoding: 'utf8', maxBuffer: 1 << 26 });
    const t = /TIME ([\d.]+) ([\d.]+) ([\d.]+)/.exec(r.stderr);
    if (t === null || r.status === null) throw new Error(`run failed (${r.status}): ${r.stderr.slice(-500)}`);
    const j = /jit: (\{.*\})/.exec(r.stderr);
    const tl = j === null ? null : (JSON.parse(j[1]) as { timeline: Record<string, number>; compiler: string }).timeline;
    return { wall: Number(t[1]) * 1000, cpu: (Number(t[2]) + Number(t[3])) * 1000, tl, out: `${r.status} ${r.stdout}` };
  };
  const med = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
  console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}, ${rounds} rounds`);
  console.log('| program | start | wall (median) | process CPU (median) | firstHot / compilerStart / ready / firstAttached (ms, median) |');
  console.log('|---|---|---:|---:|---|');
  for (const p of programs) {
    const runs: Record<string, ReturnType<typeof one>[]> = { eager: [], hot: [] };
    for (let i = 0; i < rounds; i++) for (const k of i % 2 === 0 ? ['eager', 'hot'] : ['hot', 'eager']) runs[k].push(one(p.args, k === 'hot' ? 'hot' : ''));
    if (runs.eager[0].out !== runs.hot[0].out) throw new Error(`${p.name}: outputs differ`);
    for (const k of ['eager', 'hot']) {
      const rs = runs[k];
      const tl = (f: string) => { const v = rs.map((r) => r.tl?.[f] ?? -1); return v.every((n) => n < 0) ? '-' : med(v).toFixed(0); };
      console.log(`| ${p.name} | ${k === 'eager' ? 'at creation' : 'after 1 M hot'} | ${med(rs.map((r) => r.wall)).toFixed(0)} ms | ${med(rs.map((r) => r.cpu)).toFixed(0)} ms | ${['firstHot', 'compilerStart', 'ready', 'firstAttached'].map(tl).join(' / ')} |`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
