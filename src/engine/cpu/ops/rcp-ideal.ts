/**
 * rcp/rsqrt approximation tables (measured: rcp-table.gen.ts, scripts/gen-rcp-table.ts).
 * The CPU's result depends only on the operand's top 12 significand bits j (and, for rsqrt,
 * the exponent's parity); for x in [1, 2) (rsqrt: also [2, 4)) it lies in [0.5, 1) and has
 * 12 fraction bits. ideal() is the starting point the tables are stored against: the
 * fraction of f at the block's midpoint, floor((f(1 + (j + 0.5) / 4096) * 2 - 1) * 4096).
 */
import { RCP_DIFFS, RSQRT1_DIFFS, RSQRT2_DIFFS } from './rcp-table.gen.js';

/** rcp at [1,2), rsqrt at [1,2) (odd biased exponent), rsqrt at [2,4) (even). */
export const KINDS = ['rcp', 'rsqrt1', 'rsqrt2'] as const;
const F = [(x: number) => 1 / x, (x: number) => 1 / Math.sqrt(x), (x: number) => 1 / Math.sqrt(2 * x)];
export const ideal = (k: number, j: number): number => Math.floor((F[k](1 + (j + 0.5) / 4096) * 2 - 1) * 4096);

/** The three tables: result fraction (12 bits) by j. */
export const TABLES: Uint16Array[] = [RCP_DIFFS, RSQRT1_DIFFS, RSQRT2_DIFFS].map((hex, k) => {
  const t = new Uint16Array(4096);
  for (let j = 0; j < 4096; j++) {
    const d = (parseInt(hex[j >> 1], 16) >> (j & 1 ? 0 : 2)) & 3;
    t[j] = ideal(k, j) + d - 1;
  }
  return t;
});
