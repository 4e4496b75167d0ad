import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RootTree } from '../../src/host/node/image/rootfs.js';
import { finishRoot, mergedUsr } from '../../src/host/node/image/setup.js';
import { PackageIndex } from '../../src/host/node/image/resolve.js';
import type { TarEntry } from '../../src/host/node/image/tar.js';

const enc = new TextEncoder(), dec = new TextDecoder();
const entry = (type: TarEntry['type'], path: string, extra: Partial<TarEntry> = {}): TarEntry => ({
  type, path, linkname: '', mode: type === 'dir' ? 0o755 : 0o644, uid: 0, gid: 0, uname: 'root', gname: 'root',
  mtime: 1_600_000_000, devmajor: 0, devminor: 0, data: new Uint8Array(0), ...extra,
});

describe('unpacking into a merged-/usr tree', () => {
  const t = new RootTree(1_700_000_000);
  mergedUsr(t);
  for (const e of [
    entry('dir', './'), entry('dir', './bin'), entry('dir', './lib'), entry('dir', './lib/i386-linux-gnu'),
    entry('file', './bin/bash', { mode: 0o755, data: enc.encode('ELF') }),
    entry('file', './lib/ld-linux.so.2', { mode: 0o755, data: enc.encode('ld') }),
    entry('dir', './usr/bin'), entry('file', './usr/bin/mawk', { mode: 0o755, data: enc.encode('awk') }),
    entry('hardlink', './bin/bash-again', { linkname: './bin/bash' }),
    entry('symlink', './bin/sh', { linkname: 'bash' }),
    entry('char', './dev/null', { devmajor: 1, devminor: 3, mode: 0o666 }),
    entry('file', './usr/share/base-passwd/passwd.master', { data: enc.encode('root:*:0:0:root:/root:/bin/sh\ndaemon:*:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n') }),
    entry('file', './usr/share/base-passwd/group.master', { data: enc.encode('root:*:0:\nshadow:*:42:\n') }),
  ]) t.add(e, 'pkg');
  const idx = PackageIndex.parse('Package: pkg\nVersion: 1.0\nArchitecture: i386\nFilename: pool/p.deb\nSHA256: 00\nDescription: a test\n more text\n', 'i386');
  finishRoot(t, { packages: [...idx.byName.get('pkg')!] });
  const text = (p: string) => dec.decode(t.lookup(p, true)!.data!);

  it('keeps /bin and /lib as links and puts their files in /usr', () => {
    assert.equal(t.lookup('bin')!.target, 'usr/bin');
    assert.equal(t.lookup('lib')!.target, 'usr/lib');
    assert.equal(text('usr/bin/bash'), 'ELF');
    assert.equal(text('usr/lib/ld-linux.so.2'), 'ld');
    assert.ok(t.lookup('usr/lib/i386-linux-gnu')!.children);
  });
  it('makes hard links one node and keeps symlinks and devices', () => {
    assert.equal(t.lookup('usr/bin/bash-again'), t.lookup('usr/bin/bash'));
    assert.equal(t.lookup('usr/bin/sh')!.target, 'bash');
    assert.deepEqual(t.lookup('dev/null')!.rdev, { major: 1, minor: 3 });
  });
  it('writes users and groups from base-passwd, with shadow files', () => {
    assert.match(text('etc/passwd'), /^root:x:0:0:root:\/root:\/bin\/bash$/m);
    assert.match(text('etc/passwd'), /^daemon:/m);
    assert.match(text('etc/passwd'), /^nobody:x:65534:65534:/m);
    assert.match(text('etc/group'), /^nogroup:x:65534:$/m);
    const shadow = t.lookup('etc/shadow')!;
    assert.equal(shadow.gid, 42);
    assert.equal(shadow.mode & 0o777, 0o640);
    assert.match(text('etc/shadow'), /^root:\*:19675:0:99999:7:::$/m);
  });
  it('creates the standard directories, /etc files and alternatives links', () => {
    assert.equal(t.lookup('tmp')!.mode & 0o7777, 0o1777);
    assert.equal(t.lookup('root')!.mode & 0o7777, 0o700);
    assert.equal(text('etc/hostname'), 'webx86\n');
    assert.match(text('etc/hosts'), /^127\.0\.0\.1\tlocalhost$/m);
    assert.match(text('etc/profile'), /PATH=/);
    assert.equal(text('etc/ld.so.conf'), 'include /etc/ld.so.conf.d/*.conf\n');
    assert.equal(t.lookup('usr/bin/awk')!.target, '/etc/alternatives/awk');
    assert.equal(t.lookup('etc/alternatives/awk')!.target, '/usr/bin/mawk');
    assert.equal(text('usr/bin/awk'), 'awk', 'the chain resolves');
    assert.equal(t.lookup('usr/bin/vi'), undefined, 'no link without a target');
  });
  it('records the package in dpkg status and its file list', () => {
    assert.equal(text('var/lib/dpkg/status'), 'Package: pkg\nStatus: install ok installed\nVersion: 1.0\nArchitecture: i386\nDescription: a test\n more text\n');
    assert.match(text('var/lib/dpkg/info/pkg.list'), /^\/\.\n.*\/bin\/bash$/ms);
  });
});
