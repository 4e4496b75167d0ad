// Raw IPv4/IPv6 packets for the WireGuard tests (what the IP stack in src/net/ip will produce):
// header checksums are real, since wireguard-go hands the packets to the Linux kernel.
import { parseIP } from '../../src/net/wireguard/allowedips.js';

function sum16(b: Uint8Array, init = 0): number {
  let s = init;
  for (let i = 0; i + 1 < b.length; i += 2) s += (b[i] << 8) | b[i + 1];
  if (b.length & 1) s += b[b.length - 1] << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}
const csum = (b: Uint8Array, init = 0): number => (~sum16(b, init)) & 0xffff;

export function ipv4(src: string, dst: string, proto: number, payload: Uint8Array, id = 1): Uint8Array {
  const p = new Uint8Array(20 + payload.length);
  p[0] = 0x45;
  p[2] = p.length >> 8; p[3] = p.length & 0xff;
  p[4] = id >> 8; p[5] = id & 0xff;
  p[8] = 64; p[9] = proto;
  p.set(parseIP(src), 12); p.set(parseIP(dst), 16);
  const c = csum(p.subarray(0, 20));
  p[10] = c >> 8; p[11] = c & 0xff;
  p.set(payload, 20);
  return p;
}

export function ipv6(src: string, dst: string, next: number, payload: Uint8Array): Uint8Array {
  const p = new Uint8Array(40 + payload.length);
  p[0] = 0x60;
  p[4] = payload.length >> 8; p[5] = payload.length & 0xff;
  p[6] = next; p[7] = 64;
  p.set(parseIP(src), 8); p.set(parseIP(dst), 24);
  p.set(payload, 40);
  return p;
}

export function icmpEcho(src: string, dst: string, id: number, seq: number, data: Uint8Array): Uint8Array {
  const m = new Uint8Array(8 + data.length);
  m[0] = 8;
  m[4] = id >> 8; m[5] = id & 0xff; m[6] = seq >> 8; m[7] = seq & 0xff;
  m.set(data, 8);
  const c = csum(m);
  m[2] = c >> 8; m[3] = c & 0xff;
  return ipv4(src, dst, 1, m);
}

export function udp4(src: string, sport: number, dst: string, dport: number, data: Uint8Array): Uint8Array {
  const u = new Uint8Array(8 + data.length);
  u[0] = sport >> 8; u[1] = sport & 0xff; u[2] = dport >> 8; u[3] = dport & 0xff;
  u[4] = u.length >> 8; u[5] = u.length & 0xff;
  u.set(data, 8);
  const pseudo = new Uint8Array(12);
  pseudo.set(parseIP(src), 0); pseudo.set(parseIP(dst), 4); pseudo[9] = 17; pseudo[10] = u.length >> 8; pseudo[11] = u.length & 0xff;
  let c = csum(u, sum16(pseudo));
  if (c === 0) c = 0xffff;
  u[6] = c >> 8; u[7] = c & 0xff;
  return ipv4(src, dst, 17, u);
}

/** Parse what tests need from an IPv4 packet. */
export function parse4(p: Uint8Array): { proto: number; src: string; dst: string; payload: Uint8Array } {
  const ihl = (p[0] & 15) * 4;
  return { proto: p[9], src: [...p.subarray(12, 16)].join('.'), dst: [...p.subarray(16, 20)].join('.'), payload: p.subarray(ihl, (p[2] << 8) | p[3]) };
}
