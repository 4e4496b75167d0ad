/** OverlayDevice over memory and HTTP bases, with memory and file stores. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryDevice } from '../../src/engine/block/memory.js';
import { HttpBytesDevice } from '../../src/engine/block/http.js';
import { BLOCK_CACHED, BLOCK_WRITTEN, MemoryBlockStore, OverlayDevice } from '../../src/engine/block/overlay.js';
import { FileBlockStore, FileDevice } from '../../src/host/node/file-device.js';
import { TestServer, offsetPattern, patternByte } from './server.js';

const KiB = 1024, MiB = 1024 * KiB;
const base = new Uint8Array(1 * MiB + 1000).map((_, i) => (i * 13 + (i >> 10)) & 0xff);
const srv = new TestServer();
srv.files.set('/img', base);
srv.files.set('/big', offsetPattern(5 * 1024 * MiB));
before(() => srv.start());
after(() => srv.stop());

test('reads pass through; writes (whole and partial blocks) land in the store only', async () => {
  const bottom = new MemoryDevice(base.slice());
  const ov = await OverlayDevice.create(bottom, new MemoryBlockStore(bottom.size, 4096));
  assert.deepEqual(await ov.read(5000, 10000), base.subarray(5000, 15000));
  await ov.write(4096, new Uint8Array(4096).fill(0xaa));
  await ov.write(10_000, new Uint8Array([1, 2, 3]));
  await ov.write(base.length - 3, new Uint8Array([9, 9, 9]));
  const want = base.slice();
  want.fill(0xaa, 4096, 8192);
  want.set([1, 2, 3], 10_000);
  want.set([9, 9, 9], base.length - 3);
  assert.deepEqual(await ov.read(0, base.length), want);
  assert.deepEqual(bottom.read(0, base.length), base, 'the base is untouched');
  assert.equal(ov.store.state(1), BLOCK_WRITTEN);
  assert.equal(ov.store.state(0), BLOCK_CACHED);
});

test('overlays stack: a scratch layer over a caching layer over HTTP', async () => {
  srv.reset();
  const http = await HttpBytesDevice.create(`${srv.url}/img`, { readAheadBlocks: 0 });
  const cache = await OverlayDevice.create(http, new MemoryBlockStore(http.size, 64 * KiB));
  const top = await OverlayDevice.create(cache, new MemoryBlockStore(http.size, 4096));
  await top.write(70_000, new Uint8Array([7]));
  assert.equal((await top.read(70_000, 1))[0], 7);
  assert.equal((await cache.read(70_000, 1))[0], base[70_000]);
  assert.equal(cache.stats.blocksWritten, 0);
});

test('a file store keeps downloaded and written blocks across reopen; a second run fetches nothing already read', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'webx86-ovl-'));
  const file = join(dir, 'disk.overlay');
  srv.reset();
  const http1 = await HttpBytesDevice.create(`${srv.url}/img`, { readAheadBlocks: 0 });
  const ov1 = await OverlayDevice.create(http1, FileBlockStore.open(file, http1.size, 64 * KiB));
  assert.deepEqual(await ov1.read(100_000, 300_000), base.subarray(100_000, 400_000));
  await ov1.write(500_000, new Uint8Array([42, 43]));
  await ov1.flush();
  (ov1.store as FileBlockStore).close();
  const firstRun = srv.requests;
  assert.ok(statSync(file).blocks * 512 < 1 * MiB, 'the overlay file is sparse');

  srv.reset();
  const http2 = await HttpBytesDevice.create(`${srv.url}/img`, { readAheadBlocks: 0 });
  const store2 = FileBlockStore.open(file, http2.size);
  const ov2 = await OverlayDevice.create(http2, store2);
  srv.reset();
  assert.deepEqual(await ov2.read(100_000, 300_000), base.subarray(100_000, 400_000));
  assert.deepEqual(await ov2.read(500_000, 2), new Uint8Array([42, 43]));
  assert.equal(srv.requests, 0, `second run fetched ${srv.requests} (first run: ${firstRun})`);
  assert.equal(store2.count(BLOCK_WRITTEN), 1);
  store2.close();
  rmSync(dir, { recursive: true });
});

test('a store made over a different base: cached blocks dropped, written blocks refused', async () => {
  const a = new MemoryDevice(base.slice());
  const store = new MemoryBlockStore(a.size, 4096);
  const withId = (d: MemoryDevice, identity: string) => Object.assign(Object.create(d) as MemoryDevice, { identity });
  const ov = await OverlayDevice.create(withId(a, 'A'), store);
  await ov.read(0, 8192);
  assert.equal(store.state(0), BLOCK_CACHED);
  await OverlayDevice.create(withId(a, 'B'), store);
  assert.equal(store.state(0), 0);
  const ov2 = await OverlayDevice.create(withId(a, 'B'), store);
  await ov2.write(0, new Uint8Array([1]));
  await assert.rejects(OverlayDevice.create(withId(a, 'C'), store), /overlay holds writes made over a different base image \(B, now C\)/);
  await assert.rejects(OverlayDevice.create(new MemoryDevice(new Uint8Array(10)), store), /overlay covers/);
});

test('FileDevice writes when opened writable and refuses otherwise', () => {
  const dir = mkdtempSync(join(tmpdir(), 'webx86-fdev-'));
  const file = join(dir, 'f');
  FileBlockStore.open(file, 100, 4096).close(); // any file will do
  const rw = new FileDevice(file, { writable: true });
  rw.write(10, new Uint8Array([5, 6]));
  rw.flush();
  assert.deepEqual(new FileDevice(file).read(10, 2), new Uint8Array([5, 6]));
  assert.throws(() => new FileDevice(file).write(0, new Uint8Array(1)), /read-only/);
  rmSync(dir, { recursive: true });
});

test('an overlay file over a 5 GiB HTTP image: reads and writes past 4 GiB, file stays sparse', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'webx86-ovl-big-'));
  const file = join(dir, 'big.overlay');
  srv.reset();
  const http = await HttpBytesDevice.create(`${srv.url}/big`, { readAheadBlocks: 0 });
  const store = FileBlockStore.open(file, http.size, 64 * KiB);
  const ov = await OverlayDevice.create(http, store);
  const at = 4 * 1024 * MiB + 123_456;
  const got = await ov.read(at, 5000);
  assert.deepEqual(got, Uint8Array.from({ length: 5000 }, (_, i) => patternByte(at + i)));
  await ov.write(at + 10, new Uint8Array([0xde, 0xad]));
  store.close();
  const again = FileBlockStore.open(file, http.size);
  const ov2 = await OverlayDevice.create(http, again);
  srv.reset();
  const r = await ov2.read(at + 9, 4);
  assert.deepEqual(r, new Uint8Array([patternByte(at + 9), 0xde, 0xad, patternByte(at + 12)]));
  assert.equal(srv.requests, 0);
  assert.ok(statSync(file).size > 4 * 1024 * MiB && statSync(file).blocks * 512 < 4 * MiB, 'sparse');
  again.close();
  rmSync(dir, { recursive: true });
});

test('readInto copies what read returns: store blocks, base blocks, a write, across block edges, over HTTP too', async () => {
  srv.reset();
  const http = await HttpBytesDevice.create(`${srv.url}/img`, { readAheadBlocks: 0, blockSize: 4096 });
  const ov = await OverlayDevice.create(http, new MemoryBlockStore(http.size, 8192));
  const want = base.slice();
  await ov.write(20_000, new Uint8Array([5, 6, 7]));
  want.set([5, 6, 7], 20_000);
  // Some blocks in the store (read before), some not: the copy switches to read() part-way.
  await ov.read(0, 30_000);
  for (const [off, len] of [[0, 30_000], [100, 50_000], [8191, 2], [base.length - 5000, 5000], [16_384, 8192], [70_000, 0]]) {
    const dest = new Uint8Array(len + 2).fill(0xee);
    await ov.readInto(off, dest.subarray(1, 1 + len));
    assert.deepEqual(dest.subarray(1, 1 + len), want.subarray(off, off + len), `overlay ${off}+${len}`);
    assert.equal(dest[0], 0xee, 'nothing before dest');
    assert.equal(dest[len + 1], 0xee, 'nothing after dest');
    const d2 = new Uint8Array(len);
    await http.readInto(off, d2);
    assert.deepEqual(d2, base.subarray(off, off + len), `http ${off}+${len}`);
  }
  assert.throws(() => ov.readInto(base.length - 1, new Uint8Array(2)), RangeError);
});
