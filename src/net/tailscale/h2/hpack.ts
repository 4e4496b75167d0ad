/**
 * HPACK (RFC 7541): the header compression of HTTP/2. The decoder is complete (static and
 * dynamic tables, size updates, Huffman-coded strings), because Go's HTTP/2 server Huffman-
 * codes a string whenever that is shorter (golang.org/x/net http2/hpack encode.go
 * appendHpackString), and uses its dynamic table until it has seen our SETTINGS with
 * HEADER_TABLE_SIZE=0. The encoder is the simplest valid one: static-table indices where a
 * name or a whole field matches, otherwise literals without indexing and without Huffman, so
 * it never touches the peer's dynamic table.
 */
import { HUFFMAN_CODES } from './huffman-table.js';

export type Header = [name: string, value: string];

/** RFC 7541 Appendix A, index 1..61. */
const STATIC_TABLE: readonly Header[] = [
  [':authority', ''], [':method', 'GET'], [':method', 'POST'], [':path', '/'], [':path', '/index.html'],
  [':scheme', 'http'], [':scheme', 'https'], [':status', '200'], [':status', '204'], [':status', '206'],
  [':status', '304'], [':status', '400'], [':status', '404'], [':status', '500'], ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'], ['accept-language', ''], ['accept-ranges', ''], ['accept', ''],
  ['access-control-allow-origin', ''], ['age', ''], ['allow', ''], ['authorization', ''], ['cache-control', ''],
  ['content-disposition', ''], ['content-encoding', ''], ['content-language', ''], ['content-length', ''],
  ['content-location', ''], ['content-range', ''], ['content-type', ''], ['cookie', ''], ['date', ''],
  ['etag', ''], ['expect', ''], ['expires', ''], ['from', ''], ['host', ''], ['if-match', ''],
  ['if-modified-since', ''], ['if-none-match', ''], ['if-range', ''], ['if-unmodified-since', ''],
  ['last-modified', ''], ['link', ''], ['location', ''], ['max-forwards', ''], ['proxy-authenticate', ''],
  ['proxy-authorization', ''], ['range', ''], ['referer', ''], ['refresh', ''], ['retry-after', ''],
  ['server', ''], ['set-cookie', ''], ['strict-transport-security', ''], ['transfer-encoding', ''],
  ['user-agent', ''], ['vary', ''], ['via', ''], ['www-authenticate', ''],
];

/** RFC 7541 §4.1: an entry's size is its name and value lengths (octets) plus 32. */
const ENTRY_OVERHEAD = 32;

export class HpackError extends Error {}

// ---- Huffman (RFC 7541 §5.2) -------------------------------------------------------------

/** A binary trie over the code: node n's children are at trie[2n], trie[2n+1]; a leaf is -(sym+1). */
let trie: Int32Array | null = null;

function buildTrie(): Int32Array {
  const t = new Int32Array(2 * 512).fill(0);
  let nodes = 1;
  for (let sym = 0; sym < 256; sym++) {
    const code = HUFFMAN_CODES[2 * sym], len = HUFFMAN_CODES[2 * sym + 1];
    let n = 0;
    for (let i = len - 1; i >= 0; i--) {
      const slot = 2 * n + ((code >>> i) & 1);
      if (i === 0) { t[slot] = -(sym + 1); break; }
      if (t[slot] === 0) t[slot] = nodes++;
      n = t[slot];
    }
  }
  return t;
}

export function huffmanDecode(src: Uint8Array): Uint8Array {
  const t = (trie ??= buildTrie());
  const out: number[] = [];
  let n = 0;
  /** Bits read since the last symbol, and whether all of them were 1 (the EOS prefix). */
  let pending = 0, allOnes = true;
  for (const byte of src) {
    for (let i = 7; i >= 0; i--) {
      const bit = (byte >>> i) & 1;
      const next = t[2 * n + bit];
      pending++;
      allOnes &&= bit === 1;
      // A 30-bit run of ones is EOS, whose code the table leaves out: §5.2 calls it an error.
      if (next === 0) throw new HpackError('Huffman-coded string contains EOS or an invalid code');
      if (next < 0) { out.push(-next - 1); n = 0; pending = 0; allOnes = true; } else n = next;
    }
  }
  // §5.2: padding is the most significant bits of EOS (all ones), strictly shorter than 8 bits.
  if (pending > 7 || !allOnes) throw new HpackError('Huffman-coded string has invalid padding');
  return Uint8Array.from(out);
}

// ---- primitives (RFC 7541 §5.1, §5.2) ------------------------------------------------------

