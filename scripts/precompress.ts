/**
 * The build's last step: a brotli (`.br`) and a gzip (`.gz`) copy beside every script and
 * Wasm file of dist/ worth compressing, so any static server can send them with
 * Content-Encoding (src/host/node/static-server.ts does, when the request accepts them).
 * The one that matters is binaryen's chunk (13.1 MB): brotli-9 1.78 MB in 6.5 s, gzip-9
 * 2.59 MB in 2.1 s; brotli-11 would save 0.24 MB more but took 116 s here, so 9.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);
/** Smaller files gain less than a round of header bytes. */
const MIN_BYTES = 1024;
const EXTENSIONS = /\.(js|mjs|wasm|css|html|json|svg)$/;

export interface Precompressed { file: string; bytes: number; br: number; gz: number }

export async function precompress(dir: string): Promise<Precompressed[]> {
  const out: Precompressed[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) { await walk(p); continue; }
      if (!EXTENSIONS.test(name) || st.size < MIN_BYTES) continue;
      const data = readFileSync(p);
      const [br, gz] = await Promise.all([
        brotli(data, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 9, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length } }),
        gzip(data, { level: 9 }),
      ]);
      // A sibling that would not be smaller is not written (the server then sends the file as is).
      if (br.length < data.length) writeFileSync(`${p}.br`, br);
      if (gz.length < data.length) writeFileSync(`${p}.gz`, gz);
      out.push({ file: p.slice(dir.length + 1), bytes: data.length, br: br.length, gz: gz.length });
    }
  };
  await walk(dir);
  return out;
}
