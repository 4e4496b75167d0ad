/** Address helpers: IPv4 (4 bytes) and IPv6 (16 bytes) in network order, as the contract carries them. */

export const ANY4 = new Uint8Array(4);
export const ANY6 = new Uint8Array(16);

export function isAny(a: Uint8Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== 0) return false;
  return true;
}

export function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Whether `a` lies in dst/prefixLen (both the same family). */
export function inPrefix(a: Uint8Array, dst: Uint8Array, prefixLen: number): boolean {
  if (a.length !== dst.length) return false;
  const full = prefixLen >> 3, rest = prefixLen & 7;
  for (let i = 0; i < full; i++) if (a[i] !== dst[i]) return false;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (a[full] & mask) === (dst[full] & mask);
}

/** ::ffff:a.b.c.d (RFC 4291 §2.5.5.2): how an AF_INET6 socket sees an IPv4 peer. */
export function isV4Mapped(a: Uint8Array): boolean {
  if (a.length !== 16) return false;
  for (let i = 0; i < 10; i++) if (a[i] !== 0) return false;
  return a[10] === 0xff && a[11] === 0xff;
}

export function v4Mapped(a4: Uint8Array): Uint8Array {
  const a = new Uint8Array(16);
  a[10] = 0xff; a[11] = 0xff;
  a.set(a4, 12);
  return a;
}

/** A map key for an address. */
export function key(a: Uint8Array): string {
  if (a.length === 4) return `${a[0]}.${a[1]}.${a[2]}.${a[3]}`;
  let s = '';
  for (let i = 0; i < 16; i += 2) s += ((a[i] << 8) | a[i + 1]).toString(16) + (i < 14 ? ':' : '');
  return s;
}

/** Human form for messages: dotted quad or RFC 5952 compressed IPv6. */
export function format(a: Uint8Array): string {
  if (a.length === 4) return key(a);
  const w: number[] = [];
  for (let i = 0; i < 16; i += 2) w.push((a[i] << 8) | a[i + 1]);
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (w[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = (ws: number[]) => ws.map((x) => x.toString(16)).join(':');
  return best < 0 ? hex(w) : `${hex(w.slice(0, best))}::${hex(w.slice(best + bestLen))}`;
}

/** Parse "1.2.3.4" or an IPv6 text address (with `::` and an embedded dotted quad); throws on bad input. */
export function parse(s: string): Uint8Array {
  if (!s.includes(':')) {
    const p = s.split('.');
    if (p.length !== 4 || p.some((x) => !/^\d{1,3}$/.test(x) || Number(x) > 255)) throw new Error(`not an IPv4 address: ${s}`);
    return Uint8Array.from(p.map(Number));
  }
  const out = new Uint8Array(16);
  let text = s;
  let tail4: Uint8Array | null = null;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) { tail4 = parse(text.slice(lastColon + 1)); text = text.slice(0, lastColon + 1) + '0:0'; }
  const halves = text.split('::');
  if (halves.length > 2) throw new Error(`not an IPv6 address: ${s}`);
  const words = (h: string) => (h === '' ? [] : h.split(':').map((x) => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(x)) throw new Error(`not an IPv6 address: ${s}`);
    return parseInt(x, 16);
  }));
  const head = words(halves[0]), tail = halves.length === 2 ? words(halves[1]) : [];
  if (halves.length === 1 ? head.length !== 8 : head.length + tail.length > 7) throw new Error(`not an IPv6 address: ${s}`);
  const all = [...head, ...new Array(8 - head.length - tail.length).fill(0), ...tail];
  all.forEach((x, i) => { out[i * 2] = x >> 8; out[i * 2 + 1] = x & 0xff; });
  if (tail4) out.set(tail4, 12);
  return out;
}

/** "100.64.0.1/32" → address and prefix length. */
export function parseCidr(s: string): { addr: Uint8Array; prefixLen: number } {
  const [a, p] = s.split('/');
  const addr = parse(a);
  const prefixLen = p === undefined ? addr.length * 8 : Number(p);
  if (!Number.isInteger(prefixLen) || prefixLen < 0 || prefixLen > addr.length * 8) throw new Error(`bad prefix length in ${s}`);
  return { addr, prefixLen };
}
