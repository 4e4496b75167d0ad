import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MemoryDevice } from '../../src/engine/block/memory.js';
import { FileDevice } from '../../src/host/node/file-device.js';
import { Ext2Fs } from '../../src/engine/fs/ext2/index.js';
import type { Inode, Stat } from '../../src/engine/fs/types.js';
import { DT_BLK, DT_CHR, DT_DIR, DT_FIFO, DT_LNK, DT_REG, DT_SOCK, S_IFMT, S_IFREG } from '../../src/engine/fs/types.js';
import { HUGE_SIZE, SPARSE_ISLANDS, debugfs, devicesMade, makeImage, makeSourceTree, pattern, type ImageOptions } from './fixture.js';

makeSourceTree();

async function walk(fsys: Ext2Fs, p: string): Promise<Inode> {
  let node: Inode = fsys.root;
  for (const part of p.split('/').filter(Boolean)) {
    const next = await node.lookup!(part);
    assert.ok(next && typeof next === 'object', `lookup ${part} in ${p}`);
    node = next;
  }
  return node;
}

function dtOfHost(st: fs.Stats): number {
  if (st.isFile()) return DT_REG;
  if (st.isDirectory()) return DT_DIR;
  if (st.isSymbolicLink()) return DT_LNK;
  if (st.isCharacterDevice()) return DT_CHR;
  if (st.isBlockDevice()) return DT_BLK;
  if (st.isFIFO()) return DT_FIFO;
  return DT_SOCK;
}

async function readAll(node: Inode, size: number, chunk: number): Promise<Buffer> {
  const out = Buffer.alloc(size);
  for (let off = 0; off < size; off += chunk) {
    const n = await node.read!(out.subarray(off, Math.min(size, off + chunk)), off);
    assert.equal(n, Math.min(chunk, size - off));
  }
  return out;
}

/** Compare one host path with the image, recursively; returns how many nodes were checked. */
async function compareTree(fsys: Ext2Fs, hostRoot: string, rel: string, inoByHostIno: Map<number, number>): Promise<number> {
  const hostPath = path.join(hostRoot, rel);
  const hs = fs.lstatSync(hostPath);
  const node = await walk(fsys, rel);
  const st = (await node.stat()) as Stat;
  const what = rel || '/';
  assert.equal(st.mode, hs.mode, `${what}: mode`);
  assert.equal(st.uid, hs.uid, `${what}: uid`);
  assert.equal(st.gid, hs.gid, `${what}: gid`);
  // mke2fs itself writes the root directory (lost+found), so its mtime is mke2fs's.
  if (rel) assert.equal(st.mtime.sec, Math.floor(hs.mtimeMs / 1000), `${what}: mtime`);
  assert.equal(st.dev, 0x801);
  assert.equal(st.blksize, fsys.blockSize);
  if (!hs.isDirectory()) {
    // Directory sizes and link counts differ by design (block size, lost+found); the rest must match.
    assert.equal(st.nlink, hs.nlink, `${what}: nlink`);
    assert.equal(st.size, hs.isFile() || hs.isSymbolicLink() ? hs.size : 0, `${what}: size`);
    const seen = inoByHostIno.get(hs.ino);
    if (seen !== undefined) assert.equal(st.ino, seen, `${what}: hard link shares the inode`);
    inoByHostIno.set(hs.ino, st.ino);
  }
  if (hs.isCharacterDevice() || hs.isBlockDevice()) assert.equal(st.rdev, hs.rdev, `${what}: rdev`);
  if (hs.isSymbolicLink()) {
    assert.equal(await node.readlink!(), fs.readlinkSync(hostPath), `${what}: target`);
    assert.equal(node.read, undefined);
  } else if (hs.isFile()) {
    assert.equal(node.lookup, undefined, 'a file has no lookup');
    if (hs.size < 64 * 1024 * 1024) {
      const want = fs.readFileSync(hostPath);
      assert.ok((await readAll(node, hs.size, hs.size || 1)).equals(want), `${what}: contents`);
      if (hs.size > 100_000) assert.ok((await readAll(node, hs.size, 777)).equals(want), `${what}: contents in odd chunks`);
    }
  } else if (hs.isDirectory()) {
    const entries = (await node.readdir!()) as { name: string; type: number; ino: number }[];
    const hostNames = fs.readdirSync(hostPath).sort();
    const names = entries.map((e) => e.name).filter((n) => !(rel === '' && n === 'lost+found')).sort();
    assert.deepEqual(names, hostNames, `${what}: listing`);
    let count = 1;
    for (const e of entries) {
      if (rel === '' && e.name === 'lost+found') continue;
      const childRel = path.join(rel, e.name);
      assert.equal(e.type, dtOfHost(fs.lstatSync(path.join(hostRoot, childRel))), `${childRel}: d_type`);
      const child = await node.lookup!(e.name);
      assert.equal((child as Inode).ino, e.ino, `${childRel}: dirent ino`);
      count += await compareTree(fsys, hostRoot, childRel, inoByHostIno);
    }
    assert.equal(await node.lookup!('no-such-name'), null);
    return count;
  }
  return 1;
}

const matrix: ImageOptions[] = [
  { blockSize: 1024, inodeSize: 128 },
  { blockSize: 2048, inodeSize: 256 },
  { blockSize: 4096, inodeSize: 256 },
  { blockSize: 1024, inodeSize: 256, dirIndex: true, features: 'dir_index' },
  { blockSize: 4096, inodeSize: 128, dirIndex: true, features: 'dir_index' },
  { blockSize: 1024, inodeSize: 256, features: '^filetype' },
  // ext3 as mke2fs makes it: the journal is a compatible feature, so the image reads as ext2.
  { blockSize: 4096, inodeSize: 256, features: 'has_journal,flex_bg' },
];

