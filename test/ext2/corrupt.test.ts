import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { MemoryDevice } from '../../src/engine/block/memory.js';
import { Ext2Fs } from '../../src/engine/fs/ext2/index.js';
import type { Inode } from '../../src/engine/fs/types.js';
import { debugfs, makeImage, pattern, tmpRoot } from './fixture.js';

const EIO = 5;
const load = (img: string): MemoryDevice => new MemoryDevice(new Uint8Array(fs.readFileSync(img)));
/** A private copy of a fresh image, to damage. */
function copyImage(name: string): string {
  const dst = path.join(tmpRoot, `${name}.ext2`);
  fs.copyFileSync(makeImage({ blockSize: 1024, inodeSize: 256 }), dst);
  return dst;
}

describe('ext2 refuses what it cannot read, at mount time, with a clear error', () => {
  it('rejects random bytes as a bad magic number', async () => {
    const bytes = new Uint8Array(pattern(64 * 1024, 3));
    await assert.rejects(Ext2Fs.mount(new MemoryDevice(bytes), 1), /not an ext2 image: bad magic 0x[0-9a-f]{4}/);
  });

  it('rejects a device too small to hold a superblock', async () => {
    await assert.rejects(Ext2Fs.mount(new MemoryDevice(new Uint8Array(100)), 1), /not an ext2 image/);
  });

  it('rejects a truncated image', async () => {
    const whole = fs.readFileSync(makeImage({ blockSize: 1024, inodeSize: 256 }));
    await assert.rejects(Ext2Fs.mount(new MemoryDevice(new Uint8Array(whole.subarray(0, 1024 * 1024))), 1), /truncated/);
  });

  it('rejects ext4 images with extents, naming the feature', async () => {
    const img = path.join(tmpRoot, 'ext4.img');
    execFileSync('mke2fs', ['-q', '-F', '-t', 'ext4', img, '8M'], { stdio: 'pipe' });
    await assert.rejects(Ext2Fs.mount(load(img), 1), /unsupported incompatible features: .*extent/);
  });

  it('rejects a superblock with an impossible geometry', async () => {
    const bytes = new Uint8Array(fs.readFileSync(makeImage({ blockSize: 1024, inodeSize: 256 })));
    new DataView(bytes.buffer).setUint32(1024 + 0x28, 0, true); // s_inodes_per_group = 0
    await assert.rejects(Ext2Fs.mount(new MemoryDevice(bytes), 1), /corrupt ext2 image: inodes per group 0/);
  });

  it('rejects an image whose root inode is not a directory', async () => {
    const img = copyImage('badroot');
    debugfs(img, 'set_inode_field <2> mode 0100644', true);
    await assert.rejects(Ext2Fs.mount(load(img), 1), /corrupt ext2 image: root inode is not a directory/);
  });
});

describe('ext2 damage found while in use gives -EIO, never an exception', () => {
  it('an inode with flags ext2 cannot read fails its lookup with EIO', async () => {
    const img = copyImage('badflags');
    debugfs(img, 'set_inode_field /a/one.txt flags 0x80000', true);
    const fsys = await Ext2Fs.mount(load(img), 1);
    const a = (await fsys.root.lookup('a')) as Inode;
    assert.equal(await a.lookup!('one.txt'), -EIO);
    assert.ok(await a.lookup!('b'), 'neighbours still readable');
  });

  it('an indirect pointer outside the file system fails the read with EIO', async () => {
    const img = copyImage('badind');
    debugfs(img, 'set_inode_field /big block[IND] 99999999', true);
    const fsys = await Ext2Fs.mount(load(img), 1);
    const big = (await fsys.root.lookup('big')) as Inode;
    const buf = new Uint8Array(100);
    assert.equal(await big.read!(buf, 0), 100, 'direct blocks still read');
    assert.equal(await big.read!(buf, 12 * 1024 + 5), -EIO);
  });

  it('a garbage directory block fails readdir and lookup with EIO', async () => {
    const img = copyImage('baddir');
    const blk = Number(debugfs(img, 'bmap /a 0').trim());
    const bytes = new Uint8Array(fs.readFileSync(img));
    bytes.fill(0, blk * 1024, blk * 1024 + 1024); // rec_len 0
    const fsys = await Ext2Fs.mount(new MemoryDevice(bytes), 1);
    const a = (await fsys.root.lookup('a')) as Inode;
    assert.equal(await a.readdir!(), -EIO);
    assert.equal(await a.lookup!('one.txt'), -EIO);
  });

  it('a device that fails a read gives EIO', async () => {
    const mem = load(makeImage({ blockSize: 1024, inodeSize: 256 }));
    let fail = false;
    const flaky = { size: mem.size, read: (o: number, n: number) => { if (fail) throw new Error('network down'); return mem.read(o, n); } };
    const fsys = await Ext2Fs.mount(flaky, 1);
    const big = (await fsys.root.lookup('big')) as Inode;
    fail = true;
    assert.equal(await big.read!(new Uint8Array(10), 0), -EIO);
  });
});
