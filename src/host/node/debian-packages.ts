/**
 * Debian i386 packages for tests and the quick start, fetched on demand into .cache/ (never committed):
 * `apt-get download` with i386 as the only architecture and a private package-list
 * directory, so the host's apt configuration is left alone.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, openSync, statSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

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

/**
 * Run `fn` holding a lock directory (apt-get update rewrites the shared lists, and test files
 * run in parallel). A lock older than 10 minutes is taken to be left by a dead process.
 */
function withAptLock<T>(fn: () => T): T {
  const lock = `${LISTS}.lock`;
  mkdirSync(dirname(lock), { recursive: true });
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try { mkdirSync(lock); break; } catch {
      try { if (Date.now() - statSync(lock).mtimeMs > 600_000) rmSync(lock, { recursive: true, force: true }); } catch { /* gone */ }
      Atomics.wait(sleeper, 0, 0, 200);
    }
  }
  try { return fn(); } finally { rmSync(lock, { recursive: true, force: true }); }
}

/** A partial failure (one mirror mid-sync) still leaves usable lists; download decides. */
function update(): void {
  try { apt(['update']); } catch { /* checked by the download that follows */ }
}

/**
 * Extract package `name` (i386) and return the directory holding its .deb and `root/`.
 * Test files run in parallel and may want the same package at once, so the download and
 * the extraction each happen in a private directory and are renamed into place: another
 * process never sees a half-written .deb or tree.
 */
