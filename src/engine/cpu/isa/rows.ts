/**
 * The instruction rows: every integer opcode form the engine decodes (one-byte map and
 * 0F map), and the x87 escapes, one row each. Sources: Intel SDM Vol. 2, Appendix A
 * (opcode map, Tables A-2, A-3, A-6 for groups) for opcodes and operands, and each
 * instruction's "Flags Affected" section for the flag columns.
 *
 * Legend of a row, `r(key, mnem, args, flags, handler, extra)`:
 * - key: the opcode as the SDM writes it: an optional mandatory prefix ("f3 "), "0f "
 *   for the two-byte map, the opcode byte in hex, "/d" for a group row's ModRM.reg,
 *   and " m" / " r" when only the memory / register form of ModRM exists.
 * - mnem: the mnemonic (objdump -M intel's name for the 32-bit operand size).
 * - args: operands, comma-separated, SDM Appendix A.2 notation (types.ts Operand);
 *   fixed registers are written by name (AL, eAX, CL, DX, ES...).
 * - flags: "r:<letters> w:<letters> u:<letters> u1:<letters>", letters from OSZAPCD:
 *   r read, w written (defined), u undefined afterwards, u1 undefined after a
 *   variable-count shift or rotate whose count is 1 (for those rows w is what a count of
 *   1 defines and u what other counts leave undefined, so O may be in both).
 * - handler: the name the semantic handler registers under (cpu/ops/*.ts def()).
 * - extra: lock (LOCK allowed with a memory destination), flow (types.ts Flow, default
 *   none), cpuid (types.ts Feature, default none), note.
 */
import {
  FL_AF, FL_CF, FL_DF, FL_OF, FL_PF, FL_SF, FL_ZF, MAP0F, MAP0F38, MAP0F3A, MAP1, type Feature, type Flow, type Operand, type Row,
} from './types.js';

const LETTER: Record<string, number> = { O: FL_OF, S: FL_SF, Z: FL_ZF, A: FL_AF, P: FL_PF, C: FL_CF, D: FL_DF };

function mask(letters: string): number {
  let m = 0;
  for (const ch of letters) {
    if (!(ch in LETTER)) throw new Error(`isa: unknown flag letter ${ch}`);
    m |= LETTER[ch];
  }
  return m;
}

/** Parse the flags column: "r:C w:OSZAPC u:A". */
function parseFlags(text: string): { use: number; def: number; undef: number; undef1: number } {
  const out = { use: 0, def: 0, undef: 0, undef1: -1 };
  for (const part of text.split(/\s+/).filter(Boolean)) {
    const [k, v] = part.split(':');
    if (k === 'r') out.use = mask(v);
    else if (k === 'w') out.def = mask(v);
    else if (k === 'u') out.undef = mask(v);
    else if (k === 'u1') out.undef1 = mask(v);
    else throw new Error(`isa: bad flags column ${text}`);
  }
  if (out.undef1 < 0) out.undef1 = out.undef;
  return out;
}

const FIXED = /^(AL|CL|DL|BL|AH|CH|DH|BH|AX|DX|eAX|ES|CS|SS|DS|FS|GS|ST)$/;
const MODRM_METHODS = new Set(['E', 'G', 'M', 'R', 'S', 'C', 'D', 'STi', 'V', 'W', 'U', 'P', 'Q', 'N']);

function parseArgs(args: string): Operand[] {
  if (args === '') return [];
  return args.split(',').map((a): Operand => {
    if (FIXED.test(a)) return { method: 'fixed', size: '', reg: a };
    if (a === '1') return { method: '1', size: '' };
    if (a === 'STi') return { method: 'STi', size: '' };
    const m = /^([EGMRIJOASCDXYZVWUPQN])(dq|ps|pd|ss|sd|pi|[bwdvzpqaty]?)$/.exec(a);
    if (!m) throw new Error(`isa: bad operand ${a}`);
    return { method: m[1] as Operand['method'], size: m[2] as Operand['size'] };
  });
}

export interface Extra { lock?: boolean; flow?: Flow; cpuid?: Feature; note?: string; modrm?: boolean; rm?: number }

export const ROWS: Row[] = [];

