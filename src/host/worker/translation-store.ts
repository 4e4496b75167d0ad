/**
 * The JIT's persistent translation cache in a page: region records (engine/jit/translation-cache.ts
 * defines them and checks each against the guest's memory, CRC-32 and bytes, before use) kept in
 * IndexedDB, so a reload of the page attaches its programs' hot code without the compile
 * worker, binaryen's 1.8 MB download or a compile. The Node CLI keeps the same records as files
 * (src/host/node/translation-store.ts); docs/JIT.md "Translation cache".
 *
 * Database `webx86-jit` (one per origin: every machine of the origin shares it), version 1:
 *   records  name → Uint8Array (the record)
 *   lru      name → { size, used } (bytes, Date.now() of its last write or hit)
 * Names begin with the translator's version (a hash of the translator's sources, binaryen's
 * version and the record format, computed at build time: vite.config.ts `__WEBX86_JIT_VERSION__`),
 * so records of another build are never read and age out by the LRU order.
 *
 * - **Reads are asynchronous** and the engine asks synchronously (a hot block must attach before
 *   it runs again), so `get` answers PENDING while a record is being loaded (the block is asked
 *   about again HOT_HITS entries later, and is not counted toward starting the compiler). At
 *   open the `lru` index of this version's names is read (names and sizes, no record bytes);
 *   a hot entry listed there loads every record of its 64 KiB address window (its name's entry
 *   prefix) in one transaction, so a loop's neighbours come with it. A miss (a name not listed)
 *   costs no database access. The database not open within OPEN_WAIT_MS, or a window not
 *   loaded within LOAD_WAIT_MS, counts as a miss: a stuck IndexedDB never stops translation.
 * - **Writes** are batched: records put within BATCH_MS go in one readwrite transaction with
 *   their `lru` rows (and the hits' refreshed `used`), so a record is never listed without its
 *   bytes.
 * - **Bounded**: above `budget` bytes (default 64 MiB, as the Node store) the least recently used
 *   records, of any version, are removed down to 3/4 of it.
 * - **Quota**: a write refused with QuotaExceededError (the origin's storage is full) is said on
 *   the console once, naming the cause; the least recently used half of the store is removed and
 *   the batch tried once more; refused again, this page stops storing translations (it keeps
 *   reading them, and translating). Any other failure (IndexedDB unavailable, a private mode
 *   that refuses it) turns the store off with one console message; the JIT works as without it.
 */
import { openDB, type IDBPDatabase } from 'idb';
import { PENDING, recordEntry, setTranslationStore, type StoreReport, type TranslationStore } from '../../engine/jit/translation-cache.js';

/** Set by vite.config.ts (define) for the bundle; absent when the sources are run unbundled. */
declare const __WEBX86_JIT_VERSION__: string | undefined;

/** The translator's version of this build, or null when the sources run unbundled (no store then: the version would be unknown). */
export function bundledTranslatorVersion(): string | null {
  return typeof __WEBX86_JIT_VERSION__ === 'string' && __WEBX86_JIT_VERSION__.length >= 12 ? __WEBX86_JIT_VERSION__ : null;
}

export const TRANSLATION_DB = 'webx86-jit';
/** Default bound of the database's records, bytes (as the Node store's directory). */
export const STORE_BUDGET = 64 << 20;
/** How long hot blocks wait for the database to open before their lookups count as misses. */
const OPEN_WAIT_MS = 3000;
/** How long a window's blocks wait for its records before they count as misses. */
const LOAD_WAIT_MS = 3000;
/** Puts gathered into one transaction. */
const BATCH_MS = 50;
/** A name's prefix naming its 64 KiB address window: the version's 12 characters, '-', the entry's first 4 hex digits. */
const WINDOW = 12 + 1 + 4;

interface Lru { size: number; used: number }

export interface IdbStoreOptions {
  /** The translator's version (default: the bundle's, bundledTranslatorVersion()). */
  version?: string;
  /** Database name (default TRANSLATION_DB; tests use their own). */
  name?: string;
  /** Bytes the database's records may hold (default STORE_BUDGET). */
  budget?: number;
  /** Where the store says what went wrong (default console.warn). */
  warn?: (msg: string) => void;
}

