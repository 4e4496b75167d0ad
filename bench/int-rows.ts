/**
 * The integer rows' programs and inputs (bench/run.ts's rows of these names), for the JIT's
 * measurements of translated code: bench/jit-codegen-run.ts (one run per process) and
 * bench/jit-warm.ts (warm runs in one process, as bench/run.ts's warm column).
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { binaryTrees } from './binary-trees.js';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { GLIBC_ROOT_PACKAGES, SIMD_ROOT_PACKAGES, busyboxStatic, debianRoot } from '../src/host/node/debian-packages.js';

const ROOT = new URL('..', import.meta.url).pathname;
const BIN = join(ROOT, '.cache/bench-bin');

function inputText(bytes: number): Uint8Array {
  const words = ['lorem', 'ipsum', 'dolor', 'sit', 'amet', 'x86', 'linux', 'webx86', 'engine', 'bench', '\n'];
  let x = 12345, s = '';
  while (s.length < bytes) { x = (x * 1103515245 + 12345) >>> 0; s += words[(x >>> 16) % words.length] + ' '; }
  return new TextEncoder().encode(s.slice(0, bytes));
}

export function workload(name: string): { argv: string[]; files?: Record<string, string | Uint8Array>; root?: string; env?: string[] } {
  if (name === 'lcg') {
    const out = join(BIN, 'lcg');
    if (!existsSync(out)) { mkdirSync(BIN, { recursive: true }); execFileSync('gcc', ['-m32', '-static', '-O2', '-o', out, join(ROOT, 'bench/src/lcg.c')]); }
    return { argv: ['/lcg'], files: { '/lcg': out } };
  }
  if (name === 'x87') {
    const out = join(BIN, 'x87');
    if (!existsSync(out)) { mkdirSync(BIN, { recursive: true }); execFileSync('gcc', ['-m32', '-static', '-O2', '-o', out, join(ROOT, 'bench/src/x87.c')]); }
    return { argv: ['/x87'], files: { '/x87': out } };
  }
  if (name === 'sha256sum') return { argv: ['/bin/busybox', 'sha256sum', '/data'], files: { '/bin/busybox': busyboxStatic(), '/data': inputText((8 << 20) * Number(process.env.JCG_SCALE ?? 1)) } };
  if (name === 'gzip') return { argv: ['/bin/busybox', 'gzip', '-6', '-n', '-c', '/data'], files: { '/bin/busybox': busyboxStatic(), '/data': inputText(10_000_000) } };
  if (name === 'xz') {
    const root = debianRoot('bench', [...GLIBC_ROOT_PACKAGES, 'xz-utils']);
    mkdirSync(join(root, 'opt/bench'), { recursive: true });
    if (!existsSync(join(root, 'opt/bench/text'))) writeFileSync(join(root, 'opt/bench/text'), inputText(10_000_000));
    return { argv: ['/usr/bin/xz', '-1', '-c', '-T1', '/opt/bench/text'], root };
  }
  if (name === 'openssl') {
    // bench/run.ts's row: sha256-586's SSSE3 code (OPENSSL_ia32cap as there).
    const root = debianRoot('progs', SIMD_ROOT_PACKAGES);
    mkdirSync(join(root, 'opt/bench'), { recursive: true });
    if (!existsSync(join(root, 'opt/bench/data4'))) writeFileSync(join(root, 'opt/bench/data4'), inputText(8 << 20).subarray(0, 4 << 20));
    return { argv: ['/usr/bin/openssl', 'dgst', '-sha256', '/opt/bench/data4'], root, env: ['OPENSSL_ia32cap=0x20007888111:0'] };
  }
  // The interpreter-style rows (issue 9's warm goals for shell and Python code; session 13): bench/run.ts's bash, busybox sh and python3 rows.
  if (name === 'bash') return { argv: ['/bin/bash', '-c', 'i=0; s=0; while (( i < 20000 )); do s=$((s+i*3)); i=$((i+1)); done; echo $s'], root: debianRoot('bench', [...GLIBC_ROOT_PACKAGES, 'xz-utils']) };
  if (name === 'sh') return { argv: ['/bin/busybox', 'sh', '-c', 'i=0; s=0; while [ $i -lt 20000 ]; do s=$((s+i*3)); i=$((i+1)); done; echo $s'], files: { '/bin/busybox': busyboxStatic() } };
  if (name === 'python3') {
    const root = debianRoot('bench', [...GLIBC_ROOT_PACKAGES, 'xz-utils']);
    mkdirSync(join(root, 'opt/bench'), { recursive: true });
    // Renamed into place: the root is shared with bench/run.ts and bench/jit-profile.ts.
    writeFileSync(join(root, `opt/bench/binary-trees.py.${process.pid}.tmp`), binaryTrees(12));
    renameSync(join(root, `opt/bench/binary-trees.py.${process.pid}.tmp`), join(root, 'opt/bench/binary-trees.py'));
    return { argv: ['/usr/bin/python3', '/opt/bench/binary-trees.py'], root, env: ['PYTHONDONTWRITEBYTECODE=1'] };
  }
  throw new Error(`jit-codegen-run: no workload ${name} (lcg, x87, sha256sum, gzip, xz, openssl, bash, sh, python3)`);
}

