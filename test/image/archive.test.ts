import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, symlinkSync, linkSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parseAr, parseDeb } from '../../src/host/node/image/ar.js';
import { readTar, type TarEntry } from '../../src/host/node/image/tar.js';
import { decompress } from '../../src/host/node/image/decompress.js';

// Archives are built here byte by byte from the format descriptions (POSIX ustar, GNU tar's
// 'L'/'K' records and base-256 numbers, pax 'x'/'g' records, ar(5)), independently of the reader.
const enc = new TextEncoder();

interface H { name: string; type?: string; size?: number; mode?: number; uid?: number; gid?: number; mtime?: number; linkname?: string; prefix?: string; gnu?: boolean; major?: number; minor?: number; base256Size?: boolean }

function header(h: H): Uint8Array {
  const b = new Uint8Array(512);
  const put = (off: number, len: number, s: string) => b.set(enc.encode(s).subarray(0, len), off);
  const oct = (off: number, len: number, n: number) => put(off, len, n.toString(8).padStart(len - 1, '0') + '\0');
  put(0, 100, h.name);
  oct(100, 8, h.mode ?? 0o644);
  oct(108, 8, h.uid ?? 0);
  oct(116, 8, h.gid ?? 0);
  if (h.base256Size) {
    b[124] = 0x80;
    let n = h.size ?? 0;
    for (let i = 135; i > 124; i--) { b[i] = n % 256; n = Math.floor(n / 256); }
  } else oct(124, 12, h.size ?? 0);
  oct(136, 12, h.mtime ?? 1700000000);
  b[156] = (h.type ?? '0').charCodeAt(0);
  put(157, 100, h.linkname ?? '');
  if (h.gnu) put(257, 8, 'ustar  \0');
  else { put(257, 6, 'ustar\0'); put(263, 2, '00'); }
  put(265, 32, 'root'); put(297, 32, 'root');
  oct(329, 8, h.major ?? 0); oct(337, 8, h.minor ?? 0);
  if (h.prefix) put(345, 155, h.prefix);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  put(148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return b;
}

function member(h: H, data: Uint8Array = new Uint8Array(0)): Uint8Array[] {
  const pad = new Uint8Array((512 - (data.length % 512)) % 512);
  return [header({ ...h, size: h.size ?? data.length }), data, pad];
}

function pax(records: Record<string, string>): Uint8Array {
  let s = '';
  for (const [k, v] of Object.entries(records)) {
    // The length counts bytes (UTF-8), including its own digits.
    const body = enc.encode(` ${k}=${v}\n`).length;
    let len = body + 1;
    while (String(len).length + body !== len) len = String(len).length + body;
    const body2 = ` ${k}=${v}\n`;
    s += `${len}${body2}`;
  }
  return enc.encode(s);
}

const concat = (parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));
const longName = 'usr/share/doc/' + 'a-very-long-directory-name/'.repeat(6) + 'file.txt';

function sampleTar(): Uint8Array {
  return concat([
    ...member({ name: './', type: '5', mode: 0o755 }),
    ...member({ name: './usr/bin/', type: '5', mode: 0o755 }),
    ...member({ name: './usr/bin/hello', mode: 0o4755, uid: 0, gid: 42 }, enc.encode('#!/bin/sh\necho hello\n')),
    ...member({ name: 'bin/tool', prefix: './usr/lib/some/deep/prefix/path', mode: 0o755 }, enc.encode('x'.repeat(1000))),
    ...member({ name: './usr/bin/hello2', type: '1', linkname: './usr/bin/hello' }),
    ...member({ name: './usr/bin/sh', type: '2', linkname: 'dash' }),
    ...member({ name: './dev/null', type: '3', mode: 0o666, major: 1, minor: 3 }),
    ...member({ name: './dev/sda', type: '4', mode: 0o660, major: 8, minor: 0, gid: 6 }),
    ...member({ name: './run/fifo', type: '6', mode: 0o600 }),
    // GNU long name and long link name records.
    ...member({ name: '././@LongLink', type: 'L', gnu: true }, enc.encode(longName + '\0')),
    ...member({ name: longName.slice(0, 99), gnu: true }, enc.encode('long\n')),
    ...member({ name: '././@LongLink', type: 'K', gnu: true }, enc.encode(longName + '\0')),
    ...member({ name: './usr/share/link-to-long', type: '2', linkname: longName.slice(0, 99), gnu: true }),
    // GNU base-256 size.
    ...member({ name: './usr/big', gnu: true, base256Size: true, size: 3 }, enc.encode('abc')),
    // pax: global then per-entry headers.
    ...member({ name: 'pax_global_header', type: 'g' }, pax({ uname: 'globaluser' })),
    ...member({ name: 'PaxHeaders/x', type: 'x' }, pax({ path: './usr/share/päx-ünïcode-' + 'n'.repeat(120), mtime: '1234567890.5', uid: '70000', linkpath: 'ignored-for-files' })),
    ...member({ name: 'short-name-replaced' }, enc.encode('pax\n')),
    new Uint8Array(1024),
  ]);
}