const isQuota = (e: unknown): boolean => e instanceof DOMException && e.name === 'QuotaExceededError';
const errText = (e: unknown): string => (e instanceof DOMException ? `${e.name}${e.message ? `: ${e.message}` : ''}` : e instanceof Error ? e.message : String(e));

export class IdbTranslationStore implements TranslationStore {
  readonly version: string;
  readonly budget: number;
  /** What this page did, for tests and the bench. */
  readonly counts = { hits: 0, windowsLoaded: 0, writes: 0, writeErrors: 0, dropped: 0, evicted: 0, quotaErrors: 0, lost: 0 };
  /** 'off': IndexedDB failed (or refused every write and read): lookups are misses. */
  state: 'opening' | 'open' | 'off' = 'opening';
  /** Writes stopped for this page (the quota refused a batch twice). */
  writesOff = false;
  private db: IDBPDatabase | null = null;
  private readonly opened: Promise<void>;
  private readonly born = performance.now();
  private readonly warn: (msg: string) => void;
  /** This version's names in the database, with their lru row. */
  private readonly listed = new Map<string, Lru>();
  /** The entries of those names and of the records this page wrote (names hold the entry: recordName). */
  private readonly entries = new Set<number>();
  /** Bytes of every record in the database (all versions). */
  private total = 0;
  /** Records read, by name. */
  private readonly loaded = new Map<string, Uint8Array>();
  /** Address windows read or being read: when the read began, and whether it ended. */
  private readonly windows = new Map<string, { since: number; done: boolean }>();
  /** Records to write, and names whose `used` to refresh, in the next batch. */
  private queued = new Map<string, Uint8Array>();
  private touched = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private writing: Promise<void> = Promise.resolve();
  private readonly said = new Set<string>();

  constructor(o: IdbStoreOptions & { version: string }) {
    this.version = o.version;
    this.budget = o.budget ?? STORE_BUDGET;
    this.warn = o.warn ?? ((m) => console.warn(m));
    this.opened = this.open(o.name ?? TRANSLATION_DB);
  }

  /** Resolves when the database is open and its index read (or the store is off). */
  ready(): Promise<void> { return this.opened; }

  /** What the store said on the console, in order (also in report()). */
  readonly messages: string[] = [];

  private once(key: string, msg: string): void {
    if (this.said.has(key)) return;
    this.said.add(key);
    this.messages.push(msg);
    this.warn(msg);
  }

  report(): StoreReport {
    return { kind: 'indexeddb', counts: { ...this.counts, listed: this.listed.size, bytes: this.total, writesOff: this.writesOff ? 1 : 0, off: this.state === 'off' ? 1 : 0 }, messages: [...this.messages] };
  }

  private async open(name: string): Promise<void> {
    try {
      const db = await openDB(name, 1, {
        upgrade(d) { d.createObjectStore('records'); d.createObjectStore('lru'); },
        // Another page deletes or upgrades the database: let it, and stop using it here.
        blocking: () => { this.db?.close(); this.db = null; this.state = 'off'; },
      });
      const tx = db.transaction('lru', 'readonly');
      const [keys, rows] = await Promise.all([tx.store.getAllKeys(), tx.store.getAll() as Promise<Lru[]>]);
      await tx.done;
      const prefix = `${this.version.slice(0, 12)}-`;
      keys.forEach((k, i) => {
        const row = rows[i];
        this.total += row.size;
        if (typeof k === 'string' && k.startsWith(prefix)) { this.listed.set(k, row); this.entries.add(recordEntry(k)); }
      });
      this.db = db;
      if (this.state === 'opening') this.state = 'open';
    } catch (e) {
      this.state = 'off';
      this.once('open', `webx86: the JIT's translation cache is off for this page: IndexedDB '${name}' could not be opened (${errText(e)}); programs run and translate as without it`);
    }
  }

