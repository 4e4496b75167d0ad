/**
 * The image of the desktop browser tests and benchmarks (test/browser/xorg-desktop.test.ts,
 * bench/browser-desktop.ts): the `desktop` preset's programs and configuration
 * (src/host/node/image/presets.ts: xorg.conf, .xinitrc → i3, the i3 config, fontconfig's caches made
 * at build time) with only what
 * they load. The preset's own image is 683 MiB because the resolver follows every Depends:
 * Mesa's DRI drivers and LLVM (glamor and GLX are off, nothing loads them), cpp (xrdb's
 * preprocessor, unused), perl and python3 (i3's helper scripts and dex, not run), udev (no
 * udevd runs) and the base system. Without them the closure is ~180 packages, ~140 MiB
 * installed, and builds in about a minute from the cached .debs.
 *
 * Built once into .cache/browser-images/kms-e2e-HASH.ext2 (a name of its own: the other browser
 * tests' images are left alone).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { buildImage } from '../../src/host/node/image/build.js';
import { PRESETS } from '../../src/host/node/image/presets.js';
import { BRK_ROOM, MMAP_MIN_ADDR, STACK_TOP } from '../../src/engine/mem/address-space.js';

const ROOT = new URL('../..', import.meta.url).pathname;

export const DESKTOP_TEST_PACKAGES = [
  'bash', 'coreutils', 'dash', 'grep', 'sed', 'procps', 'hostname', 'util-linux', 'xserver-xorg-core', 'xserver-xorg-input-evdev', 'xinit', 'xauth',
  'xterm', 'i3-wm', 'i3status', 'fonts-dejavu-core', 'xfonts-base', 'x11-xserver-utils', 'x11-utils', 'x11-apps',
  // The C.UTF-8 locale (/usr/lib/locale/C.utf8): the pages and tests run startx with
  // LANG=C.UTF-8, and i3status exits with status 1 when setlocale(LC_ALL, "") fails ("Could not
  // set locale"), which i3bar then shows. The preset has it from the base system (`base: true`).
  'libc-bin',
];

/** Depended on, never loaded here (see above). */
export const DESKTOP_TEST_EXCLUDE = [
  'libllvm15', 'libgl1-mesa-dri', 'libz3-4', 'cpp', 'cpp-12', 'libicu72', 'udev', 'perl', 'libperl5.36', 'perl-modules-5.36',
  'python3', 'man-db', 'groff-base',
];

/**
 * Named by what goes in, so a changed list or preset builds a new image instead of reusing a
 * stale one. The engine's address layout goes in too: the preset's build commands run in the
 * engine, and xkbcomp's .xkm files (the keymap cache) hold uninitialized padding with a stale
 * pointer's high byte (0xaf with mmap below 0xb0000000, 0x04 with the growing layout of
 * mem/address-space.ts), which desktop-image.test.ts compares with a fresh xkbcomp run.
 */
export const DESKTOP_TEST_IMAGE = `kms-e2e-${createHash('sha256').update(JSON.stringify([DESKTOP_TEST_PACKAGES, DESKTOP_TEST_EXCLUDE, PRESETS.desktop.files, PRESETS.desktop.run, [MMAP_MIN_ADDR, STACK_TOP, BRK_ROOM]])).digest('hex').slice(0, 10)}.ext2`;

export async function desktopTestImage(log?: (m: string) => void): Promise<string> {
  const dir = join(ROOT, '.cache', 'browser-images');
  const out = join(dir, DESKTOP_TEST_IMAGE);
  if (existsSync(out)) return out;
  mkdirSync(dir, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  await buildImage({
    packages: DESKTOP_TEST_PACKAGES, exclude: DESKTOP_TEST_EXCLUDE, files: PRESETS.desktop.files, run: PRESETS.desktop.run,
    out: tmp, cacheDir: join(ROOT, '.cache', 'image'), now: 1_700_000_000, log,
  });
  renameSync(tmp, out);
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(`${await desktopTestImage((m) => process.stderr.write(`${m}\n`))}\n`);
