/**
 * More of the Debian bookworm userland under the engine, compared with native runs of the
 * same unpacked tree through chroot(8) (stdout and exit status must match exactly):
 * a tour of the Python standard library (userland/stdlib.py), git on a local repository
 * (fixed author/committer dates, so commit hashes match too) and, with
 * WEBX86_SLOW_TESTS=1, gcc, g++ and make building and running programs inside the guest
 * (a ~60-package root; slow in the interpreter).
 *
 * Like glibc.test.ts, all native runs happen before the engine opens any host file.
 */
import { before, test } from 'node:test';
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { GCC_ROOT_PACKAGES, GLIBC_ROOT_PACKAGES, debianRoot } from '../../src/host/node/debian-packages.js';
import { assertEngineMatchesNative, runInRootNatively, type Timed } from '../support/debian-root.js';

const SLOW = !!process.env.WEBX86_SLOW_TESTS;
const FILES = new URL('./userland', import.meta.url).pathname;
const sh = (script: string) => ['/bin/bash', '-c', script];

interface Suite { root: string; packages: readonly string[]; cases: Record<string, string[]>; enabled: boolean }

const GIT = 'export GIT_AUTHOR_DATE="2024-01-02T03:04:05Z" GIT_COMMITTER_DATE="2024-01-02T03:04:05Z" GIT_CONFIG_NOSYSTEM=1 HOME=$WORK; '
  + 'mkdir -p $WORK/r && cd $WORK/r && git init -q -b main && git config user.name Tester && git config user.email t@example.org && '
  + 'printf "one\\ntwo\\nthree\\n" > f && git add f && git commit -q -m first && sed -i s/two/2/ f && echo four >> f && git diff && '
  + 'git commit -qam second && git branch feature && git checkout -q feature && mkdir d && echo x > d/g && git add d && git commit -qm third && '
  + 'git checkout -q main && ls && git log --oneline --all && git log --stat --format="%H %an <%ae> %ad %s" && git branch -v && '
  + 'git status --short && git cat-file -p HEAD && git diff main feature --stat && git merge -q feature && ls d && git rev-parse HEAD && '
  + 'git show --format=%s HEAD~1 | tail -3 && git ls-files -s && git fsck --no-progress && git gc -q && git count-objects -v | grep -v size';

const GCC = 'mkdir -p $WORK && cp -r /opt/webx86-test/* $WORK && cd $WORK && gcc -O2 -Wall -o hello hello.c && ./hello x y; '
  + 'g++ -O1 -std=c++17 -o hellocc hello.cc && ./hellocc; cd proj && make && ./prog && make clean && ls';

const SUITES: Record<string, Suite> = {
  userland: {
    root: 'userland',
    packages: [...GLIBC_ROOT_PACKAGES, 'libsqlite3-0', 'tzdata', 'git'],
    enabled: true,
    cases: {
      'python3 standard library tour': ['/usr/bin/python3', '/opt/webx86-test/stdlib.py'],
      'git init, commit, diff, branch, checkout, merge': sh(GIT),
    },
  },
  gcc: {
    root: 'gcc',
    packages: GCC_ROOT_PACKAGES,
    enabled: SLOW,
    cases: { 'gcc, g++ and make build and run programs': sh(GCC) },
  },
};

const roots = new Map<string, string>();
let skip: string | false = false;
const native = new Map<string, Timed>();

before(() => {
  for (const [key, s] of Object.entries(SUITES)) {
    if (!s.enabled) continue;
    let root: string;
    try {
      root = debianRoot(s.root, s.packages);
    } catch (e) {
      skip = `Debian i386 packages could not be downloaded: ${(e as Error).message.split('\n')[0]}`;
      return;
    }
    roots.set(key, root);
    mkdirSync(join(root, 'opt/webx86-test'), { recursive: true });
    cpSync(FILES, join(root, 'opt/webx86-test'), { recursive: true });
    for (const [name, argv] of Object.entries(s.cases)) {
      const r = runInRootNatively(root, name, argv);
      if (typeof r === 'string') { skip = r; return; }
      native.set(name, r);
    }
  }
});

for (const [key, s] of Object.entries(SUITES)) {
  for (const [name, argv] of Object.entries(s.cases)) {
    test(`userland: ${name} matches a native run`, { skip: s.enabled ? false : 'set WEBX86_SLOW_TESTS=1 to run' }, async (t) => {
      if (skip) { t.skip(skip); return; }
      await assertEngineMatchesNative(t, roots.get(key)!, name, argv, native.get(name)!);
    });
  }
}
