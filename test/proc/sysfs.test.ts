import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SysFs } from '../../src/engine/kernfs/sysfs.js';
import { O_RDONLY, S_IFDIR, S_IFMT, type Inode } from '../../src/engine/fs/types.js';
import type { SnapshotFile } from '../../src/engine/fs/synthetic.js';
import type { Task } from '../../src/engine/linux/task.js';

const sys = new SysFs({ dev: 0x14 });

function lookup(path: string): Inode | null {
  let n: Inode | null = sys.root;
  for (const c of path.split('/').filter(Boolean)) n = n ? (n.lookup!(c) as Inode | null) : null;
  return n;
}

async function read(path: string): Promise<string> {
  const f = (await lookup(path)!.open!(O_RDONLY, `/sys/${path}`)) as SnapshotFile;
  const b = new Uint8Array(4096);
  return new TextDecoder().decode(b.subarray(0, f.read(null as unknown as Task, b)));
}

describe('sysfs', () => {
  it('reports one online CPU where glibc looks (get_nprocs, get_nprocs_conf)', async () => {
    assert.equal(await read('devices/system/cpu/online'), '0\n');
    assert.equal(await read('devices/system/cpu/possible'), '0\n');
    assert.equal(await read('devices/system/cpu/present'), '0\n');
    const cpus = (lookup('devices/system/cpu')!.readdir!() as { name: string }[]).map((e) => e.name).filter((n) => /^cpu\d+$/.test(n));
    assert.deepEqual(cpus, ['cpu0']);
  });

  it('has the top-level directories, kernel/mm and an empty-ish class/', () => {
    for (const d of ['block', 'bus', 'class', 'dev', 'devices', 'firmware', 'fs', 'kernel', 'kernel/mm', 'module', 'class/net']) {
      const n = lookup(d);
      assert.ok(n, d);
      assert.equal((n.stat() as { mode: number }).mode & S_IFMT, S_IFDIR, d);
    }
    assert.deepEqual(lookup('class/net')!.readdir!(), []);
    assert.equal(lookup('nope'), null);
    assert.equal(sys.statfs().type, 0x62656572);
  });
});
