/**
 * Internet address helpers shared by the socket layer and the stacks: classification
 * (loopback, wildcard), matching, and text forms for messages and map keys.
 */
import type { InetAddr, InetFamily } from './stack.js';

export const AF_INET = 2, AF_INET6 = 10;

/** 127.0.0.1 and ::1, the source addresses Linux picks for loopback destinations (`ip route get 127.0.0.5` → src 127.0.0.1). */
export const LOOPBACK4 = Uint8Array.of(127, 0, 0, 1);
export const LOOPBACK6 = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);

export const anyAddr = (family: InetFamily): Uint8Array => new Uint8Array(family === AF_INET ? 4 : 16);
export const loopbackAddr = (family: InetFamily): Uint8Array => (family === AF_INET ? LOOPBACK4 : LOOPBACK6).slice();

export function isWildcard(a: Uint8Array): boolean {
  return a.every((b) => b === 0);
}

/** 127.0.0.0/8 or ::1. */
export function isLoopback(family: InetFamily, a: Uint8Array): boolean {
  return family === AF_INET ? a[0] === 127 : a.length === 16 && a.subarray(0, 15).every((b) => b === 0) && a[15] === 1;
}

/** ::ffff:a.b.c.d (RFC 4291 §2.5.5.2). */
export function isV4Mapped(a: Uint8Array): boolean {
  return a.length === 16 && a.subarray(0, 10).every((b) => b === 0) && a[10] === 0xff && a[11] === 0xff;
}

export function v4Mapped(a4: Uint8Array): Uint8Array {
  const a = new Uint8Array(16);
  a[10] = a[11] = 0xff;
  a.set(a4, 12);
  return a;
}

export function sameAddr(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function addrText(family: InetFamily, a: Uint8Array): string {
  if (family === AF_INET) return Array.from(a).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((a[i] << 8) | a[i + 1]).toString(16));
  // Compress the longest run of zero groups (RFC 5952 §4.2).
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/** Parse a dotted quad or an IPv6 text address (as Node reports them); null if neither. */
export function parseAddr(s: string): { family: InetFamily; addr: Uint8Array } | null {
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (v4) {
    const b = v4.slice(1).map(Number);
    return b.every((x) => x <= 255) ? { family: AF_INET, addr: Uint8Array.from(b) } : null;
  }
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  if (!/^[0-9a-fA-F:.]+$/.test(s)) return null;
  let tail4: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.')) {
    const p = parseAddr(s.slice(lastColon + 1));
    if (!p || p.family !== AF_INET) return null;
    tail4 = Array.from(p.addr);
    s = s.slice(0, lastColon + 1) + '0:0';
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const part = (h: string) => (h ? h.split(':').map((g) => parseInt(g, 16)) : []);
  const head = part(halves[0]), rest = halves.length === 2 ? part(halves[1]) : [];
  const fill = 8 - head.length - rest.length;
  if (fill < 0 || (halves.length === 1 && fill !== 0)) return null;
  const groups = [...head, ...new Array<number>(fill).fill(0), ...rest];
  if (groups.some((g) => !(g >= 0 && g <= 0xffff))) return null;
  const a = new Uint8Array(16);
  groups.forEach((g, i) => { a[i * 2] = g >> 8; a[i * 2 + 1] = g & 0xff; });
  if (tail4.length) a.set(tail4, 12);
  return { family: AF_INET6, addr: a };
}

export const inetText = (a: InetAddr): string =>
  a.family === AF_INET ? `${addrText(a.family, a.addr)}:${a.port}` : `[${addrText(a.family, a.addr)}]:${a.port}`;

export const inetAddr = (family: InetFamily, addr: Uint8Array, port: number): InetAddr => ({ family, addr, port });
