/**
 * CPU faults become the signals Linux sends, with the same si_code and si_addr, and an
 * unhandled one kills the program with the same status as natively (128 + signal, as a
 * shell reports it). Malformed executables are refused without disturbing the engine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runGuest } from '../support/guest.js';
import { assertLikeCpu, buildC, runNativeBig } from './cbuild.js';

const CASES: [string, string][] = [
  ['div0', 'a divide by zero is SIGFPE (136) with FPE_INTDIV at the div'],
  ['null', 'a store to NULL is SIGSEGV (139) with SEGV_MAPERR at address 0'],
  ['nullread', 'a load from the zero page is SIGSEGV with SEGV_MAPERR at the address'],
  ['ud2', 'ud2 is SIGILL (132) with ILL_ILLOPN at the instruction'],
  ['int3', 'int3 is SIGTRAP (133) with SI_KERNEL'],
  ['hlt', 'hlt is privileged: SIGSEGV (139) with SI_KERNEL'],
  ['cli', 'cli is privileged: SIGSEGV with SI_KERNEL'],
  ['int', 'int to a vector other than 0x80 is SIGSEGV with SI_KERNEL'],
  ['in', 'port I/O is SIGSEGV with SI_KERNEL'],
  ['privileged-mov-cr', 'mov from a control register is SIGSEGV with SI_KERNEL'],
  ['rodata', 'a store to read-only data is SIGSEGV with SEGV_ACCERR at the address'],
  ['ropage', 'a store to a PROT_READ mapping is SIGSEGV with SEGV_ACCERR at the address'],
  ['nx', 'a jump into a non-executable page is SIGSEGV with SEGV_ACCERR at the target'],
  ['unmapped-jump', 'a jump to an unmapped address is SIGSEGV with SEGV_MAPERR at the target'],
  ['int-3', 'the two-byte int $3 is SIGTRAP like int3 (vector 3 is a user gate)'],
  ['int-4', 'int $4 is SIGSEGV with SI_KERNEL (the overflow gate)'],
  ['into', 'into with OF set is SIGSEGV with SI_KERNEL'],
  ['bound', 'bound out of range is SIGSEGV with SI_KERNEL'],
  ['icebp', 'icebp (int1) is SIGTRAP with TRAP_BRKPT'],
  ['lock-reg', 'lock on a register destination is SIGILL (#UD) at the instruction'],
  ['lock-mov', 'lock on mov (not read-modify-write) is SIGILL'],
  ['too-long', 'an instruction over 15 bytes is SIGSEGV (#GP) with SI_KERNEL'],
  ['stack-guard', 'a load far below the stack is SIGSEGV with SEGV_MAPERR'],
];

const bin = buildC('faults.c');

test('lock on read-modify-write memory forms, a 15-byte instruction and into without OF run as natively', async () => {
  for (const name of ['lock-ok', 'longest-ok', 'into-no']) {
    const native = runNativeBig([bin, '-h', name]);
    const guest = await runGuest(['/prog', '-h', name], { files: { '/prog': bin } });
    assert.equal(guest.stdout, native.stdout, name);
    assert.equal(guest.status, native.status, name);
  }
});

for (const [name, what] of CASES) {
  test(`${name}: ${what}`, async () => {
    const native = runNativeBig([bin, name]);
    const guest = await runGuest(['/prog', name], { files: { '/prog': bin } });
    assert.equal(guest.status, native.status, `exit status (stderr: ${guest.stderr})`);
    assert.ok(native.status > 128, 'the native run dies by a signal');
    const nh = runNativeBig([bin, '-h', name]);
    const gh = await runGuest(['/prog', '-h', name], { files: { '/prog': bin } });
    assert.equal(gh.stdout, nh.stdout, 'signal number, si_code and si_addr seen by a handler');
    assert.equal(gh.status, nh.status);
  });
}

// Malformed executables: spawn fails with an errno (ENOEXEC for bad headers) and the
// engine stays usable; the kernel does the same (exec fails, nothing runs).
const good = readFileSync(bin);
const x86_64 = Buffer.from(good);
x86_64[4] = 2; // ELFCLASS64
x86_64.writeUInt16LE(62, 18); // EM_X86_64
const wrongMachine = Buffer.from(good);
wrongMachine.writeUInt16LE(62, 18);
let seed = 12345;
const garbage = Buffer.alloc(4096, 0).map(() => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff);
const badPhdrs = Buffer.from(good.subarray(0, 4096));
badPhdrs.writeUInt32LE(0x7ffffff0, 28); // e_phoff far past the end

const MALFORMED: [string, Uint8Array][] = [
  ['truncated to 100 bytes', good.subarray(0, 100)],
  ['truncated inside the program headers', good.subarray(0, 60)],
  ['truncated after the headers (segments missing)', good.subarray(0, 4096)],
  ['ELFCLASS64 EM_X86_64', x86_64],
  ['EM_X86_64 in a 32-bit header', wrongMachine],
  ['random bytes', garbage],
  ['program headers out of range', badPhdrs],
  ['empty file', new Uint8Array(0)],
];
for (const [what, data] of MALFORMED) {
  test(`a malformed executable (${what}) is refused with an error, not a crash`, async () => {
    const r = await runGuest(['/prog'], { files: { '/prog': data } });
    assert.notEqual(r.status, 0, 'does not run successfully');
    assert.equal(r.stdout, '');
    assert.ok(!r.warnings.some((w) => /internal/i.test(w)), `no internal errors: ${r.warnings.join('; ')}`);
    // The engine is still usable afterwards.
    const ok = await runGuest(['/prog', '-h', 'ud2'], { files: { '/prog': bin } });
    assert.match(ok.stdout, /signal 04/);
  });
}

test('rmwfault.c: a read-modify-write whose store faults leaves the flags as they were, and re-runs to the same value (adc/sbb), in both JIT modes', async () => {
  await assertLikeCpu('rmwfault.c');
});
