/**
 * A tar reader for .deb data archives: POSIX ustar (name split into prefix/name), GNU
 * extensions ('L' long name and 'K' long link name records, base-256 numbers, "ustar  "
 * magic) and pax extended headers ('x' per entry, 'g' global: path, linkpath, size, uid, gid,
 * mtime). Entry types: files, hard links, symlinks, directories, character and block devices,
 * FIFOs. GNU sparse members ('S') are refused: dpkg-deb never writes them.
 */
export type TarType = 'file' | 'hardlink' | 'symlink' | 'dir' | 'char' | 'block' | 'fifo';

export interface TarEntry {
  type: TarType;
  /** Path as stored ("./usr/bin/x" in .debs). */
  path: string;
  /** Symlink target, or the archive path a hard link refers to. */
  linkname: string;
  /** Permission bits (and setuid/setgid/sticky). */
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  mtime: number;
  devmajor: number;
  devminor: number;
  /** Contents of a regular file (a view into the archive). */
  data: Uint8Array;
}

const dec = new TextDecoder();

function str(b: Uint8Array): string {
  const z = b.indexOf(0);
  return dec.decode(z < 0 ? b : b.subarray(0, z));
}

/** Octal (NUL/space terminated), or GNU base-256 when the first byte has its top bit set. */
function num(b: Uint8Array): number {
  if (b[0] & 0x80) {
    let v = b[0] & 0x3f;
    if (b[0] & 0x40) throw new Error('negative base-256 number in tar header');
    for (let i = 1; i < b.length; i++) v = v * 256 + b[i];
    return v;
  }
  const s = str(b).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new Error(`bad octal field '${s}' in tar header`);
  return parseInt(s, 8);
}

/** pax records: "LEN key=value\n", LEN counting the whole record in bytes. */
export function parsePax(b: Uint8Array): Map<string, string> {
  const out = new Map<string, string>();
  let off = 0;
  while (off < b.length) {
    let sp = off;
    while (sp < b.length && b[sp] !== 0x20) sp++;
    const len = Number(dec.decode(b.subarray(off, sp)));
    if (!len || off + len > b.length) break;
    const rec = dec.decode(b.subarray(sp + 1, off + len - 1));
    const eq = rec.indexOf('=');
    if (eq > 0) out.set(rec.slice(0, eq), rec.slice(eq + 1));
    off += len;
  }
  return out;
}

const TYPES: Record<string, TarType> = {
  '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo',
};

export function* readTar(buf: Uint8Array): Generator<TarEntry> {
  let off = 0;
  let longName: string | undefined, longLink: string | undefined;
  let pax: Map<string, string> | undefined;
  const global = new Map<string, string>();
  while (off + 512 <= buf.length) {
    const h = buf.subarray(off, off + 512);
    if (h.every((x) => x === 0)) break; // end of archive (two zero blocks; one is enough to stop)
    // Checksum: the header's bytes summed with the checksum field read as spaces.
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i];
    const want = num(h.subarray(148, 156));
    if (want !== sum) throw new Error(`tar header checksum mismatch at offset ${off}`);
    const flag = String.fromCharCode(h[156]);
    let size = num(h.subarray(124, 136));
    const ext = pax ?? global;
    if (pax?.has('size') || global.has('size')) size = Number(ext.get('size') ?? global.get('size'));
    const body = off + 512;
    if (body + size > buf.length) throw new Error(`tar member at offset ${off} runs past the end`);
    const data = buf.subarray(body, body + size);
    off = body + Math.ceil(size / 512) * 512;
    if (flag === 'L') { longName = str(data); continue; }
    if (flag === 'K') { longLink = str(data); continue; }
    if (flag === 'x') { pax = parsePax(data); continue; }
    if (flag === 'g') { for (const [k, v] of parsePax(data)) global.set(k, v); continue; }
    const type = TYPES[flag];
    if (!type) throw new Error(`unsupported tar entry type '${flag}' at offset ${off}`);
    const magic = str(h.subarray(257, 263));
    const prefix = magic === 'ustar' && h[263] === 0x30 ? str(h.subarray(345, 500)) : '';
    const pick = (k: string) => pax?.get(k) ?? global.get(k);
    let path = pick('path') ?? longName ?? (prefix ? `${prefix}/${str(h.subarray(0, 100))}` : str(h.subarray(0, 100)));
    const linkname = pick('linkpath') ?? longLink ?? str(h.subarray(157, 257));
    const paxNum = (k: string, dflt: number) => { const v = pick(k); return v !== undefined ? Math.floor(Number(v)) : dflt; };
    if (type === 'dir') path = path.replace(/\/+$/, '');
    yield {
      type, path, linkname,
      mode: num(h.subarray(100, 108)) & 0o7777,
      uid: paxNum('uid', num(h.subarray(108, 116))),
      gid: paxNum('gid', num(h.subarray(116, 124))),
      uname: pick('uname') ?? str(h.subarray(265, 297)),
      gname: pick('gname') ?? str(h.subarray(297, 329)),
      mtime: paxNum('mtime', num(h.subarray(136, 148))),
      devmajor: type === 'char' || type === 'block' ? num(h.subarray(329, 337)) : 0,
      devminor: type === 'char' || type === 'block' ? num(h.subarray(337, 345)) : 0,
      data: type === 'file' ? data : new Uint8Array(0),
    };
    longName = longLink = pax = undefined;
  }
}
