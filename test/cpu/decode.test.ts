/**
 * Decoding coverage on real code: every instruction of a static i386 busybox's .text (as
 * objdump delimits them) must decode, with the same length objdump finds. x87 escapes
 * (D8-DF) are reported but belong to the FPU's own tests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { AddressSpace, PROT_EXEC, PROT_READ } from '../../src/engine/mem/address-space.js';
import { Decoder } from '../../src/engine/cpu/decoder.js';
import { decodeOne } from '../../src/engine/cpu/interp.js';
import { busyboxStatic } from '../../src/host/node/debian-packages.js';

const BUSYBOX = busyboxStatic();
const PREFIXES = new Set([0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65]);

interface Insn { addr: number; bytes: number[]; text: string }

function disassemble(path: string): Insn[] {
  const r = spawnSync('objdump', ['-d', '-j', '.text', '--insn-width=16', path], { maxBuffer: 512 << 20, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  const out: Insn[] = [];
  for (const line of r.stdout.split('\n')) {
    const m = /^\s*([0-9a-f]+):\t((?:[0-9a-f]{2} )+)\s*\t?(.*)$/.exec(line);
    if (!m) continue;
    out.push({ addr: parseInt(m[1], 16), bytes: m[2].trim().split(' ').map((b) => parseInt(b, 16)), text: m[3].trim() });
  }
  return out;
}

/** The opcode bytes after any prefixes: "0f af", "d9", "f7 /6" style keys. */
function opcodeKey(b: number[]): string {
  let i = 0;
  while (i < b.length && PREFIXES.has(b[i])) i++;
  const hex = (x: number) => x.toString(16).padStart(2, '0');
  if (b[i] === 0x0f) return `0f ${hex(b[i + 1])}`;
  const grouped = [0x80, 0x81, 0x83, 0xc0, 0xc1, 0xd0, 0xd1, 0xd2, 0xd3, 0xf6, 0xf7, 0xfe, 0xff];
  if (grouped.includes(b[i])) return `${hex(b[i])} /${(b[i + 1] >> 3) & 7}`;
  return hex(b[i]);
}

const have = existsSync(BUSYBOX) && spawnSync('objdump', ['--version']).status === 0;

test('every integer instruction in busybox .text decodes, with the length objdump finds', { skip: !have && 'needs objdump' }, (t) => {
  const insns = disassemble(BUSYBOX);
  assert.ok(insns.length > 100000, `disassembled ${insns.length} instructions`);
  const file = readFileSync(BUSYBOX);
  // Load .text at its address: find it from the first instruction's file offset (the
  // loadable segment of a non-PIE executable maps file offset o at 0x8048000 + o).
  const mem = new AddressSpace();
  const lo = insns[0].addr & ~0xfff, hi = (insns[insns.length - 1].addr + 16 + 0xfff) & ~0xfff;
  mem.map(lo, hi - lo, PROT_READ | PROT_EXEC, 0x22);
  const base = 0x8048000;
  mem.u8.set(file.subarray(lo - base, hi - base), lo);

  const d = new Decoder();
  const histogram = new Map<string, number>();
  const unknown = new Map<string, { n: number; example: string }>();
  const badLength: string[] = [];
  for (const ins of insns) {
    const key = opcodeKey(ins.bytes);
    histogram.set(key, (histogram.get(key) ?? 0) + 1);
    d.reset(mem, ins.addr);
    decodeOne(d);
    const len = d.next - ins.addr;
    const legitUD = key === '0f 0b' || /\(bad\)/.test(ins.text);
    if (d.invalid && !legitUD) {
      const u = unknown.get(key) ?? { n: 0, example: `${ins.addr.toString(16)}: ${ins.text}` };
      u.n++;
      unknown.set(key, u);
    } else if (!d.invalid && len !== ins.bytes.length && badLength.length < 20) {
      badLength.push(`${ins.addr.toString(16)}: ${ins.text} (objdump ${ins.bytes.length} bytes, decoder ${len})`);
    }
  }
  const top = [...histogram].sort((a, b) => b[1] - a[1]).slice(0, 24).map(([k, n]) => `${k}:${n}`).join(' ');
  t.diagnostic(`${insns.length} instructions, ${histogram.size} distinct opcodes; most used: ${top}`);
  const x87 = [...unknown].filter(([k]) => /^d[89a-f]$/.test(k));
  if (x87.length) t.diagnostic(`x87 opcodes not decoded yet (FPU tests own these): ${x87.map(([k, u]) => `${k} x${u.n} (${u.example})`).join('; ')}`);
  // MMX/SSE (0F 10-17, 28-2F, 38, 3A, 50-7F, C2-C6, D0-FF) and RTM (xbegin C7 F8, xabort
  // C6 F8) sit in glibc routines chosen only when CPUID advertises them; ours does not.
  const vector = (k: string) => /^0f (1[0-7]|2[89a-f]|38|3a|[5-7][0-9a-f]|c[2-6]|[d-f][0-9a-f])$/.test(k) || k === 'c7' || k === 'c6';
  const vec = [...unknown].filter(([k]) => vector(k));
  if (vec.length) t.diagnostic(`vector/RTM opcodes (not advertised by CPUID): ${vec.map(([k, u]) => `${k} x${u.n}`).join(' ')}`);
  const integer = [...unknown].filter(([k]) => !/^d[89a-f]$/.test(k) && !vector(k));
  assert.deepEqual(integer.map(([k, u]) => `${k} x${u.n} e.g. ${u.example}`), [], 'integer opcodes that do not decode');
  assert.deepEqual(badLength, [], 'instruction lengths that differ from objdump');
});
