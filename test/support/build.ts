/**
 * Build test C programs with gcc -m32 into .cache/test-bin (never committed), keyed by the
 * source, every local header it includes (recursively) and the flags, so editing a shared
 * header rebuilds its users. Builds go to a temporary name first: concurrent test files
 * may ask for the same binary.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

const ROOT = new URL('../..', import.meta.url).pathname;
const OUT = join(ROOT, '.cache/test-bin');
export const DEFAULT_FLAGS = ['-m32', '-static', '-O1', '-fno-pie', '-no-pie'];

/** The source and its `#include "..."` files, depth first, each once. */
function localSources(path: string, seen = new Set<string>()): string[] {
  if (seen.has(path)) return [];
  seen.add(path);
  const text = readFileSync(path, 'utf8');
  const out = [path];
  for (const m of text.matchAll(/^\s*#\s*include\s+"([^"]+)"/gm)) {
    const inc = resolve(dirname(path), m[1]);
    if (existsSync(inc)) out.push(...localSources(inc, seen));
  }
  return out;
}

export function buildC(src: string, extra: string[] = [], flags = DEFAULT_FLAGS, prefix = ''): string {
  const h = createHash('sha256');
  for (const f of localSources(src)) h.update(readFileSync(f));
  h.update([...flags, ...extra].join(' '));
  mkdirSync(OUT, { recursive: true });
  const out = join(OUT, `${prefix}${basename(src, '.c')}-${h.digest('hex').slice(0, 16)}`);
  if (existsSync(out)) return out;
  const tmp = `${out}.${process.pid}.tmp`;
  const r = spawnSync('gcc', [...flags, '-o', tmp, src, ...extra], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gcc ${src} failed:\n${r.stderr}`);
  renameSync(tmp, out);
  return out;
}
