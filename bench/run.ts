/**
 * `npm run bench`: the same i386 binaries and inputs, run natively, under qemu-i386 (when
 * installed) and under the engine, in one run. Prints a table of times and ratios and
 * writes it to docs/BENCHMARKS.md.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { runGuest } from '../test/support/guest.js';
import { forgetModules, type JitMode, type JitStats } from '../src/engine/jit/jit.js';
import { useNodeTranslationCache } from '../src/host/node/translation-store.js';
import { GCC_ROOT_PACKAGES, GLIBC_ROOT_PACKAGES, NODE_ROOT_PACKAGES, SIMD_ROOT_PACKAGES, busyboxStatic, debianRoot } from '../src/host/node/debian-packages.js';
import { HostFs } from '../src/host/node/hostfs.js';
import { JIT_BENCH_ROOT } from './jit-workloads.js';
import { startInRootEngineOnConsole, startInRootNativelyOnPty, type TermSession } from '../test/support/debian-root.js';
import { binaryTrees } from './binary-trees.js';

const ROOT = new URL('..', import.meta.url).pathname;
/** Other work on the machine skews both columns; the doc states the load seen. */
const loadAtStart = loadavg()[0];
const BIN = join(ROOT, '.cache/bench-bin');
mkdirSync(BIN, { recursive: true });

interface Workload {
  name: string;
  /** argv for both sides; guest paths. */
  argv: string[];
  files: Record<string, string | Uint8Array>;
  /** A Debian root (debianRoot): run natively through chroot(8) and in the engine with it as /. */
  root?: string;
  /** Measured by its own functions instead of running argv to completion (the bash prompt). */
  /**
   * Root workloads that exec no other program can run under qemu-i386 too, with the root as
   * its -L prefix (qemuPrefix; qemu-i386 is a host binary, so it cannot run inside the chroot).
   */
  qemuInRoot?: boolean;
  /** Variables added to the environment of every side (root workloads). */
  env?: string[];
  custom?: { native(): Promise<Timing>; engine(): Promise<Timing & { mips: number }> };
}

/** A timed run: wall ms, stdout, and (for runs of a host process) its exit status. */
interface Timing { ms: number; out: string; status?: number | null }

function build(src: string, flags: string[] = []): string {
  const out = join(BIN, src.replace(/\.c$/, ''));
  if (!existsSync(out)) execFileSync('gcc', ['-m32', '-static', '-O2', ...flags, '-o', out, join(ROOT, 'bench/src', src)]);
  return out;
}

function inputText(bytes: number): Uint8Array {
  // Deterministic, compressible-like text (words from a small LCG).
  const words = ['lorem', 'ipsum', 'dolor', 'sit', 'amet', 'x86', 'linux', 'webx86', 'engine', 'bench', '\n'];
  let x = 12345, s = '';
  while (s.length < bytes) { x = (x * 1103515245 + 12345) >>> 0; s += words[(x >>> 16) % words.length] + ' '; }
  return new TextEncoder().encode(s.slice(0, bytes));
}

const bb = busyboxStatic();
const data8 = inputText(8 << 20);
const text10 = inputText(10_000_000);
const WORKLOADS: Workload[] = [
  { name: 'integer loop (LCG, 30M iterations)', argv: ['/lcg'], files: { '/lcg': build('lcg.c') } },
  { name: 'x87 loop (10M iterations, float64)', argv: ['/x87'], files: { '/x87': build('x87.c') } },
  { name: 'SSE2 float loop (10M scalar + 2M packed)', argv: ['/sse2'], files: { '/sse2': build('sse2.c', ['-msse2', '-mfpmath=sse']) } },
  { name: 'busybox sha256sum 8 MiB', argv: ['/bin/busybox', 'sha256sum', '/data'], files: { '/bin/busybox': bb, '/data': data8 } },
  { name: 'busybox gzip -6 10 MB text', argv: ['/bin/busybox', 'gzip', '-6', '-n', '-c', '/data'], files: { '/bin/busybox': bb, '/data': text10 } },
  { name: 'busybox sh arithmetic loop (20k)', argv: ['/bin/busybox', 'sh', '-c', 'i=0; s=0; while [ $i -lt 20000 ]; do s=$((s+i*3)); i=$((i+1)); done; echo $s'], files: { '/bin/busybox': bb } },
  { name: 'busybox sh 100 x fork+exec true', argv: ['/bin/busybox', 'sh', '-c', 'i=0; while [ $i -lt 100 ]; do /bin/busybox true; i=$((i+1)); done'], files: { '/bin/busybox': bb } },
];

