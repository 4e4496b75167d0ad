/**
 * `webx86 image split IMAGE OUTDIR [--chunk-size N]`: cut a disk image into chunk files
 * plus IMAGE.meta.json for ChunkedDevice (format: src/engine/block/chunked.ts). All-zero
 * chunks get no file; each stored chunk's sha256 goes into the metadata.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { CHUNKED_FORMAT, type ChunkedMeta, chunkFileName } from '../../engine/block/chunked.js';

const USAGE = `usage: webx86 image split IMAGE OUTDIR [--chunk-size N]

Split a disk image into fixed-size chunk files and a metadata file (IMAGE.meta.json) for
hosts without HTTP range support; run it with: webx86 run --disk URL/IMAGE.meta.json --chunked

options:
  --chunk-size N   bytes per chunk, a power of two; suffixes K and M (default 128K)
`;

export interface SplitResult { meta: ChunkedMeta; metaPath: string; files: number; zero: number }

/** Split `image` into `outDir`; returns the metadata written. */
export function splitImage(image: string, outDir: string, chunkSize = 128 * 1024): SplitResult {
  if (chunkSize < 512 || (chunkSize & (chunkSize - 1)) !== 0) throw new Error(`chunk size must be a power of two ≥ 512, got ${chunkSize}`);
  const fd = openSync(image, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size === 0) throw new Error(`${image}: empty image`);
    mkdirSync(outDir, { recursive: true });
    const name = basename(image);
    const meta: ChunkedMeta = {
      format: CHUNKED_FORMAT, version: 1, size, chunkSize, chunkCount: Math.ceil(size / chunkSize),
      chunkName: `${name}.c{index}`, indexDigits: Math.max(6, String(Math.ceil(size / chunkSize) - 1).length),
      zeroChunks: [], sha256: [],
    };
    const buf = new Uint8Array(chunkSize);
    let files = 0, zero = 0;
    for (let i = 0; i < meta.chunkCount; i++) {
      const len = Math.min(chunkSize, size - i * chunkSize);
      let done = 0;
      while (done < len) {
        const n = readSync(fd, buf, done, len - done, i * chunkSize + done);
        if (n <= 0) throw new Error(`${image}: short read at ${i * chunkSize + done}`);
        done += n;
      }
      const chunk = buf.subarray(0, len);
      if (chunk.every((b) => b === 0)) {
        const runs = meta.zeroChunks!;
        const lastRun = runs[runs.length - 1];
        if (lastRun && lastRun[0] + lastRun[1] === i) lastRun[1]++; else runs.push([i, 1]);
        meta.sha256!.push(null);
        zero++;
        continue;
      }
      writeFileSync(join(outDir, chunkFileName(meta, i)), chunk);
      meta.sha256!.push(createHash('sha256').update(chunk).digest('hex'));
      files++;
    }
    const metaPath = join(outDir, `${name}.meta.json`);
    writeFileSync(metaPath, JSON.stringify(meta) + '\n');
    return { meta, metaPath, files, zero };
  } finally {
    closeSync(fd);
  }
}

/** Parse "131072", "128K", "1M". */
export function parseSize(s: string): number {
  const m = /^(\d+)([kKmM]?)(i?[bB])?$/.exec(s.trim());
  if (!m) return NaN;
  return Number(m[1]) * (m[2] === '' ? 1 : /k/i.test(m[2]) ? 1024 : 1024 * 1024);
}

/** The subcommand; `args` follow `image split`. */
export function imageSplitMain(args: string[]): number {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { 'chunk-size': { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (e) {
    process.stderr.write(`webx86 image split: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values: o, positionals } = parsed;
  if (o.help) { process.stdout.write(USAGE); return 0; }
  if (positionals.length !== 2) { process.stderr.write(USAGE); return 2; }
  const chunkSize = o['chunk-size'] ? parseSize(o['chunk-size']) : 128 * 1024;
  try {
    const r = splitImage(positionals[0], positionals[1], chunkSize);
    process.stderr.write(`${r.metaPath}: ${r.meta.chunkCount} chunks of ${chunkSize} bytes, ${r.files} written, ${r.zero} all-zero (not stored)\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`webx86 image split: ${(e as Error).message}\n`);
    return 1;
  }
}
