/**
 * Debian bookworm's node (nodejs:i386, V8 generating SSE2 code; issue 10) under the engine,
 * compared with native runs of the same unpacked tree through chroot(8): `node -e`, and a
 * script (node/tour.js) using fs, crypto (OpenSSL), zlib, brotli, child_process, worker_threads and V8's
 * floating point. stdout and exit status must match exactly. V8 writes and rewrites its own
 * machine code all the time, so this is also a self-modifying-code test.
 */
import { before, test } from 'node:test';
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { NODE_ROOT_PACKAGES, debianRoot } from '../../src/host/node/debian-packages.js';
import { assertEngineMatchesNative, runInRootNatively, type Timed } from '../support/debian-root.js';

const FILES = new URL('./node', import.meta.url).pathname;

const CASES: Record<string, string[]> = {
  'node -e console.log': ['/usr/bin/node', '-e', 'console.log(1 + 1, [1.5, 2].map(Math.sqrt), typeof WebAssembly)'],
  'node script: fs, crypto, zlib, child_process, worker_threads, numbers': ['/usr/bin/node', '/opt/webx86-test/tour.js'],
};

let root = '';
let skip: string | false = false;
const native = new Map<string, Timed>();

before(() => {
  try {
    root = debianRoot('simd-node', NODE_ROOT_PACKAGES);
  } catch (e) {
    skip = `Debian i386 packages could not be downloaded: ${(e as Error).message.split('\n')[0]}`;
    return;
  }
  mkdirSync(join(root, 'opt/webx86-test'), { recursive: true });
  cpSync(FILES, join(root, 'opt/webx86-test'), { recursive: true });
  for (const [name, argv] of Object.entries(CASES)) {
    const r = runInRootNatively(root, name, argv);
    if (typeof r === 'string') { skip = r; return; }
    native.set(name, r);
  }
});

for (const [name, argv] of Object.entries(CASES)) {
  test(`node: ${name} matches a native run`, async (t) => {
    if (skip) { t.skip(skip); return; }
    await assertEngineMatchesNative(t, root, name, argv, native.get(name)!);
  });
}
