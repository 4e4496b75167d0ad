/**
 * Decoded code shared across execs (src/engine/cpu/interp.ts, SHARED): programs that put
 * different code at the same addresses, run one after the other from a shell, each run
 * its own code. Two builds of exec-cache/pages.c differ on one page that a block of an
 * identical page reads (a followed call), and each writes code of its own into the same
 * fixed page.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildC } from '../support/build.js';
import { runGuest } from '../support/guest.js';
import { busyboxStatic } from '../../src/host/node/debian-packages.js';

const SRC = new URL('./exec-cache/pages.c', import.meta.url).pathname;

test('programs with different code at the same addresses each run their own', async () => {
  const a = buildC(SRC, ['-DVAL=1'], undefined, 'val1-');
  const b = buildC(SRC, ['-DVAL=2'], undefined, 'val2-');
  const script = 'for i in 1 2 3; do /a $i; /b $i; done; /a 7';
  const r = await runGuest(['/bin/busybox', 'sh', '-c', script], { files: { '/bin/busybox': busyboxStatic(), '/a': a, '/b': b } });
  assert.equal(r.stderr, '');
  assert.equal(r.stdout, '11 101\n12 201\n11 102\n12 202\n11 103\n12 203\n11 107\n');
});
