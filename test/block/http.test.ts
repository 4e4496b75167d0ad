/** HttpBytesDevice against a real local HTTP server (test/block/server.ts). */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { HttpBytesDevice } from '../../src/engine/block/http.js';
import { TestServer, offsetPattern, patternByte } from './server.js';

const KiB = 1024, MiB = 1024 * KiB, GiB = 1024 * MiB;
const srv = new TestServer();
const data = new Uint8Array(4 * MiB).map((_, i) => (i * 7 + (i >> 12)) & 0xff);
srv.files.set('/img', data);
srv.files.set('/big', offsetPattern(5 * GiB + 12345));
before(() => srv.start());
after(() => srv.stop());

const fast = { retryBaseMs: 1, retryMaxMs: 5 };

test('reads return the served bytes, across block boundaries and at the end', async () => {
  srv.reset();
  const dev = await HttpBytesDevice.create(`${srv.url}/img`, { blockSize: 64 * KiB });
  assert.equal(dev.size, data.length);
  for (const [off, len] of [[0, 1024], [1024, 1024], [65536 - 10, 20], [100_000, 300_000], [data.length - 5, 5], [data.length, 0]]) {
    assert.deepEqual(await dev.read(off, len), data.subarray(off, off + len), `${off}+${len}`);
  }
  assert.throws(() => dev.read(data.length - 1, 2), RangeError);
});

test('cached blocks are answered synchronously and counted as hits', async () => {
  srv.reset();
  const dev = await HttpBytesDevice.create(`${srv.url}/img`, { readAheadBlocks: 0 });
  // The size probe fetched block 0 already: the superblock read costs nothing more.
  const r = dev.read(1024, 1024);
  assert.ok(r instanceof Uint8Array);
  assert.equal(srv.requests, 1);
  assert.equal(dev.activity.stats.cacheHits, 1);
});

test('offsets beyond 2 GiB and 4 GiB read correctly (5 GiB virtual image)', async () => {
  srv.reset();
  const dev = await HttpBytesDevice.create(`${srv.url}/big`);
  assert.equal(dev.size, 5 * GiB + 12345);
  for (const off of [2 ** 31 - 3, 2 ** 31 + 65536 * 5 - 7, 3 * GiB - 1, 2 ** 32 - 50, dev.size - 100]) {
    const got = await dev.read(off, 100);
    const want = Uint8Array.from({ length: 100 }, (_, i) => patternByte(off + i));
    assert.deepEqual(got, want, `offset ${off}`);
  }
  assert.ok(srv.log.some((e) => Number(/^bytes=(\d+)-/.exec(e.range ?? '')?.[1]) > 2 ** 32), 'Range headers past 2^32 go out as plain numbers');
});

test('neighbouring missing blocks are coalesced into one Range request', async () => {
  srv.reset();
  const one = await HttpBytesDevice.create(`${srv.url}/img`, { readAheadBlocks: 0, maxBlocksPerRequest: 1 });
  srv.reset();
  await one.read(64 * KiB, 512 * KiB);
  const separate = srv.requests;
  srv.reset();
  const co = await HttpBytesDevice.create(`${srv.url}/img`, { readAheadBlocks: 0 });
  srv.reset();
  await co.read(64 * KiB, 512 * KiB);
  assert.equal(separate, 8);
  assert.equal(srv.requests, 1);
  assert.equal(srv.log[0].range, `bytes=${64 * KiB}-${576 * KiB - 1}`);
});

test('concurrent reads of the same block share one request', async () => {
  srv.reset({ latencyMs: 20 });
  const dev = await HttpBytesDevice.create(`${srv.url}/img`, { readAheadBlocks: 0 });
  srv.reset({ latencyMs: 20 });
  const rs = await Promise.all([dev.read(200_000, 10), dev.read(200_100, 10), dev.read(196_608, 4096)]);
  assert.deepEqual(rs[0], data.subarray(200_000, 200_010));
  assert.equal(srv.requests, 1);
});

test('parallel requests are bounded and demand reads are served before read-ahead', async () => {
  srv.reset({ latencyMs: 15 });
  const dev = await HttpBytesDevice.create(`${srv.url}/img`, { readAheadBlocks: 0, maxParallel: 3 });
  let peak = 0;
  dev.activity.on(() => { peak = Math.max(peak, dev.activity.stats.inFlight); });
  await Promise.all([0, 5, 10, 15, 20, 25, 30, 35].map((b) => dev.read(b * 64 * KiB + 100, 10)));
  assert.equal(peak, 3);
  assert.ok(srv.requests >= 8);
});

