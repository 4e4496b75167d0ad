/** `webx86 image`: argument parsing, progress lines and error messages. */
import { parseArgs } from 'node:util';
import { Ext2TooSmallError } from '../../../engine/fs/ext2/writer.js';
import { DEFAULT_PACKAGES, ImageTooSmallError, buildImage, parseSize } from './build.js';
import { MirrorError } from './mirror.js';
import { UnknownPackageError } from './resolve.js';
import { PRESETS, presetNames } from './presets.js';

export const IMAGE_USAGE = `usage: webx86 image [options] --out FILE.ext2

Build an ext2 root file system from Debian i386 packages (no root, no dpkg needed).
(webx86 image split IMAGE OUTDIR cuts an image into chunks for serving over HTTP.)

options:
  --packages LIST     packages to install, comma or space separated (default: the default
                      image: ${DEFAULT_PACKAGES.join(' ')}, with the base system)
  --preset NAME       a named image: ${presetNames().map((n) => `${n} (${PRESETS[n].description})`).join('; ')}
                      (--packages adds to its list)
  --base              add every Essential and Priority: required package (default only
                      for the default image)
  --no-base           never add them
  --out FILE          the image to write (required)
  --size SIZE         image size, e.g. 2G or 800M (default: needed + 20%, at least 64 MiB free)
  --mirror URL        Debian mirror (default: from /etc/apt sources, else deb.debian.org)
  --suite NAME        suite (default bookworm)
  --cache DIR         download cache (default ~/.cache/webx86, or $WEBX86_CACHE)
  -h, --help          this help
`;

export async function imageMain(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        packages: { type: 'string', multiple: true },
        preset: { type: 'string' },
        base: { type: 'boolean' },
        'no-base': { type: 'boolean' },
        out: { type: 'string', short: 'o' },
        size: { type: 'string' },
        mirror: { type: 'string' },
        suite: { type: 'string' },
        cache: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    process.stderr.write(`webx86 image: ${(e as Error).message}\n${IMAGE_USAGE}`);
    return 2;
  }
  const o = parsed.values;
  if (o.help) { process.stdout.write(IMAGE_USAGE); return 0; }
  if (!o.out) { process.stderr.write(`webx86 image: --out FILE is required\n${IMAGE_USAGE}`); return 2; }
  const listed = (o.packages ?? []).flatMap((s) => s.split(/[\s,]+/)).filter(Boolean);
  const preset = o.preset === undefined ? undefined : PRESETS[o.preset];
  if (o.preset !== undefined && !preset) {
    process.stderr.write(`webx86 image: unknown preset '${o.preset}' (presets: ${presetNames().join(', ')})\n`);
    return 2;
  }
  const packages = preset ? [...preset.packages, ...listed] : listed.length ? listed : DEFAULT_PACKAGES;
  const base = o['no-base'] ? false : o.base ?? (preset ? preset.base : listed.length === 0);
  let size: number | undefined;
  try { size = o.size ? parseSize(o.size) : undefined; } catch (e) { process.stderr.write(`webx86 image: ${(e as Error).message}\n`); return 2; }
  try {
    await buildImage({
      packages, base, out: o.out, size, mirror: o.mirror, suite: o.suite, cacheDir: o.cache, files: preset?.files, run: preset?.run,
      log: (m) => process.stderr.write(`webx86 image: ${m}\n`),
    });
    return 0;
  } catch (e) {
    if (e instanceof UnknownPackageError || e instanceof MirrorError || e instanceof ImageTooSmallError || e instanceof Ext2TooSmallError) {
      process.stderr.write(`webx86 image: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
