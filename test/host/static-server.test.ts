/**
 * The static server's precompressed siblings (src/host/node/static-server.ts) over real HTTP:
 * Accept-Encoding br / gzip / none, q=0, stale siblings, and Range requests (disk images)
 * that always get the file's own bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { serveStatic, type Encoding } from '../../src/host/node/static-server.js';
import { precompress } from '../../scripts/precompress.js';

interface Answer { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }

function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    // node:http never decodes bodies: what arrives is what the server sent.
    request(url, { method, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
    }).on('error', reject).end();
  });
}

async function withServer(fn: (url: string, dir: string, seen: { path: string; encoding: Encoding | null; bytes: number }[]) => Promise<void>) {
  const dir = mkdtempSync(join(tmpdir(), 'webx86-static-'));
  const seen: { path: string; encoding: Encoding | null; bytes: number }[] = [];
  const server = await serveStatic({ routes: { '/': dir }, onRequest: (e) => seen.push({ path: e.path, encoding: e.encoding, bytes: e.bytes }) });
  try { await fn(server.url, dir, seen); } finally { await server.close(); rmSync(dir, { recursive: true, force: true }); }
}

// Compressible but not trivial: 200 kB of text with some variety.
const TEXT = Buffer.from(Array.from({ length: 4000 }, (_, i) => `line ${i} ${(i * 2654435761 >>> 0).toString(36)} of the chunk\n`).join(''));

test('a script with .br and .gz siblings: br when accepted, else gzip, else identity; Vary always', async () => {
  await withServer(async (url, dir, seen) => {
    writeFileSync(join(dir, 'chunk.js'), TEXT);
    const rows = await precompress(dir);
    assert.deepEqual(rows.map((r) => r.file), ['chunk.js']);
    const br = await get(`${url}/chunk.js`, { 'accept-encoding': 'gzip, deflate, br, zstd' });
    assert.equal(br.status, 200);
    assert.equal(br.headers['content-encoding'], 'br');
    assert.equal(br.headers.vary, 'Accept-Encoding');
    assert.equal(br.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(Number(br.headers['content-length']), br.body.length);
    assert.ok(br.body.length < TEXT.length / 3, `brotli sent ${br.body.length} of ${TEXT.length} bytes`);
    assert.deepEqual(brotliDecompressSync(br.body), TEXT);

    const gz = await get(`${url}/chunk.js`, { 'accept-encoding': 'gzip, deflate' });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.deepEqual(gunzipSync(gz.body), TEXT);
    assert.notEqual(gz.headers.etag, br.headers.etag, 'each coding is its own representation');

    // br refused with q=0, gzip taken; `*` accepts br; nothing accepted → identity.
    assert.equal((await get(`${url}/chunk.js`, { 'accept-encoding': 'br;q=0, gzip;q=0.5' })).headers['content-encoding'], 'gzip');
    assert.equal((await get(`${url}/chunk.js`, { 'accept-encoding': '*' })).headers['content-encoding'], 'br');
    for (const h of <Record<string, string>[]>[{}, { 'accept-encoding': 'identity' }, { 'accept-encoding': 'br;q=0, gzip;q=0' }]) {
      const plain = await get(`${url}/chunk.js`, h);
      assert.equal(plain.headers['content-encoding'], undefined, JSON.stringify(h));
      assert.equal(plain.headers.vary, 'Accept-Encoding');
      assert.deepEqual(plain.body, TEXT);
    }
    // HEAD says what GET would send.
    const head = await get(`${url}/chunk.js`, { 'accept-encoding': 'br' }, 'HEAD');
    assert.equal(head.headers['content-encoding'], 'br');
    assert.equal(Number(head.headers['content-length']), br.body.length);
    // A revalidation with the br validator is a 304 for br, a full answer for a client without br.
    assert.equal((await get(`${url}/chunk.js`, { 'accept-encoding': 'br', 'if-none-match': String(br.headers.etag) })).status, 304);
    assert.equal((await get(`${url}/chunk.js`, { 'if-none-match': String(br.headers.etag) })).status, 200);
    assert.deepEqual(seen.slice(0, 2).map((s) => [s.encoding, s.bytes]), [['br', br.body.length], ['gzip', gz.body.length]]);
  });
});

test('Range requests get the identity bytes of the file, whatever Accept-Encoding says', async () => {
  await withServer(async (url, dir) => {
    // A disk image that happens to have siblings (a server's build step compressing everything).
    const image = Buffer.alloc(64 * 1024);
    for (let i = 0; i < image.length; i++) image[i] = (i * 7) & 0xff;
    writeFileSync(join(dir, 'disk.ext2'), image);
    writeFileSync(join(dir, 'disk.ext2.br'), brotliCompressSync(image));
    writeFileSync(join(dir, 'disk.ext2.gz'), gzipSync(image));
    const r = await get(`${url}/disk.ext2`, { 'accept-encoding': 'gzip, deflate, br', range: 'bytes=4096-8191' });
    assert.equal(r.status, 206);
    assert.equal(r.headers['content-encoding'], undefined);
    assert.equal(r.headers['content-range'], `bytes 4096-8191/${image.length}`);
    assert.deepEqual(r.body, image.subarray(4096, 8192));
    const suffix = await get(`${url}/disk.ext2`, { 'accept-encoding': 'br', range: 'bytes=-100' });
    assert.equal(suffix.headers['content-encoding'], undefined);
    assert.deepEqual(suffix.body, image.subarray(image.length - 100));
  });
});

test('a sibling older than its file is stale and never sent; files without siblings have no Vary', async () => {
  await withServer(async (url, dir) => {
    writeFileSync(join(dir, 'app.js'), TEXT);
    writeFileSync(join(dir, 'app.js.br'), brotliCompressSync(Buffer.from('stale contents')));
    const past = new Date(Date.now() - 60_000);
    utimesSync(join(dir, 'app.js.br'), past, past);
    const r = await get(`${url}/app.js`, { 'accept-encoding': 'br' });
    assert.equal(r.headers['content-encoding'], undefined);
    assert.equal(r.headers.vary, undefined);
    assert.deepEqual(r.body, TEXT);
    // Too small to be worth it: precompress writes nothing.
    writeFileSync(join(dir, 'tiny.js'), 'export {};\n');
    assert.deepEqual((await precompress(dir)).map((x) => x.file).sort(), ['app.js']);
  });
});