export function r(key: string, mnem: string, args: string, flags: string, handler: string, x: Extra = {}): void {
  // An x87 escape with a whole register-form ModRM byte ("d9 e0") names reg and rm.
  const x87 = /^(d[89a-f]) ([c-f][0-9a-f])$/.exec(key);
  if (x87) {
    const modrm = parseInt(x87[2], 16);
    key = `${x87[1]}/${(modrm >> 3) & 7} r`;
    x.rm = modrm & 7;
  }
  const m = /^(?:(66|f2|f3) )?(0f (?:38 |3a )?)?([0-9a-f]{2})(?:\/([0-7]))?(?: ([mr]))?$/.exec(key);
  if (!m) throw new Error(`isa: bad key ${key}`);
  const operands = parseArgs(args);
  const reg = m[4] === undefined ? -1 : Number(m[4]);
  ROWS.push({
    mnem, map: m[2] === '0f 38 ' ? MAP0F38 : m[2] === '0f 3a ' ? MAP0F3A : m[2] ? MAP0F : MAP1, op: parseInt(m[3], 16), reg, rm: x.rm ?? -1, mod: m[5] === 'm' ? 'mem' : m[5] === 'r' ? 'reg' : 'any',
    prefix: m[1] ? parseInt(m[1], 16) : 0,
    modrm: x.modrm ?? (reg >= 0 || m[5] !== undefined || operands.some((o) => MODRM_METHODS.has(o.method))),
    operands, args, ...parseFlags(flags), lock: x.lock ?? false, flow: x.flow ?? 'none', cpuid: x.cpuid ?? 'none', handler,
    ...(x.note ? { note: x.note } : {}),
  });
}
export const hex = (n: number) => n.toString(16).padStart(2, '0');

// ---- Condition codes (SDM Table B-1): the flags each tttn reads. ----
const CC = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];
const CC_FLAGS = ['O', 'O', 'C', 'C', 'Z', 'Z', 'CZ', 'CZ', 'S', 'S', 'P', 'P', 'SO', 'SO', 'ZSO', 'ZSO'];

// ---- One-byte map (SDM Table A-2) ----

