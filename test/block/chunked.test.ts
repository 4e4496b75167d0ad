/** ChunkedDevice and `webx86 image split`: whole-chunk GETs, zero chunks, sha256 checks. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChunkedDevice, checkMeta } from '../../src/engine/block/chunked.js';
import { splitImage } from '../../src/host/node/image-split.js';
import { TestServer } from './server.js';

const KiB = 1024;
const srv = new TestServer();
const dir = mkdtempSync(join(tmpdir(), 'webx86-chunked-'));
// 1 MiB + 777 bytes: data, a long run of zeros, data again, a short last chunk.
const image = new Uint8Array(1024 * KiB + 777);
for (let i = 0; i < 200 * KiB; i++) image[i] = (i * 31) & 0xff;
for (let i = 900 * KiB; i < image.length; i++) image[i] = (i * 17 + 3) & 0xff;
const fast = { retryBaseMs: 1, retryMaxMs: 2 };

before(async () => {
  writeFileSync(join(dir, 'disk.img'), image);
  splitImage(join(dir, 'disk.img'), join(dir, 'out'), 64 * KiB);
  for (const f of readdirSync(join(dir, 'out'))) srv.files.set(`/out/${f}`, new Uint8Array(readFileSync(join(dir, 'out', f))));
  await srv.start();
});
after(async () => { await srv.stop(); rmSync(dir, { recursive: true }); });

const metaUrl = () => `${srv.url}/out/disk.img.meta.json`;

test('split writes only non-zero chunks and metadata that checks', () => {
  const meta = checkMeta(JSON.parse(readFileSync(join(dir, 'out/disk.img.meta.json'), 'utf8')));
  assert.equal(meta.size, image.length);
  assert.equal(meta.chunkCount, 17);
  assert.deepEqual(meta.zeroChunks, [[4, 10]]);
  assert.equal(readdirSync(join(dir, 'out')).length, 17 - 10 + 1);
});

test('reads across chunks, zero chunks and the short last chunk; zero chunks cost no request', async () => {
  srv.reset();
  const dev = await ChunkedDevice.create(metaUrl(), fast);
  assert.equal(dev.size, image.length);
  for (const [off, len] of [[0, 100], [60 * KiB, 10 * KiB], [190 * KiB, 800 * KiB], [image.length - 1000, 1000]]) {
    assert.deepEqual(await dev.read(off, len), image.subarray(off, off + len), `${off}+${len}`);
  }
  srv.reset();
  await dev.read(300 * KiB, 300 * KiB);
  assert.equal(srv.requests, 0);
});

test('a chunk that fails its sha256 check, or is missing, gives a clear error', async () => {
  const good = srv.files.get('/out/disk.img.c000001') as Uint8Array;
  srv.files.set('/out/disk.img.c000001', good.map((b) => b ^ 1));
  srv.reset();
  const dev = await ChunkedDevice.create(metaUrl(), { ...fast, retries: 1 });
  await assert.rejects(async () => dev.read(70 * KiB, 10), /chunk 1 \(.*disk\.img\.c000001\) failed its sha256 check/);
  srv.files.delete('/out/disk.img.c000001');
  const dev2 = await ChunkedDevice.create(metaUrl(), { ...fast, retries: 1 });
  await assert.rejects(async () => dev2.read(70 * KiB, 10), /chunk 1 .*HTTP 404/);
  srv.files.set('/out/disk.img.c000001', good);
  await assert.rejects(ChunkedDevice.create(`${srv.url}/out/disk.img.c000000`, fast), /not JSON|not a webx86-chunked-image/);
});