// Dynamically linked Debian programs (python3, bash, xz) from one unpacked root; needs root for chroot.
const BINARY_TREES = binaryTrees(12);
let debian: string | undefined;
try {
  debian = debianRoot('bench', [...GLIBC_ROOT_PACKAGES, 'xz-utils']);
  mkdirSync(join(debian, 'opt/bench'), { recursive: true });
  // Written whole and renamed into place: the root is shared (.cache), and a plain rewrite
  // truncated the file under another process's xz reading it (session 11: twice in one
  // afternoon, xz ran 2.62 G instead of 3.10 G instructions and wrote another output).
  const put = (path: string, data: string | Uint8Array): void => {
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  };
  put(join(debian, 'opt/bench/binary-trees.py'), BINARY_TREES);
  put(join(debian, 'opt/bench/text'), text10);
  if (spawnSync('/usr/sbin/chroot', [debian, '/bin/true']).status !== 0) debian = undefined;
} catch { debian = undefined; }
if (debian) {
  WORKLOADS.push(
    { name: 'python3 binary-trees (depth 12)', argv: ['/usr/bin/python3', '/opt/bench/binary-trees.py'], files: {}, root: debian, qemuInRoot: true },
    { name: 'bash arithmetic loop (20k)', argv: ['/bin/bash', '-c', 'i=0; s=0; while (( i < 20000 )); do s=$((s+i*3)); i=$((i+1)); done; echo $s'], files: {}, root: debian, qemuInRoot: true },
    { name: 'xz -1 of 10 MB text', argv: ['/usr/bin/xz', '-1', '-c', '-T1', '/opt/bench/text'], files: {}, root: debian, qemuInRoot: true },
    { name: 'bash 200 x fork+exec /bin/true', argv: ['/bin/bash', '-c', 'for i in $(seq 200); do /bin/true; done; echo done'], files: {}, root: debian },
    promptWorkload(debian),
  );
  // gcc's own root (the one the userland tests build): ~60 packages.
  let gcc: string | undefined;
  try { gcc = debianRoot('gcc', GCC_ROOT_PACKAGES); } catch { gcc = undefined; }
  if (gcc) {
    mkdirSync(join(gcc, 'opt/bench'), { recursive: true });
    writeFileSync(join(gcc, 'opt/bench/hello.c'), '#include <stdio.h>\nint main(void) { printf("hello, world\\n"); return 0; }\n');
    WORKLOADS.push({
      name: 'gcc -O2 hello.c (compile, link, run)', root: gcc, files: {},
      argv: ['/bin/bash', '-c', 'gcc -O2 -o /tmp/hello-bench /opt/bench/hello.c && /tmp/hello-bench && rm /tmp/hello-bench'],
    });
  }
  // cc1 on a real mid-size source (issue 9): libpng's pngtest.c (2,158 lines, plus png.h), from
  // Debian's libpng-dev, in the root of bench/jit-workloads.ts (gcc's root + libpng-dev).
  let png: string | undefined;
  try { png = JIT_BENCH_ROOT(); } catch { png = undefined; }
  if (png) {
    WORKLOADS.push({
      name: 'gcc -O2 -c pngtest.c (cc1 + as, 2,158 lines)', root: png, files: {},
      argv: ['/bin/bash', '-c', 'gcc -O2 -c -o /tmp/pngtest-bench.o /usr/share/doc/libpng-dev/examples/pngtest.c && rm /tmp/pngtest-bench.o && echo ok'],
    });
  }
}

