/**
 * The instruction table's lookup API: one row per opcode form (rows.ts; legend in
 * types.ts and at the top of rows.ts). Everything here is computed once from the rows at
 * load; nothing is consulted per executed instruction.
 *
 * For the decoder: per opcode, bit masks indexed by ModRM.reg (`validMask`, `lockMask`,
 * `endsMask`) and the handler's name (`handlerOf`). For the JIT and tools: `rowFor`,
 * which answers the row of an instruction from its map, opcode, ModRM byte and mandatory
 * prefix. For tests: `undefinedFlags` (the flags a mnemonic leaves undefined).
 */
import { ROWS } from './rows.js';
import './rows-simd.js';
import './rows-sse4.js';
import { MAP0F, MAP1, MAPS, MAP_BYTES, SIMD_FEATURES, type OpMap, type Row } from './types.js';

export { ROWS };
export * from './types.js';

/** All rows of one opcode (every group member, every mandatory-prefix form), in table order. */
const BY_OP: Row[][][] = [[], [], [], [], []];
for (const m of MAPS) for (let op = 0; op < 256; op++) BY_OP[m][op] = [];
for (const row of ROWS) BY_OP[row.map][row.op].push(row);

/** Whether `row` covers ModRM byte `modrm` (-1: no ModRM, or not known yet). */
function covers(row: Row, modrm: number): boolean {
  if (modrm < 0 || !row.modrm) return true;
  if (row.reg >= 0 && row.reg !== ((modrm >> 3) & 7)) return false;
  const isReg = modrm >= 0xc0;
  if (row.rm >= 0 && !(isReg && row.rm === (modrm & 7))) return false;
  return row.mod === 'any' || (row.mod === 'reg') === isReg;
}

/**
 * The row of an instruction: its opcode map (MAP1 or MAP0F), opcode byte, ModRM byte
 * (-1 when the opcode has none or it is not known: then the first row of the opcode),
 * and the last F2/F3/66 prefix seen (0 for none). A mandatory-prefix row wins over the
 * plain row when its prefix is present; otherwise a prefix is an ordinary rep/size
 * prefix and the plain row applies. Undefined when no row exists (the encoding is #UD).
 */
export function rowFor(map: OpMap, op: number, modrm = -1, prefix = 0): Row | undefined {
  const rows = BY_OP[map][op];
  let plain: Row | undefined;
  for (const row of rows) {
    if (!covers(row, modrm)) continue;
    if (row.prefix === 0) plain ??= row;
    else if (row.prefix === prefix) return row;
  }
  // A SIMD opcode with prefixed forms is selected by its prefix: one without a row is #UD.
  return prefix !== 0 && PREFIX_SELECTED[map][op] !== 0 ? undefined : plain;
}

/**
 * The mandatory prefix of a SIMD instruction from its prefixes (SDM Vol. 2, 2.1.1): the
 * last F2/F3 if any (`rep`), else 66 (`opsize` 2), else 0.
 */
export const simdPrefix = (rep: number, opsize: number): number => (rep !== 0 ? rep : opsize === 2 ? 0x66 : 0);

/** Opcodes with a prefixed SIMD row: their prefix selects the row (see rowFor). */
export const PREFIX_SELECTED = [new Uint8Array(0), ...MAPS.map(() => new Uint8Array(256))];
for (const row of ROWS) if (row.prefix !== 0 && SIMD_FEATURES.has(row.cpuid)) PREFIX_SELECTED[row.map][row.op] = 1;

/** Every row of an opcode byte (group rows and prefixed forms included). */
export function rowsOf(map: OpMap, op: number): readonly Row[] {
  return BY_OP[map][op];
}

/**
 * A 16-bit mask per opcode: bit reg (0-7) when the register form (mod = 3) with that
 * ModRM.reg has a row, bit 8 + reg for the memory form. Opcodes without ModRM have all 16
 * bits set when they have a row. 0: the opcode is #UD.
 */