  get(name: string): Uint8Array | null | typeof PENDING {
    const have = this.loaded.get(name) ?? this.queued.get(name);
    if (have !== undefined) {
      this.counts.hits++;
      this.touched.add(name);
      this.schedule();
      return have;
    }
    if (this.state === 'opening') return performance.now() - this.born < OPEN_WAIT_MS ? PENDING : null;
    if (this.state === 'off' || !this.listed.has(name)) return null;
    const w = name.slice(0, WINDOW);
    const win = this.windows.get(w);
    if (win === undefined) { this.loadWindow(w); return PENDING; }
    return !win.done && performance.now() - win.since < LOAD_WAIT_MS ? PENDING : null;
  }

  /** Read every record of this version in the 64 KiB address window `w` (one transaction). */
  private loadWindow(w: string): void {
    const win = { since: performance.now(), done: false };
    this.windows.set(w, win);
    const db = this.db;
    if (db === null) { win.done = true; return; }
    void (async () => {
      try {
        const range = IDBKeyRange.bound(w, `${w}\uffff`);
        const tx = db.transaction('records', 'readonly');
        const [keys, vals] = await Promise.all([tx.store.getAllKeys(range), tx.store.getAll(range) as Promise<unknown[]>]);
        await tx.done;
        keys.forEach((k, i) => {
          const v = vals[i];
          // A record is a Uint8Array; anything else (another writer's bug) is left to decodeRecord as damaged.
          if (typeof k === 'string') this.loaded.set(k, v instanceof Uint8Array ? v : new Uint8Array(0));
        });
        this.counts.windowsLoaded++;
      } catch (e) {
        this.once('read', `webx86: reading the JIT's translation cache failed (${errText(e)}); those regions are compiled again`);
      } finally {
        win.done = true;
      }
    })();
  }

  /** TranslationStore.holds: while the index is still being read, any entry may be there. */
  holds(entry: number): boolean {
    return this.state === 'opening' || this.entries.has(entry >>> 0);
  }

  put(name: string, data: Uint8Array): void {
    this.entries.add(recordEntry(name));
    if (this.writesOff || this.state === 'off') { this.counts.lost++; return; }
    this.queued.set(name, data);
    this.schedule();
  }

  drop(name: string): void {
    this.counts.dropped++;
    this.loaded.delete(name);
    this.queued.delete(name);
    this.touched.delete(name);
    const row = this.listed.get(name);
    this.listed.delete(name);
    const db = this.db;
    if (db === null) return;
    this.writing = this.writing.then(async () => {
      try {
        const tx = db.transaction(['records', 'lru'], 'readwrite');
        await Promise.all([tx.objectStore('records').delete(name), tx.objectStore('lru').delete(name), tx.done]);
        if (row !== undefined) this.total -= row.size;
      } catch { /* gone already, or the database with it */ }
    });
  }

  private schedule(): void {
    if (this.timer !== null || this.writesOff) return;
    this.timer = setTimeout(() => { this.timer = null; this.writing = this.writing.then(() => this.commit()); }, BATCH_MS);
  }

  /** Resolves when every write and removal started so far has ended (tests, the bench). */
  async flush(): Promise<void> {
    await this.opened;
    if (this.timer !== null) { clearTimeout(this.timer); this.timer = null; this.writing = this.writing.then(() => this.commit()); }
    await this.writing;
  }

  /** Write the queued records and the hits' `used` in one transaction; then keep within the budget. */
  private async commit(): Promise<void> {
    await this.opened;
    const db = this.db;
    if (db === null || this.writesOff) { this.counts.lost += this.queued.size; this.queued.clear(); this.touched.clear(); return; }
    const batch = this.queued, touched = this.touched;
    this.queued = new Map();
    this.touched = new Set();
    if (batch.size === 0 && touched.size === 0) return;
    let err = await this.write(db, batch, touched);
    if (err !== null && isQuota(err)) {
      this.counts.quotaErrors++;
      const need = [...batch.values()].reduce((n, d) => n + d.length, 0);
      this.once('quota', `webx86: the JIT's translation cache could not be written: the origin's storage quota is exhausted (${errText(err)}); removing the least recently used half of it (${(this.total / 1048576).toFixed(1)} MiB) and trying once more`);
      await this.evict(Math.max(0, Math.min(this.total / 2, this.total - need)));
      err = await this.write(db, batch, touched);
      if (err !== null && isQuota(err)) {
        this.counts.quotaErrors++;
        this.writesOff = true;
        this.counts.lost += batch.size;
        this.once('quota-off', `webx86: the JIT's translation cache is still over the storage quota (${errText(err)}); this page stops storing translations (stored ones are still used)`);
        return;
      }
    }
    if (err !== null) {
      this.counts.writeErrors++;
      this.counts.lost += batch.size;
      this.once('write', `webx86: writing the JIT's translation cache failed (${errText(err)}); the regions are compiled again next time`);
      return;
    }
    if (this.total > this.budget) await this.evict(this.budget * 3 / 4);
  }

