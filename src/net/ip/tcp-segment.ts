/**
 * The TCP header (RFC 9293 §3.1) and the options this stack uses: MSS (kind 2, RFC 9293
 * §3.2), window scale (kind 3, RFC 7323 §2) and SACK-permitted (kind 4, RFC 2018), which is
 * parsed but not offered (this stack does not do SACK). Timestamps (kind 8) are neither sent nor used.
 */

export const FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10, URG = 0x20;
export const TCP_HEADER = 20;

export interface Segment {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  /** The raw window field (not yet scaled). */
  window: number;
  /** Options, from SYN segments only. */
  mss: number | null;
  wscale: number | null;
  sackPermitted: boolean;
  data: Uint8Array;
}

/** Parse a segment whose checksum the caller verified; a string names why it is dropped. */
export function parseSegment(b: Uint8Array): Segment | string {
  if (b.length < TCP_HEADER) return 'TCP segment shorter than its header';
  const off = (b[12] >> 4) * 4;
  if (off < TCP_HEADER || off > b.length) return 'TCP data offset out of range';
  const flags = b[13] & 0x3f;
  let mss: number | null = null, wscale: number | null = null, sackPermitted = false;
  if (flags & SYN) {
    for (let i = TCP_HEADER; i < off;) {
      const kind = b[i];
      if (kind === 0) break;
      if (kind === 1) { i++; continue; }
      if (i + 1 >= off) break;
      const len = b[i + 1];
      if (len < 2 || i + len > off) break;
      if (kind === 2 && len === 4) mss = (b[i + 2] << 8) | b[i + 3];
      else if (kind === 3 && len === 3) wscale = Math.min(b[i + 2], 14); // RFC 7323 §2.3: more than 14 is taken as 14
      else if (kind === 4 && len === 2) sackPermitted = true;
      i += len;
    }
  }
  return {
    srcPort: (b[0] << 8) | b[1], dstPort: (b[2] << 8) | b[3],
    seq: ((b[4] << 24) | (b[5] << 16) | (b[6] << 8) | b[7]) >>> 0,
    ack: ((b[8] << 24) | (b[9] << 16) | (b[10] << 8) | b[11]) >>> 0,
    flags, window: (b[14] << 8) | b[15], mss, wscale, sackPermitted, data: b.subarray(off),
  };
}

/** Options of a SYN or SYN-ACK: MSS, then NOP + window scale when offered. Length is a multiple of 4. */
export function synOptions(mss: number, wscale: number | null): Uint8Array {
  const o = new Uint8Array(wscale === null ? 4 : 8);
  o[0] = 2; o[1] = 4; o[2] = mss >> 8; o[3] = mss & 0xff;
  if (wscale !== null) { o[4] = 1; o[5] = 3; o[6] = 3; o[7] = wscale; }
  return o;
}

/** Write the fixed header at b[at..at+20) plus `options` after it (checksum left zero). */
export function writeHeader(b: Uint8Array, at: number, srcPort: number, dstPort: number, seq: number, ack: number, flags: number,
  window: number, options: Uint8Array | null): number {
  const hl = TCP_HEADER + (options ? options.length : 0);
  b[at] = srcPort >> 8; b[at + 1] = srcPort & 0xff; b[at + 2] = dstPort >> 8; b[at + 3] = dstPort & 0xff;
  b[at + 4] = seq >>> 24; b[at + 5] = (seq >>> 16) & 0xff; b[at + 6] = (seq >>> 8) & 0xff; b[at + 7] = seq & 0xff;
  b[at + 8] = ack >>> 24; b[at + 9] = (ack >>> 16) & 0xff; b[at + 10] = (ack >>> 8) & 0xff; b[at + 11] = ack & 0xff;
  b[at + 12] = (hl / 4) << 4; b[at + 13] = flags;
  b[at + 14] = window >> 8; b[at + 15] = window & 0xff;
  b[at + 16] = 0; b[at + 17] = 0; b[at + 18] = 0; b[at + 19] = 0;
  if (options) b.set(options, at + TCP_HEADER);
  return hl;
}

/** Sequence-number comparisons modulo 2^32 (RFC 9293 §3.4). */
export const seqLt = (a: number, b: number): boolean => ((a - b) | 0) < 0;
export const seqLe = (a: number, b: number): boolean => ((a - b) | 0) <= 0;
export const seqGt = (a: number, b: number): boolean => ((a - b) | 0) > 0;
export const seqGe = (a: number, b: number): boolean => ((a - b) | 0) >= 0;
export const seqAdd = (a: number, n: number): number => (a + n) >>> 0;
export const seqDiff = (a: number, b: number): number => (a - b) | 0;