function formMask(pred: (row: Row) => boolean): Uint16Array[] {
  const out = [new Uint16Array(0), ...MAPS.map(() => new Uint16Array(256))];
  // Prefixed rows count too: the decoder's masks say which ModRM forms some row has; the
  // SIMD handlers then pick the row by prefix (rowFor) and answer #UD when none matches.
  for (const row of ROWS) {
    if (!pred(row)) continue;
    let m = 0;
    for (let reg = 0; reg < 8; reg++) {
      if (row.reg >= 0 && row.reg !== reg) continue;
      if (row.mod !== 'mem') m |= 1 << reg;
      if (row.mod !== 'reg') m |= 1 << (8 + reg);
    }
    out[row.map][row.op] |= row.modrm ? m : 0xffff;
  }
  return out;
}

/** Decoder masks (see formMask): forms that exist; forms that accept LOCK; forms that end a block. */
export const VALID = formMask(() => true);
/** LOCK needs a memory destination: only the memory forms (bits 8-15) of lockable rows. */
export const LOCKABLE = formMask((row) => row.lock).map((t) => t.map((m) => m & 0xff00));
export const ENDS = formMask((row) => row.flow !== 'none');
/** Whether an opcode has a ModRM byte (all its rows agree; checked below). */
export const HAS_MODRM = [new Uint8Array(0), ...MAPS.map(() => new Uint8Array(256))];
/** Whether an opcode's rows differ by ModRM (group rows, or mod restrictions): the decoder checks ModRM against VALID. */
export const BY_MODRM = [new Uint8Array(0), ...MAPS.map(() => new Uint8Array(256))];

/** Bit of a form in the masks above, from a ModRM byte. */
export const formBit = (modrm: number): number => 1 << (((modrm >> 3) & 7) + (modrm < 0xc0 ? 8 : 0));

/** The handler name of an opcode byte (all rows of one opcode share one handler; checked below). */
export function handlerOf(map: OpMap, op: number): string | undefined {
  return BY_OP[map][op][0]?.handler;
}

for (const m of MAPS) {
  for (let op = 0; op < 256; op++) {
    const rows = BY_OP[m][op];
    if (rows.length === 0) continue;
    const where = `${MAP_BYTES[m].map((b) => b.toString(16) + ' ').join('')}${op.toString(16)}`;
    if (rows.some((row) => row.handler !== rows[0].handler)) throw new Error(`isa: opcode ${where} names two handlers`);
    if (rows.some((row) => row.modrm !== rows[0].modrm)) throw new Error(`isa: opcode ${where} rows disagree on ModRM`);
    HAS_MODRM[m][op] = rows[0].modrm ? 1 : 0;
    BY_MODRM[m][op] = rows[0].modrm && VALID[m][op] !== 0xffff ? 1 : 0;
    // No two rows of the same prefix may cover the same form.
    for (let modrm = 0; modrm < 256; modrm++) {
      for (const p of [0, 0x66, 0xf2, 0xf3]) {
        const n = rows.filter((row) => row.prefix === p && covers(row, modrm)).length;
        if (n > 1) throw new Error(`isa: opcode ${where} ModRM ${modrm.toString(16)} has ${n} rows`);
      }
    }
  }
}

/**
 * The flags some form of `mnem` leaves undefined (the union over its rows), and those a
 * variable-count shift or rotate leaves undefined with a count of 1 (`count1`).
 * Throws for an unknown mnemonic, so a test cannot mask by a misspelt name.
 */
export function undefinedFlags(mnem: string): { any: number; count1: number } {
  let any = 0, count1 = 0, found = false;
  for (const row of ROWS) {
    if (row.mnem !== mnem) continue;
    found = true;
    any |= row.undef;
    count1 |= row.undef1;
  }
  if (!found) throw new Error(`isa: no row for ${mnem}`);
  return { any, count1 };
}

/** Every mnemonic in the table, once. */
export function mnemonics(): string[] {
  return [...new Set(ROWS.map((row) => row.mnem))];
}
