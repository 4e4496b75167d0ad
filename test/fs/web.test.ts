/**
 * WebFs (CheerpX's WebDevice) against a real HTTP server on 127.0.0.1: directories listed
 * by index.list, files by HEAD and GET (Range for big ones), and the errors a server can
 * give mapped to errno values.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestServer, offsetPattern, patternByte } from '../block/server.js';
import { WebFs } from '../../src/engine/fs/web.js';
import { Vfs, AT_FDCWD } from '../../src/engine/fs/vfs.js';
import { TmpFs } from '../../src/engine/fs/tmpfs.js';
import { O_RDONLY, O_WRONLY, S_IFDIR, S_IFREG, type File, type DirEntry, type Inode } from '../../src/engine/fs/types.js';
import { EACCES, EIO, ENOENT, EROFS } from '../../src/engine/linux/errno.js';

const srv = new TestServer();
const enc = (s: string) => new TextEncoder().encode(s);
const BIG = 3 << 20;

before(async () => {
  await srv.start();
  const f = srv.files;
  f.set('/www/index.list', enc('hello.txt\nsub/\nbig.bin\nunmarked\nmissing.txt\n\n'));
  f.set('/www/hello.txt', enc('hello from the web\n'));
  f.set('/www/sub/index.list', enc('a.txt\r\n'));
  f.set('/www/sub/a.txt', enc('A'));
  f.set('/www/unmarked/index.list', enc('deep.txt\n'));
  f.set('/www/unmarked/deep.txt', enc('deep'));
  f.set('/www/big.bin', offsetPattern(BIG));
  // No index.list here: an unlistable directory whose files are still reachable.
  f.set('/www/nolist/x.txt', enc('x'));
});
after(() => srv.stop());

async function mount(path = '/www/', opts: Parameters<typeof WebFs.create>[1] = {}): Promise<{ v: Vfs; w: WebFs }> {
  const w = await WebFs.create(srv.url + path, { retryBaseMs: 1, ...opts });
  const v = new Vfs();
  v.mount('/', new TmpFs({ mode: 0o755 }));
  v.mount('/web', w);
  return { v, w };
}

async function list(v: Vfs, path: string): Promise<DirEntry[] | number> {
  const d = await v.open(null, AT_FDCWD, path, O_RDONLY);
  if (typeof d === 'number') return d;
  const r = (await (d as File).readdir()) as DirEntry[] | number;
  return typeof r === 'number' ? r : r.filter((e) => e.name !== '.' && e.name !== '..');
}

test('a directory lists the names in its index.list; "name/" marks a directory', async () => {
  const { v } = await mount();
  const names = await list(v, '/web');
  assert.ok(Array.isArray(names));
  assert.deepEqual(names.map((e) => e.name).sort(), ['big.bin', 'hello.txt', 'missing.txt', 'sub', 'unmarked']);
  srv.reset();
  const st = await v.stat(null, AT_FDCWD, '/web/sub');
  assert.ok(typeof st !== 'number');
  assert.equal(st.mode, S_IFDIR | 0o755);
  assert.equal(srv.log.filter((e) => e.path === '/www/sub').length, 0, 'a marked directory needs no probe');
  assert.deepEqual((await list(v, '/web/sub') as DirEntry[]).map((e) => e.name), ['a.txt']);
  assert.equal(await v.readFileText('/web/sub/a.txt'), 'A');
});

test('an unmarked directory is recognised by its index.list', async () => {
  const { v } = await mount();
  const st = await v.stat(null, AT_FDCWD, '/web/unmarked');
  assert.ok(typeof st !== 'number');
  assert.equal(st.mode, S_IFDIR | 0o755);
  assert.equal(await v.readFileText('/web/unmarked/deep.txt'), 'deep');
});

test('files: size from HEAD, contents by GET, cached; mode 0644 without exec, root-owned', async () => {
  const { v } = await mount();
  srv.reset();
  const st = await v.stat(null, AT_FDCWD, '/web/hello.txt');
  assert.ok(typeof st !== 'number');
  assert.equal(st.mode, S_IFREG | 0o644);
  assert.equal(st.size, 19);
  assert.equal(st.uid, 0);
  assert.equal(st.mtime.sec, Date.UTC(2026, 0, 1) / 1000, 'mtime from Last-Modified');
  const gets = () => srv.log.filter((e) => e.method === 'GET' && e.path === '/www/hello.txt').length;
  assert.equal(gets(), 0, 'stat costs a HEAD, no GET');
  assert.equal(await v.readFileText('/web/hello.txt'), 'hello from the web\n');
  assert.equal(await v.readFileText('/web/hello.txt'), 'hello from the web\n');
  assert.equal(gets(), 1, 'one GET, then the cache');
  assert.equal(await v.readExecutable(null, '/web/hello.txt'), -EACCES);
});

test('a big file is read with Range requests: only what is read is fetched', async () => {
  const { v } = await mount();
  const f = await v.open(null, AT_FDCWD, '/web/big.bin', O_RDONLY);
  assert.ok(typeof f !== 'number');
  srv.reset();
  const buf = new Uint8Array(100);
  const off = 2_000_003;
  assert.equal(await (f as File).pread(null as never, buf, off), 100);
  for (let i = 0; i < 100; i++) assert.equal(buf[i], patternByte(off + i), `byte ${off + i}`);
  assert.ok(srv.log.some((e) => e.range !== null), 'Range requests');
  assert.ok(srv.bytesSent < BIG / 4, `fetched ${srv.bytesSent} of ${BIG} bytes`);
  // Reading at the end stops at the size.
  assert.equal(await (f as File).pread(null as never, buf, BIG - 10), 10);
});

test('errors: a listed file missing on the server and an unlisted name are ENOENT', async () => {
  const { v } = await mount();
  assert.equal(await v.stat(null, AT_FDCWD, '/web/missing.txt'), -ENOENT);
  srv.reset();
  assert.equal(await v.stat(null, AT_FDCWD, '/web/not-listed'), -ENOENT);
  assert.equal(srv.log.length, 0, 'index.list is authoritative: no request for an unlisted name');
});

test('a directory without index.list lists empty, and its files are still reachable', async () => {
  const { v } = await mount('/www/nolist');
  assert.deepEqual(await list(v, '/web'), []);
  assert.equal(await v.readFileText('/web/x.txt'), 'x');
  assert.equal(await v.stat(null, AT_FDCWD, '/web/y.txt'), -ENOENT);
});

test('server errors: EIO after the retries, and a transient error is retried', async () => {
  const { v } = await mount('/www/', { retries: 1 });
  srv.reset({ fail503: 1000 });
  try {
    assert.equal(await v.stat(null, AT_FDCWD, '/web/hello.txt'), -EIO);
    assert.equal(await list(v, '/web'), -EIO);
  } finally {
    srv.reset();
  }
  // The failure was not cached: the server is back.
  assert.equal(await v.readFileText('/web/hello.txt'), 'hello from the web\n');
  const { v: v2 } = await mount('/www/', { retries: 2 });
  srv.reset({ fail503: 2 });
  try {
    assert.equal(await v2.readFileText('/web/sub/a.txt'), 'A');
  } finally {
    srv.reset();
  }
});

test('the tree is read-only', async () => {
  const { v, w } = await mount();
  assert.equal(await v.open(null, AT_FDCWD, '/web/hello.txt', O_WRONLY), -EROFS);
  assert.equal(await v.mkdir(null, AT_FDCWD, '/web/new', 0o755), -EROFS);
  assert.equal(await v.unlink(null, AT_FDCWD, '/web/hello.txt'), -EROFS);
  const root: Inode = w.root;
  assert.equal(await root.create!('n', S_IFREG | 0o644, 0, 0), -EROFS);
});

test('create needs an absolute http(s) URL in Node', async () => {
  await assert.rejects(WebFs.create('relative/dir'), /not an absolute URL/);
  await assert.rejects(WebFs.create('file:///etc/'), /not an http/);
});