// 00-3D: the eight ALU operations in six forms each; LOCK on the two memory-destination forms but cmp's.
const ALU = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'];
const ALU_FLAGS = ['w:OSZAPC', 'w:OSZPC u:A', 'r:C w:OSZAPC', 'r:C w:OSZAPC', 'w:OSZPC u:A', 'w:OSZAPC', 'w:OSZPC u:A', 'w:OSZAPC'];
for (let k = 0; k < 8; k++) {
  const b = k * 8, f = ALU_FLAGS[k], lock = k !== 7;
  r(hex(b), ALU[k], 'Eb,Gb', f, 'alu E,G', { lock });
  r(hex(b + 1), ALU[k], 'Ev,Gv', f, 'alu E,G', { lock });
  r(hex(b + 2), ALU[k], 'Gb,Eb', f, 'alu G,E');
  r(hex(b + 3), ALU[k], 'Gv,Ev', f, 'alu G,E');
  r(hex(b + 4), ALU[k], 'AL,Ib', f, 'alu A,I');
  r(hex(b + 5), ALU[k], 'eAX,Iz', f, 'alu A,I');
}
// Segment register loads end the block: the code after them may run in another mode (Cpu.mode).
r('06', 'push', 'ES', '', 'push seg'); r('07', 'pop', 'ES', '', 'pop seg', { flow: 'end' });
r('0e', 'push', 'CS', '', 'push seg');
r('16', 'push', 'SS', '', 'push seg'); r('17', 'pop', 'SS', '', 'pop seg', { flow: 'end' });
r('1e', 'push', 'DS', '', 'push seg'); r('1f', 'pop', 'DS', '', 'pop seg', { flow: 'end' });
r('27', 'daa', '', 'r:AC w:SZAPC u:O', 'daa');
r('2f', 'das', '', 'r:AC w:SZAPC u:O', 'das');
r('37', 'aaa', '', 'r:A w:AC u:OSZP', 'aaa/aas');
r('3f', 'aas', '', 'r:A w:AC u:OSZP', 'aaa/aas');
for (let i = 0; i < 8; i++) {
  r(hex(0x40 + i), 'inc', 'Zv', 'w:OSZAP', 'inc/dec Z');
  r(hex(0x48 + i), 'dec', 'Zv', 'w:OSZAP', 'inc/dec Z');
  r(hex(0x50 + i), 'push', 'Zv', '', 'push Z');
  r(hex(0x58 + i), 'pop', 'Zv', '', 'pop Z');
}
r('60', 'pusha', '', '', 'pusha');
r('61', 'popa', '', '', 'popa');
r('62 m', 'bound', 'Gv,Ma', '', 'bound');
r('63', 'arpl', 'Ew,Gw', 'w:Z', 'arpl');
r('68', 'push', 'Iz', '', 'push I');
r('69', 'imul', 'Gv,Ev,Iz', 'w:OC u:SZAP', 'imul G,E,I');
r('6a', 'push', 'Ib', '', 'push I');
r('6b', 'imul', 'Gv,Ev,Ib', 'w:OC u:SZAP', 'imul G,E,I');
// I/O: #GP at CPL 3 without ioperm (which the engine does not grant).
r('6c', 'ins', 'Yb,DX', 'r:D', 'gp', { flow: 'end' });
r('6d', 'ins', 'Yz,DX', 'r:D', 'gp', { flow: 'end' });
r('6e', 'outs', 'DX,Xb', 'r:D', 'gp', { flow: 'end' });
r('6f', 'outs', 'DX,Xz', 'r:D', 'gp', { flow: 'end' });
for (let c = 0; c < 16; c++) r(hex(0x70 + c), `j${CC[c]}`, 'Jb', `r:${CC_FLAGS[c]}`, 'jcc', { flow: 'jcc' });
// 80-83: group 1 (82 is 80's alias in 32-bit mode).
for (const [op, args] of [['80', 'Eb,Ib'], ['81', 'Ev,Iz'], ['82', 'Eb,Ib'], ['83', 'Ev,Ib']]) {
  for (let k = 0; k < 8; k++) r(`${op}/${k}`, ALU[k], args, ALU_FLAGS[k], 'alu grp1', { lock: k !== 7 });
}
r('84', 'test', 'Eb,Gb', 'w:OSZPC u:A', 'test E,G');
r('85', 'test', 'Ev,Gv', 'w:OSZPC u:A', 'test E,G');
r('86', 'xchg', 'Eb,Gb', '', 'xchg E,G', { lock: true });
r('87', 'xchg', 'Ev,Gv', '', 'xchg E,G', { lock: true });
r('88', 'mov', 'Eb,Gb', '', 'mov');
r('89', 'mov', 'Ev,Gv', '', 'mov');
r('8a', 'mov', 'Gb,Eb', '', 'mov');
r('8b', 'mov', 'Gv,Ev', '', 'mov');
for (let s = 0; s < 6; s++) r(`8c/${s}`, 'mov', 'Ev,Sw', '', 'mov E,S');
r('8d m', 'lea', 'Gv,M', '', 'lea');
// mov to CS (8E /1) is #UD.
for (const s of [0, 2, 3, 4, 5]) r(`8e/${s}`, 'mov', 'Sw,Ew', '', 'mov S,E', { flow: 'end' });
r('8f/0', 'pop', 'Ev', '', 'pop E');
r('90', 'nop', '', '', 'nop');
r('f3 90', 'pause', '', '', 'nop');
for (let i = 1; i < 8; i++) r(hex(0x90 + i), 'xchg', 'Zv,eAX', '', 'xchg Z');
r('98', 'cwde', '', '', 'cwde', { note: 'cbw with a 16-bit operand size' });
r('99', 'cdq', '', '', 'cdq', { note: 'cwd with a 16-bit operand size' });
r('9a', 'call', 'Ap', '', 'far direct', { flow: 'end', note: 'far call (cpu/ops/segment.ts)' });
r('9b', 'fwait', '', '', 'fwait', { cpuid: 'fpu' });
r('9c', 'pushf', '', 'r:OSZAPCD', 'pushf');
r('9d', 'popf', '', 'w:OSZAPCD', 'popf');
r('9e', 'sahf', '', 'w:SZAPC', 'sahf');
r('9f', 'lahf', '', 'r:SZAPC', 'lahf');
r('a0', 'mov', 'AL,Ob', '', 'mov moffs');
r('a1', 'mov', 'eAX,Ov', '', 'mov moffs');
r('a2', 'mov', 'Ob,AL', '', 'mov moffs');
r('a3', 'mov', 'Ov,eAX', '', 'mov moffs');
r('a4', 'movs', 'Yb,Xb', 'r:D', 'movs');
r('a5', 'movs', 'Yv,Xv', 'r:D', 'movs');
r('a6', 'cmps', 'Xb,Yb', 'r:D w:OSZAPC', 'cmps');
r('a7', 'cmps', 'Xv,Yv', 'r:D w:OSZAPC', 'cmps');
r('a8', 'test', 'AL,Ib', 'w:OSZPC u:A', 'test A,I');
r('a9', 'test', 'eAX,Iz', 'w:OSZPC u:A', 'test A,I');
r('aa', 'stos', 'Yb,AL', 'r:D', 'stos');
r('ab', 'stos', 'Yv,eAX', 'r:D', 'stos');
r('ac', 'lods', 'AL,Xb', 'r:D', 'lods');
r('ad', 'lods', 'eAX,Xv', 'r:D', 'lods');
r('ae', 'scas', 'AL,Yb', 'r:D w:OSZAPC', 'scas');
r('af', 'scas', 'eAX,Yv', 'r:D w:OSZAPC', 'scas');
for (let i = 0; i < 8; i++) {
  r(hex(0xb0 + i), 'mov', 'Zb,Ib', '', 'mov Z,I');
  r(hex(0xb8 + i), 'mov', 'Zv,Iv', '', 'mov Z,I');
}
// C0/C1, D0-D3: group 2. A zero count leaves every flag as it was (so the variable-count
// forms "read" them); OF is defined only for a count of 1; AF is undefined after a
// shift by a non-zero count; rotates change only CF and OF. /6 is an alias of /4 (sal).
const SHIFT = ['rol', 'ror', 'rcl', 'rcr', 'shl', 'shr', 'shl', 'sar'];
const SHIFT_FLAGS_1 = ['w:OC', 'w:OC', 'r:C w:OC', 'r:C w:OC', 'w:OSZPC u:A', 'w:OSZPC u:A', 'w:OSZPC u:A', 'w:OSZPC u:A'];
// Variable counts: w is what a count of 1 defines; u what other counts leave undefined.
const SHIFT_FLAGS_N = [
  'r:OC w:OC u:O u1:', 'r:OC w:OC u:O u1:', 'r:OC w:OC u:O u1:', 'r:OC w:OC u:O u1:',
  'r:OSZAPC w:OSZPC u:OA u1:A', 'r:OSZAPC w:OSZPC u:OA u1:A', 'r:OSZAPC w:OSZPC u:OA u1:A', 'r:OSZAPC w:OSZPC u:OA u1:A',
];
for (const [op, args, one] of [['c0', 'Eb,Ib', false], ['c1', 'Ev,Ib', false], ['d0', 'Eb,1', true], ['d1', 'Ev,1', true], ['d2', 'Eb,CL', false], ['d3', 'Ev,CL', false]] as const) {
  for (let k = 0; k < 8; k++) {
    r(`${op}/${k}`, SHIFT[k], args, one ? SHIFT_FLAGS_1[k] : SHIFT_FLAGS_N[k], 'shift', k === 6 ? { note: 'sal: /6 is an alias of /4' } : {});
  }
}
r('c2', 'ret', 'Iw', '', 'ret', { flow: 'ret' });
r('c3', 'ret', '', '', 'ret', { flow: 'ret' });
r('c6/0', 'mov', 'Eb,Ib', '', 'mov E,I');
r('c7/0', 'mov', 'Ev,Iz', '', 'mov E,I');
r('c4 m', 'les', 'Gv,Mp', '', 'load far pointer', { flow: 'end' });
r('c5 m', 'lds', 'Gv,Mp', '', 'load far pointer', { flow: 'end' });
r('c8', 'enter', 'Iw,Ib', '', 'enter');
r('c9', 'leave', '', '', 'leave');
r('ca', 'retf', 'Iw', '', 'retf', { flow: 'end' });
r('cb', 'retf', '', '', 'retf', { flow: 'end' });
r('cc', 'int3', '', '', 'int3', { flow: 'int' });
r('cd', 'int', 'Ib', '', 'int', { flow: 'int', note: 'int 0x80 is the Linux system call' });
r('ce', 'into', '', 'r:O', 'into', { flow: 'int' });
r('cf', 'iret', '', 'w:OSZAPCD', 'iret', { flow: 'end' });
r('d4', 'aam', 'Ib', 'w:SZP u:OAC', 'aam');
r('d5', 'aad', 'Ib', 'w:SZP u:OAC', 'aad');
r('d6', 'salc', '', 'r:C', 'salc', { note: 'undocumented (AL = CF ? FF : 0); objdump prints (bad)' });
r('d7', 'xlat', '', '', 'xlat');
// D8-DF: x87 (SDM Tables A-7 to A-22): memory forms by ModRM.reg, register forms by
// ModRM.reg, or by the whole ModRM byte (key "d9 e0") where the SDM names each one.
// fcomi/fucomi(p) write ZF PF CF and clear OF SF AF; fcmov reads the flags of its condition.
// The escape handlers (cpu/fpu-ops.ts) still refuse the register forms a group row does not
// name (e.g. D9 E2), so their validity below the row level lives there. The undocumented
// aliases (fstp1, fcom2, fcomp3, fxch4, fcomp5, ffreep, fxch7, fstp8, fstp9) execute on
// Intel and AMD CPUs; objdump prints most of them as (bad).
const X87_ARITH = ['fadd', 'fmul', 'fcom', 'fcomp', 'fsub', 'fsubr', 'fdiv', 'fdivr'];
const X87_IARITH = ['fiadd', 'fimul', 'ficom', 'ficomp', 'fisub', 'fisubr', 'fidiv', 'fidivr'];
const x87 = (key: string, mnem: string, args: string, extra: Extra & { flags?: string } = {}) =>
  r(key, mnem, args, extra.flags ?? '', `x87 ${key.slice(0, 2)}`, { cpuid: 'fpu', ...extra });
