/**
 * The SIMD rows of the two-byte map: MMX, SSE, SSE2 and the SSE3/POPCNT forms the engine
 * implements, one row per opcode form and mandatory prefix (none, 66, F3, F2), as the Intel
 * SDM Vol. 2 Appendix A Table A-3 lists them (operand notation A.2: V/W/U XMM, P/Q/N MMX).
 * Same legend as rows.ts. All rows of one opcode byte name the handler `sse <op>`
 * (cpu/ops/sse-dispatch.ts), which picks the row by the prefix and ModRM and runs the
 * implementation registered for that row's key.
 *
 * Prefix rule (SDM Vol. 2, 2.1.1 and the opcode map): an opcode that has prefixed rows is
 * selected by its mandatory prefix, the last F2/F3 if any, else 66; a prefix with no row
 * is #UD. Opcodes with only a plain row (emms, the group 15 memory forms, movnti) ignore
 * 66/F2/F3.
 */
import { hex, r, type Extra } from './rows.js';
import type { Feature } from './types.js';

const x = (key: string, mnem: string, args: string, cpuid: Feature, extra: Extra & { flags?: string } = {}): void => {
  const op = /0f ((?:38 |3a )?[0-9a-f]{2})/.exec(key)![1];
  r(key, mnem, args, extra.flags ?? '', `sse ${op}`, { cpuid, ...extra });
};

// ---- 0F 10-17: moves, unpacks ----
x('0f 10', 'movups', 'Vps,Wps', 'sse'); x('66 0f 10', 'movupd', 'Vpd,Wpd', 'sse2');
x('f3 0f 10', 'movss', 'Vss,Wss', 'sse'); x('f2 0f 10', 'movsd', 'Vsd,Wsd', 'sse2');
x('0f 11', 'movups', 'Wps,Vps', 'sse'); x('66 0f 11', 'movupd', 'Wpd,Vpd', 'sse2');
x('f3 0f 11', 'movss', 'Wss,Vss', 'sse'); x('f2 0f 11', 'movsd', 'Wsd,Vsd', 'sse2');
x('0f 12 m', 'movlps', 'Vq,Mq', 'sse'); x('0f 12 r', 'movhlps', 'Vq,Uq', 'sse');
x('66 0f 12 m', 'movlpd', 'Vq,Mq', 'sse2');
x('f2 0f 12', 'movddup', 'Vq,Wq', 'sse3'); x('f3 0f 12', 'movsldup', 'Vdq,Wdq', 'sse3');
x('0f 13 m', 'movlps', 'Mq,Vq', 'sse'); x('66 0f 13 m', 'movlpd', 'Mq,Vq', 'sse2');
x('0f 14', 'unpcklps', 'Vps,Wq', 'sse'); x('66 0f 14', 'unpcklpd', 'Vpd,Wq', 'sse2');
x('0f 15', 'unpckhps', 'Vps,Wq', 'sse'); x('66 0f 15', 'unpckhpd', 'Vpd,Wq', 'sse2');
x('0f 16 m', 'movhps', 'Vq,Mq', 'sse'); x('0f 16 r', 'movlhps', 'Vq,Uq', 'sse');
x('66 0f 16 m', 'movhpd', 'Vq,Mq', 'sse2'); x('f3 0f 16', 'movshdup', 'Vdq,Wdq', 'sse3');
x('0f 17 m', 'movhps', 'Mq,Vq', 'sse'); x('66 0f 17 m', 'movhpd', 'Mq,Vq', 'sse2');

// ---- 0F 28-2F: aligned moves, conversions with integers, compares to EFLAGS ----
x('0f 28', 'movaps', 'Vps,Wps', 'sse'); x('66 0f 28', 'movapd', 'Vpd,Wpd', 'sse2');
x('0f 29', 'movaps', 'Wps,Vps', 'sse'); x('66 0f 29', 'movapd', 'Wpd,Vpd', 'sse2');
x('0f 2a', 'cvtpi2ps', 'Vps,Qpi', 'sse'); x('66 0f 2a', 'cvtpi2pd', 'Vpd,Qpi', 'sse2');
x('f3 0f 2a', 'cvtsi2ss', 'Vss,Ey', 'sse'); x('f2 0f 2a', 'cvtsi2sd', 'Vsd,Ey', 'sse2');
x('0f 2b m', 'movntps', 'Mps,Vps', 'sse'); x('66 0f 2b m', 'movntpd', 'Mpd,Vpd', 'sse2');
x('0f 2c', 'cvttps2pi', 'Ppi,Wps', 'sse'); x('66 0f 2c', 'cvttpd2pi', 'Ppi,Wpd', 'sse2');
x('f3 0f 2c', 'cvttss2si', 'Gy,Wss', 'sse'); x('f2 0f 2c', 'cvttsd2si', 'Gy,Wsd', 'sse2');
x('0f 2d', 'cvtps2pi', 'Ppi,Wps', 'sse'); x('66 0f 2d', 'cvtpd2pi', 'Ppi,Wpd', 'sse2');
x('f3 0f 2d', 'cvtss2si', 'Gy,Wss', 'sse'); x('f2 0f 2d', 'cvtsd2si', 'Gy,Wsd', 'sse2');
// (u)comis*: ZF PF CF from the compare, OF SF AF cleared (SDM COMISS "Flags Affected").
const CMPF = { flags: 'w:OSZAPC' };
x('0f 2e', 'ucomiss', 'Vss,Wss', 'sse', CMPF); x('66 0f 2e', 'ucomisd', 'Vsd,Wsd', 'sse2', CMPF);
x('0f 2f', 'comiss', 'Vss,Wss', 'sse', CMPF); x('66 0f 2f', 'comisd', 'Vsd,Wsd', 'sse2', CMPF);

