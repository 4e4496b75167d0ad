/**
 * Cryptokey routing (WireGuard paper §2): which peer owns an address, by longest-prefix
 * match over every peer's allowed IPs, IPv4 and IPv6 separately. A peer with 0.0.0.0/0 and
 * ::/0 is a default route (a Tailscale exit node); more specific prefixes win over it.
 *
 * A binary trie per family; lookups walk at most 32 or 128 bits. Inserting a prefix that
 * another peer holds moves it (as `wg set … allowed-ips` does).
 */
export interface Prefix {
  /** 4 or 16 bytes, network order. */
  addr: Uint8Array;
  bits: number;
}

interface TrieNode<T> {
  zero: TrieNode<T> | null;
  one: TrieNode<T> | null;
  value: T | null;
}

const newNode = <T>(): TrieNode<T> => ({ zero: null, one: null, value: null });

function bitAt(addr: Uint8Array, i: number): number {
  return (addr[i >> 3] >> (7 - (i & 7))) & 1;
}

export class AllowedIPs<T> {
  private v4 = newNode<T>();
  private v6 = newNode<T>();
  private readonly entries = new Map<string, { prefix: Prefix; value: T }>();

  private root(len: number): TrieNode<T> {
    if (len === 4) return this.v4;
    if (len === 16) return this.v6;
    throw new Error(`AllowedIPs: address must be 4 or 16 bytes, got ${len}`);
  }

  insert(prefix: Prefix, value: T): void {
    const max = prefix.addr.length * 8;
    if (!Number.isInteger(prefix.bits) || prefix.bits < 0 || prefix.bits > max) {
      throw new Error(`AllowedIPs: prefix length ${prefix.bits} out of range 0..${max}`);
    }
    let n = this.root(prefix.addr.length);
    for (let i = 0; i < prefix.bits; i++) {
      const b = bitAt(prefix.addr, i);
      const next = b ? n.one : n.zero;
      if (next) n = next;
      else {
        const c = newNode<T>();
        if (b) n.one = c;
        else n.zero = c;
        n = c;
      }
    }
    n.value = value;
    this.entries.set(prefixKey(prefix), { prefix: { addr: prefix.addr.slice(), bits: prefix.bits }, value });
  }

  /** Longest-prefix match; null when nothing covers `addr`. */
  lookup(addr: Uint8Array): T | null {
    let n: TrieNode<T> | null = this.root(addr.length);
    let best: T | null = n.value;
    const max = addr.length * 8;
    for (let i = 0; i < max && n; i++) {
      n = bitAt(addr, i) ? n.one : n.zero;
      if (n && n.value !== null) best = n.value;
    }
    return best;
  }

  /** Remove every prefix that maps to `value`. */
  removeValue(value: T): void {
    let changed = false;
    for (const [k, e] of this.entries) {
      if (e.value === value) {
        this.entries.delete(k);
        changed = true;
      }
    }
    if (changed) this.rebuild();
  }

  prefixesOf(value: T): Prefix[] {
    return [...this.entries.values()].filter((e) => e.value === value).map((e) => e.prefix);
  }

  private rebuild(): void {
    const all = [...this.entries.values()];
    this.entries.clear();
    this.v4 = newNode<T>();
    this.v6 = newNode<T>();
    for (const e of all) this.insert(e.prefix, e.value);
  }
}

function prefixKey(p: Prefix): string {
  // Canonical: host bits beyond the prefix do not matter.
  const a = p.addr.slice();
  for (let i = p.bits; i < a.length * 8; i++) a[i >> 3] &= ~(1 << (7 - (i & 7)));
  return `${[...a].join('.')}/${p.bits}`;
}

/** Parse "100.64.0.1/32", "fd7a:115c:a1e0::1/128", "0.0.0.0/0" or a bare address. */
export function parsePrefix(text: string): Prefix {
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const addr = parseIP(addrText);
  const bits = slash < 0 ? addr.length * 8 : Number(text.slice(slash + 1));
  if (!Number.isInteger(bits) || bits < 0 || bits > addr.length * 8) throw new Error(`bad prefix length in ${JSON.stringify(text)}`);
  return { addr, bits };
}

/** Parse a dotted IPv4 or RFC 4291 text IPv6 address (with ::, optional embedded IPv4). */
export function parseIP(text: string): Uint8Array {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(text)) {
    const parts = text.split('.').map(Number);
    if (parts.some((x) => x > 255)) throw new Error(`bad IPv4 address ${JSON.stringify(text)}`);
    return Uint8Array.from(parts);
  }
  if (!text.includes(':')) throw new Error(`not an IP address: ${JSON.stringify(text)}`);
  const out = new Uint8Array(16);
  let s = text;
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  const lastColon = s.lastIndexOf(':');
  const last = s.slice(lastColon + 1);
  if (last.includes('.')) {
    // An embedded IPv4 address (::ffff:1.2.3.4) becomes the last two groups.
    const v4 = parseIP(last);
    s = `${s.slice(0, lastColon + 1)}${((v4[0] << 8) | v4[1]).toString(16)}:${((v4[2] << 8) | v4[3]).toString(16)}`;
  }
  const bad = (): Error => new Error(`bad IPv6 address ${JSON.stringify(text)}`);
  const parseGroups = (g: string): number[] => (g === '' ? [] : g.split(':').map((x) => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(x)) throw bad();
    return parseInt(x, 16);
  }));
  const halves = s.split('::');
  if (halves.length > 2) throw bad();
  let groups: number[];
  if (halves.length === 2) {
    const head = parseGroups(halves[0]);
    const back = parseGroups(halves[1]);
    const fill = 8 - head.length - back.length;
    if (fill < 1) throw bad();
    groups = [...head, ...new Array<number>(fill).fill(0), ...back];
  } else {
    groups = parseGroups(s);
  }
  if (groups.length !== 8) throw bad();
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}