// Issue 10's programs: node (V8 generates SSE2 code) and openssl's SSSE3 sha256, from their own roots.
if (debian) {
  let node: string | undefined;
  try { node = debianRoot('simd-node', NODE_ROOT_PACKAGES); } catch { node = undefined; }
  if (node) {
    // JSON and sha256 in a loop: V8's compilers, its GC and OpenSSL through node:crypto.
    const loop = "const c=require('crypto');let h='';for(let i=0;i<3000;i++){const o=JSON.parse(JSON.stringify({i,a:[i,i/3,'x'.repeat(i%50)]}));"
      + "h=c.createHash('sha256').update(h+o.a[1]+o.a[2]).digest('hex')}console.log(h)";
    WORKLOADS.push(
      { name: 'node -e 0 (start-up)', argv: ['/usr/bin/node', '-e', '0'], files: {}, root: node, qemuInRoot: true },
      { name: 'node JSON + sha256 loop (3000)', argv: ['/usr/bin/node', '-e', loop], files: {}, root: node, qemuInRoot: true },
    );
  }
  let progs: string | undefined;
  try { progs = debianRoot('progs', SIMD_ROOT_PACKAGES); } catch { progs = undefined; }
  if (progs) {
    mkdirSync(join(progs, 'opt/bench'), { recursive: true });
    writeFileSync(join(progs, 'opt/bench/data4'), data8.subarray(0, 4 << 20));
    // OPENSSL_ia32cap as test/programs/simd.test.ts sets it: SSE2 + SSSE3, no SHA extensions or AVX,
    // so every side runs sha256-586's SSSE3 code (natively the CPU's SHA extensions would win).
    WORKLOADS.push({
      name: 'openssl dgst -sha256 4 MiB (SSSE3 code)', argv: ['/usr/bin/openssl', 'dgst', '-sha256', '/opt/bench/data4'], files: {},
      root: progs, qemuInRoot: true, env: ['OPENSSL_ia32cap=0x20007888111:0'],
    });
  }
}

/**
 * Start to an interactive bash prompt: bash -i on a terminal (a real pty natively, the
 * console in the engine) until the prompt shows; then exit, untimed. /etc/bash.bashrc runs
 * as on a Debian system. The output compared is the prompt with the host name taken out.
 */
function promptWorkload(root: string): Workload {
  const toPrompt = async (start: () => Promise<TermSession> | TermSession): Promise<Timing & { icount: number }> => {
    const t0 = performance.now();
    const s = await start();
    const seen = await s.waitFor(/[#$] $/);
    const ms = performance.now() - t0;
    s.send('exit\r');
    await s.exited;
    return { ms, out: seen.replace(/@[^:]*:/, '@HOST:'), icount: s.icount() };
  };
  const argv = ['/bin/bash', '-i'];
  return {
    name: 'start to an interactive bash prompt', argv, files: {}, root,
    custom: {
      native: async () => {
        let best: Timing = { ms: Infinity, out: '' };
        for (let i = 0; i < 3; i++) { const t = await toPrompt(() => startInRootNativelyOnPty(root, argv)); if (t.ms < best.ms) best = t; }
        return best;
      },
      engine: async () => { const t = await toPrompt(() => startInRootEngineOnConsole(root, argv)); return { ...t, mips: t.icount / t.ms / 1000 }; },
    },
  };
}

/** Put the workload's files in a host directory at the same relative paths. */
function hostTree(w: Workload): { dir: string; argv: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'webx86-bench-'));
  for (const [p, src] of Object.entries(w.files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), typeof src === 'string' ? readFileSync(src) : src, { mode: 0o755 });
  }
  const argv = w.argv.map((a) => (a.startsWith('/') && w.files[a] !== undefined ? join(dir, a) : a.replaceAll('/bin/busybox', join(dir, 'bin/busybox'))));
  return { dir, argv };
}

