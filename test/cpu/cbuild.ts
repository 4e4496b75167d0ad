/**
 * Helpers for the integer CPU tests: their build flags, output diffs, a native runner
 * with room for large outputs, and the comparison with the CPU in every JIT mode.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { buildC as buildShared } from '../support/build.js';
import { JIT_MODES, runGuest } from '../support/guest.js';
import { fileURLToPath } from 'node:url';
import { mnemonics, undefinedFlags } from '../../src/engine/cpu/isa/index.js';

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(here, '../..');
export const INT_DIR = join(here, 'int');
const FLAGS = ['-m32', '-static', '-O1', '-fno-pie', '-no-pie', '-Wall'];

/**
 * The instruction table's undefined-flag masks as C macros: -DUNDEF_<mnemonic>=mask (the
 * flags some form of the instruction leaves undefined) and -DUNDEF1_<mnemonic> (the same
 * for a shift or rotate count of 1). test/cpu/int/common.h turns them into DEFINED(op).
 */
export function isaDefines(): string[] {
  return mnemonics().flatMap((m) => {
    const u = undefinedFlags(m);
    return [`-DUNDEF_${m}=0x${u.any.toString(16)}`, `-DUNDEF1_${m}=0x${u.count1.toString(16)}`];
  });
}

/** Compile `src` (a path under test/cpu/int) and the headers it includes, with the table's flag masks; returns the binary's path. */
export function buildC(src: string, extra: string[] = []): string {
  return buildShared(resolve(INT_DIR, src), [...isaDefines(), ...extra], FLAGS);
}

/** First differing line of two outputs, for a readable assertion message. */
export function firstDiff(want: string, got: string): string | null {
  if (want === got) return null;
  const a = want.split('\n'), b = got.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) {
      const ctx = a.slice(Math.max(0, i - 2), i).map((l) => `  ${l}`).join('\n');
      return `line ${i + 1}:\n${ctx}\n- native: ${a[i] ?? '<eof>'}\n+ engine: ${b[i] ?? '<eof>'}`;
    }
  }
  return null;
}

/** Run a host binary natively with room for large outputs; status is shell-style. */
export function runNativeBig(argv: string[]): { stdout: string; stderr: string; status: number } {
  const r = spawnSync(argv[0], argv.slice(1), { maxBuffer: 64 << 20, env: { PATH: '/bin:/usr/bin' } });
  if (r.error) throw r.error;
  const sig = r.signal ? (osConstants.signals as Record<string, number>)[r.signal] : 0;
  return { stdout: r.stdout.toString(), stderr: r.stderr.toString(), status: r.status ?? 128 + sig };
}

/**
 * Build `src` (under test/cpu/int), run it natively (it must exit 0) and as /prog with the
 * interpreter only and with everything translated (docs/JIT.md): output and status equal to
 * the CPU's, the first differing line named.
 */
export async function assertLikeCpu(src: string): Promise<void> {
  const bin = buildC(src);
  const native = runNativeBig([bin]);
  assert.equal(native.status, 0, `native run of ${src} failed: ${native.stderr}`);
  for (const jit of JIT_MODES) {
    const guest = await runGuest(['/prog'], { files: { '/prog': bin }, jit });
    const diff = firstDiff(native.stdout, guest.stdout);
    assert.equal(diff, null, `${src} (jit ${jit}): engine output differs from the CPU at ${diff}\nstderr: ${guest.stderr}\n${guest.warnings.join('\n')}`);
    assert.equal(guest.status, native.status);
  }
}
