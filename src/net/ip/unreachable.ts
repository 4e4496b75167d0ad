/**
 * What a point-to-point link answers for a packet it cannot deliver (a Tailscale tunnel with no
 * WireGuard peer for the destination): an ICMP destination unreachable, host unreachable
 * (RFC 792 type 3 code 1), or ICMPv6 address unreachable (RFC 4443 type 1 code 3), from the
 * destination back to the sender, quoting as much of the packet as RFC 1812 §4.3.2.3 / RFC
 * 4443 §2.4(c) allow. The stack maps it to EHOSTUNREACH, so a connect fails at once instead of
 * after six SYN retransmissions (about two minutes), as behind a Linux route to nowhere.
 */
import { checksum, pseudoSum } from './checksum.js';
import { ICMP6_DEST_UNREACH, ICMP_DEST_UNREACH, isErrorType } from './icmp.js';
import { IPV4_HEADER, IPV6_HEADER, PROTO_ICMP, PROTO_ICMPV6, parseIp, writeIpv4, writeIpv6 } from './packet.js';

const ICMP_HOST_UNREACH = 1, ICMP6_ADDR_UNREACH = 3;

/** The ICMP error for `packet`, or null when none is due (an ICMP error itself, a later fragment, garbage). */
export function hostUnreachable(packet: Uint8Array, ttl = 64): Uint8Array | null {
  const p = parseIp(packet);
  if (typeof p === 'string') return null;
  if (p.frag && p.frag.offset !== 0) return null;
  if ((p.proto === (p.v6 ? PROTO_ICMPV6 : PROTO_ICMP)) && p.payload.length > 0 && isErrorType(p.v6, p.payload[0])) return null;
  const header = p.v6 ? IPV6_HEADER : IPV4_HEADER;
  const quote = p.raw.subarray(0, Math.min(p.raw.length, (p.v6 ? 1280 : 576) - header - 8));
  const out = new Uint8Array(header + 8 + quote.length);
  const m = out.subarray(header);
  m[0] = p.v6 ? ICMP6_DEST_UNREACH : ICMP_DEST_UNREACH;
  m[1] = p.v6 ? ICMP6_ADDR_UNREACH : ICMP_HOST_UNREACH;
  m.set(quote, 8);
  const c = checksum(m, 0, m.length, p.v6 ? pseudoSum(p.dst, p.src, PROTO_ICMPV6, m.length) : 0);
  m[2] = c >> 8; m[3] = c & 0xff;
  if (p.v6) writeIpv6(out, PROTO_ICMPV6, p.dst, p.src, m.length, ttl);
  else writeIpv4(out, PROTO_ICMP, p.dst, p.src, out.length, ttl, 0, false);
  return out;
}