function timeNative(argv: string[], prefix: string[] = []): Timing {
  const best: number[] = [];
  let out = '', status: number | null = null;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const cmd = [...prefix, ...argv];
    const r = spawnSync(cmd[0], cmd.slice(1), { maxBuffer: 1 << 30 });
    best.push(performance.now() - t0);
    out = r.stdout.toString('latin1');
    status = r.status;
  }
  return { ms: Math.min(...best), out, status };
}

interface EngineRun extends Timing { mips: number; cpuMs: number; jit?: JitStats }

async function timeEngine(w: Workload, jit: JitMode): Promise<EngineRun> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let r: { ms: number; out: string; mips: number; jit?: JitStats };
  if (w.custom) {
    // The custom rows start their machine through test/support/debian-root.ts, which reads WEBX86_JIT.
    process.env.WEBX86_JIT = jit;
    try { r = await w.custom.engine(); } finally { delete process.env.WEBX86_JIT; }
  } else {
    const g = w.root
      ? await runGuest(w.argv, { root: new HostFs(w.root), env: rootEnv(w), jit })
      : await runGuest(w.argv, { files: w.files, jit });
    const ms = performance.now() - t0;
    // latin1 keeps binary output (gzip, xz) byte for byte, as the native side reads it.
    r = { ms, out: Buffer.from(g.stdoutBytes ?? new Uint8Array()).toString('latin1'), mips: (g.icount ?? 0) / ms / 1000, jit: g.jit };
  }
  // CPU time of this process (user + system, GC threads included): less skewed than wall time on a busy machine.
  const c = process.cpuUsage(c0);
  return { ...r, cpuMs: (c.user + c.system) / 1000 };
}

const ROOT_ENV = ['PATH=/usr/bin:/bin', 'HOME=/root', 'LC_ALL=C', 'PYTHONDONTWRITEBYTECODE=1'];
/** The environment of a root workload, the same natively, under qemu and in the engine. */
const rootEnv = (w: Workload): string[] => [...ROOT_ENV, ...w.env ?? []];
const qemu = spawnSync('sh', ['-c', 'command -v qemu-i386']).status === 0;

/**
 * The -L prefix for a root under qemu-i386: the root's entries as symlinks, with an
 * /etc/ld.so.cache that lists the i386 libraries. The root's own cache holds only
 * ld-linux.so.2 (the host's ldconfig -r scans its own, x86_64, directories), so ld.so
 * searches its default path. Natively that works; under qemu the search fails once a
 * library is found outside /lib/i386-linux-gnu (libssl, libnode in /usr/lib/i386-linux-gnu):
 * ld.so then drops /lib/i386-linux-gnu from its path, as its existence check of the
 * directory fails: qemu-i386 (Debian 12's) does not apply -L to statx (-strace shows
 * statx("/lib/i386-linux-gnu") = ENOENT), and libc.so.6 is not found (-E LD_DEBUG=libs).
 * With the cache ld.so opens each library by its full path. The cache is written by the
 * host's ldconfig into the root's scratch /tmp and moved out, so the shared root stays as it is.
 */
