/**
 * A least-recently-used cache of byte arrays bounded by their total length (the ext2 Lru
 * counts entries; blocks and whole files differ too much in size for that). JS Maps
 * iterate in insertion order, so re-inserting on every hit keeps the oldest first.
 */
export class ByteLru<K> {
  private readonly map = new Map<K, Uint8Array>();
  private used = 0;

  constructor(private readonly capacity: number) {}

  get(k: K): Uint8Array | undefined {
    const v = this.map.get(k);
    if (v !== undefined) {
      this.map.delete(k);
      this.map.set(k, v);
    }
    return v;
  }

  /** Keep `v` under `k`; something larger than the whole cache is not kept. */
  set(k: K, v: Uint8Array): void {
    this.delete(k);
    if (v.length > this.capacity) return;
    this.map.set(k, v);
    this.used += v.length;
    for (const [old, ov] of this.map) {
      if (this.used <= this.capacity) break;
      this.map.delete(old);
      this.used -= ov.length;
    }
  }

  delete(k: K): void {
    const v = this.map.get(k);
    if (v !== undefined) {
      this.map.delete(k);
      this.used -= v.length;
    }
  }
}
