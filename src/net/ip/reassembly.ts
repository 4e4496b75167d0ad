/**
 * Reassembly of fragmented datagrams (RFC 791 §3.2 for IPv4, RFC 8200 §4.5 for IPv6).
 * Fragments of one datagram share a key (source, destination, protocol, identification).
 * Limits as Linux's defaults: a datagram not complete 30 s after its first fragment is
 * dropped (net.ipv4.ipfrag_time = 30); at most 64 KiB each and 64 datagrams in progress.
 * Overlapping IPv6 fragments drop the datagram (RFC 5722); IPv4 overlaps keep the later data.
 */
const TIMEOUT_MS = 30_000, MAX_DATAGRAM = 65_535, MAX_IN_PROGRESS = 64;

interface Pending { started: number; total: number; parts: { off: number; data: Uint8Array }[]; dropOnOverlap: boolean; bad: boolean }

export class Reassembler {
  private pending = new Map<string, Pending>();
  /** Datagrams given up on (timeout, overflow, overlap): for diagnostics and tests. */
  dropped = 0;

  /** Add a fragment; the whole upper-layer payload when this one completes it, else null. */
  add(key: string, now: number, offset: number, more: boolean, data: Uint8Array, dropOnOverlap: boolean): Uint8Array | null {
    for (const [k, p] of this.pending) if (now - p.started > TIMEOUT_MS) { this.pending.delete(k); this.dropped++; }
    let p = this.pending.get(key);
    if (!p) {
      if (this.pending.size >= MAX_IN_PROGRESS) { this.dropped++; return null; }
      p = { started: now, total: -1, parts: [], dropOnOverlap, bad: false };
      this.pending.set(key, p);
    }
    const end = offset + data.length;
    if (end > MAX_DATAGRAM || (more && data.length % 8 !== 0) || (p.total >= 0 && (end > p.total || (!more && end !== p.total)))) {
      p.bad = true;
    }
    if (!more) p.total = end;
    if (p.parts.some((q) => offset < q.off + q.data.length && q.off < end)) {
      const same = p.parts.some((q) => q.off === offset && q.data.length === data.length);
      if (p.dropOnOverlap && !same) p.bad = true;
    }
    if (p.bad) { this.pending.delete(key); this.dropped++; return null; }
    p.parts.push({ off: offset, data: data.slice() });
    if (p.total < 0) return null;
    // Complete when the parts cover [0, total).
    const sorted = [...p.parts].sort((a, b) => a.off - b.off);
    let covered = 0;
    for (const q of sorted) { if (q.off > covered) return null; covered = Math.max(covered, q.off + q.data.length); }
    if (covered < p.total) return null;
    const out = new Uint8Array(p.total);
    for (const q of sorted) out.set(q.data, q.off);
    this.pending.delete(key);
    return out;
  }

  get inProgress(): number { return this.pending.size; }
}
