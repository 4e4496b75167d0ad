/**
 * `webx86 image`: resolve packages from a Debian mirror, download and unpack them, finish the
 * root (setup.ts) and write an ext2 image.
 */
import { closeSync, ftruncateSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { measureExt2, writeExt2 } from '../../../engine/fs/ext2/writer.js';
import { parseDeb } from './ar.js';
import { decompress } from './decompress.js';
import { DEFAULT_MIRROR, Mirror, defaultCacheDir, hostMirror, mapLimit } from './mirror.js';
import { PackageIndex, resolve, type Package } from './resolve.js';
import { RootTree } from './rootfs.js';
import { finishRoot, mergedUsr } from './setup.js';
import { readTar } from './tar.js';
import { runInImage, type ImageCommand } from './run-in-image.js';

/** The default image: a shell, the usual tools, Python, a C compiler, git and network clients. */
export const DEFAULT_PACKAGES = [
  'bash', 'coreutils', 'python3', 'busybox', 'less', 'vim-tiny', 'gcc', 'g++', 'libc6-dev', 'git', 'file', 'procps',
  'openssh-client', 'curl', 'ca-certificates',
];

export interface ImageOptions {
  packages: string[];
  out: string;
  /** Bytes; default: what the files need plus 20% (at least 64 MiB) free. */
  size?: number;
  mirror?: string;
  suite?: string;
  arch?: string;
  /** Add every Essential: yes and Priority: required package. */
  base?: boolean;
  /** Packages left out even where something depends on them (resolve's `exclude`). */
  exclude?: string[];
  cacheDir?: string;
  log?: (msg: string) => void;
  /** Seconds, for reproducible images (file system times and generated files). */
  now?: number;
  /** Files to add after the packages (a preset's configuration): absolute path → contents and mode. */
  files?: Record<string, { text: string; mode?: number }>;
  /** Programs of the image run in it once the files are written (run-in-image.ts: fc-cache, for one). */
  run?: ImageCommand[];
}

export class ImageTooSmallError extends Error {}

const MiB = 2 ** 20;
const mb = (n: number): string => (n / 1e6).toFixed(1);

export async function buildImage(o: ImageOptions): Promise<{ packages: Package[]; sizeBytes: number; usedBytes: number; downloadedBytes: number }> {
  const log = o.log ?? (() => {});
  const t0 = Date.now();
  const arch = o.arch ?? 'i386';
  const suite = o.suite ?? 'bookworm';
  const url = (o.mirror ?? hostMirror() ?? DEFAULT_MIRROR).replace(/\/+$/, '');
  const mirror = new Mirror(url, o.cacheDir ?? defaultCacheDir(), log);
  log(`mirror ${url}, ${suite}/main/${arch}`);
  const idx = PackageIndex.parse(await mirror.packagesIndex(suite, arch), arch);
  const { packages, warnings } = resolve(idx, o.packages, { base: o.base, prefer: ['usr-is-merged'], exclude: o.exclude });
  for (const w of warnings) log(`warning: ${w}`);
  const total = packages.reduce((n, p) => n + p.size, 0);
  log(`resolved ${packages.length} packages: ${mb(total)} MB of .debs, ${mb(packages.reduce((n, p) => n + p.installedSize * 1024, 0))} MB installed`);

  let done = 0, fetched = 0, downloadedBytes = 0, lastReport = Date.now();
  const debs = await mapLimit(packages, 6, async (p) => {
    if (!p.sha256) throw new Error(`${p.name}: the index gives no SHA256`);
    const r = await mirror.deb(p.filename, p.sha256);
    done++;
    fetched += p.size;
    if (r.downloaded) downloadedBytes += r.data.length;
    if (Date.now() - lastReport > 2000 || done === packages.length) {
      lastReport = Date.now();
      log(`fetched ${done}/${packages.length} packages, ${mb(fetched)}/${mb(total)} MB` + (done === packages.length ? ` (${mb(downloadedBytes)} MB from the mirror, the rest from the cache)` : ''));
    }
    return r.data;
  });

  const t1 = Date.now();
  const now = o.now ?? Math.floor(Date.now() / 1000);
  const tree = new RootTree(now);
  mergedUsr(tree);
  for (let i = 0; i < packages.length; i++) {
    const { data } = parseDeb(debs[i]);
    const tar = await decompress(data.name, data.data);
    for (const e of readTar(tar)) tree.add(e, packages[i].name);
    debs[i] = new Uint8Array(0);
  }
  finishRoot(tree, { packages });
  for (const [path, f] of Object.entries(o.files ?? {})) {
    const rel = path.replace(/^\/+/, '');
    const dir = rel.split('/').slice(0, -1).join('/');
    if (dir) tree.mkdir(dir);
    tree.writeFile(rel, f.text, f.mode ?? 0o644);
  }
  log(`unpacked ${packages.length} packages in ${((Date.now() - t1) / 1000).toFixed(1)} s`);

  const m = measureExt2(tree.root, { now });
  const size = o.size ?? Math.ceil((m.minBytes + Math.max(64 * MiB, m.minBytes * 0.2)) / MiB) * MiB;
  if (m.minBytes > size) {
    throw new ImageTooSmallError(`image too small: the files need ${Math.ceil(m.minBytes / MiB)} MiB, --size is ${Math.floor(size / MiB)} MiB`);
  }
  const tmp = `${o.out}.tmp`;
  const fd = openSync(tmp, 'w');
  let r;
  try {
    ftruncateSync(fd, size);
    r = writeExt2(tree.root, { sizeBytes: size, now, volumeName: 'webx86' }, (off, b) => {
      let n = 0;
      while (n < b.length) n += writeSync(fd, b, n, b.length - n, off + n);
    });
    closeSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  try {
    await runInImage(tmp, o.run ?? [], log);
  } catch (e) {
    unlinkSync(tmp);
    throw e;
  }
  renameSync(tmp, o.out);
  const used = (r.blocksCount - r.freeBlocks) * 4096;
  log(`wrote ${o.out}: ${Math.round(size / MiB)} MiB image, ${Math.round(used / MiB)} MiB used, ${r.inodesCount - r.freeInodes} inodes, in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { packages, sizeBytes: size, usedBytes: used, downloadedBytes };
}

/** "2G", "512M", "1500MiB", "300000000" -> bytes. */
export function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?$/i.exec(s.trim());
  if (!m) throw new Error(`bad size '${s}' (examples: 2G, 512M, 1500MiB)`);
  const mult = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Math.floor(Number(m[1]) * mult);
}