export function debianPackage(name: string): string {
  const dir = join(DEBS, name);
  if (existsSync(join(dir, '.done'))) return dir;
  mkdirSync(dir, { recursive: true });
  withAptLock(() => {
    const hasLists = existsSync(LISTS) && readdirSync(LISTS).some((f) => f.endsWith('_Packages') || f.includes('Packages'));
    if (!hasLists) update();
  });
  let deb = readdirSync(dir).find((f) => f.endsWith('.deb'));
  if (!deb) {
    const tmp = mkdtempSync(join(dir, '.download-'));
    try {
      try { apt(['download', name], tmp); } catch { withAptLock(update); apt(['download', name], tmp); }
      deb = readdirSync(tmp).find((f) => f.endsWith('.deb'));
      if (!deb) throw new Error(`apt-get download ${name} produced no .deb`);
      renameSync(join(tmp, deb), join(dir, deb));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  if (!existsSync(join(dir, 'root'))) {
    const tmp = mkdtempSync(join(dir, '.extract-'));
    execFileSync('dpkg-deb', ['-x', join(dir, deb), tmp]);
    try { renameSync(tmp, join(dir, 'root')); } catch { rmSync(tmp, { recursive: true, force: true }); /* another process won */ }
  }
  writeFileSync(join(dir, '.done'), '');
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
  // Built aside and renamed into place: copying over a busybox another test is running
  // would fail with ETXTBSY, and a half-made directory must never be seen.
  const tmp = mkdtempSync(join(DEBS, 'busybox-static', '.bin-'));
  const applets = execFileSync(bb, ['--list']).toString().split('\n').filter((a) => a && a !== 'busybox');
  execFileSync('cp', [bb, join(tmp, 'busybox')]);
  for (const a of applets) symlinkSync('busybox', join(tmp, a));
  writeFileSync(join(tmp, '.done'), '');
  try { renameSync(tmp, dir); } catch { rmSync(tmp, { recursive: true, force: true }); /* another process won */ }
  return dir;
}

/**
 * Packages for a small dynamically linked Debian root (test support, not an image builder:
 * the dependency closure is written by hand for this fixed list; `webx86 image` resolves).
 */
export const GLIBC_ROOT_PACKAGES = [
  'libc6', 'libgcc-s1', 'gcc-12-base', 'bash', 'libtinfo6', 'coreutils', 'libacl1', 'libattr1', 'libgmp10',
  'libselinux1', 'libpcre2-8-0', 'grep', 'sed', 'mawk', 'findutils', 'tar', 'gzip', 'diffutils',
  'python3.11-minimal', 'libpython3.11-minimal', 'libpython3.11-stdlib', 'libexpat1', 'zlib1g', 'libssl3',
  'libffi8', 'libbz2-1.0', 'liblzma5', 'libcrypt1', 'libuuid1',
];

/**
 * gcc, g++ and make with bash and coreutils: the closure the image resolver
 * (src/host/node/image/resolve.ts) chooses for `gcc g++ make libc6-dev libstdc++-12-dev bash
 * coreutils` in bookworm, without base-files and debianutils.
 */
export const GCC_ROOT_PACKAGES = [
  'gcc', 'g++', 'make', 'libc6-dev', 'libstdc++-12-dev', 'bash', 'coreutils', 'cpp', 'gcc-12', 'g++-12', 'libc6',
  'libc-dev-bin', 'linux-libc-dev', 'libcrypt-dev', 'libnsl-dev', 'rpcsvc-proto', 'gcc-12-base', 'libgcc-12-dev',
  'libstdc++6', 'libtinfo6', 'libacl1', 'libattr1', 'libgmp10', 'libselinux1', 'cpp-12', 'libcc1-0', 'binutils',
  'libgcc-s1', 'libisl23', 'libmpc3', 'libmpfr6', 'libzstd1', 'zlib1g', 'libcrypt1', 'libnsl2', 'libtirpc-dev',
  'libgomp1', 'libitm1', 'libatomic1', 'libasan8', 'libubsan1', 'libquadmath0', 'mawk', 'libpcre2-8-0',
  'binutils-common', 'libbinutils', 'binutils-i686-linux-gnu', 'libtirpc3', 'libctf-nobfd0', 'libctf0', 'libgprofng0',
  'libjansson4', 'libgssapi-krb5-2', 'libtirpc-common', 'libcom-err2', 'libk5crypto3', 'libkrb5-3', 'libkrb5support0',
  'libkeyutils1', 'libssl3',
];

/** nodejs and its libraries (not sse2-support: its preinst only checks the CPU); test/programs/node.test.ts, the node bench rows. */
export const NODE_ROOT_PACKAGES = [
  ...GLIBC_ROOT_PACKAGES, 'nodejs', 'libnode108', 'libbrotli1', 'libc-ares2', 'libicu72', 'libnghttp2-14', 'libstdc++6',
  'libuv1', 'node-acorn', 'node-cjs-module-lexer', 'node-undici',
];

/**
 * The glibc root plus ripgrep, luajit, openssl and python3-numpy with their libraries (closures
 * from bookworm's Depends): test/programs/simd.test.ts and the openssl bench row. numpy needs
 * libblas.so.3 and liblapack.so.3, which update-alternatives would link: linkBlasLapack.
 */
export const SIMD_ROOT_PACKAGES = [
  ...GLIBC_ROOT_PACKAGES, 'ripgrep', 'luajit', 'libluajit-5.1-2', 'libluajit-5.1-common', 'openssl',
  'python3-numpy', 'libblas3', 'liblapack3', 'libgfortran5', 'libquadmath0',
];

/**
 * libblas3's and liblapack3's postinst register libblas.so.3 and liblapack.so.3 with
 * update-alternatives; an unpacked tree gets the links the alternatives would point to.
 */
export function linkBlasLapack(root: string): void {
  for (const lib of ['blas/libblas.so.3', 'lapack/liblapack.so.3']) {
    const at = join(root, 'usr/lib/i386-linux-gnu', lib.split('/')[1]);
    if (!existsSync(at)) symlinkSync(lib, at);
  }
}

/**
 * The glibc root plus full-screen terminal programs (less, vim.tiny, nano) and the terminfo
 * entries they look up (ncurses-base), for the interactive tests.
 */
export const TERMINAL_ROOT_PACKAGES = [
  ...GLIBC_ROOT_PACKAGES, 'less', 'vim-tiny', 'vim-common', 'nano', 'libncursesw6', 'ncurses-base',
];

/**
 * Unpack `packages` into one tree at .cache/roots/NAME and add what dpkg's maintainer
 * scripts would (/etc/passwd, /etc/group, the /usr/bin/python3, awk and /bin/sh links, a
 * writable /tmp, byte-compiled Python modules), then run the host's `ldconfig -r` if it
 * has one (ld.so works without the cache, from its default paths). Rebuilt when the
 * package list changes.
 */
export function debianRoot(name: string, packages: readonly string[] = GLIBC_ROOT_PACKAGES): string {
  const dir = join(CACHE, 'roots', name);
  const stamp = join(dir, '.packages');
  const want = [...packages].sort().join('\n');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) { devNodes(dir); return dir; }
  // Test files run in parallel and several build the same root: one builds, the others wait
  // for its stamp (two builders used to wipe each other's tree mid-run).
  const lock = `${dir}.lock`;
  mkdirSync(join(CACHE, 'roots'), { recursive: true });
  for (;;) {
    try { closeSync(openSync(lock, 'wx')); break; } catch { /* held by another builder */ }
    if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) { devNodes(dir); return dir; }
    try { if (Date.now() - statSync(lock).mtimeMs > 20 * 60_000) rmSync(lock, { force: true }); } catch { /* gone meanwhile */ }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
  }
  try {
    if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) { devNodes(dir); return dir; }
    buildRoot(dir, stamp, want, packages);
    return dir;
  } finally {
    rmSync(lock, { force: true });
  }
}

