/**
 * The JIT's translation cache in the page (src/host/worker/translation-store.ts) in real
 * Chromium and real IndexedDB: a second machine — a fresh engine worker, so a fresh JS realm
 * with no compiled module, as after a reload of the page — attaches the regions the first one
 * stored and prints the same; a record with one bit flipped is rejected (and compiled again);
 * under a storage quota too small for the records the writes fail with a real
 * QuotaExceededError, the store says so naming the cause, and the program runs as before.
 *
 * The quota is lowered through DevTools' Storage.overrideQuotaForOrigin (a test-runner command,
 * web-test-runner.config.mjs), the only way to give a page a small quota here.
 */
import { expect } from '@esm-bundle/chai';
import { openDB } from 'idb';
import { executeServerCommand } from '@web/test-runner-commands';
import { loadTestEnv } from './helpers.js';

const env = await loadTestEnv();
// The bundle from this origin: test/browser/jit.test.ts checks that its first load of binaryen
// from the second origin is a full download (200, not a revalidation of what this file loaded).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const wx: any = await import(new URL('../../dist/webx86.js', import.meta.url).href);
const DB = 'webx86-jit';
const decoder = new TextDecoder();
// sha256sum's rounds: ~60 M hot instructions, past the page's start policy (4 M), a few dozen regions.
const SCRIPT = 'head -c 4000000 /dev/zero | sha256sum';

interface StoreReport { kind: string; counts: Record<string, number>; messages: string[] }

/** True if a 256 KiB write to a scratch database fails with QuotaExceededError (the scratch database is deleted again). */
async function quotaRefuses(): Promise<boolean> {
  const db = await openDB('webx86-quota-probe', 1, { upgrade(d) { d.createObjectStore('s'); } });
  let refused = false;
  try {
    await db.put('s', new Uint8Array(256 * 1024).fill(1), 'k');
  } catch (e) {
    refused = (e as Error).name === 'QuotaExceededError';
    if (!refused) throw e;
  } finally {
    db.close();
    await new Promise<void>((resolve) => { const r = indexedDB.deleteDatabase('webx86-quota-probe'); r.onsuccess = r.onerror = () => resolve(); });
  }
  return refused;
}

async function deleteDb(): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const r = indexedDB.deleteDatabase(DB);
    r.onsuccess = () => resolve();
    r.onerror = () => reject(r.error);
  });
}

/** One machine (its own engine worker) running SCRIPT; waits until what it compiled is written, then ends it. */
async function runOnce(expectWrites = true) {
  const linux = await wx.Linux.create({ mounts: [{ type: 'ext2', path: '/', dev: await wx.HttpBytesDevice.create(env.image) }], jit: true });
  try {
    let out = '';
    linux.setCustomConsole((buf: Uint8Array) => { out += decoder.decode(buf); }, 200, 24);
    const { status } = await linux.run('/bin/bash', ['-c', SCRIPT]);
    // Regions answered after the program ended are compiled and stored too: wait for them, then for their writes.
    let stats = await linux.jitStats();
    // A deadline, not a delay the test relies on: the compile worker may still be loading binaryen.
    const end = performance.now() + 240_000;
    while (performance.now() < end) {
      stats = await linux.jitStats();
      const c = (stats.store as StoreReport).counts;
      if (stats.waiting === 0 && (!expectWrites || (stats.regionsStored > 0 && c.writes + c.lost >= stats.regionsStored))) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    return { out, status, stats, store: stats.store as StoreReport };
  } finally {
    await linux.delete();
  }
}

async function records(): Promise<Map<string, Uint8Array>> {
  const db = await openDB(DB, 1);
  try {
    const keys = await db.getAllKeys('records');
    const vals = await db.getAll('records');
    return new Map(keys.map((k, i) => [k as string, vals[i] as Uint8Array]));
  } finally {
    db.close();
  }
}

async function want(): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(4_000_000)));
  return `${[...d].map((b) => b.toString(16).padStart(2, '0')).join('')}  -`;
}

