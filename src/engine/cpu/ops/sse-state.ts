/**
 * Group 15 (0F AE): FXSAVE/FXRSTOR (the 512-byte image of SDM Vol. 1 10.5.1 / Vol. 2
 * FXSAVE Table 3-53, 32-bit format), LDMXCSR/STMXCSR, CLFLUSH and the fences. The image
 * helpers are shared with the signal frames (linux/fpstate.ts).
 */
import type { Cpu } from '../cpu.js';
import { fsaveTo, frstorFrom } from '../fpu.js';
import { I32, MXCSR, gpFault, impl, readMem, writeMem, xw } from './sse-dispatch.js';

/**
 * MXCSR_MASK: the MXCSR bits software may set. 0xFFFF is what Intel CPUs with DAZ report
 * (SDM Vol. 1 11.6.6); AMD CPUs with misaligned-SSE mode also allow bit 17 (0x2FFFF).
 */
export const MXCSR_MASK = 0xffff;

/** The 512-byte FXSAVE image into out[off..]; bytes 288-511 (reserved, software-available) are left as they are. */
export function fxsaveTo(c: Cpu, out: Uint8Array, off: number): void {
  const env = new Uint8Array(108);
  fsaveTo(c, env, 0);
  const e = new DataView(env.buffer), o = new DataView(out.buffer, out.byteOffset + off, 512);
  const tag = e.getUint16(8, true);
  let ftw = 0;
  for (let p = 0; p < 8; p++) if (((tag >> (p * 2)) & 3) !== 3) ftw |= 1 << p;
  o.setUint16(0, e.getUint16(0, true), true);   // FCW
  o.setUint16(2, e.getUint16(4, true), true);   // FSW
  o.setUint8(4, ftw); o.setUint8(5, 0);         // abridged FTW
  o.setUint16(6, e.getUint16(18, true) & 0x7ff, true); // FOP
  o.setUint32(8, e.getUint32(12, true), true);  // FIP
  o.setUint16(12, e.getUint16(16, true), true); o.setUint16(14, 0, true); // FCS
  o.setUint32(16, e.getUint32(20, true), true); // FDP
  o.setUint16(20, e.getUint16(24, true), true); o.setUint16(22, 0, true); // FDS
  o.setUint32(24, c.s[MXCSR], true);
  o.setUint32(28, MXCSR_MASK, true);
  for (let i = 0; i < 8; i++) {
    for (let k = 0; k < 10; k++) o.setUint8(32 + i * 16 + k, env[28 + i * 10 + k]);
    for (let k = 10; k < 16; k++) o.setUint8(32 + i * 16 + k, 0);
  }
  for (let i = 0; i < 8; i++) for (let k = 0; k < 4; k++) o.setInt32(160 + i * 16 + k * 4, c.s[xw(i) + k], true);
}

/**
 * Load the FXSAVE image at in[off..]. MXCSR bits outside MXCSR_MASK: false (FXRSTOR
 * raises #GP; the signal code clears them instead) and nothing is loaded.
 */
export function fxrstorFrom(c: Cpu, img: Uint8Array, off: number, strict: boolean): boolean {
  const o = new DataView(img.buffer, img.byteOffset + off, 512);
  let mxcsr = o.getUint32(24, true);
  if (mxcsr & ~MXCSR_MASK) { if (strict) return false; mxcsr &= MXCSR_MASK; }
  const env = new Uint8Array(108), e = new DataView(env.buffer);
  const ftw = o.getUint8(4);
  let tag = 0;
  for (let p = 0; p < 8; p++) if (!(ftw & (1 << p))) tag |= 3 << (p * 2);
  e.setUint32(0, 0xffff0000 | o.getUint16(0, true), true);
  e.setUint32(4, 0xffff0000 | o.getUint16(2, true), true);
  e.setUint32(8, 0xffff0000 | tag, true);
  e.setUint32(12, o.getUint32(8, true), true);
  e.setUint32(16, o.getUint16(12, true) | ((o.getUint16(6, true) & 0x7ff) << 16), true);
  e.setUint32(20, o.getUint32(16, true), true);
  e.setUint32(24, 0xffff0000 | o.getUint16(20, true), true);
  for (let i = 0; i < 8; i++) for (let k = 0; k < 10; k++) env[28 + i * 10 + k] = o.getUint8(32 + i * 16 + k);
  frstorFrom(c, env, 0);
  c.s[MXCSR] = mxcsr;
  for (let i = 0; i < 8; i++) for (let k = 0; k < 4; k++) c.s[xw(i) + k] = o.getInt32(160 + i * 16 + k * 4, true);
  return true;
}

impl('0f ae/0 m', (d) => { // fxsave m512 (16-byte aligned)
  const ea = d.ea();
  return (c) => {
    const a = ea(c);
    if (a & 15) gpFault();
    c.mem.writeSlow(a, 512);
    const img = c.mem.u8.subarray(a, a + 512);
    fxsaveTo(c, img, 0);
  };
});
impl('0f ae/1 m', (d) => { // fxrstor m512
  const ea = d.ea();
  return (c) => {
    const a = ea(c);
    if (a & 15) gpFault();
    const img = c.mem.readBytes(a, 512);
    if (img === null) { c.mem.read8(a); c.mem.read8((a + 511) >>> 0); }
    if (!fxrstorFrom(c, img!, 0, true)) gpFault();
  };
});
impl('0f ae/2 m', (d) => { // ldmxcsr m32: reserved bits set is #GP
  const ea = d.ea();
  return (c) => {
    readMem(c, ea(c), 4, 0, false);
    if (I32[0] & ~MXCSR_MASK) gpFault();
    c.s[MXCSR] = I32[0];
  };
});
impl('0f ae/3 m', (d) => { // stmxcsr m32
  const ea = d.ea();
  return (c) => { I32[0] = c.s[MXCSR]; writeMem(c, ea(c), 4, 0, false); };
});
impl('0f ae/7 m', (d) => { // clflush m8: faults like a byte read; nothing to flush here
  const ea = d.ea();
  return (c) => { c.mem.read8(ea(c)); };
});
// lfence, mfence, sfence order nothing on one host thread (guest threads of one machine run interleaved on it).
impl(['0f ae/5 r', '0f ae/6 r', '0f ae/7 r'], () => () => {});
