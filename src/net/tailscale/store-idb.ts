/**
 * Tailscale node state in IndexedDB (a page, or the engine's worker): one object store of
 * string values, database "webx86-tailscale" by default (one per profile name).
 */
import { openDB, type IDBPDatabase } from 'idb';
import type { StateStore } from './ipn.js';

const STORE = 'state';

export class IdbStateStore implements StateStore {
  private db: Promise<IDBPDatabase> | null = null;
  constructor(readonly name = 'webx86-tailscale') {}

  private open(): Promise<IDBPDatabase> {
    return (this.db ??= openDB(this.name, 1, { upgrade: (db) => { db.createObjectStore(STORE); } }));
  }

  async get(key: string): Promise<string | null> {
    const v: unknown = await (await this.open()).get(STORE, key);
    return typeof v === 'string' ? v : null;
  }

  async set(key: string, value: string | null): Promise<void> {
    const db = await this.open();
    if (value === null) await db.delete(STORE, key); else await db.put(STORE, value, key);
  }
}