  /** One readwrite transaction: records and their lru rows. Null when committed, else the error. */
  private async write(db: IDBPDatabase, batch: Map<string, Uint8Array>, touched: Set<string>): Promise<unknown> {
    const now = Date.now();
    const rows = new Map<string, Lru>();
    for (const [name, data] of batch) rows.set(name, { size: data.length, used: now });
    for (const name of touched) { const r = this.listed.get(name); if (r !== undefined && !rows.has(name)) rows.set(name, { size: r.size, used: now }); }
    try {
      const tx = db.transaction(['records', 'lru'], 'readwrite', { durability: 'relaxed' });
      const records = tx.objectStore('records'), lru = tx.objectStore('lru');
      const ops: Promise<unknown>[] = [];
      for (const [name, data] of batch) ops.push(records.put(data, name));
      for (const [name, row] of rows) ops.push(lru.put(row, name));
      await Promise.all([...ops, tx.done]);
    } catch (e) {
      return e ?? new Error('transaction aborted');
    }
    for (const [name, row] of rows) {
      const before = this.listed.get(name);
      if (batch.has(name)) { this.total += row.size - (before?.size ?? 0); this.counts.writes++; }
      this.listed.set(name, row);
    }
    return null;
  }

  /** Remove the least recently used records (any version) until the records hold at most `target` bytes. */
  private async evict(target: number): Promise<void> {
    const db = this.db;
    if (db === null) return;
    try {
      const tx = db.transaction('lru', 'readonly');
      const [keys, rows] = await Promise.all([tx.store.getAllKeys(), tx.store.getAll() as Promise<Lru[]>]);
      await tx.done;
      this.total = rows.reduce((n, r) => n + r.size, 0);
      const order = keys.map((k, i) => ({ k, r: rows[i] })).sort((a, b) => a.r.used - b.r.used);
      const gone: IDBValidKey[] = [];
      let total = this.total;
      for (const { k, r } of order) { if (total <= target) break; gone.push(k); total -= r.size; }
      if (gone.length === 0) return;
      const del = db.transaction(['records', 'lru'], 'readwrite');
      await Promise.all([...gone.flatMap((k) => [del.objectStore('records').delete(k), del.objectStore('lru').delete(k)]), del.done]);
      this.total = total;
      this.counts.evicted += gone.length;
      for (const k of gone) if (typeof k === 'string') { this.listed.delete(k); this.loaded.delete(k); }
    } catch (e) {
      this.once('evict', `webx86: trimming the JIT's translation cache failed (${errText(e)})`);
    }
  }

  /** Close the database (tests: a store per simulated page load). */
  async close(): Promise<void> {
    await this.flush();
    this.db?.close();
    this.db = null;
    this.state = 'off';
  }
}

/** The store in use in this worker (the engine host reports its counts). */
export let idbTranslationStore: IdbTranslationStore | null = null;

/**
 * Keep the JIT's translations across page loads in IndexedDB (the engine worker's entry calls
 * it). Without IndexedDB, or when the sources run unbundled (no build-time version), no store.
 */
export function useIdbTranslationCache(o: IdbStoreOptions = {}): IdbTranslationStore | null {
  const version = o.version ?? bundledTranslatorVersion();
  idbTranslationStore = version === null || typeof indexedDB === 'undefined' ? null : new IdbTranslationStore({ ...o, version });
  setTranslationStore(idbTranslationStore);
  return idbTranslationStore;
}
