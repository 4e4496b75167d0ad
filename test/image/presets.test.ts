/**
 * `webx86 image --preset`: the desktop preset's packages all exist in bookworm i386 and
 * resolve (no download of the .debs: the index alone), its files land in an image with their
 * modes, and an unknown preset is named.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ext2Fs } from '../../src/engine/fs/ext2/index.js';
import type { Inode } from '../../src/engine/fs/types.js';
import { FileDevice } from '../../src/host/node/file-device.js';
import { buildImage } from '../../src/host/node/image/build.js';
import { imageMain } from '../../src/host/node/image/cli.js';
import { DEFAULT_MIRROR, Mirror, MirrorError, hostMirror } from '../../src/host/node/image/mirror.js';
import { PRESETS } from '../../src/host/node/image/presets.js';
import { PackageIndex, resolve } from '../../src/host/node/image/resolve.js';

const CACHE = join(new URL('../..', import.meta.url).pathname, '.cache', 'image');
const dir = mkdtempSync(join(tmpdir(), 'webx86-presets-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('the desktop preset resolves in bookworm i386 to Xorg, the evdev driver, xterm and i3', async (t) => {
  let text: string;
  try {
    text = await new Mirror(hostMirror() ?? DEFAULT_MIRROR, CACHE).packagesIndex('bookworm', 'i386');
  } catch (e) {
    if (e instanceof MirrorError) { t.skip(`Debian mirror unreachable and nothing cached: ${e.message}`); return; }
    throw e;
  }
  const { packages } = resolve(PackageIndex.parse(text, 'i386'), PRESETS.desktop.packages, { base: true, prefer: ['usr-is-merged'] });
  const names = new Set(packages.map((p) => p.name));
  for (const n of ['xserver-xorg-core', 'xserver-xorg-input-evdev', 'libevdev2', 'xinit', 'xterm', 'i3-wm', 'i3status', 'xkb-data', 'x11-xkb-utils', 'fonts-dejavu-core'])
    assert.ok(names.has(n), `${n} is in the desktop image`);
});

test('a preset\'s files are written into the image with their modes', async (t) => {
  const out = join(dir, 'files.ext2');
  try {
    await buildImage({ packages: ['busybox-static'], base: false, out, cacheDir: CACHE, now: 1_700_000_000, files: PRESETS.desktop.files });
  } catch (e) {
    if (e instanceof MirrorError) { t.skip(`Debian mirror unreachable and nothing cached: ${e.message}`); return; }
    throw e;
  }
  const fsys = await Ext2Fs.mount(new FileDevice(out), 0x801);
  const get = async (p: string) => {
    let n = fsys.root as Inode;
    for (const part of p.split('/').filter(Boolean)) n = (await n.lookup!(part)) as Inode;
    return n;
  };
  const read = async (p: string) => {
    const n = await get(p);
    const st = (await n.stat()) as { size: number; mode: number };
    const b = new Uint8Array(st.size);
    await n.read!(b, 0);
    return { text: new TextDecoder().decode(b), mode: st.mode & 0o7777 };
  };
  const conf = await read('/etc/X11/xorg.conf.d/90-webx86.conf');
  assert.match(conf.text, /Option\s+"AutoAddDevices"\s+"false"/);
  assert.match(conf.text, /Option\s+"Device"\s+"\/dev\/input\/event0"/);
  assert.match(conf.text, /Option\s+"Device"\s+"\/dev\/input\/event1"/);
  assert.match(conf.text, /Driver\s+"modesetting"/);
  assert.equal(conf.mode, 0o644);
  const xinitrc = await read('/root/.xinitrc');
  assert.equal(xinitrc.mode, 0o755);
  assert.match(xinitrc.text, /^exec i3$/m);
  assert.match((await read('/root/.config/i3/config')).text, /status_command i3status/);
});

test('an unknown preset is named, with the ones there are', async () => {
  const errors: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((s: string) => { errors.push(String(s)); return true; }) as typeof process.stderr.write;
  try {
    assert.equal(await imageMain(['--preset', 'deskop', '--out', join(dir, 'x.ext2')]), 2);
  } finally {
    process.stderr.write = write;
  }
  assert.match(errors.join(''), /unknown preset 'deskop' \(presets: default, desktop\)/);
});
