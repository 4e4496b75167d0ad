/**
 * Real programs that use the SIMD instruction set (issue 10, "Programs that show it"), from
 * Debian bookworm's i386 packages, under the engine and compared with native runs of the same
 * unpacked tree through chroot(8): stdout and exit status must match exactly.
 *
 * - ripgrep (Rust; SSE2 in its regex and literal searchers, glibc's SSE2 string functions;
 *   threads) over Python's email and json packages (simd/rg.sh);
 * - luajit running a benchmark mix (simd/bench.lua) with its JIT, which writes SSE2 machine
 *   code into its mcode areas and patches trace exits as it runs (heavy self-modifying
 *   code), and again with -joff (its hand-written assembler interpreter);
 * - openssl: digests at the block-size edges, HMAC, encryption round trips (simd/openssl.sh),
 *   once with the code OpenSSL picks from CPUID and once (digests, chacha20, aes-ctr) with OPENSSL_ia32cap forcing its
 *   SSSE3 paths (sha1/sha256/sha512/chacha20), as the engine does not advertise SSSE3 yet;
 *   and `openssl speed -seconds 1 sha256`, whose numbers cannot match: its output must have
 *   the native run's shape and its table must follow from its own counts and times;
 * - python3-numpy: import and a small computation of each kind (simd/numpy_tour.py).
 *
 * Like userland.test.ts, all native runs happen before the engine opens any host file.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SIMD_ROOT_PACKAGES, debianRoot, linkBlasLapack } from '../../src/host/node/debian-packages.js';
import { assertEngineMatchesNative, runInRootEngine, runInRootNatively, type Timed } from '../support/debian-root.js';

const FILES = new URL('./simd', import.meta.url).pathname;
const T = '/opt/webx86-test';
const sh = (script: string) => ['/bin/bash', '-c', script];

/**
 * OPENSSL_ia32cap (OpenSSL's crypto/cpuid.c): the capability words as CPUID leaf 1 EDX | ECX << 32,
 * then ':' and leaf 7's EBX/ECX. EDX: FPU TSC CX8 CMOV CLFSH MMX FXSR SSE SSE2 (what the engine
 * advertises); ECX: SSSE3 only (no AES-NI, PCLMUL or AVX); leaf 7: 0 (no SHA extensions, no AVX2).
 * sha256-586 and sha1-586 then take their SSSE3 code, sha512-586 its SSSE3/SSE2 code.
 */
const OPENSSL_SSSE3 = '0x20007888111:0';
/**
 * numpy dispatches some float32 functions and sorts to AVX2/AVX-512 kernels whose results differ
 * from the SSE2 ones in the last bit (measured: exp and tanh of float32); both sides run the
 * baseline (SSE2) kernels. In the engine numpy warns on stderr that these are absent anyway.
 */
const NUMPY_BASELINE = 'SSE3,SSSE3,SSE41,POPCNT,SSE42,AVX,F16C,FMA3,AVX2,AVX512F,AVX512CD,AVX512_SKX,AVX512_CLX,AVX512_CNL,AVX512_ICL';

const CASES: Record<string, string[]> = {
  'ripgrep: patterns, counts, PCRE2, multiline, --json over a source tree': ['/bin/bash', `${T}/rg.sh`],
  'luajit: benchmark mix with the JIT': ['/usr/bin/luajit', `${T}/bench.lua`],
  'luajit -joff: the same, interpreted': ['/usr/bin/luajit', '-joff', `${T}/bench.lua`, '0.5'],
  'openssl: dgst, HMAC, enc round trips': ['/bin/bash', `${T}/openssl.sh`],
  'openssl: digests and ciphers on its SSSE3 code (OPENSSL_ia32cap)': sh(`OPENSSL_ia32cap=${OPENSSL_SSSE3} exec /bin/bash ${T}/openssl.sh ssse3`),
  'python3-numpy: import and compute': ['/usr/bin/env', `NPY_DISABLE_CPU_FEATURES=${NUMPY_BASELINE}`, '/usr/bin/python3', `${T}/numpy_tour.py`],
};
const SPEED = ['/usr/bin/openssl', 'speed', '-seconds', '1', 'sha256'];

let root = '';
let skip: string | false = false;
const native = new Map<string, Timed>();

before(() => {
  try {
    root = debianRoot('progs', SIMD_ROOT_PACKAGES);
  } catch (e) {
    skip = `Debian i386 packages could not be downloaded: ${(e as Error).message.split('\n')[0]}`;
    return;
  }
  linkBlasLapack(root);
  mkdirSync(join(root, T), { recursive: true });
  cpSync(FILES, join(root, T), { recursive: true });
  for (const [name, argv] of Object.entries({ ...CASES, speed: SPEED })) {
    const r = runInRootNatively(root, name, argv);
    if (typeof r === 'string') { skip = r; return; }
    native.set(name, r);
  }
});

for (const [name, argv] of Object.entries(CASES)) {
  test(`simd programs: ${name} matches a native run`, async (t) => {
    if (skip) { t.skip(skip); return; }
    await assertEngineMatchesNative(t, root, name, argv, native.get(name)!);
  });
}

/** `openssl speed` output with the numbers and the CPUID words taken out, spaces squeezed. */
const shape = (out: string): string =>
  out.replace(/^CPUINFO: .*$/m, 'CPUINFO').replace(/\d+\.\d+k?/g, 'N').replace(/[ \t]+/g, ' ');

test('simd programs: openssl speed -seconds 1 sha256 gives a sane table', async (t) => {
  if (skip) { t.skip(skip); return; }
  const n = native.get('speed')!;
  assert.equal(n.status, 0, `native openssl speed failed: ${n.stderr}`);
  const g = await runInRootEngine(root, 'speed', SPEED);
  t.diagnostic(`engine stdout:\n${g.stdout}\nengine stderr:\n${g.stderr}`);
  assert.equal(g.status, 0, `engine stderr: ${g.stderr}`);
  assert.equal(shape(g.stdout), shape(n.stdout));
  // stderr: "Doing sha256 for 1s on 16 size blocks: 1330232 sha256's in 0.24s", per block size.
  const runs = [...g.stderr.matchAll(/^Doing sha256 for 1s on (\d+) size blocks: (\d+) sha256's in (\d+\.\d\d)s$/gm)]
    .map((m) => ({ size: Number(m[1]), count: Number(m[2]), secs: Number(m[3]) }));
  assert.deepEqual(runs.map((r) => r.size), [16, 64, 256, 1024, 8192, 16384], g.stderr);
  assert.ok(runs.some((r) => r.count > 0), 'no sha256 finished in six seconds');
  // The table: 1000s of bytes per second, count * size / time, from the unrounded time; the
  // printed time is rounded to 0.01 s, so allow that much (relative 0.005 / time) plus 0.01.
  const row = /^sha256((?:\s+\d+\.\d\dk?){6})$/m.exec(g.stdout);
  assert.ok(row, `no sha256 row in ${g.stdout}`);
  const table = row[1].trim().split(/\s+/).map((v) => Number(v.replace(/k$/, '')));
  runs.forEach((r, i) => {
    assert.ok(r.secs > 0, `time ${r.secs} for ${r.size}-byte blocks`);
    const want = (r.count * r.size) / r.secs / 1000;
    assert.ok(Math.abs(table[i] - want) <= want * (0.0051 / r.secs) + 0.01,
      `${r.size}-byte blocks: table says ${table[i]}, ${r.count} x ${r.size} bytes in ${r.secs} s is ${want.toFixed(2)}`);
  });
});
