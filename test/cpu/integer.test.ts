/**
 * The integer instruction set against the real CPU: each C program in test/cpu/int runs
 * the same instructions over tables of operands (inline asm) and prints results and
 * EFLAGS; the binary's output under the engine must equal its native output.
 * Flags the SDM leaves undefined are masked in the programs, with the masks of the
 * instruction table (src/engine/cpu/isa/rows.ts, its u: and u1: flag columns), passed to
 * gcc as -DUNDEF_<mnemonic> by cbuild.ts: e.g. AF after and/or/xor/test, OF after a shift
 * by more than 1, SF ZF AF PF after mul/imul, all six after div/idiv. (16-bit shld/shrd
 * counts above 16, which leave everything undefined, are skipped in shift.c itself.)
 * cpuid is checked for sanity only (vendor, feature bits both must have): the engine
 * advertises its own CPU by design.
 */
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { assertLikeCpu } from './cbuild.js';

const PROGRAMS: [string, string][] = [
  ['alu.c', 'add adc sub sbb and or xor cmp test inc dec neg not match the CPU in every size and form'],
  ['shift.c', 'shifts, rotates, shld and shrd match the CPU for every count class'],
  ['bits.c', 'bt bts btr btc (with far memory bit offsets), bsf bsr and bswap match the CPU'],
  ['cond.c', 'every SETcc, CMOVcc and Jcc reads the flags of every producer as the CPU does'],
  ['xchg.c', 'xchg, xadd, cmpxchg and cmpxchg8b match the CPU'],
  ['bcd.c', 'daa das aaa aas aam aad match the CPU for every AL'],
  ['string.c', 'movs stos lods cmps scas with rep prefixes, both directions and overlaps match the CPU'],
  ['lea.c', 'lea computes every 32-bit and 16-bit addressing form as the CPU does'],
  ['stack.c', 'push/pop, pusha/popa, pushf/popf, sahf/lahf, enter/leave and the loop family match the CPU'],
  ['misc.c', 'conversions, movzx/movsx, high-byte and moffs moves, xlat and cpuid sanity match the CPU'],
  ['muldiv.c', 'mul, imul, div and idiv match the CPU, and divide errors raise SIGFPE at the instruction'],
];

test('reference CPU', (t) => {
  const info = readFileSync('/proc/cpuinfo', 'utf8');
  const field = (k: string) => info.match(new RegExp(`^${k}\\s*:\\s*(.*)$`, 'm'))?.[1] ?? '?';
  t.diagnostic(`native results from: ${field('vendor_id')} ${field('model name')} (family ${field('cpu family')} model ${field('model')})`);
});

for (const [src, name] of PROGRAMS) {
  test(`${src}: ${name}`, async () => {
    await assertLikeCpu(src);
  });
}
