// What `npm test` needs from the machine, and getting it: Node >= 20, then the Debian/Ubuntu
// packages below. Missing packages are installed with apt-get when that is possible
// without asking (as root, or through `sudo -n`), as `npx playwright install --with-deps`
// does; otherwise one line names them and the command to install them, and the run stops
// before any test starts (no cascade of "gcc ... failed").
//
// Adding a dependency is one row of PACKAGES. `need: 'required'` rows stop the run when
// missing; `need: 'optional'` rows are installed when possible, and when still missing the
// tests that use them skip with one line (they look for the command themselves).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** The packages, by Debian name, with what uses them and how to tell they are there. */
export const PACKAGES = [
  { pkg: 'gcc-multilib', need: 'required', for: 'C test programs (gcc -m32)', has: () => compiles32('c') },
  { pkg: 'g++-multilib', need: 'required', for: 'C++ test programs (g++ -m32)', has: () => compiles32('c++') },
  { pkg: 'e2fsprogs', need: 'required', for: 'ext2 images (mke2fs, e2fsck, debugfs)', has: () => onPath('mke2fs') && onPath('debugfs') },
  { pkg: 'qemu-user', need: 'required', for: 'the second reference (qemu-i386)', has: () => onPath('qemu-i386') },
  // CHROME_PATH (web-test-runner.config.mjs) names another Chromium, e.g. on Ubuntu, whose chromium is a snap.
  { pkg: 'chromium', need: 'required', for: 'the browser tests', has: () => existsSync(process.env.CHROME_PATH ?? '/usr/bin/chromium') },
  { pkg: 'fonts-dejavu-core', need: 'required', for: 'text in the browser tests', has: () => existsSync('/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf') },
  { pkg: 'util-linux', need: 'required', for: 'native runs with /proc mounted (unshare)', has: () => onPath('unshare') },
  { pkg: 'iproute2', need: 'optional', for: 'network namespaces and TUN devices in the network tests (ip)', has: () => onPath('ip') },
  { pkg: 'wireguard-go', need: 'optional', for: 'the WireGuard interop test (a real userspace peer)', has: () => onPath('wireguard-go') },
  { pkg: 'wireguard-tools', need: 'optional', for: 'configuring that peer (wg)', has: () => onPath('wg') },
  // Go itself is not a row: the Tailscale fixtures need Go >= 1.26 (tailscale.com v1.102.5), newer
  // than Debian's golang; without it those tests skip with one line (test/net/fixtures.ts).
];

/** Node major version the project needs (package.json "engines"). */
export const NODE_MAJOR = 20;

function onPath(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** gcc -m32 (or g++) links a program: what the multilib packages provide. */
function compiles32(lang) {
  const cc = lang === 'c' ? 'gcc' : 'g++';
  if (!onPath(cc)) return false;
  const src = lang === 'c' ? 'int main(void){return 0;}' : '#include <string>\nint main(){std::string s;return 0;}';
  const r = spawnSync(cc, ['-m32', '-x', lang, '-', '-o', '/dev/null'], { input: src, stdio: ['pipe', 'ignore', 'ignore'] });
  return r.status === 0;
}

/** Packages dpkg reports installed (one quick query; empty where there is no dpkg). */
function dpkgInstalled(names) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Package} ${db:Status-Status}\n', ...names], { encoding: 'utf8' });
  if (r.error) return new Set();
  return new Set(r.stdout.split('\n').filter((l) => l.endsWith(' installed')).map((l) => l.split(' ')[0].split(':')[0]));
}

/** Rows still missing: dpkg does not list them and their own check fails (other distributions). */
function missingOf(rows) {
  const installed = dpkgInstalled(rows.map((p) => p.pkg));
  return rows.filter((p) => !installed.has(p.pkg) && !p.has());
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;
const sudoWorks = () => onPath('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;

/** Run apt-get as root or through sudo -n; true when it succeeded. */
function aptGet(prefix, args) {
  const [cmd, ...pre] = [...prefix, 'apt-get'];
  const r = spawnSync(cmd, [...pre, ...args], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return r.status === 0;
}

/**
 * Check the machine; install what is missing when possible. Returns true when the tests
 * can run; otherwise it has printed one line saying what to do and returns false.
 * `log` receives progress lines.
 */
export function ensureTestDeps(log = (m) => console.error(m)) {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < NODE_MAJOR) {
    log(`npm test: webx86 needs Node >= ${NODE_MAJOR} (this is ${process.version}); Debian 12's nodejs is 18: install Node ${NODE_MAJOR} or later from nodejs.org or NodeSource, then run npm test again.`);
    return false;
  }
  if (process.env.WEBX86_SKIP_SETUP) return true;
  let missing = missingOf(PACKAGES);
  if (missing.length === 0) return true;
  const names = missing.map((p) => p.pkg);
  const prefix = isRoot() ? [] : sudoWorks() ? ['sudo', '-n'] : null;
  if (prefix && onPath('apt-get')) {
    log(`npm test: installing ${names.join(' ')} (${missing.map((p) => p.for).join('; ')}) with ${prefix.length ? 'sudo -n ' : ''}apt-get`);
    // An install may fail for a package the distribution lacks; the check below says which.
    if (aptGet(prefix, ['update', '-qq'])) aptGet(prefix, ['install', '-y', '-qq', '--no-install-recommends', ...names]);
    missing = missingOf(missing);
  }
  const required = missing.filter((p) => p.need === 'required');
  const optional = missing.filter((q) => q.need !== 'required');
  if (required.length === 0) {
    // One line for all of them: the run goes on, those tests skip.
    if (optional.length) log(`npm test: ${optional.map((p) => p.pkg).join(', ')} missing: the tests that need them will skip (${optional.map((p) => p.for).join('; ')})`);
    return true;
  }
  const list = required.map((p) => p.pkg).join(' ');
  const how = onPath('apt-get') ? `sudo apt-get install -y --no-install-recommends ${list}` : `install the equivalents of these Debian packages with your system's package manager`;
  log(`npm test: missing ${list} (${required.map((p) => p.for).join('; ')}); install them with: ${how}`);
  return false;
}

// `node scripts/setup.js`: the check and install alone (npm test runs it first anyway).
if (import.meta.url === `file://${process.argv[1]}`) process.exit(ensureTestDeps() ? 0 : 1);
