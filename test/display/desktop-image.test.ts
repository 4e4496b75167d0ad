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
import { XORG_KEYMAPS, XORG_XKBCOMP_ARGS } from '../../src/host/node/image/presets.js';

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

test("Xorg's keymaps are compiled in the image: the xkbcomp wrapper answers from its cache, the same bytes as the real xkbcomp", { timeout: 10 * 60_000 }, async () => {
  const q = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
  const args = XORG_XKBCOMP_ARGS.map(q).join(' ');
  const entries = await sh('ls /var/lib/xkb/webx86-cache | sort');
  assert.equal(entries.out.split('\n').filter((l) => l.endsWith('.key')).length, XORG_KEYMAPS.length, entries.out);
  for (const k of XORG_KEYMAPS) {
    // The real compiler's output, then the wrapper's with the real compiler unable to run: from the cache or not at all.
    const r = await sh([
      `printf %s ${q(k)} | /usr/bin/xkbcomp.real ${args} /tmp/real.xkm || exit 10`,
      'chmod -x /usr/bin/xkbcomp.real',
      `printf %s ${q(k)} | /usr/bin/xkbcomp ${args} /tmp/cached.xkm; s=$?`,
      'chmod +x /usr/bin/xkbcomp.real',
      '[ $s = 0 ] || exit 11',
      'md5sum </tmp/real.xkm; md5sum </tmp/cached.xkm',
      'ls -l /tmp/real.xkm | cut -d" " -f5',
    ].join('\n'));
    assert.equal(r.status, 0, `${k}\n${r.out}`);
    const [real, cached, size] = r.out.trim().split('\n');
    assert.equal(cached, real, 'the cached .xkm is what the real xkbcomp makes');
    assert.ok(Number(size) > 10_000, `an .xkm of ${size} bytes`);
  }
  // Nothing was added: both were hits.
  assert.equal((await sh('ls /var/lib/xkb/webx86-cache | sort')).out, entries.out);
});

test("i3status runs with the pages' LANG=C.UTF-8: the image has the C.UTF-8 locale (i3bar's status line)", { timeout: 10 * 60_000 }, async () => {
  // i3status dies with status 1 ("Could not set locale") when setlocale(LC_ALL, "") fails, as
  // glibc's does for a locale whose files (/usr/lib/locale/C.utf8, from libc-bin) are missing;
  // i3bar then shows "status_command process exited unexpectedly (exit 1)" in the page.
  // Its first line (output_format "none": the modules of /etc/i3status.conf joined by " | ")
  // ends with the tztime module's "%Y-%m-%d %H:%M:%S"; head exits after it and i3status
  // ends on SIGPIPE at its next line.
  const r = await sh('(i3status 2>/tmp/i3status.err; echo "i3status exited with status $?") | head -n 1; cat /tmp/i3status.err');
  assert.equal(r.status, 0, r.out);
  assert.match(r.out.split('\n')[0], / \| \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/, `i3status's first line, then its stderr:\n${r.out}`);
});
