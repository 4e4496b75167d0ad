/** Build test C programs with gcc -m32 into .cache/test-bin, keyed by content. */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const ROOT = new URL('../..', import.meta.url).pathname;
const OUT = join(ROOT, '.cache/test-bin');

export function buildC(src: string, extra: string[] = [], flags = ['-m32', '-static', '-O1', '-fno-pie', '-no-pie']): string {
  const hash = createHash('sha256').update(readFileSync(src)).update([...flags, ...extra].join(' ')).digest('hex').slice(0, 12);
  mkdirSync(OUT, { recursive: true });
  const out = join(OUT, `${basename(src, '.c')}-${hash}`);
  if (!existsSync(out)) execFileSync('gcc', [...flags, '-o', out, src, ...extra], { stdio: ['ignore', 'ignore', 'inherit'] });
  return out;
}