// ---- 0F 50-5F: floating-point arithmetic ----
x('0f 50 r', 'movmskps', 'Gd,Ups', 'sse'); x('66 0f 50 r', 'movmskpd', 'Gd,Upd', 'sse2');
/** The four forms of a packed/scalar arithmetic opcode: ps, pd (66), ss (F3), sd (F2). */
function arith4(op: string, name: string, forms = 'ps pd ss sd'): void {
  const f = forms.split(' ');
  if (f.includes('ps')) x(`0f ${op}`, `${name}ps`, 'Vps,Wps', 'sse');
  if (f.includes('pd')) x(`66 0f ${op}`, `${name}pd`, 'Vpd,Wpd', 'sse2');
  if (f.includes('ss')) x(`f3 0f ${op}`, `${name}ss`, 'Vss,Wss', 'sse');
  if (f.includes('sd')) x(`f2 0f ${op}`, `${name}sd`, 'Vsd,Wsd', 'sse2');
}
arith4('51', 'sqrt');
arith4('52', 'rsqrt', 'ps ss');
arith4('53', 'rcp', 'ps ss');
arith4('54', 'and', 'ps pd'); arith4('55', 'andn', 'ps pd'); arith4('56', 'or', 'ps pd'); arith4('57', 'xor', 'ps pd');
arith4('58', 'add'); arith4('59', 'mul');
x('0f 5a', 'cvtps2pd', 'Vpd,Wq', 'sse2'); x('66 0f 5a', 'cvtpd2ps', 'Vps,Wpd', 'sse2');
x('f3 0f 5a', 'cvtss2sd', 'Vsd,Wss', 'sse2'); x('f2 0f 5a', 'cvtsd2ss', 'Vss,Wsd', 'sse2');
x('0f 5b', 'cvtdq2ps', 'Vps,Wdq', 'sse2'); x('66 0f 5b', 'cvtps2dq', 'Vdq,Wps', 'sse2');
x('f3 0f 5b', 'cvttps2dq', 'Vdq,Wps', 'sse2');
arith4('5c', 'sub'); arith4('5d', 'min'); arith4('5e', 'div'); arith4('5f', 'max');

// ---- Packed integer: the MMX form (no prefix, P/Q) and the SSE2 form (66, V/W) ----
/**
 * [opcode, mnemonic, MMX feature (or '' when there is no MMX form), MMX source size].
 * MMX punpckl* read 32 bits from memory (SDM PUNPCKLBW: "mm, mm/m32").
 */