describe('the JIT\'s translation cache in IndexedDB', () => {
  before(deleteDb);
  after(async () => {
    await executeServerCommand('webx86-storage-quota', { origin: location.origin });
    await deleteDb();
  });

  it('a second load of the page attaches the stored regions and prints the same', async function () {
    this.timeout(600_000);
    const first = await runOnce();
    console.log(`first: ${JSON.stringify({ ...first.stats, timeline: first.stats.timeline })}`);
    expect(first.status).to.equal(0);
    expect(first.out.trim()).to.equal(await want());
    expect(first.store.kind).to.equal('indexeddb');
    expect(first.stats.regionsCompiled, JSON.stringify(first.stats)).to.be.greaterThan(0);
    expect(first.stats.regionsFromDisk).to.equal(0);
    expect(first.stats.regionsStored).to.be.greaterThan(0);
    expect(first.store.counts.writes).to.equal(first.stats.regionsStored);
    // What is in the database: one record per region stored, named by the build's translator version.
    const recs = await records();
    expect(recs.size).to.equal(first.stats.regionsStored);
    const versions = new Set([...recs.keys()].map((k) => k.slice(0, 12)));
    expect(versions.size).to.equal(1);

    const second = await runOnce(false);
    console.log(`second: ${JSON.stringify(second.stats)}`);
    expect(second.status).to.equal(0);
    expect(second.out).to.equal(first.out);
    expect(second.stats.regionsFromDisk, JSON.stringify(second.stats)).to.be.greaterThan(0);
    expect(second.store.counts.hits).to.be.greaterThan(0);
    expect(second.stats.diskRejected).to.equal(0);
  });

  it('a record with one bit flipped is rejected, dropped and compiled again', async function () {
    this.timeout(600_000);
    const db = await openDB(DB, 1);
    const keys = await db.getAllKeys('records');
    expect(keys.length, 'records from the test before').to.be.greaterThan(0);
    for (const k of keys) {
      const rec = new Uint8Array((await db.get('records', k)) as Uint8Array);
      rec[rec.length - 1] ^= 0x10; // in the Wasm module, covered by the record's CRC-32
      await db.put('records', rec, k);
    }
    db.close();
    const r = await runOnce();
    console.log(`corrupt: ${JSON.stringify(r.stats)}`);
    expect(r.status).to.equal(0);
    expect(r.out.trim()).to.equal(await want());
    expect(r.stats.regionsFromDisk).to.equal(0);
    expect(r.stats.diskRejected, JSON.stringify(r.stats)).to.be.greaterThan(0);
    expect(r.store.counts.dropped).to.equal(r.stats.diskRejected);
    // Rejected by the record's own checks (CRC-32), before V8 saw the Wasm (a module V8 refuses counts as an error).
    expect(r.stats.errors).to.equal(0);
    expect(r.stats.regionsCompiled).to.be.greaterThan(0);
  });

  it('over the storage quota: the writes fail, the store says why, the program runs the same', async function () {
    this.timeout(600_000);
    await deleteDb();
    // The database as the store makes it, before the quota: then a quota of 1 byte, below what
    // the origin uses, so no record (several KiB each) fits.
    (await openDB(DB, 1, { upgrade(d) { d.createObjectStore('records'); d.createObjectStore('lru'); } })).close();
    const q = await executeServerCommand<{ active: boolean; usage: number; quota: number }, unknown>('webx86-storage-quota', { origin: location.origin, quota: 1 });
    console.log(`quota override: ${JSON.stringify(q)}`);
    expect(q.active, 'the quota override is active').to.equal(true);
    try {
      // Whether this Chromium enforces the override on IndexedDB writes now: in session 8's runs
      // it often did not (211 records, 1.6 MB, written under a 1-byte quota, no error), while
      // earlier runs failed the writes. A 256 KiB write to a scratch database tells which; the
      // store's handling is checked only where the browser really refuses.
      if (!(await quotaRefuses())) {
        console.log('quota: this Chromium did not enforce the overridden quota on a 256 KiB IndexedDB write; skipped');
        this.skip();
      }
      const r = await runOnce();
      console.log(`quota: ${JSON.stringify(r.stats)}`);
      expect(r.status).to.equal(0);
      expect(r.out.trim()).to.equal(await want());
      expect(r.stats.regionsCompiled).to.be.greaterThan(0);
      expect(r.store.counts.quotaErrors, JSON.stringify(r.store)).to.be.greaterThan(0);
      expect(r.store.messages.join('\n')).to.match(/quota/i).and.match(/QuotaExceededError/);
      // Every region is accounted for: written (before the quota was reached, or after the store
      // removed its oldest records), or lost to the quota; and the database lists no record without its bytes.
      expect(r.store.counts.writes + r.store.counts.lost).to.equal(r.stats.regionsStored);
      expect(r.store.counts.lost).to.be.greaterThan(0);
      const db = await openDB(DB, 1);
      const [recs, lru] = [await db.getAllKeys('records'), await db.getAllKeys('lru')];
      db.close();
      expect(lru.map(String).sort()).to.deep.equal(recs.map(String).sort());
    } finally {
      await executeServerCommand('webx86-storage-quota', { origin: location.origin });
    }
  });
});