const qemuPrefixes = new Map<string, string>();
function qemuPrefix(root: string): string {
  let dir = qemuPrefixes.get(root);
  if (dir) return dir;
  dir = mkdtempSync(join(tmpdir(), 'webx86-qemu-prefix-'));
  qemuPrefixes.set(root, dir);
  for (const e of readdirSync(root)) if (e !== 'etc') symlinkSync(join(root, e), join(dir, e));
  mkdirSync(join(dir, 'etc'));
  for (const e of readdirSync(join(root, 'etc'))) if (e !== 'ld.so.cache') symlinkSync(join(root, 'etc', e), join(dir, 'etc', e));
  const scratch = mkdtempSync(join(root, 'tmp', 'ldconfig-'));
  try {
    const inRoot = `/tmp/${scratch.slice(scratch.lastIndexOf('/') + 1)}/ld.so.cache`;
    execFileSync('ldconfig', ['-r', root, '-C', inRoot, '/lib/i386-linux-gnu', '/usr/lib/i386-linux-gnu'], { stdio: 'ignore' });
    copyFileSync(join(scratch, 'ld.so.cache'), join(dir, 'etc/ld.so.cache'));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return dir;
}
process.on('exit', () => { for (const d of qemuPrefixes.values()) rmSync(d, { recursive: true, force: true }); });
const rows: string[][] = [];
const HEAD = ['workload', 'native', 'qemu', 'interp', 'interp CPU', 'JIT', 'JIT CPU', 'compile', 'in JIT', 'JIT warm', 'warm CPU', 'from disk'];
console.log(HEAD.map((h, i) => (i ? h.padStart(10) : h.padEnd(40))).join(' '));
// `npm run bench -- WORD...`: only the workloads whose names contain a WORD, and no docs/BENCHMARKS.md.
const only = process.argv.slice(2);
for (const w of WORKLOADS.filter((x) => only.length === 0 || only.some((o) => x.name.includes(o)))) {
  const { argv, dir } = w.root ? { argv: w.argv, dir: '' } : hostTree(w);
  const env = rootEnv(w);
  const n = w.custom ? await w.custom.native() : w.root ? timeNative(argv, ['/usr/sbin/chroot', w.root, '/usr/bin/env', '-i', ...env]) : timeNative(argv);
  const qRun = !qemu || w.custom ? null
    : !w.root ? timeNative(argv, ['qemu-i386'])
      : w.qemuInRoot ? timeNative([join(w.root, argv[0]), ...argv.slice(1)], ['/usr/bin/env', '-i', ...env, 'qemu-i386', '-L', qemuPrefix(w.root)]) : null;
  // A qemu run that ended otherwise than the native one (the LCG's exit status is its result)
  // or printed something else is no reference: no ratio.
  const q = qRun && qRun.status === n.status && qRun.out === n.out ? qRun : null;
  if (qRun && !q) process.stderr.write(`bench: ${w.name}: qemu-i386 exited ${qRun.status} (native ${n.status}) or printed other output; no qemu ratio\n`);
  const off = await timeEngine(w, 'off');
  // The JIT twice, each starting with no compiled module in memory, as a new process would:
  // with an empty translation cache (the cold first run of a program: every region is
  // compiled), then with the records that run left (a later run of the same program:
  // regions attach from the cache, docs/JIT.md "Translation cache"). The compile worker
  // and binaryen stay loaded across rows, so only the first row's cold run pays their start.
  const jitCache = mkdtempSync(join(tmpdir(), 'webx86-bench-jit-'));
  forgetModules();
  const store = useNodeTranslationCache(jitCache);
  const on = await timeEngine(w, 'on');
  await store?.flush();
  forgetModules();
  const warmStore = useNodeTranslationCache(jitCache);
  const warm = await timeEngine(w, 'on');
  // The warm run's writes finish before the directory goes: a write still in flight made
  // rmSync fail with ENOTEMPTY after the cc1 row (session 9), ending the whole bench.
  await warmStore?.flush();
  useNodeTranslationCache(null);
  rmSync(jitCache, { recursive: true, force: true, maxRetries: 5 });
  // Native runs name the host copies of the files; the guest sees them at the root.
  const want = dir ? n.out.replaceAll(dir, '') : n.out;
  const same = off.out === want && on.out === want && warm.out === want ? ''
    : ` (OUTPUT DIFFERS:${off.out === want ? '' : ' interp'}${on.out === want ? '' : ' jit'}${warm.out === want ? '' : ' jit-warm'})`;
  const ratio = (ms: number) => `${(ms / n.ms).toFixed(1)}x`;
  const share = on.jit && on.jit.instructions > 0 && on.mips > 0 ? `${(100 * on.jit.instructions / (on.mips * on.ms * 1000)).toFixed(0)}%` : '-';
  const row = [w.name, `${n.ms.toFixed(1)} ms`, q ? ratio(q.ms) : '-',
    `${off.ms.toFixed(0)} ms`, `${off.cpuMs.toFixed(0)} ms`, ratio(off.ms), ratio(off.cpuMs),
    `${on.ms.toFixed(0)} ms`, `${on.cpuMs.toFixed(0)} ms`, ratio(on.ms), ratio(on.cpuMs),
    on.jit ? `${on.jit.compileMs.toFixed(0)} ms / ${on.jit.regionsCompiled}` : '-', share, off.mips.toFixed(1),
    `${warm.ms.toFixed(0)} ms`, `${warm.cpuMs.toFixed(0)} ms`, ratio(warm.ms), ratio(warm.cpuMs),
    warm.jit ? `${warm.jit.regionsFromDisk} / ${warm.jit.regionsCompiled}` : '-'];
  rows.push(row);
  console.log([row[0].padEnd(40), row[1].padStart(10), row[2].padStart(10), `${row[3]} ${row[5]}`.padStart(10), `${row[4]} ${row[6]}`.padStart(10),
    `${row[7]} ${row[9]}`.padStart(10), `${row[8]} ${row[10]}`.padStart(10), row[11].padStart(10), row[12].padStart(10),
    `${row[14]} ${row[16]}`.padStart(10), `${row[15]} ${row[17]}`.padStart(10), row[18].padStart(10)].join(' ') + same);
}

if (only.length) process.exit(0);
const md = `# Benchmarks

Latest run: ${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores), Node ${process.version}; 1-minute load average ${loadAtStart.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end.
Same i386 binary and input natively, under Debian's qemu-i386 (user mode, TCG JIT) and under the
webx86 engine twice: interpreter only (\`jit: 'off'\`) and with the Wasm JIT tier (\`jit: 'on'\`, the default;
docs/JIT.md). Native and qemu: best of 3; engine: one run each including machine start (and, with the JIT,
binaryen's load and every compile). The python3, bash, xz and gcc rows run Debian bookworm's dynamically linked
binaries from an unpacked root (chroot natively, the root as / in the engine; qemu-i386 with the root as its
\`-L\` prefix for the rows that exec nothing else, as qemu-i386 is a host binary that cannot run in the chroot). The bash
prompt row times \`bash -i\` from start until its prompt appears (/etc/bash.bashrc runs), on a real pty
natively (python3's pty module) and on the engine's console; counted instructions for that row include
the exit after the prompt. MIPS: guest instructions retired per second of engine time. Engine CPU: the
benchmark process's user + system time during the engine run (V8's GC threads included); on a busy
machine it shows the engine's own cost better than the wall-clock columns; ratios are given for both
(wall / CPU, each over native wall time). JIT compile: binaryen time in ms / regions compiled. In JIT: share of
the guest instructions that ran in translated code. The JIT columns are a program's first run (an empty
translation cache: every region compiled); "warm" is the next run of the same program, attaching the
regions the first run left in the cache (docs/JIT.md "Translation cache"); from disk: regions attached
from the cache / regions still compiled. Both start with no module in memory; the compile worker and
binaryen, once started by the first JIT row, stay loaded for the later rows.

| workload | native | qemu/native | interp | interp CPU | interp/native (wall / CPU) | JIT | JIT CPU | JIT/native (wall / CPU) | JIT compile | in JIT | JIT warm | warm CPU | warm/native (wall / CPU) | from disk | interp MIPS |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${rows.map((r) => `| ${[r[0], r[1], r[2], r[3], r[4], `${r[5]} / ${r[6]}`, r[7], r[8], `${r[9]} / ${r[10]}`, r[11], r[12], r[14], r[15], `${r[16]} / ${r[17]}`, r[18], r[13]].join(' | ')} |`).join('\n')}

${mipsSummary()}

Reproduce with \`npm run bench\`.
${readFileSync(join(ROOT, 'bench/profile-notes.md'), 'utf8')}`;
writeFileSync(join(ROOT, 'docs/BENCHMARKS.md'), md);

/** The interpreter's speed in one sentence: the compute-bound rows, not the exec- and start-up-bound ones. */
function mipsSummary(): string {
  const compute = rows.filter((r) => !/fork|prompt|gcc/.test(r[0])).map((r) => Number(r[13])).sort((a, b) => a - b);
  if (compute.length === 0) return '';
  const median = compute[Math.floor(compute.length / 2)];
  return `Interpreter speed: ${compute[0].toFixed(0)}-${compute[compute.length - 1].toFixed(0)} million guest instructions per second `
    + `(median ${median.toFixed(0)}) on the compute-bound rows; the fork+exec, gcc and prompt rows spend much of their time in `
    + 'exec, mmap and file reads, so their MIPS is lower.';
}

// Disk streaming over HTTP (bench/disk.ts): bytes and requests to reach a shell, its own section.
{
  const { appendFileSync } = await import('node:fs');
  const { diskSection } = await import('./disk.js');
  appendFileSync(join(ROOT, 'docs/BENCHMARKS.md'), await diskSection());
}

// The same in Chromium (bench/browser-disk.ts): bash prompt and python3 -c pass from the default
// image, cold, cold +30 ms and warm from the IndexedDB overlay. Needs /usr/bin/chromium.
{
  const { appendFileSync, existsSync } = await import('node:fs');
  if (existsSync('/usr/bin/chromium')) {
    const { browserDiskSection } = await import('./browser-disk.js');
    appendFileSync(join(ROOT, 'docs/BENCHMARKS.md'), '\n' + await browserDiskSection());
  } else {
    process.stderr.write('bench: /usr/bin/chromium not found; browser disk section skipped\n');
  }
}

// WireGuard and DERP (bench/wireguard.ts): our device and client against the real derper on
// loopback, its own section. Needs Go (the derper is built from tailscale.com v1.102.5).
{
  const { appendFileSync } = await import('node:fs');
  const { wireguardSection } = await import('./wireguard.js');
  appendFileSync(join(ROOT, 'docs/BENCHMARKS.md'), await wireguardSection());
}

// The user-space TCP/IP stack (bench/net-ip.ts): in-process and against Linux over a TUN device.
{
  const { appendFileSync } = await import('node:fs');
  const { netIpSection } = await import('./net-ip.js');
  appendFileSync(join(ROOT, 'docs/BENCHMARKS.md'), await netIpSection());
}

// The JIT's compile worker and governor (bench/jit-worker.ts): short code-heavy programs
// interpreted, with compiles in the engine's thread and with the compile worker; engine-thread
// CPU, stalls, peak RSS. Then the JIT in Chromium (bench/browser-jit.ts): sha256sum and python3
// through the page, interpreter vs JIT, with peak memory.
{
  const { appendFileSync, existsSync } = await import('node:fs');
  const { jitWorkerSection } = await import('./jit-worker.js');
  appendFileSync(join(ROOT, 'docs/BENCHMARKS.md'), '\n' + await jitWorkerSection());
  if (existsSync('/usr/bin/chromium')) {
    const { browserJitSection } = await import('./browser-jit.js');
    appendFileSync(join(ROOT, 'docs/BENCHMARKS.md'), '\n' + await browserJitSection());
  } else {
    process.stderr.write('bench: /usr/bin/chromium not found; browser JIT section skipped\n');
  }
}

// Tailscale (bench/tailscale.ts): the VM against real tsnet nodes through the real derper and
// testcontrol on loopback, the tsnet-to-tsnet anchor, login time, RTT; loopback TCP in one VM.
{
  const { appendFileSync } = await import('node:fs');
  const { tailscaleSection } = await import('./tailscale.js');
  appendFileSync(join(ROOT, 'docs/BENCHMARKS.md'), await tailscaleSection());
}
