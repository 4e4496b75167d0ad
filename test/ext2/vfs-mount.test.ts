import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Vfs } from '../../src/engine/fs/vfs.js';
import { MemoryDevice } from '../../src/engine/block/memory.js';
import { Ext2Fs } from '../../src/engine/fs/ext2/index.js';
import { ProcFs } from '../../src/engine/kernfs/procfs.js';
import { Kernel } from '../../src/engine/linux/kernel.js';
import { File, O_DIRECTORY, O_RDONLY, type Stat } from '../../src/engine/fs/types.js';
import type { Task } from '../../src/engine/linux/task.js';
import { makeImage, makeSourceTree } from './fixture.js';

async function readFile(f: File): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (;;) {
    const b = Buffer.alloc(100_000);
    const n = await f.read(null as unknown as Task, b);
    assert.ok(n >= 0, `read: ${n}`);
    if (n === 0) break;
    parts.push(b.subarray(0, n));
  }
  return Buffer.concat(parts);
}

describe('ext2 and proc mounted in the VFS', () => {
  it('opens, reads, lists and follows links through the generic file objects', async () => {
    const vfs = new Vfs();
    const img = makeImage({ blockSize: 1024, inodeSize: 256 });
    const root = await Ext2Fs.mount(new MemoryDevice(new Uint8Array(fs.readFileSync(img))), 0x801);
    vfs.mount('/', root);
    const k = new Kernel();
    vfs.mount('/a/b', new ProcFs(k, { dev: 0x20, currentPid: () => 1 }));
    const src = makeSourceTree();

    const big = await vfs.open(null, -100, '/big', O_RDONLY);
    assert.ok(big instanceof File);
    assert.ok((await readFile(big)).equals(fs.readFileSync(path.join(src, 'big'))));

    const viaLink = await vfs.open(null, -100, '/a/short-link', O_RDONLY);
    assert.ok(viaLink instanceof File);
    assert.equal((await readFile(viaLink)).toString(), 'one\n');

    const st = (await vfs.stat(null, -100, '/a/linked2')) as Stat;
    assert.equal(st.nlink, 3);

    const dir = await vfs.open(null, -100, '/many', O_RDONLY | O_DIRECTORY);
    assert.ok(dir instanceof File);
    const entries = await dir.readdir();
    assert.ok(Array.isArray(entries) && entries.length >= 2000);

    const version = await vfs.open(null, -100, '/a/b/version', O_RDONLY);
    assert.ok(version instanceof File);
    assert.match((await readFile(version)).toString(), /^Linux version/);
  });
});
