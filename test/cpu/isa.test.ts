/**
 * The instruction table (src/engine/cpu/isa) against an independent decoder, objdump:
 * - every row's bytes (a register and a memory form of ModRM, immediates of the row's
 *   operand sizes, with and without a 66 prefix) decode in objdump to the row's
 *   mnemonic, with the length the row's operands give and the length our decoder finds;
 * - every opcode form objdump decodes has a row, except the listed gaps (each with its
 *   reason), and every row is an encoding objdump knows (except the listed ones);
 * - the table's consistency checks (one handler per opcode, no two rows for one form)
 *   ran at load.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AddressSpace, PROT_EXEC, PROT_READ } from '../../src/engine/mem/address-space.js';
import { Decoder } from '../../src/engine/cpu/decoder.js';
import { decodeOne } from '../../src/engine/cpu/interp.js';
import { FL_AF, FL_ARITH, FL_CF, FL_OF, MAP0F, MAP1, ROWS, rowFor, undefinedFlags, type Row } from '../../src/engine/cpu/isa/index.js';
import { hex, rowEncodings, rowKey } from './row-bytes.js';

const SLOT = 32;
const FILL = 0x90; // immediates and displacements: leftovers decode as nop, so slots stay aligned
const BASE = 0x400000;
const PREFIX_BYTES = new Set([0x0f, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3]);

/** Opcode forms objdump decodes that have no row: the engine raises #UD for them today. */
const GAPS: Record<string, string> = {
  '0f 0e': 'femms (3DNow!)', '0f 0f': '3DNow!', '0f 33': 'rdpmc', '0f 37': 'getsec',
  'c4': 'register forms: the VEX prefix (AVX, not advertised); the memory form is les',
  'c5': 'register forms: the VEX prefix (AVX, not advertised); the memory form is lds',
  '0f aa': 'rsm (not user mode)',
  '0f b9': 'ud1: #UD, as the engine answers',
  '0f ff': 'ud0: #UD, as the engine answers',
  '0f b8': 'jmpe (IA-64); popcnt is F3 0F B8',
  '0f 78': 'vmread', '0f 79': 'vmwrite',
  '0f 00/6': 'reserved in group 6 (objdump decodes some)',
  '0f 01/5': 'group 7 /5: rdpkru, wrpkru, ... (not advertised)',
  '0f 38': 'three-byte map (issue 10)', '0f 3a': 'three-byte map (issue 10)',
  '0f ae': 'group 15 /4 xsave, /5 xrstor, /6 xsaveopt and the register forms rdfsbase...: not advertised',
  '0f c7': 'group 9 other rows: rdrand, rdseed, vmptrld, ... (not advertised)',
  '0f ba': 'group 8 /0-/3: reserved',
  '8e/1': 'mov to CS: #UD (SDM MOV)',
  '8f': 'group 1A /1-/7: AMD XOP prefix, not an x86 instruction on Intel',
  '0f 24': 'mov from test registers (386/486 only)', '0f 26': 'mov to test registers (386/486 only)',
  'c6/7': 'xabort (RTM, not advertised)', 'c7/7': 'xbegin (RTM, not advertised)',
  '0f a6': 'VIA PadLock', '0f a7': 'VIA PadLock',
};

interface Sample { row: Row; key: string; bytes: number[]; len: number; form: string }

/** [eax + ecx*4 + disp32]: ModRM (mod 2, rm 4), SIB and a 4-byte displacement. */
const MEM = [0x84, 0x88, FILL, FILL, FILL, FILL];
const samples = (row: Row): Sample[] =>
  rowEncodings(row, { mem: MEM, fill: FILL, o16: true }).map((e) => ({ row, key: rowKey(row), bytes: e.bytes, len: e.bytes.length, form: e.form }));

