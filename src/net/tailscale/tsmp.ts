/**
 * Answering TSMP pings (Tailscale Message Protocol, IP protocol 99; tailscale.com/net/packet
 * tsmp.go, v1.102.5), as tstun's wrapper does for `tailscale ping --tsmp`: after the IP header
 * a ping is 'p' and 8 opaque bytes; the pong is 'o', the same 8 bytes, and our peerapi port
 * (BE u16; 0: we serve no peerapi), from the pinged address back to the pinger.
 */
import { parseIp, writeIpv4, writeIpv6 } from '../ip/packet.js';

export const PROTO_TSMP = 99;
const TYPE_PING = 0x70; // 'p'
const TYPE_PONG = 0x6f; // 'o'

/** The pong for a TSMP ping, or null when `raw` is not one. */
export function tsmpPong(raw: Uint8Array, peerApiPort = 0): Uint8Array | null {
  const p = parseIp(raw);
  if (typeof p === 'string' || p.proto !== PROTO_TSMP || p.payload.length < 9 || p.payload[0] !== TYPE_PING) return null;
  const hl = p.v6 ? 40 : 20;
  const out = new Uint8Array(hl + 11);
  if (p.v6) writeIpv6(out, PROTO_TSMP, p.dst, p.src, 11, 64);
  else writeIpv4(out, PROTO_TSMP, p.dst, p.src, out.length, 64, 0, false);
  out[hl] = TYPE_PONG;
  out.set(p.payload.subarray(1, 9), hl + 1);
  out[hl + 9] = peerApiPort >> 8;
  out[hl + 10] = peerApiPort & 0xff;
  return out;
}
