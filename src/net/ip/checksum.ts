/**
 * The Internet checksum (RFC 1071): the 16-bit one's complement of the one's complement sum,
 * over IPv4 headers and, with a pseudo-header (RFC 9293 §3.1, RFC 768, RFC 8200 §8.1), over
 * TCP, UDP and ICMPv6.
 */

/** One's complement sum of buf[off, off+len), not folded and not complemented; `init` continues a sum. */
export function sum16(buf: Uint8Array, off: number, len: number, init = 0): number {
  let s = init;
  const end = off + (len & ~1);
  // Adding 16-bit words into a 32-bit-safe double and folding every 64 Ki words keeps this
  // exact (2^16 * 2^16 < 2^53) without a fold per word.
  let i = off;
  while (i < end) {
    const stop = Math.min(end, i + (1 << 17));
    for (; i < stop; i += 2) s += (buf[i] << 8) | buf[i + 1];
    s = (s & 0xffff) + Math.floor(s / 65536);
  }
  if (len & 1) s += buf[off + len - 1] << 8;
  return s;
}

/** Fold a sum to 16 bits and complement it: the value to put in the checksum field. */
export function finish(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 65536);
  return ~sum & 0xffff;
}

/** Sum of the pseudo-header (source, destination, protocol, upper-layer length) for v4 or v6. */
export function pseudoSum(src: Uint8Array, dst: Uint8Array, proto: number, len: number): number {
  let s = sum16(src, 0, src.length) + sum16(dst, 0, dst.length) + proto;
  s += src.length === 4 ? len : (len >>> 16) + (len & 0xffff);
  return s;
}

/** Checksum of an IPv4 header, or of a transport segment given its pseudo-header sum. */
export function checksum(buf: Uint8Array, off: number, len: number, init = 0): number {
  return finish(sum16(buf, off, len, init));
}