const ALIAS = { note: 'undocumented alias; objdump prints (bad)' };
for (let k = 0; k < 8; k++) {
  x87(`d8/${k} m`, X87_ARITH[k], 'Md');
  x87(`d8/${k} r`, X87_ARITH[k], 'ST,STi');
  x87(`dc/${k} m`, X87_ARITH[k], 'Mq');
  x87(`da/${k} m`, X87_IARITH[k], 'Md');
  x87(`de/${k} m`, X87_IARITH[k], 'Mw');
}
// DC and DE register forms: ST(i) is the destination, and the sub/div rows are swapped
// against D8 (objdump -M intel names them as the SDM does).
for (const [k, m] of [[0, 'fadd'], [1, 'fmul'], [4, 'fsubr'], [5, 'fsub'], [6, 'fdivr'], [7, 'fdiv']] as const) {
  x87(`dc/${k} r`, m, 'STi,ST');
  x87(`de/${k} r`, `${m}p`, 'STi,ST');
}
x87('dc/2 r', 'fcom2', 'STi', ALIAS); x87('dc/3 r', 'fcomp3', 'STi', ALIAS);
x87('de/2 r', 'fcomp5', 'STi', ALIAS); x87('de d9', 'fcompp', '');
x87('d9/0 m', 'fld', 'Md'); x87('d9/2 m', 'fst', 'Md'); x87('d9/3 m', 'fstp', 'Md');
x87('d9/4 m', 'fldenv', 'M'); x87('d9/5 m', 'fldcw', 'Mw'); x87('d9/6 m', 'fnstenv', 'M'); x87('d9/7 m', 'fnstcw', 'Mw');
x87('d9/0 r', 'fld', 'STi'); x87('d9/1 r', 'fxch', 'STi'); x87('d9 d0', 'fnop', ''); x87('d9/3 r', 'fstp1', 'STi', ALIAS);
const D9_REG: [number, string][] = [
  [0xe0, 'fchs'], [0xe1, 'fabs'], [0xe4, 'ftst'], [0xe5, 'fxam'], [0xe8, 'fld1'], [0xe9, 'fldl2t'], [0xea, 'fldl2e'],
  [0xeb, 'fldpi'], [0xec, 'fldlg2'], [0xed, 'fldln2'], [0xee, 'fldz'], [0xf0, 'f2xm1'], [0xf1, 'fyl2x'], [0xf2, 'fptan'],
  [0xf3, 'fpatan'], [0xf4, 'fxtract'], [0xf5, 'fprem1'], [0xf6, 'fdecstp'], [0xf7, 'fincstp'], [0xf8, 'fprem'],
  [0xf9, 'fyl2xp1'], [0xfa, 'fsqrt'], [0xfb, 'fsincos'], [0xfc, 'frndint'], [0xfd, 'fscale'], [0xfe, 'fsin'], [0xff, 'fcos'],
];
for (const [m, name] of D9_REG) x87(`d9 ${hex(m)}`, name, '');
const FCMOV = ['b', 'e', 'be', 'u'], FCMOV_FLAGS = ['r:C', 'r:Z', 'r:CZ', 'r:P'];
for (let k = 0; k < 4; k++) {
  x87(`da/${k} r`, `fcmov${FCMOV[k]}`, 'ST,STi', { cpuid: 'cmov', flags: FCMOV_FLAGS[k] });
  x87(`db/${k} r`, `fcmovn${FCMOV[k]}`, 'ST,STi', { cpuid: 'cmov', flags: FCMOV_FLAGS[k] });
}
x87('da e9', 'fucompp', '');
x87('db/0 m', 'fild', 'Md'); x87('db/1 m', 'fisttp', 'Md', { cpuid: 'sse3' }); x87('db/2 m', 'fist', 'Md'); x87('db/3 m', 'fistp', 'Md');
x87('db/5 m', 'fld', 'Mt'); x87('db/7 m', 'fstp', 'Mt');
x87('db e0', 'feni', '', { note: '8087 only; a no-op since the 387 (objdump: feni(8087 only))' });
x87('db e1', 'fdisi', '', { note: '8087 only; a no-op since the 387 (objdump: fndisi(8087 only))' });
x87('db e2', 'fnclex', ''); x87('db e3', 'fninit', '');
x87('db e4', 'fsetpm', '', { note: '287 only; a no-op since the 387 (objdump: fnsetpm(287 only))' });
x87('db/5 r', 'fucomi', 'ST,STi', { cpuid: 'cmov', flags: 'w:OSZAPC' });
x87('db/6 r', 'fcomi', 'ST,STi', { cpuid: 'cmov', flags: 'w:OSZAPC' });
x87('dd/0 m', 'fld', 'Mq'); x87('dd/1 m', 'fisttp', 'Mq', { cpuid: 'sse3' }); x87('dd/2 m', 'fst', 'Mq'); x87('dd/3 m', 'fstp', 'Mq');
x87('dd/4 m', 'frstor', 'M'); x87('dd/6 m', 'fnsave', 'M'); x87('dd/7 m', 'fnstsw', 'Mw');
x87('dd/0 r', 'ffree', 'STi'); x87('dd/1 r', 'fxch4', 'STi', ALIAS); x87('dd/2 r', 'fst', 'STi'); x87('dd/3 r', 'fstp', 'STi');
x87('dd/4 r', 'fucom', 'STi'); x87('dd/5 r', 'fucomp', 'STi');
x87('df/0 m', 'fild', 'Mw'); x87('df/1 m', 'fisttp', 'Mw', { cpuid: 'sse3' }); x87('df/2 m', 'fist', 'Mw'); x87('df/3 m', 'fistp', 'Mw'); x87('df/4 m', 'fbld', 'Mt');
x87('df/5 m', 'fild', 'Mq'); x87('df/6 m', 'fbstp', 'Mt'); x87('df/7 m', 'fistp', 'Mq');
x87('df/0 r', 'ffreep', 'STi'); x87('df/1 r', 'fxch7', 'STi', ALIAS);
x87('df/2 r', 'fstp8', 'STi', ALIAS); x87('df/3 r', 'fstp9', 'STi', ALIAS);
x87('df e0', 'fnstsw', 'AX');
x87('df/5 r', 'fucomip', 'ST,STi', { cpuid: 'cmov', flags: 'w:OSZAPC' });
x87('df/6 r', 'fcomip', 'ST,STi', { cpuid: 'cmov', flags: 'w:OSZAPC' });
r('e0', 'loopne', 'Jb', 'r:Z', 'loop', { flow: 'jcc' });
r('e1', 'loope', 'Jb', 'r:Z', 'loop', { flow: 'jcc' });
r('e2', 'loop', 'Jb', '', 'loop', { flow: 'jcc' });
r('e3', 'jecxz', 'Jb', '', 'loop', { flow: 'jcc' });
r('e4', 'in', 'AL,Ib', '', 'gp', { flow: 'end' });
r('e5', 'in', 'eAX,Ib', '', 'gp', { flow: 'end' });
r('e6', 'out', 'Ib,AL', '', 'gp', { flow: 'end' });
r('e7', 'out', 'Ib,eAX', '', 'gp', { flow: 'end' });
r('e8', 'call', 'Jz', '', 'call', { flow: 'call' });
r('e9', 'jmp', 'Jz', '', 'jmp', { flow: 'jmp' });
r('ea', 'jmp', 'Ap', '', 'far direct', { flow: 'end', note: 'far jmp (cpu/ops/segment.ts)' });
r('eb', 'jmp', 'Jb', '', 'jmp', { flow: 'jmp' });
r('ec', 'in', 'AL,DX', '', 'gp', { flow: 'end' });
r('ed', 'in', 'eAX,DX', '', 'gp', { flow: 'end' });
r('ee', 'out', 'DX,AL', '', 'gp', { flow: 'end' });
r('ef', 'out', 'DX,eAX', '', 'gp', { flow: 'end' });
r('f1', 'int1', '', '', 'int1', { flow: 'int' });
r('f4', 'hlt', '', '', 'gp', { flow: 'end' });
r('f5', 'cmc', '', 'r:C w:C', 'cmc');
// F6/F7: group 3. /1 is an undocumented alias of /0 (test).
const G3 = ['test', 'test', 'not', 'neg', 'mul', 'imul', 'div', 'idiv'];
const G3_FLAGS = ['w:OSZPC u:A', 'w:OSZPC u:A', '', 'w:OSZAPC', 'w:OC u:SZAP', 'w:OC u:SZAP', 'u:OSZAPC', 'u:OSZAPC'];
for (const [op, v] of [['f6', 'b'], ['f7', 'v']]) {
  for (let k = 0; k < 8; k++) {
    const args = k < 2 ? `E${v},I${v === 'v' ? 'z' : 'b'}` : `E${v}`;
    r(`${op}/${k}`, G3[k], args, G3_FLAGS[k], 'grp3', { lock: k === 2 || k === 3, ...(k === 1 ? { note: 'undocumented alias of /0' } : {}) });
  }
}
r('f8', 'clc', '', 'w:C', 'clc');
r('f9', 'stc', '', 'w:C', 'stc');
r('fa', 'cli', '', '', 'gp', { flow: 'end' });
r('fb', 'sti', '', '', 'gp', { flow: 'end' });
r('fc', 'cld', '', 'w:D', 'cld');
r('fd', 'std', '', 'w:D', 'std');
r('fe/0', 'inc', 'Eb', 'w:OSZAP', 'grp4', { lock: true });
r('fe/1', 'dec', 'Eb', 'w:OSZAP', 'grp4', { lock: true });
r('ff/0', 'inc', 'Ev', 'w:OSZAP', 'grp5', { lock: true });
r('ff/1', 'dec', 'Ev', 'w:OSZAP', 'grp5', { lock: true });
r('ff/2', 'call', 'Ev', '', 'grp5', { flow: 'call-indirect' });
r('ff/3 m', 'call', 'Mp', '', 'grp5', { flow: 'end', note: 'far call' });
r('ff/4', 'jmp', 'Ev', '', 'grp5', { flow: 'jmp-indirect' });
r('ff/5 m', 'jmp', 'Mp', '', 'grp5', { flow: 'end', note: 'far jmp' });
r('ff/6', 'push', 'Ev', '', 'grp5');

