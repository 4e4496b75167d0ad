import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compareVersions, parseVersion, satisfiesVersion } from '../../src/host/node/image/debversion.js';

// Orderings stated in Debian Policy 5.6.12 and deb-version(7), plus dpkg's own test cases
// (lib/dpkg/t/t-version.c) re-stated as facts about the format.
const LESS: [string, string][] = [
  ['~~', '~~a'], ['~~a', '~'], ['~', ''], ['', 'a'], // Policy's example: ~~ < ~~a < ~ < (end) < a
  ['1.0~rc1', '1.0'], ['1.0', '1.0+b1'], ['1.0-1', '1.0-2'], ['1.0-1', '1.0.1-1'],
  ['1:0.1', '2:0.0'], ['9.9', '1:0.1'], ['1.2.3', '1.2.10'], ['1.0a', '1.0b'], ['1.0a', '1.0+'],
  ['2.36-9', '2.36-9+deb12u4'], ['3.11.2-1', '3.11.2-1+b1'], ['7.88.1-10+deb12u5', '7.88.1-10+deb12u12'],
  ['0.9~beta', '0.9'], ['1.0-0', '1.0-0.1'], ['a', 'b'], ['1.0', '1.0.0'],
];
const EQUAL: [string, string][] = [['1.0', '1.0'], ['0:1.0', '1.0'], ['1.0-0', '1.0-0'], ['1.001', '1.1'], ['1.0-1', '1.0-01']];

describe('Debian version comparison (Policy 5.6.12)', () => {
  for (const [a, b] of LESS) {
    it(`${JSON.stringify(a)} sorts before ${JSON.stringify(b)}`, () => {
      if (a === '' || b === '') {
        // Fragments compare on their own; whole versions need a non-empty upstream part.
        assert.ok(compareVersions(`1${a}`, `1${b}`) < 0);
        assert.ok(compareVersions(`1${b}`, `1${a}`) > 0);
      } else {
        assert.ok(compareVersions(a, b) < 0, `${a} < ${b}`);
        assert.ok(compareVersions(b, a) > 0, `${b} > ${a}`);
      }
    });
  }
  for (const [a, b] of EQUAL) it(`${a} equals ${b}`, () => assert.equal(compareVersions(a, b), 0));

  it('splits epoch, upstream version and revision at the first colon and last hyphen', () => {
    assert.deepEqual(parseVersion('2:1.2-3-4'), { epoch: 2, upstream: '1.2-3', revision: '4' });
    assert.deepEqual(parseVersion('1.0'), { epoch: 0, upstream: '1.0', revision: '' });
    assert.throws(() => parseVersion('x:1.0'));
  });

  it('evaluates the relation operators', () => {
    assert.ok(satisfiesVersion('1.0', '>=', '1.0'));
    assert.ok(!satisfiesVersion('1.0', '>>', '1.0'));
    assert.ok(satisfiesVersion('1.0~1', '<<', '1.0'));
    assert.ok(satisfiesVersion('1.0', '<=', '1.0'));
    assert.ok(satisfiesVersion('1:1', '=', '1:1'));
  });

  it('agrees with dpkg --compare-versions on a sample of the real index', async (t) => {
    const { spawnSync } = await import('node:child_process');
    if (spawnSync('dpkg', ['--version']).status !== 0) { t.skip('dpkg not installed on this host'); return; }
    const vs = ['1.0', '1.0~rc1', '1:0.9', '2.36-9+deb12u4', '2.36-9', '1.0+dfsg-1', '1.0.0', '1.0a', '10', '9.99', '1.0-1~bpo1', '0~20230101'];
    for (const a of vs) for (const b of vs) {
      const lt = spawnSync('dpkg', ['--compare-versions', a, 'lt', b]).status === 0;
      const eq = spawnSync('dpkg', ['--compare-versions', a, 'eq', b]).status === 0;
      const c = compareVersions(a, b);
      assert.equal(c < 0, lt, `${a} lt ${b}`);
      assert.equal(c === 0, eq, `${a} eq ${b}`);
    }
  });
});
