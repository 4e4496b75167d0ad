/**
 * Machine code for an instruction row (src/engine/cpu/isa): the opcode bytes of each
 * ModRM form the row has, with immediates of the row's operand sizes, for tests that feed
 * every row to objdump, to our decoder or to the real CPU.
 */
import { MAP_BYTES, type Row } from '../../src/engine/cpu/isa/index.js';

export interface Encoding {
  /** 'reg' or 'mem' (ModRM forms), '' without ModRM; ' o16' appended with a 66 prefix. */
  form: string;
  bytes: number[];
}

/** Immediate bytes of an operand at a given operand size (2 or 4), or 0. */
function immBytes(o: Row['operands'][number], opsize: number): number {
  if (o.method === 'I' || o.method === 'J') {
    return o.size === 'b' ? 1 : o.size === 'w' ? 2 : o.size === 'z' || o.size === 'v' ? opsize : o.size === 'd' ? 4 : 0;
  }
  if (o.method === 'O') return 4;
  if (o.method === 'A') return opsize + 2;
  return 0;
}

/**
 * The encodings of a row: ModRM with mod 3 and rm 0 (eax; the row's rm if it names one) for the register form, and
 * `mem` (ModRM and any SIB/displacement, with reg 0) for the memory form; at operand size
 * 4, and also 2 when `o16` and the row has operands sized by it. Immediates are `fill`.
 */
export function rowEncodings(row: Row, o: { mem: number[]; fill: number; o16: boolean }): Encoding[] {
  const out: Encoding[] = [];
  const head = [...(row.prefix ? [row.prefix] : []), ...MAP_BYTES[row.map], row.op];
  // x87 escapes: reg 0 (valid in every escape's register form); others: reg 2 (edx) unless a group row.
  const reg = row.reg >= 0 ? row.reg : row.handler.startsWith('x87') ? 0 : 2;
  // mov to/from control and debug registers ignore ModRM.mod: never a memory operand.
  const regOnly = !row.operands.some((x) => x.method === 'E' || x.method === 'M' || x.method === 'W' || x.method === 'Q');
  const forms: [string, number[]][] = [];
  if (!row.modrm) forms.push(['', []]);
  else {
    if (row.mod !== 'mem') forms.push(['reg', [0xc0 | (reg << 3) | Math.max(row.rm, 0)]]);
    if (row.mod !== 'reg') forms.push(['mem', regOnly ? [0x80 | (reg << 3)] : [o.mem[0] | (reg << 3), ...o.mem.slice(1)]]);
  }
  for (const opsize of o.o16 ? [4, 2] : [4]) {
    if (opsize === 2 && !row.operands.some((x) => x.size === 'v' || x.size === 'z' || x.method === 'A')) continue;
    for (const [form, modrm] of forms) {
      let imm = 0;
      for (const x of row.operands) imm += immBytes(x, opsize);
      out.push({ form: `${form}${opsize === 2 ? ' o16' : ''}`, bytes: [...(opsize === 2 ? [0x66] : []), ...head, ...modrm, ...new Array(imm).fill(o.fill)] });
    }
  }
  return out;
}

export const hex = (n: number): string => n.toString(16).padStart(2, '0');
/** A row's opcode as the SDM writes it: "0f ba/5". */
export const rowKey = (row: Row): string =>
  `${row.prefix ? hex(row.prefix) + ' ' : ''}${MAP_BYTES[row.map].map((b) => hex(b) + ' ').join('')}${hex(row.op)}${row.reg >= 0 ? '/' + row.reg : ''}`;
