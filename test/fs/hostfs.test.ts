/** hostfs: a host directory through the VFS, checked against the host's own view (node:fs). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HostFs } from '../../src/host/node/hostfs.js';
import { Vfs, AT_FDCWD } from '../../src/engine/fs/vfs.js';
import { TmpFs } from '../../src/engine/fs/tmpfs.js';
import { O_RDONLY, O_WRONLY, S_IFMT, S_IFIFO } from '../../src/engine/fs/types.js';
import { EXDEV, ENOENT, ENOTEMPTY } from '../../src/engine/linux/errno.js';

function setup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'webx86-hostfs-'));
  const v = new Vfs();
  v.mount('/', new TmpFs());
  v.mount('/h', new HostFs(dir));
  return { dir, v };
}

test('files written in the guest appear on the host and the other way round', async () => {
  const { dir, v } = setup();
  await v.writeFile('/h/guest.txt', 'from guest');
  assert.equal(fs.readFileSync(path.join(dir, 'guest.txt'), 'utf8'), 'from guest');
  fs.writeFileSync(path.join(dir, 'host.txt'), 'from host');
  assert.equal(await v.readFileText('/h/host.txt'), 'from host');
  const st = await v.stat(null, AT_FDCWD, '/h/host.txt');
  assert.ok(typeof st !== 'number');
  assert.equal(st.ino, fs.statSync(path.join(dir, 'host.txt')).ino);
  assert.equal(st.size, 9);
});

test('directories, symlinks, renames and removal map to host operations', async () => {
  const { dir, v } = setup();
  assert.equal(await v.mkdir(null, AT_FDCWD, '/h/d', 0o755), 0);
  await v.writeFile('/h/d/f', 'x');
  assert.equal(await v.symlink(null, 'd/f', AT_FDCWD, '/h/l'), 0);
  assert.equal(fs.readlinkSync(path.join(dir, 'l')), 'd/f');
  assert.equal(await v.readFileText('/h/l'), 'x');
  assert.equal(await v.rmdir(null, AT_FDCWD, '/h/d'), -ENOTEMPTY);
  assert.equal(await v.rename(null, AT_FDCWD, '/h/d', AT_FDCWD, '/h/e'), 0);
  assert.equal(await v.readFileText('/h/e/f'), 'x');
  assert.equal(await v.stat(null, AT_FDCWD, '/h/d/f'), -ENOENT);
  assert.equal(await v.rename(null, AT_FDCWD, '/h/e/f', AT_FDCWD, '/moved'), -EXDEV);
  assert.equal(await v.unlink(null, AT_FDCWD, '/h/e/f'), 0);
  assert.equal(fs.existsSync(path.join(dir, 'e', 'f')), false);
});

test('a FIFO made in a host directory lives in memory and works', async () => {
  const { dir, v } = setup();
  assert.equal(await v.mknod(null, AT_FDCWD, '/h/fifo', S_IFIFO | 0o644, 0), 0);
  assert.equal(fs.existsSync(path.join(dir, 'fifo')), false);
  const st = await v.stat(null, AT_FDCWD, '/h/fifo');
  assert.ok(typeof st !== 'number' && (st.mode & S_IFMT) === S_IFIFO);
  const rp = v.open(null, AT_FDCWD, '/h/fifo', O_RDONLY);
  const w = await v.open(null, AT_FDCWD, '/h/fifo', O_WRONLY);
  const r = await rp;
  assert.ok(typeof r !== 'number' && typeof w !== 'number');
  const t = { kernel: { signalTask: () => {} }, interrupt: null } as never;
  await w.write(t, new TextEncoder().encode('ok'));
  const buf = new Uint8Array(4);
  assert.equal(await r.read(t, buf), 2);
  assert.equal(await v.unlink(null, AT_FDCWD, '/h/fifo'), 0);
  assert.equal(await v.stat(null, AT_FDCWD, '/h/fifo'), -ENOENT);
});
