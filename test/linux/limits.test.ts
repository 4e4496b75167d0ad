/**
 * Resource limits (c/limits.c): RLIMIT_NOFILE, RLIMIT_NPROC (a non-root user; root is
 * exempt), RLIMIT_FSIZE (SIGXFSZ and EFBIG), RLIMIT_AS (mmap, brk, stack growth) and
 * RLIMIT_CPU (SIGXCPU at the soft limit, SIGKILL at the hard one), compared with a
 * native run. The CPU part spends about 3 s of CPU time on each side.
 */
import { test } from 'node:test';
import { assertSameAsNative } from '../support/same-as-native.js';

test('limits.c: NOFILE, NPROC, FSIZE, AS and CPU limits hold as natively', () =>
  assertSameAsNative(new URL('./c/limits.c', import.meta.url).pathname, { nativeStatus: 0 }));
