/**
 * ICMP (RFC 792) and ICMPv6 (RFC 4443): the message types this stack sends and reads, and
 * how an error becomes an errno for the socket it concerns (Linux's icmp_err_convert and
 * icmpv6_err_convert tables; `fatal` errors abort a connecting TCP socket and are reported
 * on connected datagram sockets, as Linux does without IP_RECVERR).
 */
import {
  EACCES, ECONNREFUSED, EHOSTDOWN, EHOSTUNREACH, EMSGSIZE, ENETUNREACH, ENONET, ENOPROTOOPT, EOPNOTSUPP, EPROTO,
} from '../../engine/linux/errno.js';

export const ICMP_ECHO_REPLY = 0, ICMP_DEST_UNREACH = 3, ICMP_ECHO = 8, ICMP_TIME_EXCEEDED = 11, ICMP_PARAM_PROBLEM = 12;
export const ICMP_PROT_UNREACH = 2, ICMP_PORT_UNREACH = 3, ICMP_FRAG_NEEDED = 4;
export const ICMP6_DEST_UNREACH = 1, ICMP6_PACKET_TOO_BIG = 2, ICMP6_TIME_EXCEEDED = 3, ICMP6_PARAM_PROBLEM = 4;
export const ICMP6_ECHO_REQUEST = 128, ICMP6_ECHO_REPLY = 129, ICMP6_PORT_UNREACH = 4, ICMP6_UNKNOWN_NEXT_HEADER = 1;

/** ICMPv4 destination unreachable, by code (linux/net/ipv4/icmp.c icmp_err_convert). */
const DEST_UNREACH_V4: readonly { errno: number; fatal: boolean }[] = [
  { errno: ENETUNREACH, fatal: false },  // 0 net unreachable
  { errno: EHOSTUNREACH, fatal: false }, // 1 host unreachable
  { errno: ENOPROTOOPT, fatal: true },   // 2 protocol unreachable
  { errno: ECONNREFUSED, fatal: true },  // 3 port unreachable
  { errno: EMSGSIZE, fatal: false },     // 4 fragmentation needed
  { errno: EOPNOTSUPP, fatal: false },   // 5 source route failed
  { errno: ENETUNREACH, fatal: true },   // 6 net unknown
  { errno: EHOSTDOWN, fatal: true },     // 7 host unknown
  { errno: ENONET, fatal: true },        // 8 host isolated
  { errno: ENETUNREACH, fatal: true },   // 9 net administratively prohibited
  { errno: EHOSTUNREACH, fatal: true },  // 10 host administratively prohibited
  { errno: ENETUNREACH, fatal: false },  // 11 net unreachable for TOS
  { errno: EHOSTUNREACH, fatal: false }, // 12 host unreachable for TOS
  { errno: EHOSTUNREACH, fatal: true },  // 13 communication administratively prohibited
  { errno: EHOSTUNREACH, fatal: true },  // 14 host precedence violation
  { errno: EHOSTUNREACH, fatal: true },  // 15 precedence cutoff
];

/** ICMPv6 destination unreachable, by code (linux/net/ipv6/icmp.c tab_unreach). */
const DEST_UNREACH_V6: readonly { errno: number; fatal: boolean }[] = [
  { errno: ENETUNREACH, fatal: false }, // 0 no route
  { errno: EACCES, fatal: true },       // 1 administratively prohibited
  { errno: EHOSTUNREACH, fatal: false },// 2 beyond scope
  { errno: EHOSTUNREACH, fatal: false },// 3 address unreachable
  { errno: ECONNREFUSED, fatal: true }, // 4 port unreachable
  { errno: EACCES, fatal: true },       // 5 source address failed policy
  { errno: EACCES, fatal: true },       // 6 reject route
];

export interface IcmpError { errno: number; fatal: boolean; /** Next-hop MTU for "fragmentation needed" / "packet too big". */ mtu: number | null }

/** The errno of an ICMP error message, or null when `type` is not an error this stack handles. */
export function icmpError(v6: boolean, type: number, code: number, msg: Uint8Array): IcmpError | null {
  const mtuField = ((msg[4] << 24) | (msg[5] << 16) | (msg[6] << 8) | msg[7]) >>> 0;
  if (!v6) {
    if (type === ICMP_DEST_UNREACH) {
      const e = DEST_UNREACH_V4[code] ?? { errno: EHOSTUNREACH, fatal: false };
      return { ...e, mtu: code === ICMP_FRAG_NEEDED ? (msg[6] << 8) | msg[7] : null };
    }
    if (type === ICMP_TIME_EXCEEDED) return { errno: EHOSTUNREACH, fatal: false, mtu: null };
    if (type === ICMP_PARAM_PROBLEM) return { errno: EPROTO, fatal: true, mtu: null };
    return null;
  }
  if (type === ICMP6_DEST_UNREACH) return { ...(DEST_UNREACH_V6[code] ?? { errno: EHOSTUNREACH, fatal: false }), mtu: null };
  if (type === ICMP6_PACKET_TOO_BIG) return { errno: EMSGSIZE, fatal: false, mtu: mtuField };
  if (type === ICMP6_TIME_EXCEEDED) return { errno: EHOSTUNREACH, fatal: false, mtu: null };
  if (type === ICMP6_PARAM_PROBLEM) return { errno: EPROTO, fatal: true, mtu: null };
  return null;
}

/** Whether an ICMP type is an error message (never answered with another error: RFC 1122 §3.2.2, RFC 4443 §2.4(e)). */
export function isErrorType(v6: boolean, type: number): boolean {
  return v6 ? type < 128 : type !== ICMP_ECHO && type !== ICMP_ECHO_REPLY && type !== 13 && type !== 14;
}