/** objdump's view of a list of byte strings, each at its own slot: [length, mnemonic, text] per slot. */
function objdump(list: number[][]): { len: number; mnem: string; text: string }[] {
  const blob = new Uint8Array(list.length * SLOT).fill(FILL);
  list.forEach((b, i) => blob.set(b, i * SLOT));
  const dir = mkdtempSync(join(tmpdir(), 'webx86-isa-'));
  try {
    const file = join(dir, 'blob.bin');
    writeFileSync(file, blob);
    const r = spawnSync('objdump', ['-D', '-b', 'binary', '-mi386', '-M', 'intel', '--insn-width=16', file], { encoding: 'utf8', maxBuffer: 256 << 20 });
    if (r.status !== 0) throw new Error(r.stderr);
    const at = new Map<number, { len: number; mnem: string; text: string }>();
    for (const line of r.stdout.split('\n')) {
      const m = /^\s*([0-9a-f]+):\t((?:[0-9a-f]{2} )+)\s*\t?(.*)$/.exec(line);
      if (!m) continue;
      const text = m[3].trim();
      at.set(parseInt(m[1], 16), { len: m[2].trim().split(' ').length, mnem: text.split(/\s+/)[0], text });
    }
    return list.map((_, i) => at.get(i * SLOT) ?? { len: -1, mnem: '<desync>', text: '' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Our decoder's view: length and whether it decoded to #UD. */
function ours(list: number[][]): { len: number; invalid: boolean }[] {
  const mem = new AddressSpace();
  const size = (list.length * SLOT + 0xfff) & ~0xfff;
  mem.map(BASE, size, PROT_READ | PROT_EXEC, 0x22);
  list.forEach((b, i) => { mem.u8.fill(FILL, BASE + i * SLOT, BASE + (i + 1) * SLOT); mem.u8.set(b, BASE + i * SLOT); });
  const d = new Decoder();
  return list.map((_, i) => {
    d.reset(mem, BASE + i * SLOT);
    decodeOne(d);
    return { len: d.next - (BASE + i * SLOT), invalid: d.invalid };
  });
}

const haveObjdump = spawnSync('objdump', ['--version']).status === 0;

test('every row decodes in objdump to its mnemonic and length, and in our decoder to the same length', { skip: !haveObjdump && 'needs objdump' }, () => {
  const all = ROWS.flatMap(samples);
  const theirs = objdump(all.map((s) => s.bytes));
  const mine = ours(all.map((s) => s.bytes));
  const bad: string[] = [];
  all.forEach((s, i) => {
    const row = s.row, o = theirs[i], m = mine[i];
    const where = `${s.key} ${row.mnem} ${row.args} (${s.form}) [${s.bytes.map(hex).join(' ')}]`;
    // Rows whose objdump name differs say why in their note (x87 aliases, salc, group 7
    // register forms, prefetch hints); their lengths are still compared.
    const nameFree = row.note !== undefined && /objdump|register forms|prefetch|hint/.test(row.note) || row.map === MAP0F && row.op >= 0x18 && row.op <= 0x1f;
    // objdump marks operand sizes in some names (sgdtd, pushw, callw) and a 66 prefix it finds meaningless (data16).
    const name = o.mnem === 'data16' ? o.text.split(/\s+/)[1] : o.mnem;
    const sameName = name === row.mnem || name === `${row.mnem}d` || (s.form.endsWith('o16') && name === `${row.mnem}w`);
    if (!nameFree && !sameName) bad.push(`${where}: objdump says ${o.text}`);
    if (row.handler !== 'ud' && !(nameFree && /\(bad\)/.test(o.text)) && o.len !== s.len) bad.push(`${where}: objdump length ${o.len}, row ${s.len} (${o.text})`);
    if (m.invalid !== (row.handler === 'ud')) bad.push(`${where}: our decoder ${m.invalid ? 'gives #UD' : 'decodes it'}`);
    else if (!m.invalid && m.len !== s.len) bad.push(`${where}: our decoder length ${m.len}, row ${s.len}`);
  });
  assert.deepEqual(bad, []);
});

test('every opcode form objdump knows has exactly one row, or is a listed gap', { skip: !haveObjdump && 'needs objdump' }, () => {
  // Each opcode byte of both maps, with ModRM register and memory forms for each reg value.
  const probes: { map: 1 | 2; op: number; modrm: number; bytes: number[] }[] = [];
  for (const map of [MAP1, MAP0F] as const) {
    for (let op = 0; op < 256; op++) {
      if (map === MAP1 && PREFIX_BYTES.has(op)) continue;
      for (let f = 0; f < 16; f++) {
        const modrm = f < 8 ? 0xc0 | (f << 3) : 0x84 | ((f - 8) << 3);
        const tail = f < 8 ? [modrm] : [modrm, 0x88, FILL, FILL, FILL, FILL];
        probes.push({ map, op, modrm, bytes: [...(map === MAP0F ? [0x0f] : []), op, ...tail, FILL, FILL, FILL, FILL, FILL, FILL] });
      }
    }
  }
  const theirs = objdump(probes.map((p) => p.bytes));
  const mine = ours(probes.map((p) => p.bytes));
  const notUD = new Set<string>();
  const missing = new Set<string>(), extra = new Set<string>();
  probes.forEach((p, i) => {
    // objdump prints "?" for a segment register field that names none (8C/8E /6 /7).
    const known = !theirs[i].text.includes('(bad)') && theirs[i].mnem !== '<desync>' && !theirs[i].text.includes('?');
    const row = rowFor(p.map, p.op, p.modrm);
    const key = `${p.map === MAP0F ? '0f ' : ''}${hex(p.op)}`, keyReg = `${key}/${(p.modrm >> 3) & 7}`;
    if (known && !row && !(key in GAPS) && !(keyReg in GAPS)) {
      missing.add(`${keyReg} ${p.modrm >= 0xc0 ? 'reg' : 'mem'}: ${theirs[i].text}`);
    }
    // The table decides validity: a form without a row must decode to #UD, and one with a row must not.
    if (!row !== mine[i].invalid && row?.handler !== 'ud') notUD.add(`${keyReg} ${p.modrm >= 0xc0 ? 'reg' : 'mem'}: ${row ? 'row, but #UD' : 'no row, but decodes'}`);
    // Hint NOPs (0F 18-1F) run as NOPs on the CPU where objdump prints an MPX or CET name with (bad);
    // flags-rows.test.ts runs them natively.
    if (!known && row && row.handler !== 'ud' && row.handler !== 'hint nop' && !(row.note && /objdump/.test(row.note))) extra.add(`${keyReg} ${row.mnem}: objdump does not know it`);
  });
  assert.deepEqual([...missing], [], 'opcode forms without a row');
  assert.deepEqual([...extra], [], 'rows objdump does not know');
  assert.deepEqual([...notUD], [], 'our decoder disagrees with the table on validity');
});

test('rowFor answers by map, opcode, ModRM and mandatory prefix (the lookup the JIT uses)', () => {
  assert.equal(rowFor(MAP1, 0x90)?.mnem, 'nop');
  assert.equal(rowFor(MAP1, 0x90, -1, 0xf3)?.mnem, 'pause', 'a mandatory-prefix row wins when its prefix is present');
  assert.equal(rowFor(MAP1, 0x01, 0x00, 0xf3)?.mnem, 'add', 'an ordinary rep prefix leaves the plain row');
  assert.equal(rowFor(MAP1, 0x8d, 0x00)?.mnem, 'lea');
  assert.equal(rowFor(MAP1, 0x8d, 0xc0), undefined, 'lea has no register form');
  assert.equal(rowFor(MAP1, 0xff, 0x10)?.flow, 'call-indirect');
  assert.equal(rowFor(MAP1, 0xff, 0x38), undefined, 'FF /7 is #UD');
  assert.equal(rowFor(MAP1, 0xd9, 0xe0)?.mnem, 'fchs');
  assert.equal(rowFor(MAP1, 0xd9, 0xe2), undefined, 'D9 E2 is #UD');
  assert.equal(rowFor(MAP0F, 0xae, 0xe8)?.mnem, 'lfence');
  assert.equal(rowFor(MAP0F, 0xae, 0x28), undefined, 'xrstor (0F AE /5 memory) has no row');
  assert.equal(rowFor(MAP0F, 0xae, 0x10)?.mnem, 'ldmxcsr');
  assert.equal(rowFor(MAP0F, 0x58, 0xc0, 0xf2)?.mnem, 'addsd', 'the mandatory prefix selects the SIMD row');
  assert.equal(rowFor(MAP0F, 0x12, 0xc0, 0x66), undefined, '66 0F 12 has no register form (movlpd is memory only): #UD');
  assert.equal(rowFor(MAP0F, 0xb8, 0xc0, 0), undefined, '0F B8 without F3 is not popcnt');
  const add = rowFor(MAP1, 0x01, 0x00)!;
  assert.deepEqual([add.lock, add.def, add.undef, add.use], [true, FL_ARITH, 0, 0]);
  assert.equal(rowFor(MAP1, 0x39, 0x00)?.lock, false, 'cmp is not lockable');
  assert.equal(rowFor(MAP0F, 0x42, 0xc0)?.use, FL_CF, 'cmovb reads CF');
  assert.deepEqual(undefinedFlags('shl'), { any: FL_AF | FL_OF, count1: FL_AF });
  assert.throws(() => undefinedFlags('nosuch'));
});
