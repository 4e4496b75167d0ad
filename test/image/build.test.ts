import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ext2Fs } from '../../src/engine/fs/ext2/index.js';
import { FileDevice } from '../../src/host/node/file-device.js';
import { buildImage, parseSize } from '../../src/host/node/image/build.js';
import { MirrorError } from '../../src/host/node/image/mirror.js';
import { UnknownPackageError } from '../../src/host/node/image/resolve.js';
import { runGuest } from '../support/guest.js';

// Builds a small real image from Debian (bash with its libraries, and the static busybox) and
// runs programs from it under the engine. Downloads (~6 MB) are cached in .cache/image.
const CACHE = join(new URL('../..', import.meta.url).pathname, '.cache', 'image');
const dir = mkdtempSync(join(tmpdir(), 'webx86-image-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('webx86 image from Debian bookworm i386', () => {
  const out = join(dir, 'small.ext2');
  let built: Awaited<ReturnType<typeof buildImage>> | undefined;
  let unreachable = '';
  const build = async () => {
    if (built || unreachable) return;
    try {
      built = await buildImage({ packages: ['bash', 'busybox-static'], out, cacheDir: CACHE, now: 1_700_000_000 });
    } catch (e) {
      if (!(e instanceof MirrorError)) throw e;
      unreachable = e.message;
    }
  };

  it('resolves bash to its libraries and writes an e2fsck-clean image', async (t) => {
    await build();
    if (unreachable) { t.skip(`Debian mirror unreachable and nothing cached: ${unreachable}`); return; }
    const names = built!.packages.map((p) => p.name);
    for (const n of ['bash', 'libc6', 'libtinfo6', 'base-files', 'busybox-static']) assert.ok(names.includes(n), `${n} in ${names.join(' ')}`);
    const r = spawnSync('e2fsck', ['-fn', out], { encoding: 'utf8' });
    if (!r.error) assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  it('runs /bin/busybox and /bin/bash from the image under the engine', async (t) => {
    await build();
    if (unreachable) { t.skip(`Debian mirror unreachable and nothing cached: ${unreachable}`); return; }
    const root = await Ext2Fs.mount(new FileDevice(out), 0x801);
    const bb = await runGuest(['/bin/busybox', 'echo', 'ok'], { root });
    assert.equal(bb.stdout, 'ok\n', bb.stderr);
    // Dynamic linking through the merged-/usr links (/lib/ld-linux.so.2 -> usr/lib/...).
    const sh = await runGuest(['/bin/bash', '-c', 'echo "bash $BASH_VERSION"; read -r l < /etc/hostname; echo "$l"; read -r u < /etc/passwd; echo "${u%%:*}"'], { root, env: ['PATH=/usr/bin:/bin'] });
    assert.equal(sh.status, 0, sh.stderr);
    assert.match(sh.stdout, /^bash 5\.2\.\d+\(1\)-release\nwebx86\nroot\n$/);
  });

  it('lays out the root as a merged-/usr Debian system with users, groups and dpkg status', async (t) => {
    await build();
    if (unreachable) { t.skip(`Debian mirror unreachable and nothing cached: ${unreachable}`); return; }
    const fsys = await Ext2Fs.mount(new FileDevice(out), 0x801);
    const get = async (p: string) => {
      let n = fsys.root as import('../../src/engine/fs/types.js').Inode;
      for (const part of p.split('/').filter(Boolean)) n = (await n.lookup!(part)) as typeof n;
      return n;
    };
    const text = async (p: string) => { const n = await get(p); const st = await n.stat() as { size: number }; const b = new Uint8Array(st.size); await n.read!(b, 0); return new TextDecoder().decode(b); };
    assert.equal(await (await get('bin')).readlink!(), 'usr/bin');
    assert.equal(await (await get('lib')).readlink!(), 'usr/lib');
    assert.ok(await get('usr/bin/bash'), 'bash unpacked through the /bin link');
    assert.match(await text('etc/passwd'), /^root:x:0:0:root:\/root:\/bin\/bash$/m);
    assert.match(await text('etc/group'), /^root:x:0:$/m);
    assert.match(await text('etc/shadow'), /^root:\*:/m);
    assert.match(await text('var/lib/dpkg/status'), /^Package: bash\nStatus: install ok installed$/m);
    assert.equal(((await (await get('tmp')).stat()) as { mode: number }).mode & 0o7777, 0o1777);
    assert.equal(((await (await get('root')).stat()) as { mode: number }).mode & 0o7777, 0o700);
  });

  it('names an unknown package and refuses a --size smaller than the files', async (t) => {
    await build();
    if (unreachable) { t.skip(`Debian mirror unreachable and nothing cached: ${unreachable}`); return; }
    await assert.rejects(buildImage({ packages: ['no-such-package-webx86'], out: join(dir, 'x.ext2'), cacheDir: CACHE }), UnknownPackageError);
    await assert.rejects(buildImage({ packages: ['busybox-static'], out: join(dir, 'y.ext2'), cacheDir: CACHE, size: parseSize('1M') }), /image too small: the files need \d+ MiB, --size is 1 MiB/);
  });

  it('reports an unreachable mirror clearly', async () => {
    await assert.rejects(buildImage({ packages: ['bash'], out: join(dir, 'z.ext2'), cacheDir: join(dir, 'empty-cache'), mirror: 'http://127.0.0.1:9/debian' }),
      (e: unknown) => e instanceof MirrorError && /cannot reach the mirror/.test(e.message));
  });
});