// ---- Two-byte map, 0F xx (SDM Table A-3) ----

// Group 6 and 7: descriptor-table and machine-status instructions. UMIP (on current CPUs
// and kernels) blocks sldt/str/sgdt/sidt/smsw at CPL 3 and Linux emulates them for 32-bit
// programs (arch/x86/kernel/umip.c: dummy values); lar/lsl-style verr/verw run at any
// level; lldt/ltr/lgdt/lidt/lmsw/invlpg are privileged: #GP.
const G6 = ['sldt', 'str', 'lldt', 'ltr', 'verr', 'verw'];
for (let k = 0; k < 6; k++) r(`0f 00/${k}`, G6[k], 'Ew', k === 4 || k === 5 ? 'w:Z' : '', 'grp6', k === 2 || k === 3 ? { flow: 'end' } : {});
const G7 = ['sgdt', 'sidt', 'lgdt', 'lidt', 'smsw', '', 'lmsw', 'invlpg'];
for (let k = 0; k < 8; k++) {
  if (k === 5) continue;
  r(k === 4 || k === 6 ? `0f 01/${k}` : `0f 01/${k} m`, G7[k], k === 4 || k === 6 ? 'Ew' : 'M', '', 'grp7', k === 0 || k === 1 || k === 4 ? {} : { flow: 'end' });
}
for (const k of [0, 1, 2, 3, 5, 7]) {
  r(`0f 01/${k} r`, 'sys', 'E', '', 'grp7', { flow: 'end', note: 'group 7 register forms (monitor, mwait, xgetbv, rdtscp, ...): #GP here' });
}
r('0f 02', 'lar', 'Gv,Ew', 'w:Z', 'lar/lsl');
r('0f 03', 'lsl', 'Gv,Ew', 'w:Z', 'lar/lsl');
r('0f 05', 'syscall', '', '', 'ud', { flow: 'syscall', note: '#UD in 32-bit mode on Intel' });
r('0f 06', 'clts', '', '', 'gp', { flow: 'end' });
r('0f 07', 'sysret', '', '', 'ud', { flow: 'syscall' });
r('0f 08', 'invd', '', '', 'gp', { flow: 'end' });
r('0f 09', 'wbinvd', '', '', 'gp', { flow: 'end' });
r('0f 0b', 'ud2', '', '', 'ud', { flow: 'end' });
// Prefetches and hint NOPs: no architectural effect; every P6-family CPU executes them.
r('0f 0d m', 'prefetch', 'Mb', '', 'hint nop', { note: 'prefetch/prefetchw (3DNow!/PRFCHW): a hint; the register form is #UD (checked natively by test/cpu/flags-rows.test.ts)' });
r('0f 18', 'prefetch', 'Eb', '', 'hint nop', { note: 'prefetchnta/t0/t1/t2 and reserved hint NOPs' });
for (let op = 0x19; op <= 0x1f; op++) r(`0f ${hex(op)}`, 'nop', 'Ev', '', 'hint nop', op === 0x1e ? { note: 'f3 0f 1e fb is endbr32' } : {});
r('0f 20', 'mov', 'Rd,Cd', '', 'gp cr', { flow: 'end' });
r('0f 21', 'mov', 'Rd,Dd', '', 'gp cr', { flow: 'end' });
r('0f 22', 'mov', 'Cd,Rd', '', 'gp cr', { flow: 'end' });
r('0f 23', 'mov', 'Dd,Rd', '', 'gp cr', { flow: 'end' });
r('0f 30', 'wrmsr', '', '', 'gp', { flow: 'end' });
r('0f 31', 'rdtsc', '', '', 'rdtsc', { cpuid: 'tsc' });
r('0f 32', 'rdmsr', '', '', 'gp', { flow: 'end' });
r('0f 34', 'sysenter', '', '', 'ud', { flow: 'syscall' });
r('0f 35', 'sysexit', '', '', 'ud', { flow: 'syscall' });
for (let c = 0; c < 16; c++) r(`0f ${hex(0x40 + c)}`, `cmov${CC[c]}`, 'Gv,Ev', `r:${CC_FLAGS[c]}`, 'cmov', { cpuid: 'cmov' });
for (let c = 0; c < 16; c++) r(`0f ${hex(0x80 + c)}`, `j${CC[c]}`, 'Jz', `r:${CC_FLAGS[c]}`, 'jcc', { flow: 'jcc' });
for (let c = 0; c < 16; c++) r(`0f ${hex(0x90 + c)}`, `set${CC[c]}`, 'Eb', `r:${CC_FLAGS[c]}`, 'setcc');
r('0f a0', 'push', 'FS', '', 'push fs/gs'); r('0f a1', 'pop', 'FS', '', 'pop fs/gs', { flow: 'end' });
r('0f a2', 'cpuid', '', '', 'cpuid');
r('0f a3', 'bt', 'Ev,Gv', 'w:C u:OSAP', 'bt');
r('0f a4', 'shld', 'Ev,Gv,Ib', 'r:OSZAPC w:OSZPC u:OA u1:A', 'shld/shrd');
r('0f a5', 'shld', 'Ev,Gv,CL', 'r:OSZAPC w:OSZPC u:OA u1:A', 'shld/shrd');
r('0f a8', 'push', 'GS', '', 'push fs/gs'); r('0f a9', 'pop', 'GS', '', 'pop fs/gs', { flow: 'end' });
r('0f ab', 'bts', 'Ev,Gv', 'w:C u:OSAP', 'bt', { lock: true });
r('0f ac', 'shrd', 'Ev,Gv,Ib', 'r:OSZAPC w:OSZPC u:OA u1:A', 'shld/shrd');
r('0f ad', 'shrd', 'Ev,Gv,CL', 'r:OSZAPC w:OSZPC u:OA u1:A', 'shld/shrd');
// 0F AE (group 15: fences, fxsave, ldmxcsr...) is in rows-simd.ts with the SIMD rows.
r('0f af', 'imul', 'Gv,Ev', 'w:OC u:SZAP', 'imul G,E');
r('0f b0', 'cmpxchg', 'Eb,Gb', 'w:OSZAPC', 'cmpxchg', { lock: true });
r('0f b1', 'cmpxchg', 'Ev,Gv', 'w:OSZAPC', 'cmpxchg', { lock: true });
r('0f b2 m', 'lss', 'Gv,Mp', '', 'load far pointer', { flow: 'end' });
r('0f b3', 'btr', 'Ev,Gv', 'w:C u:OSAP', 'bt', { lock: true });
r('0f b4 m', 'lfs', 'Gv,Mp', '', 'load far pointer', { flow: 'end' });
r('0f b5 m', 'lgs', 'Gv,Mp', '', 'load far pointer', { flow: 'end' });
r('0f b6', 'movzx', 'Gv,Eb', '', 'movzx/movsx');
r('0f b7', 'movzx', 'Gv,Ew', '', 'movzx/movsx');
const G8 = ['bt', 'bts', 'btr', 'btc'];
for (let k = 4; k < 8; k++) r(`0f ba/${k}`, G8[k - 4], 'Ev,Ib', 'w:C u:OSAP', 'bt', { lock: k > 4 });
r('0f bb', 'btc', 'Ev,Gv', 'w:C u:OSAP', 'bt', { lock: true });
r('0f bc', 'bsf', 'Gv,Ev', 'w:Z u:OSAPC', 'bsf/bsr');
r('0f bd', 'bsr', 'Gv,Ev', 'w:Z u:OSAPC', 'bsf/bsr');
r('0f be', 'movsx', 'Gv,Eb', '', 'movzx/movsx');
r('0f bf', 'movsx', 'Gv,Ew', '', 'movzx/movsx');
r('0f c0', 'xadd', 'Eb,Gb', 'w:OSZAPC', 'xadd', { lock: true });
r('0f c1', 'xadd', 'Ev,Gv', 'w:OSZAPC', 'xadd', { lock: true });
r('0f c7/1 m', 'cmpxchg8b', 'Mq', 'w:Z', 'cmpxchg8b', { lock: true, cpuid: 'cx8' });
for (let i = 0; i < 8; i++) r(`0f ${hex(0xc8 + i)}`, 'bswap', 'Zd', '', 'bswap');
