/**
 * What the desktop image brings made at build time (src/host/node/image/run-in-image.ts,
 * the preset's `run`), checked as its programs see it: fontconfig's caches for i386
 * (le32d4) are in /var/cache/fontconfig and valid, so a fontconfig client (fc-list here; i3,
 * i3bar and xterm in a session) reads them and writes none: the cache directory is the same
 * before and after, file for file and time for time, and nothing appears under ~/.cache.
 * Without them the first client scans every font (~30 s of i3's start, bench/desktop-profile.ts).
 * The image is mounted read-write (an overlay file), so a client that found the caches
 * stale could write them and the test would see it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMachine, type Machine } from '../../src/engine/machine.js';
import { openDisk, type OpenedDisk } from '../../src/host/node/disk.js';
import { CaptureFile, InputFile, envJit } from '../support/guest.js';
import { desktopTestImage } from '../support/desktop-image.js';

const ENV = ['PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin', 'HOME=/root', 'USER=root', 'LANG=C.UTF-8'];
let m: Machine;
let disk: OpenedDisk;
let overlay = '';

before(async () => {
  const img = await desktopTestImage();
  overlay = join(tmpdir(), `webx86-desktop-image-${process.pid}`);
  const d = await openDisk({ disk: img, rw: true, overlay, progress: false });
  if (typeof d === 'string') throw new Error(d);
  disk = d;
  m = await createMachine({ root: disk.fs, jit: envJit() });
});

after(async () => {
  await disk?.close();
  rmSync(overlay, { force: true });
  rmSync(`${overlay}.map`, { force: true });
});

async function sh(cmd: string): Promise<{ status: number; out: string }> {
  const out = new CaptureFile();
  const p = await m.kernel.spawn('/bin/sh', { argv: ['sh', '-c', cmd], env: ENV, cwd: '/root', stdio: [new InputFile(new Uint8Array()), out, out] });
  if (typeof p === 'number') throw new Error(`spawn /bin/sh: ${p}`);
  let status = -1;
  m.kernel.sched.onProcessExit = (q) => { if (q === p) status = q.exitStatus; };
  await m.kernel.sched.run();
  return { status: status >> 8, out: out.text() };
}

test("fontconfig's i386 caches are in the image and fc-list uses them without writing any", { timeout: 10 * 60_000 }, async () => {
  const list = 'ls -la --time-style=full-iso /var/cache/fontconfig | sort';
  const before = await sh(list);
  assert.equal(before.status, 0, before.out);
  const caches = before.out.split('\n').filter((l) => l.endsWith('-le32d4.cache-8'));
  // One per font directory (/usr/share/fonts and the 7 below it that exist).
  assert.ok(caches.length >= 8, `i386 cache files in /var/cache/fontconfig:\n${before.out}`);

  const fc = await sh('fc-list : family file | sort');
  assert.equal(fc.status, 0, fc.out);
  assert.match(fc.out, /\/usr\/share\/fonts\/truetype\/dejavu\/DejaVuSansMono\.ttf: DejaVu Sans Mono/);
  assert.match(fc.out, /\/usr\/share\/fonts\/X11\/misc\/[^:]+\.pcf\.gz: Fixed/);

  const afterList = await sh(list);
  assert.equal(afterList.out, before.out, 'fc-list rewrote the caches: they were not valid for it');
  const home = await sh('ls -A /root/.cache /root/.fontconfig 2>/dev/null; true');
  assert.equal(home.out, '', 'fc-list wrote a cache of its own');
});
