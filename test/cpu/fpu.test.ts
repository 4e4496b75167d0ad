/**
 * x87 tests. Expected values come from the real CPU: each C program under test/cpu/fpu
 * is built with gcc -m32 (x87 code only), run natively and under the engine, and the
 * hex lines it prints (80-bit results, status words, EFLAGS) must be identical.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JIT_MODES, runGuest } from '../support/guest.js';
import { buildC } from '../support/build.js';
import { fcsFdsDeprecated, fdpExceptionOnly, intelHost, recordedHost } from '../support/host-cpu.js';
import { AddressSpace, MAP_PRIVATE } from '../../src/engine/mem/address-space.js';
import { Cpu } from '../../src/engine/cpu/cpu.js';
import { run } from '../../src/engine/cpu/interp.js';
import { EIP, ESP } from '../../src/engine/cpu/state.js';
import { FPU_CW, FPU_TAG, FPU_TOP, emms, fsaveTo, frstorFrom, mmxGet, mmxSet } from '../../src/engine/cpu/fpu.js';

const here = dirname(fileURLToPath(import.meta.url));
const SRC = join(here, 'fpu');
const FLAGS = ['-m32', '-static', '-O0', '-mfpmath=387', '-march=i686', '-fno-pie', '-no-pie', '-Wall'];

/** Build test/cpu/fpu/<name>.c (keyed by source, headers and flags). */
const build = (name: string): string => buildC(join(SRC, `${name}.c`), ['-lm'], FLAGS, 'fpu-');

/**
 * Native output and the engine's, the engine run in every JIT mode (JIT_MODES: interpreter
 * only and forced JIT; the JIT does not translate x87 and exits to the interpreter, so both
 * must print the same). Returns the native lines and the first mode's; the modes must agree.
 */
