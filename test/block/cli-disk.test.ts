/**
 * `webx86 run --disk http://...` end to end: a real ext2 image holding Debian's static
 * busybox, served by a local HTTP server, run by the CLI as a separate process.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { busyboxBinDir } from '../../src/host/node/debian-packages.js';
import { TestServer } from './server.js';

const BIN = new URL('../../bin/webx86.js', import.meta.url).pathname;
const srv = new TestServer();
let dir = '';
let imageSize = 0;
let haveMke2fs = true;

function webx86(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

before(async () => {
  try { execFileSync('mke2fs', ['-V'], { stdio: 'ignore' }); } catch { haveMke2fs = false; return; }
  dir = mkdtempSync(join(tmpdir(), 'webx86-http-disk-'));
  const tree = join(dir, 'tree');
  mkdirSync(join(tree, 'etc'), { recursive: true });
  cpSync(busyboxBinDir(), join(tree, 'bin'), { recursive: true, verbatimSymlinks: true });
  writeFileSync(join(tree, 'etc/motd'), 'streamed\n');
  const img = join(dir, 'img.ext2');
  execFileSync('mke2fs', ['-q', '-t', 'ext2', '-b', '4096', '-d', tree, img, '64M']);
  const bytes = new Uint8Array(readFileSync(img));
  imageSize = bytes.length;
  srv.files.set('/img.ext2', bytes);
  execFileSync(process.execPath, [BIN, 'image', 'split', img, join(dir, 'chunks')], { stdio: 'ignore' });
  for (const f of readdirSync(join(dir, 'chunks'))) srv.files.set(`/chunks/${f}`, new Uint8Array(readFileSync(join(dir, 'chunks', f))));
  await srv.start();
});
after(async () => {
  if (!haveMke2fs) return;
  await srv.stop();
  rmSync(dir, { recursive: true });
});

const url = () => `${srv.url}/img.ext2`;

test('webx86 run --disk http://... runs busybox, fetching a small fraction of the image', async (t) => {
  if (!haveMke2fs) { t.skip('mke2fs (e2fsprogs) is not installed'); return; }
  srv.reset();
  const r = await webx86(['run', '--disk', url(), '--', '/bin/busybox', 'echo', 'ok']);
  assert.equal(r.stdout, 'ok\n', r.stderr);
  assert.equal(r.status, 0);
  const fraction = srv.bytesSent / imageSize;
  t.diagnostic(`cold run: ${srv.requests} requests, ${srv.bytesSent} of ${imageSize} bytes (${(fraction * 100).toFixed(1)}%)`);
  assert.ok(fraction < 0.1, `fetched ${srv.bytesSent} of ${imageSize}`);
  assert.ok(srv.log.every((e) => e.status === 206));
});

test('retries recover: 503s and cut connections during a run', async (t) => {
  if (!haveMke2fs) { t.skip('mke2fs (e2fsprogs) is not installed'); return; }
  srv.reset({ fail503: 2, cut: 4 });
  const r = await webx86(['run', '--disk', url(), '--', '/bin/busybox', 'cat', '/etc/motd']);
  assert.equal(r.stdout, 'streamed\n', r.stderr);
  assert.ok(srv.log.some((e) => e.status === 503));
});

test('a server that ignores Range: one clear line and a non-zero exit', async (t) => {
  if (!haveMke2fs) { t.skip('mke2fs (e2fsprogs) is not installed'); return; }
  srv.reset({ ignoreRange: true });
  const r = await webx86(['run', '--disk', url(), '--', '/bin/busybox', 'true']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /server does not support HTTP range requests \(got 200 for a Range request\)/);
  srv.reset();
  const m = await webx86(['run', '--disk', `${srv.url}/nope.ext2`, '--', '/bin/busybox', 'true']);
  assert.match(m.stderr, /nope\.ext2: HTTP 404/);
});

test('the image changing on the server mid-run is reported', async (t) => {
  if (!haveMke2fs) { t.skip('mke2fs (e2fsprogs) is not installed'); return; }
  srv.reset({ changeEtagAfter: 3 });
  const r = await webx86(['run', '--disk', url(), '--', '/bin/busybox', 'echo', 'ok']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /disk: http:\S+img\.ext2: the disk image changed on the server while in use \(ETag "img-v1" became "img-v2"\) \(bytes \d+-\d+\)/);
});

test('a second run with --overlay fetches nothing already read', async (t) => {
  if (!haveMke2fs) { t.skip('mke2fs (e2fsprogs) is not installed'); return; }
  const ovl = join(dir, 'run.overlay');
  srv.reset();
  const r1 = await webx86(['run', '--disk', url(), '--overlay', ovl, '--', '/bin/busybox', 'sh', '-c', 'cat /etc/motd; echo ok']);
  assert.equal(r1.stdout, 'streamed\nok\n', r1.stderr);
  const first = { requests: srv.requests, bytes: srv.bytesSent };
  srv.reset();
  const r2 = await webx86(['run', '--disk', url(), '--overlay', ovl, '--', '/bin/busybox', 'sh', '-c', 'cat /etc/motd; echo ok']);
  assert.equal(r2.stdout, 'streamed\nok\n', r2.stderr);
  t.diagnostic(`first run ${first.requests} requests ${first.bytes} bytes; second run ${srv.requests} requests ${srv.bytesSent} bytes; overlay file ${statSync(ovl).blocks * 512} bytes on disk`);
  // Only the one-byte probe that checks the image is still the same.
  assert.deepEqual(srv.log.map((e) => e.range), ['bytes=0-0']);
  assert.ok(srv.bytesSent <= 1);
});

test('--chunked reads an image split by `webx86 image split`', async (t) => {
  if (!haveMke2fs) { t.skip('mke2fs (e2fsprogs) is not installed'); return; }
  assert.ok(existsSync(join(dir, 'chunks/img.ext2.meta.json')));
  srv.reset();
  const r = await webx86(['run', '--disk', `${srv.url}/chunks/img.ext2.meta.json`, '--chunked', '--', '/bin/busybox', 'cat', '/etc/motd']);
  assert.equal(r.stdout, 'streamed\n', r.stderr);
  assert.ok(srv.log.every((e) => e.range === null && e.status === 200));
  t.diagnostic(`chunked: ${srv.requests} requests, ${srv.bytesSent} bytes`);
});

test('--progress prints download counters to stderr', async (t) => {
  if (!haveMke2fs) { t.skip('mke2fs (e2fsprogs) is not installed'); return; }
  srv.reset();
  const r = await webx86(['run', '--progress', '--disk', url(), '--', '/bin/busybox', 'true']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /disk: [\d.]+ MiB in \d+ requests/);
  const quiet = await webx86(['run', '--disk', url(), '--', '/bin/busybox', 'true']);
  assert.equal(quiet.stderr, '');
});

test('--rw with --overlay over HTTP: writes land in the overlay, persist, and the merged image passes e2fsck', async (t) => {
  if (!haveMke2fs) { t.skip('mke2fs (e2fsprogs) is not installed'); return; }
  const ovl = join(dir, 'rw.overlay');
  srv.reset();
  const w = await webx86(['run', '--disk', url(), '--overlay', ovl, '--rw', '--', '/bin/busybox', 'sh', '-c', 'mkdir -p /data && seq 1 20000 > /data/numbers && echo hello > /etc/greeting && rm /etc/motd']);
  assert.equal(w.status, 0, w.stderr);
  srv.reset();
  const r = await webx86(['run', '--disk', url(), '--overlay', ovl, '--', '/bin/busybox', 'sh', '-c', 'cat /etc/greeting; tail -n 1 /data/numbers; ls /etc']);
  assert.equal(r.stdout, 'hello\n20000\ngreeting\n', r.stderr);
  // Nothing was written to the server's copy; the image seen through the overlay is a clean ext2.
  const { OverlayDevice } = await import('../../src/engine/block/overlay.js');
  const { FileBlockStore, FileDevice } = await import('../../src/host/node/file-device.js');
  const base = new FileDevice(join(dir, 'img.ext2'));
  const store = FileBlockStore.open(ovl, base.size);
  // The overlay recorded the HTTP image's identity; this local copy of it has another, and
  // the overlay holds writes, so it must refuse...
  await assert.rejects(OverlayDevice.create(base, store), /overlay holds writes made over a different base image/);
  // ...unless the base says it is the same image.
  const same = { size: base.size, identity: store.baseIdentity!, read: (o: number, l: number) => base.read(o, l) };
  const ov = await OverlayDevice.create(same, store);
  const merged = join(dir, 'merged.ext2');
  writeFileSync(merged, await ov.read(0, ov.size));
  store.close();
  const fsck = (() => { try { return { out: execFileSync('e2fsck', ['-fn', merged], { encoding: 'utf8' }), code: 0 }; } catch (e) { return { out: String((e as { stdout?: string }).stdout), code: 1 }; } })();
  assert.equal(fsck.code, 0, fsck.out);
});