for (const opts of matrix) {
  describe(`ext2 image, ${opts.blockSize}-byte blocks, ${opts.inodeSize}-byte inodes${opts.features ? `, -O ${opts.features}` : ''}${opts.dirIndex ? ', e2fsck -D' : ''}`, () => {
    let img: string;
    let fsys: Ext2Fs;
    before(async () => {
      img = makeImage(opts);
      fsys = await Ext2Fs.mount(new MemoryDevice(new Uint8Array(fs.readFileSync(img))), 0x801);
    });

    it('reads every file, link and directory exactly as the source tree has them', async () => {
      const n = await compareTree(fsys, makeSourceTree(), '', new Map());
      assert.ok(n > 2020, `checked ${n} nodes`);
    });

    it('reads the sparse 5 GiB file: islands of data, zeros between, size past 4 GiB', async () => {
      const node = await walk(fsys, 'sparse');
      const st = (await node.stat()) as Stat;
      assert.equal(st.size, HUGE_SIZE);
      assert.ok(st.blocks * 512 < 1024 * 1024, 'holes take no blocks');
      for (const [i, off] of SPARSE_ISLANDS.entries()) {
        const buf = Buffer.alloc(30, 0xaa);
        const want = Math.min(30, HUGE_SIZE - (off - 10));
        assert.equal(await node.read!(buf, off - 10 < 0 ? 0 : off - 10), want);
        const start = off - 10 < 0 ? 0 : 10;
        assert.ok(buf.subarray(start, start + 10).equals(pattern(10, 100 + i)), `island ${i}`);
        if (start === 10) assert.ok(buf.subarray(0, 10).every((b) => b === 0), 'hole before reads as zero');
      }
      const tail = Buffer.alloc(100);
      assert.equal(await node.read!(tail, HUGE_SIZE - 5), 5);
      assert.equal(await node.read!(tail, HUGE_SIZE), 0);
      assert.equal(await node.read!(tail, HUGE_SIZE + 1000), 0);
    });

    it('reads inside a 2000-entry directory by name', async () => {
      const many = await walk(fsys, 'many');
      const e = (await many.lookup!('entry-1americ')) as Inode | null;
      assert.equal(e, null);
      const f = (await many.lookup!('entry-1974')) as Inode;
      const buf = Buffer.alloc(10);
      assert.equal(await f.read!(buf, 0), 5);
      assert.equal(buf.subarray(0, 5).toString(), '1974\n');
    });

    it('reports statfs numbers that match dumpe2fs', () => {
      const s = fsys.statfs();
      const hdr = debugfs(img, 'stats');
      const num = (label: string): number => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(hdr)![1]);
      assert.equal(s.type, 0xef53);
      assert.equal(s.bsize, opts.blockSize);
      assert.equal(s.bfree, num('Free blocks'));
      assert.equal(s.ffree, num('Free inodes'));
      assert.equal(s.files, num('Inode count'));
      assert.equal(s.bavail, num('Free blocks') - num('Reserved block count'));
      assert.ok(s.blocks < num('Block count') && s.blocks > num('Block count') * 0.8);
      assert.equal(s.namelen, 255);
    });

    if (opts.dirIndex) {
      it('really has a hashed (htree) directory to read', () => {
        assert.match(debugfs(img, 'stat /many'), /Flags: 0x1000/);
      });
    }
  });
}

describe('ext2 details checked against debugfs', () => {
  it('device nodes keep their numbers, old and new encodings', { skip: !devicesMade && 'needs root for mknod' }, async () => {
    const img = makeImage({ blockSize: 1024, inodeSize: 256 });
    const fsys = await Ext2Fs.mount(new MemoryDevice(new Uint8Array(fs.readFileSync(img))), 1);
    const rdev = async (p: string): Promise<number> => ((await (await walk(fsys, p)).stat()) as Stat).rdev;
    // glibc makedev(): minor low byte, 12 bits of major, rest of minor from bit 20.
    assert.equal(await rdev('dev/null'), (1 << 8) | 3);
    assert.equal(await rdev('dev/sda1'), (8 << 8) | 1);
    assert.equal(await rdev('dev/bigminor'), (4 << 8) | (300 & 0xff) | ((300 >> 8) << 20));
    assert.equal(await rdev('dev/fifo'), 0);
  });

  it('decodes nanoseconds and epoch bits from 256-byte inodes', async () => {
    const img = makeImage({ blockSize: 1024, inodeSize: 256 });
    debugfs(img, 'set_inode_field /a/one.txt mtime_extra 0x12345679', true);
    debugfs(img, 'set_inode_field /a/one.txt atime_extra 0x00000400', true);
    const fsys = await Ext2Fs.mount(new MemoryDevice(new Uint8Array(fs.readFileSync(img))), 1);
    const st = (await (await walk(fsys, 'a/one.txt')).stat()) as Stat;
    const secs = parseInt(/mtime: 0x([0-9a-f]+):/.exec(debugfs(img, 'stat /a/one.txt'))![1], 16);
    assert.equal(st.mtime.sec, secs + 2 ** 32);
    assert.equal(st.mtime.nsec, 0x12345679 >>> 2);
    assert.equal(st.atime.nsec, 0x100);
  });

  it('mounts through the Node file device too', async () => {
    const img = makeImage({ blockSize: 4096, inodeSize: 256 });
    const dev = new FileDevice(img);
    const fsys = await Ext2Fs.mount(dev, 7);
    const node = await walk(fsys, 'big');
    const want = fs.readFileSync(path.join(makeSourceTree(), 'big'));
    assert.ok((await readAll(node, want.length, 300_001)).equals(want));
    assert.equal(((await node.stat()) as Stat).mode & S_IFMT, S_IFREG);
    dev.close();
  });
});
