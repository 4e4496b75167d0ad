/**
 * IPv4 (RFC 791) and IPv6 (RFC 8200) headers: parse what arrives, write what leaves.
 * Options in an IPv4 header are skipped; IPv6 extension headers hop-by-hop, routing and
 * destination options are skipped, the fragment header is returned for reassembly.
 */
import { checksum } from './checksum.js';

export const PROTO_ICMP = 1, PROTO_TCP = 6, PROTO_UDP = 17, PROTO_ICMPV6 = 58;
const V6_HOPOPTS = 0, V6_ROUTING = 43, V6_FRAGMENT = 44, V6_DSTOPTS = 60, V6_NONE = 59;

export interface IpPacket {
  v6: boolean;
  src: Uint8Array;
  dst: Uint8Array;
  /** Upper-layer protocol (after IPv6 extension headers). */
  proto: number;
  ttl: number;
  /** The upper-layer payload (of this fragment when `frag` is set). */
  payload: Uint8Array;
  /** The whole packet as received (ICMP errors quote its start). */
  raw: Uint8Array;
  /** Fragment fields when this is a fragment (IPv4 MF or offset ≠ 0; an IPv6 fragment header). */
  frag: { id: number; offset: number; more: boolean } | null;
}

/** Parse one packet; a string names why it is dropped. */
export function parseIp(raw: Uint8Array): IpPacket | string {
  if (raw.length < 1) return 'empty packet';
  const version = raw[0] >> 4;
  if (version === 4) {
    if (raw.length < 20) return 'IPv4 packet shorter than its header';
    const ihl = (raw[0] & 15) * 4;
    const total = (raw[2] << 8) | raw[3];
    if (ihl < 20 || total < ihl || total > raw.length) return 'IPv4 header or total length out of range';
    if (checksum(raw, 0, ihl) !== 0) return 'IPv4 header checksum mismatch';
    const fo = (raw[6] << 8) | raw[7];
    const more = (fo & 0x2000) !== 0, offset = (fo & 0x1fff) * 8;
    return {
      v6: false, src: raw.slice(12, 16), dst: raw.slice(16, 20), proto: raw[9], ttl: raw[8],
      payload: raw.subarray(ihl, total), raw: raw.subarray(0, total),
      frag: more || offset ? { id: (raw[4] << 8) | raw[5], offset, more } : null,
    };
  }
  if (version === 6) {
    if (raw.length < 40) return 'IPv6 packet shorter than its header';
    const plen = (raw[4] << 8) | raw[5];
    if (40 + plen > raw.length) return 'IPv6 payload length beyond the packet';
    let next = raw[6], off = 40;
    const end = 40 + plen;
    let frag: IpPacket['frag'] = null;
    for (;;) {
      if (next === V6_HOPOPTS || next === V6_ROUTING || next === V6_DSTOPTS) {
        if (off + 8 > end) return 'IPv6 extension header truncated';
        const n = raw[off]; off += (raw[off + 1] + 1) * 8; next = n;
        if (off > end) return 'IPv6 extension header truncated';
      } else if (next === V6_FRAGMENT) {
        if (off + 8 > end) return 'IPv6 fragment header truncated';
        const fo = (raw[off + 2] << 8) | raw[off + 3];
        frag = { id: ((raw[off + 4] << 24) | (raw[off + 5] << 16) | (raw[off + 6] << 8) | raw[off + 7]) >>> 0, offset: fo & 0xfff8, more: (fo & 1) !== 0 };
        next = raw[off]; off += 8;
        // An atomic fragment (offset 0, no more) is a whole packet (RFC 6946).
        if (frag.offset === 0 && !frag.more) frag = null;
        break;
      } else break;
    }
    if (next === V6_NONE) return 'IPv6 no next header';
    return { v6: true, src: raw.slice(8, 24), dst: raw.slice(24, 40), proto: next, ttl: raw[7], payload: raw.subarray(off, end), raw: raw.subarray(0, end), frag };
  }
  return `IP version ${version}`;
}

/** Write a 20-byte IPv4 header at buf[0..20); `length` is the whole datagram's. */
export function writeIpv4(buf: Uint8Array, proto: number, src: Uint8Array, dst: Uint8Array, length: number, ttl: number, id: number,
  dontFragment: boolean, fragOffset = 0, more = false): void {
  buf[0] = 0x45; buf[1] = 0;
  buf[2] = length >> 8; buf[3] = length & 0xff;
  buf[4] = (id >> 8) & 0xff; buf[5] = id & 0xff;
  const fo = (dontFragment ? 0x4000 : 0) | (more ? 0x2000 : 0) | (fragOffset >> 3);
  buf[6] = fo >> 8; buf[7] = fo & 0xff;
  buf[8] = ttl; buf[9] = proto; buf[10] = 0; buf[11] = 0;
  buf.set(src, 12); buf.set(dst, 16);
  const c = checksum(buf, 0, 20);
  buf[10] = c >> 8; buf[11] = c & 0xff;
}

/** Write a 40-byte IPv6 header at buf[0..40). */
export function writeIpv6(buf: Uint8Array, proto: number, src: Uint8Array, dst: Uint8Array, payloadLength: number, hopLimit: number): void {
  buf[0] = 0x60; buf[1] = 0; buf[2] = 0; buf[3] = 0;
  buf[4] = payloadLength >> 8; buf[5] = payloadLength & 0xff;
  buf[6] = proto; buf[7] = hopLimit;
  buf.set(src, 8); buf.set(dst, 24);
}

export const IPV4_HEADER = 20, IPV6_HEADER = 40, V6_FRAGMENT_HEADER = 8;
export { V6_FRAGMENT };
