import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ext2Fs } from '../../src/engine/fs/ext2/index.js';
import { Ext2TooSmallError, measureExt2, writeExt2, type Ext2TreeNode } from '../../src/engine/fs/ext2/writer.js';
import { FileDevice } from '../../src/host/node/file-device.js';
import { S_IFMT, type Inode, type Stat } from '../../src/engine/fs/types.js';

// The writer's output is judged by e2fsck (e2fsprogs, an independent implementation) and read
// back through the project's ext2 reader; expected contents come from the tree written.

const dir = mkdtempSync(join(tmpdir(), 'webx86-ext2w-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const T = 1_700_000_000;
const enc = new TextEncoder();

function pattern(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; b[i] = x & 0xff; }
  return b;
}
const d = (entries: Record<string, Ext2TreeNode>, perm = 0o755, uid = 0, gid = 0): Ext2TreeNode =>
  ({ mode: 0o040000 | perm, uid, gid, mtime: T, children: new Map(Object.entries(entries)) });
const f = (data: string | Uint8Array, perm = 0o644, uid = 0, gid = 0, mtime = T): Ext2TreeNode =>
  ({ mode: 0o100000 | perm, uid, gid, mtime, data: typeof data === 'string' ? enc.encode(data) : data });
const l = (target: string): Ext2TreeNode => ({ mode: 0o120777, uid: 0, gid: 0, mtime: T, target });

function makeTree(bigSize: number): Ext2TreeNode {
  const shared = f('three names\n', 0o640, 1000, 1000);
  const many: Record<string, Ext2TreeNode> = {};
  for (let i = 0; i < 1500; i++) many[`entry-${String(i).padStart(4, '0')}-${'n'.repeat(i % 200)}`] = f(i % 5 ? '' : `${i}\n`);
  return d({
    etc: d({ hostname: f('webx86\n'), 'linked-2': shared, shadow: f('root:*:::::::\n', 0o640, 0, 42) }),
    usr: d({ bin: d({ tool: f(pattern(4097, 1), 0o4755), big: f(pattern(bigSize, 2), 0o755, 0, 0, T - 86400 * 365) }), 'linked-3': shared }),
    bin: l('usr/bin'),
    link59: l('x'.repeat(59)),
    link60: l('y'.repeat(60)),
    longlink: l('/a/long/target/' + 'z'.repeat(300)),
    linked: shared,
    empty: f(''),
    exact: f(pattern(4096, 3)),
    owned: f('o', 0o600, 70000, 65534 + 10), // ids past 16 bits: i_uid_high / i_gid_high
    'naïve-ünïcode': f('utf-8\n'),
    many: d(many),
    tmp: d({}, 0o1777),
    home: d({ user: d({ '.profile': f('PATH=/bin\n') }, 0o750, 1000, 1000) }),
    dev: d({
      null: { mode: 0o020666, uid: 0, gid: 0, mtime: T, rdev: { major: 1, minor: 3 } },
      nvme: { mode: 0o060660, uid: 0, gid: 6, mtime: T, rdev: { major: 259, minor: 300 } },
      fifo: { mode: 0o010600, uid: 0, gid: 0, mtime: T },
      sock: { mode: 0o140755, uid: 0, gid: 0, mtime: T },
    }),
  });
}

function writeImage(root: Ext2TreeNode, name: string, blockSize: number, sizeBytes?: number): string {
  const path = join(dir, name);
  const size = sizeBytes ?? measureExt2(root, { blockSize }).minBytes;
  const fd = openSync(path, 'w');
  ftruncateSync(fd, size);
  writeExt2(root, { blockSize, sizeBytes: size, now: T }, (off, b) => { writeSync(fd, b, 0, b.length, off); });
  closeSync(fd);
  return path;
}

function fsck(path: string, t: { skip(msg: string): void }): boolean {
  const r = spawnSync('e2fsck', ['-fn', path], { encoding: 'utf8' });
  if (r.error) { t.skip('e2fsck (e2fsprogs) not installed'); return false; }
  assert.equal(r.status, 0, `e2fsck -fn found problems:\n${r.stdout}${r.stderr}`);
  return true;
}

async function compare(fsys: Ext2Fs, node: Inode, want: Ext2TreeNode, where: string, inos: Map<Ext2TreeNode, number>): Promise<number> {
  const st = (await node.stat()) as Stat;
  assert.equal(st.mode, want.mode, `${where}: mode`);
  assert.equal(st.uid, want.uid, `${where}: uid`);
  assert.equal(st.gid, want.gid, `${where}: gid`);
  assert.equal(st.mtime.sec, want.mtime, `${where}: mtime`);
  const seen = inos.get(want);
  if (seen !== undefined) assert.equal(st.ino, seen, `${where}: hard link shares its inode`);
  inos.set(want, st.ino);
  const type = want.mode & S_IFMT;
  if (type === 0o100000) {
    const data = want.data!;
    assert.equal(st.size, data.length, `${where}: size`);
    const buf = new Uint8Array(data.length);
    if (data.length) assert.equal(await node.read!(buf, 0), data.length);
    assert.ok(Buffer.from(buf).equals(Buffer.from(data)), `${where}: contents`);
    assert.ok(st.blocks * 512 >= data.length, `${where}: i_blocks covers the data`);
    return 1;
  }
  if (type === 0o120000) {
    assert.equal(await node.readlink!(), want.target, `${where}: target`);
    return 1;
  }
  if (type === 0o020000 || type === 0o060000) {
    const { major, minor } = want.rdev!;
    assert.equal(st.rdev, (minor & 0xff) + (major & 0xfff) * 0x100 + (minor >>> 8) * 0x100000, `${where}: rdev`);
    return 1;
  }
  if (type !== 0o040000) return 1;
  const entries = (await node.readdir!()) as { name: string; ino: number }[];
  const names = entries.map((e) => e.name).filter((n) => n !== '.' && n !== '..' && !(where === '/' && n === 'lost+found'));
  assert.deepEqual(names.sort(), [...want.children!.keys()].filter((n) => !(where === '/' && n === 'lost+found')).sort(), `${where}: listing`);
  const subdirs = [...want.children!.values()].filter((c) => (c.mode & S_IFMT) === 0o040000).length;
  assert.equal(st.nlink, 2 + subdirs, `${where}: nlink`);
  let n = 1;
  for (const [name, child] of want.children!) {
    if (where === '/' && name === 'lost+found') continue;
    const c = await node.lookup!(name);
    assert.ok(c && typeof c === 'object', `${where}${name}: lookup`);
    n += await compare(fsys, c, child, `${where}${name}${(child.mode & S_IFMT) === 0o040000 ? '/' : ''}`, inos);
  }
  return n;
}

for (const [blockSize, bigSize, extra] of [[4096, 6 * 2 ** 20 + 5, 0], [1024, 67 * 2 ** 20 + 3, 0], [2048, 300_000, 300 * 2 ** 20]] as const) {
  const label = `${blockSize}-byte blocks, a ${(bigSize / 2 ** 20).toFixed(1)} MiB file${extra ? `, ${extra / 2 ** 20} MiB image (many groups)` : ', smallest image'}`;
  describe(`ext2 writer: ${label}`, () => {
    const root = makeTree(bigSize);
    let img: string;
    before(() => { img = writeImage(root, `w${blockSize}.ext2`, blockSize, extra || undefined); });

    it('writes an image e2fsck -fn finds clean', (t) => { fsck(img, t); });

    it('reads back through Ext2Fs: every name, mode, owner, time, link and byte', async () => {
      const fsys = await Ext2Fs.mount(new FileDevice(img), 0x801);
      assert.equal(fsys.blockSize, blockSize);
      const n = await compare(fsys, fsys.root, root, '/', new Map());
      assert.ok(n > 1500, `compared ${n} nodes`);
      const lf = (await fsys.root.lookup!('lost+found')) as Inode;
      assert.equal(((await lf.stat()) as Stat).ino, 11, 'lost+found is inode 11');
      const linked = (await (fsys.root.lookup!('linked')) as Inode);
      assert.equal(((await linked.stat()) as Stat).nlink, 3, 'three names, one inode');
    });
  });
}

describe('ext2 writer sizing', () => {
  it('refuses an image too small for the tree, naming the size needed', () => {
    const root = makeTree(10 * 2 ** 20);
    const need = measureExt2(root).minBytes;
    assert.throws(() => writeExt2(root, { sizeBytes: 4 * 2 ** 20 }, () => {}), (e: unknown) =>
      e instanceof Ext2TooSmallError && e.neededBytes === need && /image too small/.test(e.message));
  });
  it('writes the smallest measured size without running out of blocks', (t) => {
    const root = makeTree(1);
    fsck(writeImage(root, 'min.ext2', 4096), t);
  });
});
