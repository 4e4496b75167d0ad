/**
 * CPUID as the engine answers it: the leaves of an Intel Nehalem (family 6 model 0x1A,
 * Core i7-920 / Xeon W3550 dumps) reduced to one core and one thread, with exactly the
 * features the engine implements (src/engine/cpu/identity.ts; the host is an AMD EPYC, so
 * the expected values are written here from the SDM and those dumps, not from a native
 * run), and what glibc makes of them: `ld.so --list-diagnostics` in Debian's root.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runGuest } from '../support/guest.js';
import { buildC } from '../support/build.js';
import { debianRoot } from '../../src/host/node/debian-packages.js';
import { runInRootEngine } from '../support/debian-root.js';

const here = dirname(fileURLToPath(import.meta.url));

/** leaf.subleaf eax ebx ecx edx */
const WANT = `
00000000.0 0000000b 756e6547 6c65746e 49656e69
00000001.0 000106a5 00010800 00980201 07888111
00000002.0 55035a01 00f0b2e4 00000000 09ca212c
00000003.0 00000000 00000000 00000000 00000000
00000004.0 00000121 01c0003f 0000003f 00000000
00000005.0 00000000 00000000 00000000 00000000
00000006.0 00000000 00000000 00000000 00000000
00000007.0 00000000 00000000 00000000 00000000
00000008.0 00000000 00000000 00000000 00000000
00000009.0 00000000 00000000 00000000 00000000
0000000a.0 00000000 00000000 00000000 00000000
0000000b.0 00000000 00000001 00000100 00000000
00000004.1 00000122 00c0003f 0000007f 00000000
00000004.2 00000143 01c0003f 000001ff 00000000
00000004.3 00000163 03c0003f 00001fff 00000002
00000004.4 00000000 00000000 00000000 00000000
00000004.5 00000000 00000000 00000000 00000000
0000000b.1 00000000 00000001 00000201 00000000
0000000b.2 00000000 00000000 00000002 00000000
0000000b.3 00000000 00000000 00000003 00000000
0000000c.1 00000000 00000001 00000201 00000000
0000000d.0 00000000 00000001 00000100 00000000
40000000.0 00000000 00000001 00000100 00000000
80000000.0 80000008 00000000 00000000 00000000
80000001.0 00000000 00000000 00000000 00000000
80000002.0 78626577 76203638 75747269 43206c61
80000003.0 28205550 65726f43 20376920 6168654e
80000004.0 206d656c 65646f6d 0000296c 00000000
80000005.0 00000000 00000000 00000000 00000000
80000006.0 00000000 00000000 01006040 00000000
80000007.0 00000000 00000000 00000000 00000100
80000008.0 00003024 00000000 00000000 00000000
80000009.0 00000000 00000001 00000100 00000000
brand webx86 virtual CPU (Core i7 Nehalem model)
`.trimStart();

test('CPUID answers the leaves of a one-core Nehalem with exactly the implemented features (SSE3, SSSE3, SSE4.1, SSE4.2, POPCNT; no LM, NX, SYSCALL, AVX), the highest basic leaf above the range', async () => {
  const bin = buildC(join(here, 'sse/cpuid.c'), [], ['-m32', '-static', '-O1', '-fno-pie', '-no-pie', '-Wall'], 'cpuid-');
  const g = await runGuest(['/prog'], { files: { '/prog': bin } });
  assert.equal(g.status, 0);
  assert.equal(g.stdout.replace(/\0+\n/, '\n'), WANT);
});

test('glibc (ld.so --list-diagnostics in Debian\'s root) sees family 6 model 0x1A with SSE4.2, prefers unaligned loads and rep strings, and reads the caches from leaves 2 and 4', async (t) => {
  let root: string;
  try { root = debianRoot('glibc'); } catch (e) { t.skip(`Debian i386 packages could not be downloaded: ${(e as Error).message.split('\n')[0]}`); return; }
  const g = await runInRootEngine(root, 'cpuid-diagnostics', ['/lib/ld-linux.so.2', '--list-diagnostics']);
  assert.equal(g.status, 0, g.stderr);
  const got = new Map(g.stdout.split('\n').filter((l) => l.startsWith('x86.cpu_features.')).map((l) => l.slice(17).split('=') as [string, string]));
  const want: [string, string][] = [
    ['basic.kind', '0x1'], ['basic.max_cpuid', '0xb'], ['basic.family', '0x6'], ['basic.model', '0x1a'], ['basic.stepping', '0x5'],
    ['features[0x0].active[0x2]', '0x980201'], ['features[0x0].active[0x3]', '0x7888110'], ['features[0x1].active[0x1]', '0x0'],
    ['preferred.Fast_Rep_String', '0x1'], ['preferred.Fast_Unaligned_Load', '0x1'], ['preferred.Fast_Unaligned_Copy', '0x1'],
    ['preferred.Prefer_PMINUB_for_stringop', '0x1'], ['preferred.Slow_SSE4_2', '0x0'], ['preferred.Slow_BSF', '0x0'],
    ['xsave_state_size', '0x0'], ['data_cache_size', '0x8000'], ['shared_cache_size', '0x800000'],
    ['level1_dcache_size', '0x8000'], ['level2_cache_size', '0x40000'], ['level3_cache_size', '0x800000'], ['level3_cache_assoc', '0x10'],
  ];
  for (const [k, v] of want) assert.equal(got.get(k), v, `x86.cpu_features.${k}`);
});
