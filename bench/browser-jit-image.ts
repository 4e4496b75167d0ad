/**
 * The image of the browser JIT benchmark (bench/browser-jit.ts): bash, coreutils and
 * python3 from Debian, built once into .cache/browser-images/jit-bench.ext2.
 */
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { buildImage } from '../src/host/node/image/build.js';

const ROOT = new URL('..', import.meta.url).pathname;

export async function jitBenchImage(): Promise<string> {
  const dir = join(ROOT, '.cache', 'browser-images');
  const out = join(dir, 'jit-bench.ext2');
  if (existsSync(out)) return out;
  mkdirSync(dir, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  await buildImage({ packages: ['bash', 'coreutils', 'python3'], out: tmp, cacheDir: join(ROOT, '.cache', 'image'), now: 1_700_000_000 });
  renameSync(tmp, out);
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(`${await jitBenchImage()}\n`);