function buildRoot(dir: string, stamp: string, want: string, packages: readonly string[]): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const p of packages) {
    const deb = readdirSync(debianPackage(p)).find((f) => f.endsWith('.deb'))!;
    execFileSync('dpkg-deb', ['-x', join(DEBS, p, deb), dir]);
  }
  for (const d of ['etc', 'tmp', 'root', 'proc', 'dev', 'sys', 'usr/bin', 'bin']) mkdirSync(join(dir, d), { recursive: true });
  chmodSync(join(dir, 'tmp'), 0o1777);
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n');
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\ndaemon:x:1:\nusers:x:100:\nnogroup:x:65534:\n');
  const link = (target: string, at: string) => { if (!existsSync(join(dir, at))) symlinkSync(target, join(dir, at)); };
  if (packages.includes('bash')) link('bash', 'bin/sh');
  if (packages.includes('python3.11-minimal')) link('python3.11', 'usr/bin/python3');
  if (packages.includes('mawk')) link('mawk', 'usr/bin/awk');
  try { execFileSync('ldconfig', ['-r', dir], { stdio: 'ignore' }); } catch { /* no cache: default paths */ }
  // Byte-compile the standard library as python3.11-minimal's postinst (py3compile) does, so
  // runs do not compile (or write) modules; needs root for chroot, skipped without it.
  if (packages.includes('python3.11-minimal')) {
    try {
      execFileSync('chroot', [dir, '/usr/bin/python3.11', '-m', 'compileall', '-q', '/usr/lib/python3.11'], { stdio: 'ignore' });
    } catch { /* not root: modules compile at each run */ }
  }
  devNodes(dir);
  writeFileSync(stamp, want);
}

/**
 * What native chroot runs need from /dev (the engine mounts its own devfs there): /dev/null
 * and /dev/urandom (git opens them), /dev/zero, /dev/random and a /dev/shm directory (sem_open, Python's multiprocessing locks).
 * Making the device node needs root, as the chroot does.
 */
function devNodes(dir: string): void {
  mkdirSync(join(dir, 'dev/shm'), { recursive: true });
  chmodSync(join(dir, 'dev/shm'), 0o1777);
  for (const [name, minor] of [['null', 3], ['zero', 5], ['random', 8], ['urandom', 9]] as const) {
    if (existsSync(join(dir, 'dev', name))) continue;
    try { execFileSync('mknod', ['-m', '666', join(dir, 'dev', name), 'c', '1', String(minor)], { stdio: 'ignore' }); } catch { /* not root */ }
  }
}
