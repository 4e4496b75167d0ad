/**
 * The ar archive format that holds a .deb (deb(5)): the magic "!<arch>\n", then members, each a
 * 60-byte header (name 16, mtime 12, uid 6, gid 6, mode 8, size 10, "`\n") and its data padded
 * to an even length. GNU-style names may end in '/'.
 */
export interface ArMember { name: string; data: Uint8Array }

const MAGIC = '!<arch>\n';
const ascii = (b: Uint8Array): string => String.fromCharCode(...b);

export function parseAr(buf: Uint8Array): ArMember[] {
  if (buf.length < 8 || ascii(buf.subarray(0, 8)) !== MAGIC) throw new Error('not an ar archive (bad magic)');
  const out: ArMember[] = [];
  let off = 8;
  while (off + 60 <= buf.length) {
    const h = buf.subarray(off, off + 60);
    if (h[58] !== 0x60 || h[59] !== 0x0a) throw new Error(`corrupt ar header at offset ${off}`);
    const name = ascii(h.subarray(0, 16)).trimEnd().replace(/\/$/, '');
    const size = Number(ascii(h.subarray(48, 58)).trim());
    if (!Number.isFinite(size) || off + 60 + size > buf.length) throw new Error(`ar member '${name}' runs past the end`);
    out.push({ name, data: buf.subarray(off + 60, off + 60 + size) });
    off += 60 + size + (size & 1);
  }
  return out;
}

/** The members of a binary package: its format version, control archive and data archive. */
export function parseDeb(buf: Uint8Array): { control: ArMember; data: ArMember } {
  const m = parseAr(buf);
  if (m[0]?.name !== 'debian-binary' || !/^2\.\d+\n?/.test(new TextDecoder().decode(m[0].data))) {
    throw new Error('not a Debian binary package (debian-binary 2.x must come first)');
  }
  const control = m.find((x) => x.name.startsWith('control.tar'));
  const data = m.find((x) => x.name.startsWith('data.tar'));
  if (!control || !data) throw new Error('.deb without control.tar or data.tar member');
  return { control, data };
}
