/**
 * Debian version numbers: parsing and ordering as Debian Policy 5.6.12 defines them
 * ([epoch:]upstream_version[-debian_revision]; epochs compare numerically, the other two
 * parts by the alternating non-digit / digit algorithm, where '~' sorts before anything,
 * even the end of the string, and letters sort before non-letters).
 */

export interface DebVersion { epoch: number; upstream: string; revision: string }

export function parseVersion(v: string): DebVersion {
  const s = v.trim();
  const colon = s.indexOf(':');
  let epoch = 0, rest = s;
  if (colon >= 0) {
    const e = s.slice(0, colon);
    if (!/^\d+$/.test(e)) throw new Error(`bad epoch in version '${v}'`);
    epoch = Number(e);
    rest = s.slice(colon + 1);
  }
  const dash = rest.lastIndexOf('-');
  const upstream = dash >= 0 ? rest.slice(0, dash) : rest;
  const revision = dash >= 0 ? rest.slice(dash + 1) : '';
  if (!upstream) throw new Error(`empty upstream version in '${v}'`);
  return { epoch, upstream, revision };
}

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isAlpha = (c: number): boolean => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);

/** Sort weight of one character in a non-digit run; 0 stands for the end of the run. */
function order(s: string, i: number): number {
  if (i >= s.length) return 0;
  const c = s.charCodeAt(i);
  if (isDigit(c)) return 0;
  if (c === 0x7e) return -1; // '~'
  if (isAlpha(c)) return c;
  return c + 256;
}

/** Compare two upstream versions or two revisions: <0, 0, >0. */
export function compareFragment(a: string, b: string): number {
  let i = 0, j = 0;
  while (i < a.length || j < b.length) {
    // Non-digit prefixes, character by character.
    while ((i < a.length && !isDigit(a.charCodeAt(i))) || (j < b.length && !isDigit(b.charCodeAt(j)))) {
      const d = order(a, i) - order(b, j);
      if (d) return d;
      i++; j++;
    }
    // Digit runs, numerically (leading zeros ignored; no overflow with string compare).
    while (a.charCodeAt(i) === 0x30) i++;
    while (b.charCodeAt(j) === 0x30) j++;
    let si = i, sj = j;
    while (i < a.length && isDigit(a.charCodeAt(i))) i++;
    while (j < b.length && isDigit(b.charCodeAt(j))) j++;
    const da = a.slice(si, i), db = b.slice(sj, j);
    if (da.length !== db.length) return da.length - db.length;
    if (da !== db) return da < db ? -1 : 1;
  }
  return 0;
}

export function compareVersions(a: string | DebVersion, b: string | DebVersion): number {
  const x = typeof a === 'string' ? parseVersion(a) : a;
  const y = typeof b === 'string' ? parseVersion(b) : b;
  if (x.epoch !== y.epoch) return x.epoch - y.epoch;
  return compareFragment(x.upstream, y.upstream) || compareFragment(x.revision, y.revision);
}

/** Relation operators of deb-control(5); '<' and '>' are the deprecated spellings of '<=' and '>='. */
export type VersionOp = '<<' | '<=' | '=' | '>=' | '>>';

export function satisfiesVersion(version: string, op: VersionOp, wanted: string): boolean {
  const c = compareVersions(version, wanted);
  switch (op) {
    case '<<': return c < 0;
    case '<=': return c <= 0;
    case '=': return c === 0;
    case '>=': return c >= 0;
    case '>>': return c > 0;
  }
}
