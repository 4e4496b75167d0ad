/**
 * Processes, signals, threads, memory, shared memory and unix sockets: C programs in c/
 * built with gcc -m32, run natively and under the engine; stdout and exit status must match.
 */
import { test } from 'node:test';
import { assertSameAsNative } from '../support/same-as-native.js';

const SRC = new URL('./c/', import.meta.url).pathname;

const CASES: [file: string, what: string, o: { gcc?: string[]; nativeStatus?: number }][] = [
  ['signals', 'handlers, masks, restarts, altstack, FPU state across handlers, SIGTERM default', { nativeStatus: 143 }],
  ['procs', 'fork/exec/wait statuses, stop and continue, pipes, process groups, vfork', { nativeStatus: 5 }],
  ['threads', 'pthreads over clone, futex and TLS', { gcc: ['-pthread'], nativeStatus: 0 }],
  ['storm', 'unknown system calls and signal storms', { nativeStatus: 0 }],
  ['mm', 'mmap, mprotect, mremap, brk, stack growth, NX and self-modifying code', { nativeStatus: 0 }],
  ['madvise', 'MADV_DONTNEED on private file, anonymous and shared pages', { nativeStatus: 0 }],
  ['alignment', 'EFLAGS.AC: SIGBUS on misaligned accesses while set by popf', { nativeStatus: 0 }],
  ['shm', 'MAP_SHARED memory, process-shared semaphores and sem_open across fork', { gcc: ['-pthread'], nativeStatus: 0 }],
  ['unixsock', 'unix sockets: stream over fork, SCM_RIGHTS, credentials, datagrams, seqpacket, errors', { nativeStatus: 0 }],
];

for (const [file, what, o] of CASES) {
  test(`${file}.c (${what}) behaves as natively`, () => assertSameAsNative(`${SRC}${file}.c`, o));
}
