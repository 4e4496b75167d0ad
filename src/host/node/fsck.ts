/**
 * `webx86 fsck --disk IMAGE --overlay FILE [-n|-y]`: check (and with -y repair) the file
 * system an overlay and its base image make together. e2fsck cannot read an overlay file,
 * so the merged view is written to a temporary sparse image, e2fsprogs' own e2fsck checks it,
 * and with -y the blocks e2fsck changed go back into the overlay as written blocks (the base
 * image is never touched). Opening the overlay first replays or discards its journal.
 * A base given as an http(s) URL is downloaded whole for the check (through the overlay, so
 * blocks it already holds are not fetched).
 */
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BlockDevice } from '../../engine/block/types.js';
import { HttpBytesDevice } from '../../engine/block/http.js';
import { BLOCK_WRITTEN, OverlayDevice } from '../../engine/block/overlay.js';
import { FileBlockStore, FileDevice } from './file-device.js';

const USAGE = `usage: webx86 fsck --disk IMAGE --overlay FILE [-n | -y]

Check the ext2 file system that IMAGE (a file or an http(s) URL) and the overlay FILE hold
together, with e2fsck (e2fsprogs) on a temporary merged copy.
  -n   check only, change nothing (default)
  -y   repair: e2fsck's changes are written into the overlay (IMAGE is never changed)
Exit status: e2fsck's (0 clean, 1 errors corrected, 4 errors left uncorrected, 8 operational error).
`;

const CHUNK = 1 << 20;

export async function fsckMain(args: string[]): Promise<number> {
  let o;
  try {
    o = parseArgs({ args, options: { disk: { type: 'string' }, overlay: { type: 'string' }, n: { type: 'boolean', short: 'n' }, y: { type: 'boolean', short: 'y' }, help: { type: 'boolean', short: 'h' } } }).values;
  } catch (e) {
    process.stderr.write(`webx86 fsck: ${(e as Error).message}\n${USAGE}`);
    return 8;
  }
  if (o.help) { process.stdout.write(USAGE); return 0; }
  if (!o.disk || !o.overlay) { process.stderr.write(`webx86 fsck: --disk and --overlay are both needed\n${USAGE}`); return 8; }
  if (o.n && o.y) { process.stderr.write('webx86 fsck: -n and -y exclude each other\n'); return 8; }
  if (!existsSync(o.overlay)) { process.stderr.write(`webx86 fsck: ${o.overlay}: no such overlay file\n`); return 8; }
  if (spawnSync('e2fsck', ['-V'], { stdio: 'ignore' }).error) {
    process.stderr.write('webx86 fsck: e2fsck was not found: install e2fsprogs (apt-get install e2fsprogs)\n');
    return 8;
  }
  let base: BlockDevice;
  try {
    base = /^https?:\/\//i.test(o.disk) ? await HttpBytesDevice.create(o.disk) : new FileDevice(o.disk);
  } catch (e) {
    process.stderr.write(`webx86 fsck: ${o.disk}: ${(e as Error).message}\n`);
    return 8;
  }
  let store: FileBlockStore;
  let overlay: OverlayDevice;
  try {
    store = FileBlockStore.open(o.overlay, base.size, base.blockSize ?? 64 * 1024);
    overlay = await OverlayDevice.create(base, store, { cacheReads: false });
  } catch (e) {
    process.stderr.write(`webx86 fsck: ${o.overlay}: ${(e as Error).message}\n`);
    return 8;
  }
  if (store.recovered !== 'clean') {
    process.stdout.write(`webx86 fsck: ${o.overlay}: journal ${store.recovered === 'replayed' ? 'replayed (a committed flush was completed)' : 'had an unfinished flush, discarded (the overlay is as of its last flush)'}\n`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'webx86-fsck-'));
  const merged = join(dir, 'merged.ext2');
  try {
    // The merged view, sparse: chunks of zeros are not written.
    const fd = openSync(merged, 'w+');
    ftruncateSync(fd, overlay.size);
    for (let off = 0; off < overlay.size; off += CHUNK) {
      const n = Math.min(CHUNK, overlay.size - off);
      const b = await overlay.read(off, n);
      if (b.some((x) => x !== 0)) writeAll(fd, b, off);
    }
    closeSync(fd);
    const r = spawnSync('e2fsck', [o.y ? '-fy' : '-fn', merged], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    // e2fsck names the temporary file; say which overlay it means.
    const say = (t: string) => t.split(merged).join(`${o.overlay} over ${o.disk}`);
    process.stdout.write(say(r.stdout ?? ''));
    process.stderr.write(say(r.stderr ?? ''));
    const status = r.status ?? 8;
    if (o.y && (status & 3) !== 0) {
      const changed = await copyBack(merged, overlay, store);
      process.stdout.write(`webx86 fsck: ${changed} block${changed === 1 ? '' : 's'} of ${store.blockSize} bytes written to ${o.overlay}\n`);
    }
    return status;
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Write every block e2fsck changed into the overlay; returns how many. */
async function copyBack(merged: string, overlay: OverlayDevice, store: FileBlockStore): Promise<number> {
  const fd = openSync(merged, 'r');
  let changed = 0;
  try {
    const size = statSync(merged).size;
    const bs = store.blockSize;
    for (let i = 0; i * bs < size; i++) {
      const len = Math.min(bs, size - i * bs);
      const now = new Uint8Array(len);
      let done = 0;
      while (done < len) done += readSync(fd, now, done, len - done, i * bs + done);
      const before = await overlay.read(i * bs, len);
      if (!sameBytes(now, before)) { store.writeBlock(i, now, BLOCK_WRITTEN); changed++; }
    }
    store.flush();
  } finally {
    closeSync(fd);
  }
  return changed;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function writeAll(fd: number, data: Uint8Array, offset: number): void {
  let done = 0;
  while (done < data.length) done += writeSync(fd, data, done, data.length - done, offset + done);
}