const PINT: [number, string, Feature | '', string][] = [
  [0x60, 'punpcklbw', 'mmx', 'd'], [0x61, 'punpcklwd', 'mmx', 'd'], [0x62, 'punpckldq', 'mmx', 'd'],
  [0x63, 'packsswb', 'mmx', 'q'], [0x64, 'pcmpgtb', 'mmx', 'q'], [0x65, 'pcmpgtw', 'mmx', 'q'], [0x66, 'pcmpgtd', 'mmx', 'q'],
  [0x67, 'packuswb', 'mmx', 'q'], [0x68, 'punpckhbw', 'mmx', 'q'], [0x69, 'punpckhwd', 'mmx', 'q'], [0x6a, 'punpckhdq', 'mmx', 'q'],
  [0x6b, 'packssdw', 'mmx', 'q'], [0x6c, 'punpcklqdq', '', 'q'], [0x6d, 'punpckhqdq', '', 'q'],
  [0x74, 'pcmpeqb', 'mmx', 'q'], [0x75, 'pcmpeqw', 'mmx', 'q'], [0x76, 'pcmpeqd', 'mmx', 'q'],
  [0xd1, 'psrlw', 'mmx', 'q'], [0xd2, 'psrld', 'mmx', 'q'], [0xd3, 'psrlq', 'mmx', 'q'], [0xd4, 'paddq', 'sse2', 'q'],
  [0xd5, 'pmullw', 'mmx', 'q'], [0xd8, 'psubusb', 'mmx', 'q'], [0xd9, 'psubusw', 'mmx', 'q'], [0xda, 'pminub', 'sse', 'q'],
  [0xdb, 'pand', 'mmx', 'q'], [0xdc, 'paddusb', 'mmx', 'q'], [0xdd, 'paddusw', 'mmx', 'q'], [0xde, 'pmaxub', 'sse', 'q'],
  [0xdf, 'pandn', 'mmx', 'q'], [0xe0, 'pavgb', 'sse', 'q'], [0xe1, 'psraw', 'mmx', 'q'], [0xe2, 'psrad', 'mmx', 'q'],
  [0xe3, 'pavgw', 'sse', 'q'], [0xe4, 'pmulhuw', 'sse', 'q'], [0xe5, 'pmulhw', 'mmx', 'q'], [0xe8, 'psubsb', 'mmx', 'q'],
  [0xe9, 'psubsw', 'mmx', 'q'], [0xea, 'pminsw', 'sse', 'q'], [0xeb, 'por', 'mmx', 'q'], [0xec, 'paddsb', 'mmx', 'q'],
  [0xed, 'paddsw', 'mmx', 'q'], [0xee, 'pmaxsw', 'sse', 'q'], [0xef, 'pxor', 'mmx', 'q'], [0xf1, 'psllw', 'mmx', 'q'],
  [0xf2, 'pslld', 'mmx', 'q'], [0xf3, 'psllq', 'mmx', 'q'], [0xf4, 'pmuludq', 'sse2', 'q'], [0xf5, 'pmaddwd', 'mmx', 'q'],
  [0xf6, 'psadbw', 'sse', 'q'], [0xf8, 'psubb', 'mmx', 'q'], [0xf9, 'psubw', 'mmx', 'q'], [0xfa, 'psubd', 'mmx', 'q'],
  [0xfb, 'psubq', 'sse2', 'q'], [0xfc, 'paddb', 'mmx', 'q'], [0xfd, 'paddw', 'mmx', 'q'], [0xfe, 'paddd', 'mmx', 'q'],
];
for (const [op, mnem, mmx, size] of PINT) {
  if (mmx !== '') x(`0f ${hex(op)}`, mnem, `Pq,Q${size}`, mmx);
  x(`66 0f ${hex(op)}`, mnem, 'Vdq,Wdq', 'sse2');
}

// ---- 0F 6E-7F: moves between MMX/XMM, integer registers and memory; shuffles; shifts by immediate ----
x('0f 6e', 'movd', 'Pd,Ey', 'mmx'); x('66 0f 6e', 'movd', 'Vd,Ey', 'sse2');
x('0f 6f', 'movq', 'Pq,Qq', 'mmx'); x('66 0f 6f', 'movdqa', 'Vdq,Wdq', 'sse2'); x('f3 0f 6f', 'movdqu', 'Vdq,Wdq', 'sse2');
x('0f 70', 'pshufw', 'Pq,Qq,Ib', 'sse'); x('66 0f 70', 'pshufd', 'Vdq,Wdq,Ib', 'sse2');
x('f3 0f 70', 'pshufhw', 'Vdq,Wdq,Ib', 'sse2'); x('f2 0f 70', 'pshuflw', 'Vdq,Wdq,Ib', 'sse2');
for (const [op, k, mnem] of [[0x71, 2, 'psrlw'], [0x71, 4, 'psraw'], [0x71, 6, 'psllw'], [0x72, 2, 'psrld'], [0x72, 4, 'psrad'],
  [0x72, 6, 'pslld'], [0x73, 2, 'psrlq'], [0x73, 6, 'psllq']] as const) {
  x(`0f ${hex(op)}/${k} r`, mnem, 'Nq,Ib', 'mmx');
  x(`66 0f ${hex(op)}/${k} r`, mnem, 'Udq,Ib', 'sse2');
}
x('66 0f 73/3 r', 'psrldq', 'Udq,Ib', 'sse2'); x('66 0f 73/7 r', 'pslldq', 'Udq,Ib', 'sse2');
x('0f 77', 'emms', '', 'mmx');
x('66 0f 7c', 'haddpd', 'Vpd,Wpd', 'sse3'); x('f2 0f 7c', 'haddps', 'Vps,Wps', 'sse3');
x('66 0f 7d', 'hsubpd', 'Vpd,Wpd', 'sse3'); x('f2 0f 7d', 'hsubps', 'Vps,Wps', 'sse3');
x('0f 7e', 'movd', 'Ey,Pd', 'mmx'); x('66 0f 7e', 'movd', 'Ey,Vd', 'sse2'); x('f3 0f 7e', 'movq', 'Vq,Wq', 'sse2');
x('0f 7f', 'movq', 'Qq,Pq', 'mmx'); x('66 0f 7f', 'movdqa', 'Wdq,Vdq', 'sse2'); x('f3 0f 7f', 'movdqu', 'Wdq,Vdq', 'sse2');