class Reader {
  pos = 0;
  constructor(private readonly b: Uint8Array) {}
  get done(): boolean { return this.pos >= this.b.length; }
  peek(): number {
    if (this.pos >= this.b.length) throw new HpackError('header block truncated');
    return this.b[this.pos];
  }
  int(prefixBits: number): number {
    const max = (1 << prefixBits) - 1;
    let v = this.peek() & max;
    this.pos++;
    if (v < max) return v;
    let shift = 0;
    for (;;) {
      const c = this.peek();
      this.pos++;
      v += (c & 0x7f) * 2 ** shift;
      shift += 7;
      if (!(c & 0x80)) break;
      // 2^28 is far beyond any header list we accept; longer encodings are an attack or garbage.
      if (shift > 28) throw new HpackError('integer too large in header block');
    }
    return v;
  }
  string(): string {
    const huff = (this.peek() & 0x80) !== 0;
    const len = this.int(7);
    if (this.pos + len > this.b.length) throw new HpackError('header block truncated in a string');
    const raw = this.b.subarray(this.pos, this.pos + len);
    this.pos += len;
    return utf8.decode(huff ? huffmanDecode(raw) : raw);
  }
}

const utf8 = new TextDecoder();
const enc = new TextEncoder();

function pushInt(out: number[], first: number, prefixBits: number, v: number): void {
  const max = (1 << prefixBits) - 1;
  if (v < max) { out.push(first | v); return; }
  out.push(first | max);
  v -= max;
  while (v >= 128) { out.push((v % 128) | 0x80); v = Math.floor(v / 128); }
  out.push(v);
}

function pushString(out: number[], s: string): void {
  const b = enc.encode(s);
  pushInt(out, 0, 7, b.length);
  for (const x of b) out.push(x);
}

// ---- decoder -----------------------------------------------------------------------------

export class HpackDecoder {
  /** Newest first, as §2.3.3 numbers them (62 is the newest). */
  private dynamic: Header[] = [];
  private size = 0;
  private max: number;

  /** `maxTableSize`: what our SETTINGS_HEADER_TABLE_SIZE allows the encoder to use. */
  constructor(private limit = 4096) {
    this.max = limit;
  }

  /** Our SETTINGS changed the limit (after the peer acknowledged it). */
  setLimit(limit: number): void {
    this.limit = limit;
    if (this.max > limit) this.resize(limit);
  }

  get tableSize(): number { return this.size; }
  get table(): readonly Header[] { return this.dynamic; }

  decode(block: Uint8Array): Header[] {
    const r = new Reader(block);
    const out: Header[] = [];
    let fieldSeen = false;
    while (!r.done) {
      const b = r.peek();
      if (b & 0x80) {
        const i = r.int(7);
        if (i === 0) throw new HpackError('header index 0');
        out.push(this.lookup(i));
      } else if (b & 0x40) {
        const h = this.literal(r, 6);
        out.push(h);
        this.add(h);
      } else if (b & 0x20) {
        // §4.2: a size update must come first in a block.
        if (fieldSeen) throw new HpackError('dynamic table size update after a header field');
        const n = r.int(5);
        if (n > this.limit) throw new HpackError(`dynamic table size update to ${n} exceeds the limit ${this.limit}`);
        this.resize(n);
        continue;
      } else {
        out.push(this.literal(r, 4));
      }
      fieldSeen = true;
    }
    return out;
  }

  private literal(r: Reader, prefixBits: number): Header {
    const i = r.int(prefixBits);
    const name = i === 0 ? r.string() : this.lookup(i)[0];
    return [name, r.string()];
  }

  private lookup(i: number): Header {
    if (i <= STATIC_TABLE.length) return STATIC_TABLE[i - 1];
    const h = this.dynamic[i - STATIC_TABLE.length - 1];
    if (!h) throw new HpackError(`header index ${i} is outside the tables`);
    return h;
  }

  private add(h: Header): void {
    const s = enc.encode(h[0]).length + enc.encode(h[1]).length + ENTRY_OVERHEAD;
    this.dynamic.unshift(h);
    this.size += s;
    this.evict();
  }

  private resize(n: number): void {
    this.max = n;
    this.evict();
  }

  private evict(): void {
    while (this.size > this.max && this.dynamic.length) {
      const h = this.dynamic.pop()!;
      this.size -= enc.encode(h[0]).length + enc.encode(h[1]).length + ENTRY_OVERHEAD;
    }
  }
}

// ---- encoder -----------------------------------------------------------------------------

const staticIndex = new Map<string, number>();
const staticNameIndex = new Map<string, number>();
STATIC_TABLE.forEach(([n, v], i) => {
  if (!staticIndex.has(`${n}\0${v}`)) staticIndex.set(`${n}\0${v}`, i + 1);
  if (!staticNameIndex.has(n)) staticNameIndex.set(n, i + 1);
});

/** Encode a header list without ever adding to the peer's dynamic table. Names must be lowercase (RFC 9113 §8.2.1). */
export function hpackEncode(headers: readonly Header[]): Uint8Array {
  const out: number[] = [];
  for (const [name, value] of headers) {
    const full = staticIndex.get(`${name}\0${value}`);
    if (full) { pushInt(out, 0x80, 7, full); continue; }
    const ni = staticNameIndex.get(name);
    // §6.2.2 literal without indexing: 0000 + 4-bit name index (0: literal name).
    pushInt(out, 0x00, 4, ni ?? 0);
    if (!ni) pushString(out, name);
    pushString(out, value);
  }
  return Uint8Array.from(out);
}
