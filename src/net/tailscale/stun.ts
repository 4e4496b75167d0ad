/**
 * STUN binding requests (RFC 5389) as Tailscale sends them to a DERP node's STUN port
 * (tailscale.com/net/stun, v1.102.5): to learn the address and port our UDP socket has as seen
 * from outside, which becomes one of our endpoints (magicsock's "stun" endpoints). The derper's
 * server only answers a request carrying SOFTWARE "tailnode" and a FINGERPRINT as the last
 * attribute (stun.ParseBindingRequest).
 *
 *   header: type 0x0001 | length | magic cookie 0x2112A442 | transaction ID (12)
 *   SOFTWARE (0x8022) "tailnode", FINGERPRINT (0x8028) CRC-32 of what precedes ^ 0x5354554e
 *
 * The answer, a Binding Success Response (0x0101) with our transaction ID, carries
 * XOR-MAPPED-ADDRESS (0x0020; the address XORed with the cookie, and for IPv6 with the cookie
 * and the transaction ID) or the older MAPPED-ADDRESS (0x0001).
 */
import { format } from '../ip/addr.js';

const BINDING_REQUEST = 0x0001, BINDING_SUCCESS = 0x0101;
const COOKIE = [0x21, 0x12, 0xa4, 0x42];
const ATTR_MAPPED = 0x0001, ATTR_XOR_MAPPED = 0x0020, ATTR_SOFTWARE = 0x8022, ATTR_FINGERPRINT = 0x8028;
const SOFTWARE = new TextEncoder().encode('tailnode');
/** RFC 5389 §15.5: the FINGERPRINT is the CRC-32 XORed with "STUN". */
const FINGERPRINT_XOR = 0x5354554e;
const HEADER = 20;

export function stunRequest(txid: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER + 4 + SOFTWARE.length + 8);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, BINDING_REQUEST);
  dv.setUint16(2, out.length - HEADER);
  out.set(COOKIE, 4);
  out.set(txid.subarray(0, 12), 8);
  dv.setUint16(HEADER, ATTR_SOFTWARE);
  dv.setUint16(HEADER + 2, SOFTWARE.length);
  out.set(SOFTWARE, HEADER + 4);
  const fpAt = HEADER + 4 + SOFTWARE.length;
  dv.setUint16(fpAt, ATTR_FINGERPRINT);
  dv.setUint16(fpAt + 2, 4);
  dv.setUint32(fpAt + 4, (crc32(out.subarray(0, fpAt)) ^ FINGERPRINT_XOR) >>> 0);
  return out;
}

/** Whether a datagram looks like STUN (the first two bits zero and the magic cookie): not disco, not WireGuard. */
export function isStun(b: Uint8Array): boolean {
  return b.length >= HEADER && (b[0] & 0xc0) === 0 && b[4] === COOKIE[0] && b[5] === COOKIE[1] && b[6] === COOKIE[2] && b[7] === COOKIE[3];
}

/** A Binding Success Response's transaction ID and mapped address; null for anything else. */
export function parseStunResponse(b: Uint8Array): { txid: Uint8Array; ip: string; port: number } | null {
  if (!isStun(b)) return null;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (dv.getUint16(0) !== BINDING_SUCCESS) return null;
  const end = Math.min(b.length, HEADER + dv.getUint16(2));
  const txid = b.subarray(8, 20);
  let mapped: { ip: string; port: number } | null = null;
  for (let o = HEADER; o + 4 <= end;) {
    const type = dv.getUint16(o), len = dv.getUint16(o + 2);
    const v = b.subarray(o + 4, Math.min(end, o + 4 + len));
    if (v.length === len && (type === ATTR_XOR_MAPPED || type === ATTR_MAPPED) && len >= 8) {
      const family = v[1], xor = type === ATTR_XOR_MAPPED;
      const port = ((v[2] << 8) | v[3]) ^ (xor ? 0x2112 : 0);
      const n = family === 1 ? 4 : family === 2 ? 16 : 0;
      if (n && len >= 4 + n) {
        const key = [...COOKIE, ...txid];
        const ip = Uint8Array.from(v.subarray(4, 4 + n), (x, i) => (xor ? x ^ key[i] : x));
        const a = { ip: format(ip), port };
        // XOR-MAPPED-ADDRESS wins over MAPPED-ADDRESS (RFC 5389 §15.2).
        if (xor || !mapped) mapped = a;
      }
    }
    o += 4 + ((len + 3) & ~3);
  }
  return mapped ? { txid, ...mapped } : null;
}

let table: Uint32Array | null = null;
/** CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as Go's crc32.ChecksumIEEE. */
function crc32(b: Uint8Array): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (const x of b) c = table[(c ^ x) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