// ---- Group 15 (0F AE): FXSR state, MXCSR, cache line flush, fences ----
x('0f ae/0 m', 'fxsave', 'M', 'fxsr'); x('0f ae/1 m', 'fxrstor', 'M', 'fxsr');
x('0f ae/2 m', 'ldmxcsr', 'Md', 'sse'); x('0f ae/3 m', 'stmxcsr', 'Md', 'sse');
x('0f ae/7 m', 'clflush', 'Mb', 'sse2');
x('0f ae/5 r', 'lfence', '', 'sse2'); x('0f ae/6 r', 'mfence', '', 'sse2'); x('0f ae/7 r', 'sfence', '', 'sse');

// ---- 0F B8, C2-C6, D0-FF: popcnt, compares, inserts/extracts, shuffles, and the rest ----
x('f3 0f b8', 'popcnt', 'Gv,Ev', 'popcnt', { flags: 'w:OSZAPC' });
x('0f c2', 'cmpps', 'Vps,Wps,Ib', 'sse'); x('66 0f c2', 'cmppd', 'Vpd,Wpd,Ib', 'sse2');
x('f3 0f c2', 'cmpss', 'Vss,Wss,Ib', 'sse'); x('f2 0f c2', 'cmpsd', 'Vsd,Wsd,Ib', 'sse2');
x('0f c3 m', 'movnti', 'My,Gy', 'sse2');
x('0f c4', 'pinsrw', 'Pq,Ey,Ib', 'sse'); x('66 0f c4', 'pinsrw', 'Vdq,Ey,Ib', 'sse2');
x('0f c5 r', 'pextrw', 'Gd,Nq,Ib', 'sse'); x('66 0f c5 r', 'pextrw', 'Gd,Udq,Ib', 'sse2');
x('0f c6', 'shufps', 'Vps,Wps,Ib', 'sse'); x('66 0f c6', 'shufpd', 'Vpd,Wpd,Ib', 'sse2');
x('66 0f d0', 'addsubpd', 'Vpd,Wpd', 'sse3'); x('f2 0f d0', 'addsubps', 'Vps,Wps', 'sse3');
x('66 0f d6', 'movq', 'Wq,Vq', 'sse2'); x('f3 0f d6 r', 'movq2dq', 'Vdq,Nq', 'sse2'); x('f2 0f d6 r', 'movdq2q', 'Pq,Uq', 'sse2');
x('0f d7 r', 'pmovmskb', 'Gd,Nq', 'sse'); x('66 0f d7 r', 'pmovmskb', 'Gd,Udq', 'sse2');
x('66 0f e6', 'cvttpd2dq', 'Vdq,Wpd', 'sse2'); x('f2 0f e6', 'cvtpd2dq', 'Vdq,Wpd', 'sse2'); x('f3 0f e6', 'cvtdq2pd', 'Vpd,Wq', 'sse2');
x('0f e7 m', 'movntq', 'Mq,Pq', 'sse'); x('66 0f e7 m', 'movntdq', 'Mdq,Vdq', 'sse2');
x('f2 0f f0 m', 'lddqu', 'Vdq,Mdq', 'sse3');
x('0f f7 r', 'maskmovq', 'Pq,Nq', 'sse'); x('66 0f f7 r', 'maskmovdqu', 'Vdq,Udq', 'sse2');

// ---- SSSE3: 0F 38 00-1E and 0F 3A 0F (SDM Tables ), MMX and 66 forms ----
const SSSE3: [number, string][] = [
  [0x00, 'pshufb'], [0x01, 'phaddw'], [0x02, 'phaddd'], [0x03, 'phaddsw'], [0x04, 'pmaddubsw'], [0x05, 'phsubw'],
  [0x06, 'phsubd'], [0x07, 'phsubsw'], [0x08, 'psignb'], [0x09, 'psignw'], [0x0a, 'psignd'], [0x0b, 'pmulhrsw'],
  [0x1c, 'pabsb'], [0x1d, 'pabsw'], [0x1e, 'pabsd'],
];
for (const [op, mnem] of SSSE3) {
  x(`0f 38 ${hex(op)}`, mnem, 'Pq,Qq', 'ssse3');
  x(`66 0f 38 ${hex(op)}`, mnem, 'Vdq,Wdq', 'ssse3');
}
x('0f 3a 0f', 'palignr', 'Pq,Qq,Ib', 'ssse3'); x('66 0f 3a 0f', 'palignr', 'Vdq,Wdq,Ib', 'ssse3');
