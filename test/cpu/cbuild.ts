/**
 * Build i386 C test programs with the host's gcc -m32 into a cache keyed by the hash of
 * the sources and flags (binaries are never committed).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(here, '../..');
export const INT_DIR = join(here, 'int');
const CACHE = join(ROOT, '.cache/test-bin');
const FLAGS = ['-m32', '-static', '-O1', '-fno-pie', '-no-pie', '-Wall'];

/** Compile `src` (a path under test/cpu/int) plus common.h; returns the binary's path. */
export function buildC(src: string, extra: string[] = []): string {
  const path = resolve(INT_DIR, src);
  const h = createHash('sha256');
  h.update(readFileSync(path));
  const common = join(INT_DIR, 'common.h');
  if (existsSync(common)) h.update(readFileSync(common));
  h.update([...FLAGS, ...extra].join(' '));
  const out = join(CACHE, `${src.replace(/\W/g, '_')}-${h.digest('hex').slice(0, 16)}`);
  if (existsSync(out)) return out;
  mkdirSync(CACHE, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  const r = spawnSync('gcc', [...FLAGS, ...extra, path, '-o', tmp], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gcc ${src} failed:\n${r.stderr}`);
  renameSync(tmp, out);
  return out;
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