describe('tar reader', () => {
  const entries = [...readTar(sampleTar())];
  const by = (p: string): TarEntry => { const e = entries.find((x) => x.path === p); assert.ok(e, `entry ${p}`); return e; };

  it('reads ustar entries with their modes, owners, times and contents', () => {
    const e = by('./usr/bin/hello');
    assert.equal(e.type, 'file');
    assert.equal(e.mode, 0o4755);
    assert.equal(e.gid, 42);
    assert.equal(e.mtime, 1700000000);
    assert.equal(new TextDecoder().decode(e.data), '#!/bin/sh\necho hello\n');
    assert.equal(by('./usr/bin').type, 'dir', 'directory names lose their trailing slash');
  });
  it('joins the ustar prefix and name', () => {
    assert.equal(by('./usr/lib/some/deep/prefix/path/bin/tool').data.length, 1000);
  });
  it('reads hard links, symlinks, devices and FIFOs as entries', () => {
    assert.deepEqual([by('./usr/bin/hello2').type, by('./usr/bin/hello2').linkname], ['hardlink', './usr/bin/hello']);
    assert.deepEqual([by('./usr/bin/sh').type, by('./usr/bin/sh').linkname], ['symlink', 'dash']);
    assert.deepEqual([by('./dev/null').type, by('./dev/null').devmajor, by('./dev/null').devminor], ['char', 1, 3]);
    assert.deepEqual([by('./dev/sda').type, by('./dev/sda').devmajor], ['block', 8]);
    assert.equal(by('./run/fifo').type, 'fifo');
  });
  it('applies GNU long names and long link names, and base-256 sizes', () => {
    assert.equal(new TextDecoder().decode(by(longName).data), 'long\n');
    assert.equal(by('./usr/share/link-to-long').linkname, longName);
    assert.equal(new TextDecoder().decode(by('./usr/big').data), 'abc');
  });
  it('applies pax per-entry and global records', () => {
    const e = by('./usr/share/päx-ünïcode-' + 'n'.repeat(120));
    assert.equal(e.mtime, 1234567890);
    assert.equal(e.uid, 70000);
    assert.equal(e.uname, 'globaluser');
    assert.equal(new TextDecoder().decode(e.data), 'pax\n');
  });
  it('stops at the end-of-archive blocks and rejects a bad checksum', () => {
    assert.equal(entries.length, 13);
    const bad = sampleTar();
    bad[512 + 10] ^= 1;
    assert.throws(() => [...readTar(bad)], /checksum/);
  });

  it('reads what GNU tar writes in gnu and pax formats', (t) => {
    if (spawnSync('tar', ['--version']).status !== 0) { t.skip('no tar on this host'); return; }
    const dir = mkdtempSync(join(tmpdir(), 'webx86-tar-'));
    mkdirSync(join(dir, 'src/' + 'd'.repeat(120)), { recursive: true });
    writeFileSync(join(dir, 'src/' + 'd'.repeat(120) + '/f'), 'deep');
    writeFileSync(join(dir, 'src/a'), 'A');
    linkSync(join(dir, 'src/a'), join(dir, 'src/b'));
    symlinkSync('l'.repeat(150), join(dir, 'src/s'));
    for (const format of ['gnu', 'pax']) {
      const out = join(dir, `${format}.tar`);
      assert.equal(spawnSync('tar', [`--format=${format}`, '-C', join(dir, 'src'), '-cf', out, '.']).status, 0);
      const es = [...readTar(new Uint8Array(readFileSync(out)))];
      const f = es.find((e) => e.path === `./${'d'.repeat(120)}/f`);
      assert.equal(f && new TextDecoder().decode(f.data), 'deep', format);
      const links = es.filter((e) => e.path === './a' || e.path === './b');
      assert.deepEqual(links.map((e) => e.type).sort(), ['file', 'hardlink'], format);
      assert.equal(es.find((e) => e.path === './s')?.linkname, 'l'.repeat(150), format);
    }
  });
});

function arMember(name: string, data: Uint8Array): Uint8Array[] {
  const h = `${name.padEnd(16)}${'1700000000'.padEnd(12)}${'0'.padEnd(6)}${'0'.padEnd(6)}${'100644'.padEnd(8)}${String(data.length).padEnd(10)}\`\n`;
  return [enc.encode(h), data, data.length & 1 ? enc.encode('\n') : new Uint8Array(0)];
}

describe('ar reader and .deb members', () => {
  it('reads members with odd sizes (padded to even offsets) and GNU-style names', () => {
    const ar = concat([enc.encode('!<arch>\n'), ...arMember('debian-binary', enc.encode('2.0\n')), ...arMember('odd/', enc.encode('abc')), ...arMember('after', enc.encode('xy'))]);
    assert.deepEqual(parseAr(ar).map((m) => [m.name, new TextDecoder().decode(m.data)]), [['debian-binary', '2.0\n'], ['odd', 'abc'], ['after', 'xy']]);
    assert.throws(() => parseAr(enc.encode('not an archive')), /bad magic/);
  });
  it('finds and decompresses the data archive of a .deb', async () => {
    const tar = sampleTar();
    const deb = concat([enc.encode('!<arch>\n'), ...arMember('debian-binary', enc.encode('2.0\n')),
      ...arMember('control.tar.gz', gzipSync(new Uint8Array(1024))), ...arMember('data.tar.gz', gzipSync(tar))]);
    const { data } = parseDeb(deb);
    assert.equal(data.name, 'data.tar.gz');
    const out = await decompress(data.name, data.data);
    assert.deepEqual(Buffer.from(out), Buffer.from(tar));
  });
  it('decompresses xz and zstd as xz(1) and zstd(1) compress', async (t) => {
    const input = enc.encode('hello xz and zstd '.repeat(1000));
    for (const [tool, ext] of [['xz', '.xz'], ['zstd', '.zst']]) {
      const r = spawnSync(tool, ['-c'], { input });
      if (r.status !== 0) { t.diagnostic(`${tool} not installed; skipped`); continue; }
      assert.deepEqual(Buffer.from(await decompress(`data.tar${ext}`, new Uint8Array(r.stdout))), Buffer.from(input), tool);
    }
  });
});
