/**
 * One measured JIT run for bench/v8-flags.ts, in a process of its own so that the V8 flags
 * the parent put on this process's command line (or WEBX86_V8_FLAGS) hold for every Wasm
 * compile in it:
 *
 *   node [V8 FLAGS] --import tsx bench/v8-run.ts WORKLOAD
 *
 * prints one JSON line: wall ms, CPU of the whole process, of the engine's thread, and of the
 * other threads by name (/proc/self/task/TID/stat: V8's background compile and GC threads,
 * the compile worker), exit status, a hash of stdout, the JIT's figures.
 */
import { STARTUP_TIDS } from './v8-run-threads.js';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { runGuest } from '../test/support/guest.js';
import { HostFs } from '../src/host/node/hostfs.js';
import { GLIBC_ROOT_PACKAGES, busyboxStatic, debianRoot } from '../src/host/node/debian-packages.js';
import { binaryTrees } from './binary-trees.js';
import { applyV8Flags } from '../src/host/node/v8-flags.js';

const ROOT = new URL('..', import.meta.url).pathname;
const BIN = join(ROOT, '.cache/bench-bin');
const name = process.argv[2];
// As the CLI does: WEBX86_V8_FLAGS (or the host's default flags), before any Wasm is compiled.
const v8Flags = applyV8Flags();

/** The same programs and inputs as bench/run.ts's rows of those names. */
function workload(): { argv: string[]; files?: Record<string, string | Uint8Array>; root?: string } {
  if (name === 'lcg') {
    const out = join(BIN, 'lcg');
    if (!existsSync(out)) { mkdirSync(BIN, { recursive: true }); execFileSync('gcc', ['-m32', '-static', '-O2', '-o', out, join(ROOT, 'bench/src/lcg.c')]); }
    return { argv: ['/lcg'], files: { '/lcg': out } };
  }
  if (name === 'sha256sum') {
    const words = ['lorem', 'ipsum', 'dolor', 'sit', 'amet', 'x86', 'linux', 'webx86', 'engine', 'bench', '\n'];
    let x = 12345, s = '';
    while (s.length < 8 << 20) { x = (x * 1103515245 + 12345) >>> 0; s += words[(x >>> 16) % words.length] + ' '; }
    return { argv: ['/bin/busybox', 'sha256sum', '/data'], files: { '/bin/busybox': busyboxStatic(), '/data': new TextEncoder().encode(s.slice(0, 8 << 20)) } };
  }
  const root = debianRoot('bench', [...GLIBC_ROOT_PACKAGES, 'xz-utils']);
  if (name === 'python3') {
    mkdirSync(join(root, 'opt/bench'), { recursive: true });
    writeFileSync(join(root, 'opt/bench/binary-trees.py'), binaryTrees(12));
    return { argv: ['/usr/bin/python3', '/opt/bench/binary-trees.py'], root };
  }
  if (name === 'bash-loop') return { argv: ['/bin/bash', '-c', 'i=0; s=0; while (( i < 20000 )); do s=$((s+i*3)); i=$((i+1)); done; echo $s'], root };
  throw new Error(`v8-run: no workload ${name} (lcg, sha256sum, python3, bash-loop)`);
}

/** CPU ms (user + system) of each thread of this process, by thread id (Node names them all "node"). */
function threads(): Map<string, { comm: string; ms: number }> {
  const m = new Map<string, { comm: string; ms: number }>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      m.set(tid, { comm, ms: (Number(f[11]) + Number(f[12])) * 10 });
    } catch { /* the thread ended */ }
  }
  return m;
}

// V8RUN_DUMP=DIR: keep every module the JIT hands V8, for reading its functions' sizes and locals.
const dump = process.env.V8RUN_DUMP;
if (dump) {
  mkdirSync(dump, { recursive: true });
  let n = 0;
  const compile = WebAssembly.compile.bind(WebAssembly);
  WebAssembly.compile = (b: Parameters<typeof compile>[0]) => { writeFileSync(join(dump, `${n++}.wasm`), b as Uint8Array); return compile(b); };
}

const w = workload();
const before = threads();
const c0 = process.cpuUsage(), t0 = performance.now();
const g = await runGuest(w.argv, w.root
  ? { root: new HostFs(w.root), env: ['PATH=/usr/bin:/bin', 'HOME=/root', 'LC_ALL=C', 'PYTHONDONTWRITEBYTECODE=1'], jit: 'on' }
  : { files: w.files!, jit: 'on' });
const wall = performance.now() - t0;
const cpu = process.cpuUsage(c0);
// Threads that ended during the run (the compile worker when the machine is disposed) are
// missing here: their CPU is in `cpu` and in no named row ("other").
const byComm: Record<string, number> = {};
let named = 0;
for (const [tid, t] of threads()) {
  const ms = t.ms - (before.get(tid)?.ms ?? 0);
  const key = tid === String(process.pid) ? 'engine' : STARTUP_TIDS.has(tid) ? 'v8pool' : 'later';
  byComm[key] = (byComm[key] ?? 0) + ms;
  named += ms;
}
const total = (cpu.user + cpu.system) / 1000;
byComm.other = Math.max(0, total - named);
process.stdout.write(`${JSON.stringify({
  name, v8Flags, wall, cpu: total, threads: byComm, status: g.status,
  out: createHash('sha256').update(g.stdoutBytes ?? new Uint8Array()).digest('hex').slice(0, 16),
  err: g.stderr.slice(-300), jit: g.jit ? { compileMs: g.jit.compileMs, regionsCompiled: g.jit.regionsCompiled, instructions: g.jit.instructions } : null,
})}\n`);
process.exit(0);
