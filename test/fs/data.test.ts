/**
 * DataFs (CheerpX's DataDevice): files written from JavaScript, read-only for the guest.
 * Expectations come from CheerpX's documentation (mode without an exec bit, writeFile of a
 * string or bytes) and from Linux's EROFS rules for a read-only mount.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Vfs, AT_FDCWD } from '../../src/engine/fs/vfs.js';
import { TmpFs } from '../../src/engine/fs/tmpfs.js';
import { DataFs } from '../../src/engine/fs/data.js';
import { O_CREAT, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY, S_IFDIR, S_IFMT, S_IFREG, type File, type Inode } from '../../src/engine/fs/types.js';
import { EACCES, EROFS } from '../../src/engine/linux/errno.js';

function mounted(): { v: Vfs; d: DataFs } {
  const v = new Vfs();
  v.mount('/', new TmpFs({ mode: 0o755 }));
  const d = new DataFs();
  v.mount('/data', d);
  return { v, d };
}

test('writeFile makes files the guest reads, creating parent directories', async () => {
  const { v, d } = mounted();
  d.writeFile('/hello.txt', 'hello');
  d.writeFile('/a/b/c.bin', new Uint8Array([0, 1, 2, 255]));
  assert.equal(await v.readFileText('/data/hello.txt'), 'hello');
  assert.deepEqual([...await v.readFile('/data/a/b/c.bin')], [0, 1, 2, 255]);
  const dir = await v.open(null, AT_FDCWD, '/data/a', O_RDONLY);
  assert.ok(typeof dir !== 'number');
  const names = (await (dir as File).readdir()) as { name: string }[];
  assert.ok(names.some((e) => e.name === 'b'));
});

test('modes: files 0644 without an exec bit, directories 0755, owned by root', async () => {
  const { v, d } = mounted();
  d.writeFile('/bin/tool', '#!/bin/sh\necho hi\n');
  const f = await v.stat(null, AT_FDCWD, '/data/bin/tool');
  const dir = await v.stat(null, AT_FDCWD, '/data/bin');
  const root = await v.stat(null, AT_FDCWD, '/data');
  assert.ok(typeof f !== 'number' && typeof dir !== 'number' && typeof root !== 'number');
  assert.equal(f.mode, S_IFREG | 0o644);
  assert.equal(dir.mode, S_IFDIR | 0o755);
  assert.equal(root.mode & S_IFMT, S_IFDIR);
  assert.equal(root.mode & 0o7777, 0o755);
  assert.equal(f.uid, 0);
  assert.equal(f.gid, 0);
  assert.equal(f.size, 18);
  assert.ok(f.mtime.sec > 1_600_000_000, 'a real timestamp');
  // execve needs an x bit: the guest cannot run a DataDevice file.
  assert.equal(await v.readExecutable(null, '/data/bin/tool'), -EACCES);
});

test('writeFile replaces the content, and the guest sees the new bytes and a new mtime', async () => {
  const { v, d } = mounted();
  d.writeFile('/f', 'a much longer first version');
  const before = await v.stat(null, AT_FDCWD, '/data/f');
  // Let the clock move on (it has sub-microsecond steps) so "newer" is observable.
  const t0 = performance.now();
  while (performance.now() === t0) { /* spin */ }
  const src = new TextEncoder().encode('v2');
  d.writeFile('/f', src);
  src[0] = 0x58; // the caller's buffer is not shared
  assert.equal(await v.readFileText('/data/f'), 'v2');
  const after = await v.stat(null, AT_FDCWD, '/data/f');
  assert.ok(typeof before !== 'number' && typeof after !== 'number');
  assert.equal(after.size, 2);
  assert.equal(after.ino, before.ino);
  const t = (s: typeof after) => s.mtime.sec * 1e9 + s.mtime.nsec;
  assert.ok(t(after) > t(before), 'mtime moves forward on writeFile');
  assert.deepEqual(d.readFile('f'), new TextEncoder().encode('v2'));
});

test('readFile returns a copy, and null for missing files and directories', () => {
  const d = new DataFs();
  d.writeFile('x/y', 'data');
  const r = d.readFile('/x/y')!;
  r[0] = 0;
  assert.equal(new TextDecoder().decode(d.readFile('/x/y')!), 'data');
  assert.equal(d.readFile('/x/nope'), null);
  assert.equal(d.readFile('/x'), null);
});

test('writeFile refuses a file used as a directory, a directory as a file, and ".."', () => {
  const d = new DataFs();
  d.writeFile('/f', 'x');
  assert.throws(() => d.writeFile('/f/g', 'y'), /is a file, not a directory/);
  d.writeFile('/dir/g', 'y');
  assert.throws(() => d.writeFile('/dir', 'z'), /is a directory/);
  assert.throws(() => d.writeFile('/../etc/passwd', 'z'), /not allowed/);
  assert.throws(() => d.writeFile('/', 'z'), /not a file name/);
});

test('every change from the guest is EROFS', async () => {
  const { v, d } = mounted();
  d.writeFile('/f', 'x');
  d.writeFile('/dir/g', 'y');
  assert.equal(await v.open(null, AT_FDCWD, '/data/f', O_WRONLY), -EROFS);
  assert.equal(await v.open(null, AT_FDCWD, '/data/f', O_RDWR), -EROFS);
  assert.equal(await v.open(null, AT_FDCWD, '/data/f', O_RDONLY | O_TRUNC), -EROFS);
  assert.equal(await v.open(null, AT_FDCWD, '/data/new', O_CREAT | O_WRONLY), -EROFS);
  assert.equal(await v.mkdir(null, AT_FDCWD, '/data/d2', 0o755), -EROFS);
  assert.equal(await v.unlink(null, AT_FDCWD, '/data/f'), -EROFS);
  assert.equal(await v.rmdir(null, AT_FDCWD, '/data/dir'), -EROFS);
  assert.equal(await v.rename(null, AT_FDCWD, '/data/f', AT_FDCWD, '/data/f2'), -EROFS);
  assert.equal(await v.symlink(null, 'f', AT_FDCWD, '/data/l'), -EROFS);
  assert.equal(await v.link(null, AT_FDCWD, '/data/f', AT_FDCWD, '/data/h', false), -EROFS);
  const r = await v.resolve(null, AT_FDCWD, '/data/f');
  assert.ok(typeof r !== 'number');
  assert.equal(await v.setattr(null, r.inode, { mode: 0o755 }), -EROFS);
  // The inodes themselves refuse too (a caller that bypasses the VFS).
  assert.equal(r.inode.write!(new Uint8Array(1), 0), -EROFS);
  assert.equal(r.inode.setattr!({ size: 0 }), -EROFS);
  const root: Inode = d.root;
  assert.equal(root.create!('n', S_IFREG | 0o644, 0, 0), -EROFS);
  assert.equal(await v.readFileText('/data/f'), 'x');
});
