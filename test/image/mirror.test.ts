import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostMirror, mapLimit } from '../../src/host/node/image/mirror.js';
import { parseSize } from '../../src/host/node/image/build.js';

function etc(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'webx86-apt-'));
  mkdirSync(join(d, 'sources.list.d'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text);
  return d;
}

describe('mirror selection from apt sources', () => {
  it('reads the first deb URI of a deb822 .sources file, skipping security suites', () => {
    const d = etc({
      'sources.list.d/a-security.sources': 'Types: deb\nURIs: http://security.example/debian-security\nSuites: bookworm-security\nComponents: main\n',
      'sources.list.d/debian.sources': 'Types: deb deb-src\n# a comment line\nURIs: http://mirror.example/debian/\nSuites: bookworm bookworm-updates\nComponents: main\n',
    });
    assert.equal(hostMirror(d), 'http://mirror.example/debian');
  });
  it('falls back to one-line sources.list entries', () => {
    const d = etc({ 'sources.list': '# comment\ndeb-src http://src.example/debian bookworm main\ndeb [arch=i386] http://one.example/debian bookworm main\n' });
    assert.equal(hostMirror(d), 'http://one.example/debian');
  });
  it('returns undefined when apt has no sources', () => {
    assert.equal(hostMirror(etc({})), undefined);
  });
});

describe('helpers', () => {
  it('parses image sizes', () => {
    assert.equal(parseSize('2G'), 2 * 2 ** 30);
    assert.equal(parseSize('800M'), 800 * 2 ** 20);
    assert.equal(parseSize('1500MiB'), 1500 * 2 ** 20);
    assert.equal(parseSize('4096'), 4096);
    assert.throws(() => parseSize('lots'), /bad size/);
  });
  it('runs at most n tasks at once and keeps result order', async () => {
    let running = 0, peak = 0;
    const out = await mapLimit([5, 1, 4, 2, 3], 2, async (x) => {
      running++; peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, x * 3));
      running--;
      return x * 10;
    });
    assert.deepEqual(out, [50, 10, 40, 20, 30]);
    assert.equal(peak, 2);
  });
});