test('a miss fetches the blocks after it in the same request (read-around), up to one already held', async () => {
  srv.reset();
  const dev = await HttpBytesDevice.create(`${srv.url}/img`, { readAroundBlocks: 3 });
  // Block 10 first, so the read-around of the miss at block 5 stops before it.
  assert.deepEqual(await dev.read(10 * 64 * KiB, 100), data.subarray(10 * 64 * KiB, 10 * 64 * KiB + 100));
  assert.equal(srv.requests, 2, 'the probe, then block 10 with 11-13');
  assert.ok(dev.read(13 * 64 * KiB, 10) instanceof Uint8Array, 'block 13 came with the miss at 10');
  assert.deepEqual(await dev.read(5 * 64 * KiB + 7, 64 * KiB), data.subarray(5 * 64 * KiB + 7, 6 * 64 * KiB + 7));
  assert.equal(srv.requests, 3, 'blocks 5-9 in one request');
  for (const b of [7, 8, 9]) assert.ok(dev.read(b * 64 * KiB, 10) instanceof Uint8Array, `block ${b} is cached`);
  assert.ok(!(dev.read(14 * 64 * KiB, 10) instanceof Uint8Array), 'block 14 was not fetched');
  while (dev.activity.stats.inFlight > 0) await new Promise((r) => setTimeout(r, 5));
  srv.reset();
  const off = await HttpBytesDevice.create(`${srv.url}/img`, { readAheadBlocks: 0 });
  await off.read(10 * 64 * KiB, 100);
  assert.ok(!(off.read(11 * 64 * KiB, 10) instanceof Uint8Array), 'readAheadBlocks 0: no read-around');
  while (off.activity.stats.inFlight > 0) await new Promise((r) => setTimeout(r, 5));
});

test('sequential reads trigger read-ahead, so later reads are hits', async () => {
  srv.reset();
  const dev = await HttpBytesDevice.create(`${srv.url}/img`, { readAheadBlocks: 8 });
  for (let off = 64 * KiB; off < 2 * MiB; off += 64 * KiB) await dev.read(off, 64 * KiB);
  const s = dev.activity.stats;
  assert.ok(s.cacheHits > s.cacheMisses, `hits ${s.cacheHits} misses ${s.cacheMisses}`);
  assert.ok(srv.requests <= 8, `requests ${srv.requests}`);
  while (dev.activity.stats.inFlight > 0) await new Promise((r) => setTimeout(r, 5));
});

test('transient failures are retried: 503s and cut connections', async () => {
  srv.reset({ fail503: 3 });
  const dev = await HttpBytesDevice.create(`${srv.url}/img`, { ...fast, readAheadBlocks: 0 });
  assert.equal(dev.activity.stats.retries, 3);
  srv.reset({ cut: 2 });
  assert.deepEqual(await dev.read(300_000, 100_000), data.subarray(300_000, 400_000));
  assert.equal(dev.activity.stats.retries, 5);
});

test('a 200 answer to a Range request gives the clear error', async () => {
  srv.reset({ ignoreRange: true });
  await assert.rejects(HttpBytesDevice.create(`${srv.url}/img`), /server does not support HTTP range requests \(got 200 for a Range request\)/);
});

test('wrong length: retried, then an error naming the lengths', async () => {
  srv.reset();
  const dev = await HttpBytesDevice.create(`${srv.url}/img`, { ...fast, retries: 2, readAroundBlocks: 0 });
  srv.reset({ shortBy: 10 });
  await assert.rejects(async () => dev.read(1 * MiB, 10), /wrong length from server: got 65526 bytes for bytes 1048576-1114111 \(expected 65536\)/);
});

test('the image changing on the server (new ETag) stops the device with a clear error', async () => {
  srv.reset({ changeEtagAfter: 1 });
  const dev = await HttpBytesDevice.create(`${srv.url}/img`, fast);
  const errors: string[] = [];
  dev.activity.on((e) => { if (e.type === 'error') errors.push(e.message); });
  await assert.rejects(async () => dev.read(1 * MiB, 10), /disk image changed on the server while in use \(ETag "img-v1" became "img-v2"\)/);
  await assert.rejects(async () => dev.read(0, 10), /disk image changed/);
  assert.equal(errors.length, 1);
});

test('HTTP errors and compressed ranges give clear errors', async () => {
  srv.reset();
  await assert.rejects(HttpBytesDevice.create(`${srv.url}/missing`, fast), /missing: HTTP 404/);
  srv.reset({ contentEncoding: 'gzip' });
  await assert.rejects(HttpBytesDevice.create(`${srv.url}/img`, fast), /Content-Encoding: gzip/);
  srv.reset({ fail503: 100 });
  await assert.rejects(HttpBytesDevice.create(`${srv.url}/img`, { ...fast, retries: 2 }), /img: HTTP 503 Service Unavailable \(bytes 0-65535; gave up after 3 attempts in \d+\.\d s\)/);
  const closed = new TestServer();
  await closed.start();
  await closed.stop();
  await assert.rejects(HttpBytesDevice.create(`${closed.url}/img`, { ...fast, retries: 1 }), /img: network error: fetch failed \(ECONNREFUSED\) \(bytes 0-65535; gave up after 2 attempts in \d+\.\d s\)/);
});