async function both(name: string): Promise<{ native: string[]; guest: string[] }> {
  const bin = build(name);
  const r = spawnSync(bin, [], { maxBuffer: 64 << 20, env: {} });
  const native = { status: r.status ?? 128, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
  assert.equal(native.status, 0, `native ${name} failed: ${native.stderr}`);
  let first: string[] | null = null;
  for (const jit of JIT_MODES) {
    const guest = await runGuest(['/prog'], { files: { '/prog': bin }, jit });
    assert.equal(guest.status, 0, `engine ${name} (jit ${jit}) failed (status ${guest.status}): ${guest.stderr}\n${guest.warnings.join('\n')}`);
    const lines = guest.stdout.trimEnd().split('\n');
    if (first === null) first = lines;
    else assert.ok(lines.length === first.length && lines.every((l, i) => l === first![i]), `jit ${jit} output differs from jit ${JIT_MODES[0]}`);
  }
  return { native: native.stdout.trimEnd().split('\n'), guest: first ?? [] };
}

type LineCheck = (want: string[], got: string[]) => string | null;

/**
 * Compare two outputs line by line. Each line is space-separated fields; `check` decides
 * about a line whose text differs. Reports the first few mismatches.
 */
function compare(native: string[], guest: string[], check: LineCheck): void {
  assert.equal(guest.length, native.length, `line count: native ${native.length}, engine ${guest.length}\nlast engine line: ${guest[guest.length - 1]}`);
  const bad: string[] = [];
  for (let i = 0; i < native.length && bad.length < 12; i++) {
    if (native[i] === guest[i]) continue;
    const why = check(native[i].split(' '), guest[i].split(' '));
    if (why) bad.push(`- native: ${native[i]}\n+ engine: ${guest[i]}  (${why})`);
  }
  assert.equal(bad.length, 0, `${bad.length}+ mismatches:\n${bad.join('\n')}`);
}

/** Every field must be identical: results, status words (flags, C1, TOP), EFLAGS, images. */
const exact: LineCheck = () => 'differs';

test('x87 arithmetic (add sub subr mul div divr sqrt, all forms, all rounding modes) matches native with precision control double', async () => {
  const { native, guest } = await both('arith');
  // Fields: rc op i j result sw. PE, UE and C1 are not tracked for + - * / (fpu.ts).
  compare(native, guest, exact);
});

// ---- Direct harness: machine code in a bare address space, for single instructions ----

const CODE = 0x400000, DATA = 0x200000, STACK = 0x300000;

function bare(code: number[]): Cpu {
  const mem = new AddressSpace(0x1000000);
  mem.map(CODE, 0x1000, 5, MAP_PRIVATE);
  mem.map(DATA, 0x1000, 3, MAP_PRIVATE);
  mem.map(STACK, 0x1000, 3, MAP_PRIVATE);
  mem.u8.set([...code, 0xcd, 0x80], CODE); // ends with int 0x80: the run stops there
  const c = new Cpu(mem);
  c.s[EIP] = CODE;
  c.s[ESP] = STACK + 0x800;
  return c;
}
function exec(c: Cpu): void {
  run(c, 1000);
}

test('fnsave image round-trips through fsaveTo/frstorFrom with exact 80-bit values', () => {
  // fldpi; fld1; fldt [DATA]  (an 80-bit value beyond double precision)
  const c = bare([0xd9, 0xeb, 0xd9, 0xe8, 0xdb, 0x2d, ...le32(DATA)]);
  c.mem.u8.set([0x01, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f], DATA); // 1 + 2^-63
  exec(c);
  const img = new Uint8Array(108);
  fsaveTo(c, img, 0);
  const c2 = bare([]);
  frstorFrom(c2, img, 0);
  const img2 = new Uint8Array(108);
  fsaveTo(c2, img2, 0);
  assert.deepEqual([...img2], [...img]);
  assert.deepEqual([...img.subarray(28, 38)], [0x01, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f]);
  assert.equal(c2.s[FPU_CW] & 0xffff, 0x37f);
});

function le32(v: number): number[] { return [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff]; }

test('x87 loads and stores of every format (m32/m64/m80 float, m16/m32/m64 int, BCD, frndint) match native in every rounding mode', async () => {
  const { native, guest } = await both('conv');
  compare(native, guest, exact);
});

/**
 * The pointer fields of fnstenv/fnsave images, by line tag: the field's index (after the tag)
 * and what the host stores there when it drops the pointer. 32-bit images printed as words
 * (misc.c): FOP<<16|FCS, FDP, FDS (0xffff above it). 16-bit images (env16.c stenv16/save16):
 * FCS, FDP, FDS. 32-bit images printed as halves (env16.c): FCS, FOP, FDP low and high, FDS.
 */
const POINTERS: Record<string, [number, string][]> = {
  env: [[4, '00000000'], [5, '00000000'], [6, 'ffff0000']],
  save: [[4, '00000000'], [5, '00000000'], [6, 'ffff0000']],
  stenv16: [[4, '0000'], [5, '0000'], [6, '0000']],
  save16: [[4, '0000'], [5, '0000'], [6, '0000']],
  after32: [[8, '0000'], [9, '0000'], [10, '0000'], [11, '0000'], [12, '0000']],
  ldenv16: [[8, '0000'], [9, '0000'], [10, '0000'], [11, '0000'], [12, '0000']],
  afterSave: [[8, '0000'], [9, '0000'], [10, '0000'], [11, '0000'], [12, '0000']],
  afterRstor: [[8, '0000'], [9, '0000'], [10, '0000'], [11, '0000'], [12, '0000']],
};
/**
 * Images on an Intel host that deprecates FCS/FDS and stores FDP and FOP only for unmasked
 * exceptions (test/support/host-cpu.ts): a pointer field the host stored as zero may hold the
 * engine's pointer (it stores them all, as its Nehalem did); every other field is exact.
 * On the recorded AMD host, and on any other, every field is exact.
 */
const images: LineCheck = (want, got) => {
  const fields = POINTERS[want[0]];
  if (!fields || recordedHost() || !intelHost() || !fcsFdsDeprecated() || !fdpExceptionOnly() || want.length !== got.length) return 'differs';
  const loose = new Map(fields.map(([k, zero]) => [k + 1, zero]));
  for (let i = 0; i < want.length; i++) {
    if (want[i] === got[i]) continue;
    if (loose.get(i) !== want[i]) return `differs in field ${i - 1}${loose.has(i) ? ' (a pointer the host did not drop)' : ''}`;
  }
  return null;
};

test('x87 compares, fcomi/fcmov, fxam, fprem, fscale, fxtract, constants, stack faults and fnsave images match native', async () => {
  const { native, guest } = await both('misc');
  compare(native, guest, images);
});

test('the 16-bit environment and state images (66 fnstenv/fldenv/fnsave/frstor: 14 and 94 bytes, FIP/FDP low halves, no opcode) match native', async () => {
  const { native, guest } = await both('env16');
  compare(native, guest, images);
});

test('unmasked x87 exceptions raise SIGFPE at the next waiting instruction with the si_code Linux gives', async () => {
  const { native, guest } = await both('sigfpe');
  assert.deepEqual(guest, native);
});

test('80-bit operands (denormal, pseudo-denormal, unnormal, pseudo-inf/NaN, SNaN, range edges) through + - * / sqrt frndint fscale fprem fprem1 fxtract, stores to every format, compares and fxam match native under every precision and rounding control', async () => {
  const { native, guest } = await both('ext');
  compare(native, guest, exact);
});

/**
 * Transcendentals: the CPU's microcode is not correctly rounded (it computes with a few
 * bits beyond 64: its results sit within 0.6 ulp of the exact value, docs/ISA.md), and
 * ours rounds the exact value once, so "t" lines (random operands; result and status word
 * with C1) are counted, not required equal: the test prints the match rate per
 * instruction and fails below the floor measured when it was written. "e" lines (edge
 * operands in every rounding mode) must be identical except for the operands in
 * CPU_ROUNDED, where the CPU's own rounding was measured to differ from the exact
 * result's. libm's results ("m" lines: exp, pow, log, log10, sin, cos, tan, atan2, exp2,
 * log1p, which glibc i386 computes with the x87) must be identical.
 */
test('x87 transcendentals match native: on the recorded host at the recorded rates, edge operands and libm exp/pow/log/sin/cos/tan/atan2 to the last bit; on another host every result within one ulp', async () => {
  const { native, guest } = await both('trans');
  assert.equal(guest.length, native.length);
  if (!recordedHost()) return withinUlp(native, guest);
  const rate = new Map<string, [number, number]>();
  const exact: string[] = [];
  let edges = 0;
  for (let i = 0; i < native.length; i++) {
    const w = native[i], g = guest[i];
    const f = w.split(' ');
    if (f[0] === 'm' || (f[0] === 'e' && !CPU_ROUNDED.has(`${f[1]} ${f[2]}`))) {
      edges += f[0] === 'e' ? 1 : 0;
      if (w !== g && exact.length < 12) exact.push(`- native: ${w}\n+ engine: ${g}`);
      continue;
    }
    const name = f[0] === 'e' ? `${f[1]} (listed edges)` : f[1];
    const r = rate.get(name) ?? [0, 0];
    r[0] += w === g ? 1 : 0; r[1]++;
    rate.set(name, r);
  }
  assert.ok(edges > 11000, `only ${edges} edge lines`);
  const report = [...rate].map(([k, [m, n]]) => `${k} ${(100 * m / n).toFixed(1)}%`).join(', ');
  console.log(`x87 transcendental bit-exact match rates (result and status word): ${report}`);
  assert.deepEqual(exact, [], `edge or libm results differ:\n${exact.join('\n')}`);
  for (const [k, [m, n]] of rate) if (FLOOR[k] !== undefined) assert.ok(m / n >= FLOOR[k], `${k}: ${m}/${n} below the recorded floor (${report})`);
});

/**
 * On a host other than the recorded one (test/support/host-cpu.ts), the microcode's own
 * roundings differ (an Intel Xeon of family 6 model 207: fpatan, fyl2x, tan... of edge
 * operands one ulp from the AMD's, and glibc's sin of one argument one ulp off): there every
 * result, edge, random and libm, must be within one ulp of native (the SDM's accuracy for the
 * transcendentals, Vol. 1 8.3.10), and the status word may differ only in C1 (round-up),
 * and in UE where the one ulp crosses from the denormals to the smallest normal (Intel
 * returns 2^-16382 where the engine's correctly rounded result is the largest denormal).
 */
function withinUlp(native: string[], guest: string[]): void {
  const bad: string[] = [];
  let exactLines = 0;
  for (let i = 0; i < native.length; i++) {
    if (native[i] === guest[i]) { exactLines++; continue; }
    const a = native[i].split(' '), b = guest[i].split(' ');
    const why = a.length !== b.length ? 'field count' : a.findIndex((x, k) => {
      if (x === b[k]) return false;
      // C1, and UE (0x10) where one side's result is denormal and the other's the smallest normal.
      if (a[0] !== 'm' && k === a.length - 1) return ((parseInt(x, 16) ^ parseInt(b[k], 16)) & ~(0x200 | (crossesNormal(a, b) ? 0x10 : 0))) !== 0;
      return k < 2 || ulps(x, b[k]) > 1;
    });
    if (why !== -1 && bad.length < 12) bad.push(`- native: ${native[i]}\n+ engine: ${guest[i]}  (field ${why})`);
  }
  console.log(`x87 transcendentals on a host other than the recorded one: ${exactLines} of ${native.length} lines bit-exact, the rest within one ulp`);
  assert.deepEqual(bad, [], `results more than one ulp from native, or status words differing beyond C1:\n${bad.join('\n')}`);
}

/** Whether two result lines differ in an 80-bit value that is denormal on one side and normal on the other. */
function crossesNormal(a: string[], b: string[]): boolean {
  const denormal = (v: string): boolean => v.length === 20 && (parseInt(v.slice(0, 4), 16) & 0x7fff) === 0;
  return a.some((x, k) => x !== b[k] && denormal(x) !== denormal(b[k]));
}

/**
 * Units in the last place between two floats of one format, printed in hex (80-bit: 20
 * digits, double: 16); Infinity across signs. The key used is the value's position in the
 * ordered list of representable magnitudes (exponent, then the fraction without the 80-bit
 * format's explicit integer bit), so neighbours across a binade are one apart.
 */
function ulps(a: string, b: string): number {
  if (a.length !== b.length || (a.length !== 20 && a.length !== 16)) return Infinity;
  const x = BigInt(`0x${a}`), y = BigInt(`0x${b}`);
  const bits = BigInt(a.length * 4);
  const sign = 1n << (bits - 1n);
  if ((x & sign) !== (y & sign)) return Infinity;
  const key = (v: bigint): bigint => (bits === 80n ? (((v >> 64n) & 0x7fffn) << 63n) | (v & ((1n << 63n) - 1n)) : v & (sign - 1n));
  const d = key(x) - key(y);
  return Number(d < 0n ? -d : d);
}
/** Match-rate floors (fraction of identical "t" lines, C1 included), from the measurement in docs/ISA.md. */
const FLOOR: Record<string, number> = {
  sin: 0.98, cos: 0.98, tan: 0.93, sincos: 0.965, f2xm1: 0.92, fyl2x: 0.95, fyl2xp1: 0.95, fpatan: 0.965,
};
/**
 * Edge operands (instruction and first operand) where the CPU's result or C1 differs from
 * the correctly rounded one, measured on the AMD EPYC host (family 25): e.g. tan(1) is
 * ...2dc6 where the exact value rounds to ...2dc5, fyl2x(max) gives 16384 exactly in every
 * rounding mode, log2(1 + 2^-63) comes out truncated.
 */
const CPU_ROUNDED = new Set([
  'cos 40029000000000000000', 'sin 40029000000000000000', 'sincos 40029000000000000000', 'f2xm1 3ffda000000000000000',
  'tan 3ffda000000000000000', 'tan 3fff8000000000000000', 'tan bfff8000000000000000', 'tan 3fffc90fdaa22168c235', 'tan 4000c90fdaa22168c235',
  'fyl2x 3fff8000000000000001', 'fyl2x 4000c90fdaa22168c235', 'fyl2x 7ffeffffffffffffffff', 'fyl2xp1 3fc08000000000000000',
  'fpatan 3fbe8000000000000000', 'fpatan 3fbf8000000000000000', 'fpatan 3ffdb504f333f9de6484', 'fpatan 3ffe8000000000000000',
  'fpatan 3ffec90fdaa22168c235', 'fpatan 3ffeffffffffffffffff', 'fpatan 3fff8000000000000001', 'fpatan 3fffc000000000000000',
  'fpatan 3fffc90fdaa22168c235', 'fpatan 40029000000000000000', 'fpatan 7ffeffffffffffffffff', 'fpatan bffdb504f333f9de6484',
  'fpatan bffe8000000000000000', 'fpatan bfff8000000000000001',
]);

test('a signal handler sees exact 80-bit registers in the frame (_fpstate) and sigreturn restores the one it changed', async () => {
  const { native, guest } = await both('sigframe');
  assert.deepEqual(guest, native);
});

test('MMX aliasing: mmxSet writes the significand with exponent 0xFFFF, TOP 0 and all tags valid; mmxGet reads it back; emms empties the tags', () => {
  // fld1; fld1 (TOP = 6), then MM3 := 0x89abcdef_01234567 from the SIMD side.
  const c = bare([0xd9, 0xe8, 0xd9, 0xe8]);
  exec(c);
  assert.equal(c.s[FPU_TOP], 6);
  mmxSet(c, 3, 0x01234567, 0x89abcdef | 0);
  assert.equal(c.s[FPU_TOP], 0);
  assert.equal(c.s[FPU_TAG] & 0xffff, 0);
  const out = new Int32Array(2);
  mmxGet(c, 3, out);
  assert.deepEqual([out[0] >>> 0, out[1] >>> 0], [0x01234567, 0x89abcdef]);
  // fnsave shows physical register 3 as ST(3) (TOP 0): significand and 0xFFFF.
  const img = new Uint8Array(108);
  fsaveTo(c, img, 0);
  assert.deepEqual([...img.subarray(28 + 30, 38 + 30)], [0x67, 0x45, 0x23, 0x01, 0xef, 0xcd, 0xab, 0x89, 0xff, 0xff]);
  // The register fld1 wrote (physical 7) keeps its value: MMX touches only register 3.
  mmxGet(c, 7, out);
  assert.deepEqual([out[0] >>> 0, out[1] >>> 0], [0, 0x80000000]);
  emms(c);
  assert.equal(c.s[FPU_TAG] & 0xffff, 0xffff);
  fsaveTo(c, img, 0);
  assert.equal(img[8] | (img[9] << 8), 0xffff); // tag word: all empty
});
