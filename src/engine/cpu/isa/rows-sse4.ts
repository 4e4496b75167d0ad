/**
 * SSE4.1 and SSE4.2 rows of the three-byte maps 0F 38 and 0F 3A (SDM Tables ), all
 * with the mandatory prefix 66 (crc32: F2). Same legend as rows.ts; handlers `sse <map> <op>`
 * as in rows-simd.ts (cpu/ops/sse-dispatch.ts picks the row, cpu/ops/sse4.ts implements it).
 */
import { hex, r, type Extra } from './rows.js';
import type { Feature } from './types.js';

const x = (key: string, mnem: string, args: string, cpuid: Feature, extra: Extra & { flags?: string } = {}): void => {
  const op = /0f ((?:38 |3a )[0-9a-f]{2})/.exec(key)![1];
  r(key, mnem, args, extra.flags ?? '', `sse ${op}`, { cpuid, ...extra });
};

// ---- 0F 38 ----
x('66 0f 38 10', 'pblendvb', 'Vdq,Wdq', 'sse4.1'); x('66 0f 38 14', 'blendvps', 'Vps,Wps', 'sse4.1');
x('66 0f 38 15', 'blendvpd', 'Vpd,Wpd', 'sse4.1');
// ptest: ZF = (dst AND src) is zero, CF = (NOT dst AND src) is zero; OF SF AF PF cleared.
x('66 0f 38 17', 'ptest', 'Vdq,Wdq', 'sse4.1', { flags: 'w:OSZAPC' });
/** pmovsx/pmovzx: [opcode low nibble, name suffix, source bytes read from memory]. */
const PMOVX: [number, string, string][] = [[0, 'bw', 'q'], [1, 'bd', 'd'], [2, 'bq', 'w'], [3, 'wd', 'q'], [4, 'wq', 'd'], [5, 'dq', 'q']];
for (const [k, suffix, size] of PMOVX) {
  x(`66 0f 38 ${hex(0x20 + k)}`, `pmovsx${suffix}`, `Vdq,W${size}`, 'sse4.1');
  x(`66 0f 38 ${hex(0x30 + k)}`, `pmovzx${suffix}`, `Vdq,W${size}`, 'sse4.1');
}
x('66 0f 38 28', 'pmuldq', 'Vdq,Wdq', 'sse4.1'); x('66 0f 38 29', 'pcmpeqq', 'Vdq,Wdq', 'sse4.1');
x('66 0f 38 2a m', 'movntdqa', 'Vdq,Mdq', 'sse4.1'); x('66 0f 38 2b', 'packusdw', 'Vdq,Wdq', 'sse4.1');
x('66 0f 38 37', 'pcmpgtq', 'Vdq,Wdq', 'sse4.2');
const MINMAX: [number, string][] = [[0x38, 'pminsb'], [0x39, 'pminsd'], [0x3a, 'pminuw'], [0x3b, 'pminud'], [0x3c, 'pmaxsb'], [0x3d, 'pmaxsd'], [0x3e, 'pmaxuw'], [0x3f, 'pmaxud']];
for (const [op, mnem] of MINMAX) x(`66 0f 38 ${hex(op)}`, mnem, 'Vdq,Wdq', 'sse4.1');
x('66 0f 38 40', 'pmulld', 'Vdq,Wdq', 'sse4.1'); x('66 0f 38 41', 'phminposuw', 'Vdq,Wdq', 'sse4.1');
x('f2 0f 38 f0', 'crc32', 'Gd,Eb', 'sse4.2'); x('f2 0f 38 f1', 'crc32', 'Gd,Ev', 'sse4.2');

// ---- 0F 3A ----
x('66 0f 3a 08', 'roundps', 'Vps,Wps,Ib', 'sse4.1'); x('66 0f 3a 09', 'roundpd', 'Vpd,Wpd,Ib', 'sse4.1');
x('66 0f 3a 0a', 'roundss', 'Vss,Wss,Ib', 'sse4.1'); x('66 0f 3a 0b', 'roundsd', 'Vsd,Wsd,Ib', 'sse4.1');
x('66 0f 3a 0c', 'blendps', 'Vps,Wps,Ib', 'sse4.1'); x('66 0f 3a 0d', 'blendpd', 'Vpd,Wpd,Ib', 'sse4.1');
x('66 0f 3a 0e', 'pblendw', 'Vdq,Wdq,Ib', 'sse4.1');
x('66 0f 3a 14', 'pextrb', 'Eb,Vdq,Ib', 'sse4.1'); x('66 0f 3a 15', 'pextrw', 'Ew,Vdq,Ib', 'sse4.1');
x('66 0f 3a 16', 'pextrd', 'Ey,Vdq,Ib', 'sse4.1'); x('66 0f 3a 17', 'extractps', 'Ed,Vdq,Ib', 'sse4.1');
x('66 0f 3a 20', 'pinsrb', 'Vdq,Eb,Ib', 'sse4.1'); x('66 0f 3a 21', 'insertps', 'Vdq,Wd,Ib', 'sse4.1');
x('66 0f 3a 22', 'pinsrd', 'Vdq,Ey,Ib', 'sse4.1');
x('66 0f 3a 40', 'dpps', 'Vps,Wps,Ib', 'sse4.1'); x('66 0f 3a 41', 'dppd', 'Vpd,Wpd,Ib', 'sse4.1');
x('66 0f 3a 42', 'mpsadbw', 'Vdq,Wdq,Ib', 'sse4.1');
// String compares: index to ECX (i) or mask to XMM0 (m); explicit lengths in EAX/EDX (e),
// implicit by a zero element (i). CF ZF SF OF from the result and lengths, AF PF cleared.
x('66 0f 3a 60', 'pcmpestrm', 'Vdq,Wdq,Ib', 'sse4.2', { flags: 'w:OSZAPC' }); x('66 0f 3a 61', 'pcmpestri', 'Vdq,Wdq,Ib', 'sse4.2', { flags: 'w:OSZAPC' });
x('66 0f 3a 62', 'pcmpistrm', 'Vdq,Wdq,Ib', 'sse4.2', { flags: 'w:OSZAPC' }); x('66 0f 3a 63', 'pcmpistri', 'Vdq,Wdq,Ib', 'sse4.2', { flags: 'w:OSZAPC' });
