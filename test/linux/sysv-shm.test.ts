/**
 * System V shared memory (linux/sysv-shm.ts, syscalls/ipc.ts) compared with a native run of
 * c/sysv-shm.c: a segment written in one process and read in a fork child and in an exec'd
 * program attaching by id, content kept across detach, IPC_STAT counts, keys, IPC_SET,
 * removal while attached, read-only attachments (SIGSEGV on write), bad arguments, and the
 * same calls through the direct system calls and ipc(2).
 */
import { test } from 'node:test';
import { assertSameAsNative } from '../support/same-as-native.js';

const SRC = new URL('./c/', import.meta.url).pathname;

test('sysv-shm.c: shmget/shmat/shmdt/shmctl across processes behave as natively', () =>
  assertSameAsNative(`${SRC}sysv-shm.c`, { nativeStatus: 0 }));
