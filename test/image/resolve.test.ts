import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PackageIndex, UnknownPackageError, resolve } from '../../src/host/node/image/resolve.js';
import { parseRelation, parseStanzas } from '../../src/host/node/image/control.js';

// A small synthetic Packages index exercising each rule.
const INDEX = `Package: app
Version: 1.0-1
Architecture: i386
Pre-Depends: libc6 (>= 2.36)
Depends: mail-transport-agent | exim4, editor-alt | vim-tiny, libold (>= 2.0) | libnew, python3:any (>= 3.11), only-amd64 [amd64], pager
Description: test app
 with a long description
 .
 and a paragraph

Package: libc6
Version: 2.36-9+deb12u4
Architecture: i386
Multi-Arch: same
Priority: optional

Package: libc6
Version: 2.35-1
Architecture: i386

Package: postfix
Version: 3.7-1
Architecture: i386
Provides: mail-transport-agent
Priority: optional

Package: exim4
Version: 4.96-1
Architecture: all
Provides: mail-transport-agent
Priority: standard

Package: vim-tiny
Version: 2:9.0-1
Architecture: i386
Provides: editor

Package: libold
Version: 1.5-1
Architecture: i386

Package: libnew
Version: 3.0-1
Architecture: i386

Package: python3
Version: 3.11.2-1+b1
Architecture: i386
Multi-Arch: allowed

Package: only-amd64
Version: 1
Architecture: i386

Package: less
Version: 590-2
Architecture: i386
Provides: pager

Package: more-pager
Version: 1
Architecture: i386
Provides: pager
Priority: extra

Package: base-thing
Version: 1
Architecture: i386
Essential: yes
Depends: libc6

Package: required-thing
Version: 1
Architecture: all
Priority: required

Package: versioned-virtual-user
Version: 1
Architecture: i386
Depends: virt (>= 2)

Package: virt-unversioned
Version: 1
Architecture: i386
Provides: virt

Package: virt-versioned
Version: 1
Architecture: i386
Provides: virt (= 2.5)

Package: amd64-only
Version: 1
Architecture: amd64

Package: foreign-tool
Version: 1
Architecture: i386
Multi-Arch: foreign

Package: uses-any
Version: 1
Architecture: i386
Depends: foreign-tool:any, python3:native

Package: init-helpers
Version: 1
Architecture: all
Depends: usrmerge | usr-is-merged

Package: usrmerge
Version: 35
Architecture: all

Package: usr-is-merged
Version: 35
Architecture: all

Package: conflicting
Version: 1
Architecture: i386
Conflicts: libnew
`;

const idx = PackageIndex.parse(INDEX, 'i386');
const names = (r: { packages: { name: string }[] }) => r.packages.map((p) => p.name);

describe('control file parsing', () => {
  it('joins continuation lines and keeps the stanza text', () => {
    const s = parseStanzas(INDEX)[0];
    assert.equal(s.fields.get('description'), 'test app\nwith a long description\n.\nand a paragraph');
    assert.match(s.text, /^Package: app\n/);
  });
  it('parses relations with alternatives, versions, arch qualifiers and arch lists', () => {
    assert.deepEqual(parseRelation('a (>= 1.0) | b:any, c [!i386] <!nocheck>, d (<< 2)'), [
      [{ name: 'a', op: '>=', version: '1.0' }, { name: 'b', archQual: 'any' }],
      [{ name: 'c', arches: ['!i386'] }],
      [{ name: 'd', op: '<<', version: '2' }],
    ]);
    assert.deepEqual(parseRelation('old (< 1), older (> 2)').map((g) => g[0].op), ['<=', '>=']);
  });
});

describe('dependency resolution', () => {
  const r = resolve(idx, ['app']);
  const got = names(r);

  it('takes the newest version that meets a versioned dependency', () => {
    assert.equal(r.packages.find((p) => p.name === 'libc6')!.version, '2.36-9+deb12u4');
  });
  it('satisfies a virtual package through Provides, preferring the higher Priority', () => {
    assert.ok(got.includes('exim4'), 'exim4 (standard) beats postfix (optional)');
    assert.ok(!got.includes('postfix'));
    assert.ok(got.includes('less') && !got.includes('more-pager'));
  });
  it('takes the first installable alternative', () => {
    assert.ok(got.includes('vim-tiny'), 'editor-alt does not exist, so vim-tiny');
    assert.ok(got.includes('libnew') && !got.includes('libold'), 'libold is too old for (>= 2.0)');
  });
  it('follows python3:any to a Multi-Arch: allowed package', () => {
    assert.ok(got.includes('python3'));
  });
  it('skips alternatives excluded by an architecture list', () => {
    assert.ok(!got.includes('only-amd64'));
  });
  it('does not pull Essential or required packages unless a base system is asked for', () => {
    assert.ok(!got.includes('base-thing'));
    const b = names(resolve(idx, ['app'], { base: true }));
    assert.ok(b.includes('base-thing') && b.includes('required-thing'));
  });
  it('meets a versioned dependency on a virtual package only through a versioned Provides', () => {
    const v = names(resolve(idx, ['versioned-virtual-user']));
    assert.ok(v.includes('virt-versioned') && !v.includes('virt-unversioned'));
  });
  it('meets :any through Multi-Arch: foreign and :native through the native package', () => {
    assert.deepEqual(names(resolve(idx, ['uses-any'])), ['uses-any', 'foreign-tool', 'python3']);
  });
  it('reuses a package already chosen for a later alternative', () => {
    const v = names(resolve(idx, ['postfix', 'app']));
    assert.ok(v.includes('postfix') && !v.includes('exim4'));
  });
  it('ignores packages of other architectures and names unknown packages in the error', () => {
    assert.throws(() => resolve(idx, ['amd64-only']), UnknownPackageError);
    assert.throws(() => resolve(idx, ['no-such-package']), /unknown package 'no-such-package'/);
  });
  it('takes a preferred alternative over the first one when asked', () => {
    assert.deepEqual(names(resolve(idx, ['init-helpers'])), ['init-helpers', 'usrmerge']);
    assert.deepEqual(names(resolve(idx, ['init-helpers'], { prefer: ['usr-is-merged'] })), ['init-helpers', 'usr-is-merged']);
    const v = names(resolve(idx, ['app'], { prefer: ['libold'] }));
    assert.ok(v.includes('libnew') && !v.includes('libold'), 'a preferred but unsatisfiable alternative is still skipped');
  });
  it('leaves excluded packages out with a warning, and a later alternative is not taken in their place', () => {
    const e = resolve(idx, ['app'], { exclude: ['python3', 'exim4'] });
    const n = names(e);
    assert.ok(!n.includes('python3') && !n.includes('exim4'), n.join());
    assert.ok(!n.includes('postfix'), 'mail-transport-agent was met by the excluded exim4 only: nothing else is chosen');
    assert.ok(n.includes('libc6') && n.includes('vim-tiny'));
    assert.ok(e.warnings.some((w) => /app: dependency python3:any.* left out \(excluded\)/.test(w)), e.warnings.join('\n'));
  });
  it('accepts name=version requests', () => {
    assert.equal(resolve(idx, ['libc6=2.35-1']).packages[0].version, '2.35-1');
  });
  it('warns about Conflicts inside the chosen set', () => {
    const w = resolve(idx, ['conflicting', 'app']).warnings;
    assert.ok(w.some((x) => /conflicting conflicts with libnew/.test(x)), w.join('\n'));
  });
});
