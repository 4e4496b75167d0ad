/**
 * Debian i386 packages for tests and the quick start, fetched on demand into .cache/ (never committed):
 * `apt-get download` with i386 as the only architecture and a private package-list
 * directory, so the host's apt configuration is left alone.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = new URL('../../..', import.meta.url).pathname;
export const CACHE = join(ROOT, '.cache');
const LISTS = join(CACHE, 'apt-lists');
const DEBS = join(CACHE, 'debs');

function apt(args: string[], cwd?: string): void {
  mkdirSync(join(LISTS, 'partial'), { recursive: true });
  execFileSync('apt-get', [
    '-q', '-o', 'APT::Architecture=i386', '-o', 'APT::Architectures=i386',
    '-o', `Dir::State::Lists=${LISTS}`, '-o', `Dir::Cache::Archives=${join(CACHE, 'apt-archives')}`,
    '-o', 'Debug::NoLocking=1', ...args,
  ], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A partial failure (one mirror mid-sync) still leaves usable lists; download decides. */
function update(): void {
  try { apt(['update']); } catch { /* checked by the download that follows */ }
}

/** Extract package `name` (i386) and return the directory holding its files. */
export function debianPackage(name: string): string {
  const dir = join(DEBS, name);
  if (existsSync(join(dir, '.done'))) return dir;
  mkdirSync(dir, { recursive: true });
  const hasLists = existsSync(LISTS) && readdirSync(LISTS).some((f) => f.endsWith('_Packages') || f.includes('Packages'));
  if (!hasLists) update();
  let deb = readdirSync(dir).find((f) => f.endsWith('.deb'));
  if (!deb) {
    try { apt(['download', name], dir); } catch { update(); apt(['download', name], dir); }
    deb = readdirSync(dir).find((f) => f.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download ${name} produced no .deb`);
  }
  execFileSync('dpkg-deb', ['-x', join(dir, deb), join(dir, 'root')]);
  execFileSync('touch', [join(dir, '.done')]);
  return dir;
}

/** Path of Debian's static busybox for i386. */
export function busyboxStatic(): string {
  return join(debianPackage('busybox-static'), 'root/bin/busybox');
}

/**
 * A directory holding the static busybox and a symbolic link per applet (what
 * `busybox --install -s` makes), so a guest with it as /bin finds `tr`, `seq`, ... on PATH.
 */
export function busyboxBinDir(): string {
  const bb = busyboxStatic();
  const dir = join(DEBS, 'busybox-static', 'bin');
  if (existsSync(join(dir, '.done'))) return dir;
  mkdirSync(dir, { recursive: true });
  const applets = execFileSync(bb, ['--list']).toString().split('\n').filter((a) => a && a !== 'busybox');
  execFileSync('cp', ['-f', bb, join(dir, 'busybox')]);
  for (const a of applets) {
    if (!existsSync(join(dir, a))) symlinkSync('busybox', join(dir, a));
  }
  execFileSync('touch', [join(dir, '.done')]);
  return dir;
}
