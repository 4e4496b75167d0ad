/**
 * VFS and tmpfs behaviour, checked against what Linux does (path_resolution(7),
 * rename(2), link(2), open(2)); expected values come from the man pages, not the code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Vfs, AT_FDCWD } from '../../src/engine/fs/vfs.js';
import { TmpFs } from '../../src/engine/fs/tmpfs.js';
import { DevFs } from '../../src/engine/fs/devfs.js';
import { InodeFile } from '../../src/engine/fs/inode-file.js';
import type { Task } from '../../src/engine/linux/task.js';
import { O_APPEND, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_PATH, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY, S_IFMT, S_IFDIR, S_IFREG, type File } from '../../src/engine/fs/types.js';
import { EEXIST, EISDIR, ELOOP, ENOENT, ENOTDIR, ENOTEMPTY, EINVAL, EXDEV, EACCES, EPERM, ENOSPC, EBUSY } from '../../src/engine/linux/errno.js';
import { ctxOf } from '../../src/engine/linux/path-ctx.js';

const T = null as unknown as Task;
const enc = (s: string) => new TextEncoder().encode(s);

function mkvfs(): Vfs {
  const v = new Vfs();
  v.mount('/', new TmpFs({ mode: 0o755 }));
  return v;
}

async function openOk(v: Vfs, path: string, flags: number, mode = 0o644): Promise<File> {
  const f = await v.open(null, AT_FDCWD, path, flags, mode);
  assert.ok(typeof f !== 'number', `open ${path} failed with ${f}`);
  return f as File;
}

async function readAllFile(f: File): Promise<string> {
  const buf = new Uint8Array(4096);
  let out = '';
  for (;;) {
    const n = await f.read(T, buf);
    assert.ok(n >= 0);
    if (n === 0) return out;
    out += new TextDecoder().decode(buf.subarray(0, n));
  }
}

test('a created file reads back what was written', async () => {
  const v = mkvfs();
  await v.writeFile('/hello', 'hello world');
  assert.equal(await v.readFileText('/hello'), 'hello world');
});

test('O_CREAT|O_EXCL fails with EEXIST on an existing file and on a dangling symlink', async () => {
  const v = mkvfs();
  await v.writeFile('/a', 'x');
  assert.equal(await v.open(null, AT_FDCWD, '/a', O_CREAT | O_EXCL | O_WRONLY), -EEXIST);
  assert.equal(await v.symlink(null, '/nowhere', AT_FDCWD, '/dangling'), 0);
  assert.equal(await v.open(null, AT_FDCWD, '/dangling', O_CREAT | O_EXCL | O_WRONLY), -EEXIST);
});

test('O_CREAT through a dangling symlink creates its target', async () => {
  const v = mkvfs();
  await v.symlink(null, 'target', AT_FDCWD, '/dangling');
  const f = await openOk(v, '/dangling', O_CREAT | O_WRONLY);
  await f.write(T, enc('via link'));
  assert.equal(await v.readFileText('/target'), 'via link');
});

test('symlinks are followed, relative to the link directory, and loops give ELOOP', async () => {
  const v = mkvfs();
  await v.mkdir(null, AT_FDCWD, '/d', 0o755);
  await v.mkdir(null, AT_FDCWD, '/d/e', 0o755);
  await v.writeFile('/d/e/f', 'deep');
  await v.symlink(null, 'e/f', AT_FDCWD, '/d/rel');
  await v.symlink(null, '../d/e', AT_FDCWD, '/d/up');
  assert.equal(await v.readFileText('/d/rel'), 'deep');
  assert.equal(await v.readFileText('/d/up/f'), 'deep');
  await v.symlink(null, 'loop2', AT_FDCWD, '/loop1');
  await v.symlink(null, 'loop1', AT_FDCWD, '/loop2');
  assert.equal(await v.stat(null, AT_FDCWD, '/loop1'), -ELOOP);
  assert.equal(await v.open(null, AT_FDCWD, '/d/rel', O_RDONLY | O_NOFOLLOW), -ELOOP);
  // lstat does not follow; a trailing slash forces following.
  const l = await v.stat(null, AT_FDCWD, '/d/up', false);
  assert.ok(typeof l !== 'number' && (l.mode & S_IFMT) === 0o120000);
  const d = await v.stat(null, AT_FDCWD, '/d/up/', false);
  assert.ok(typeof d !== 'number' && (d.mode & S_IFMT) === S_IFDIR);
});

test('a chain of 40 symlinks resolves and 41 gives ELOOP', async () => {
  const v = mkvfs();
  await v.writeFile('/l0', 'end');
  for (let i = 1; i <= 41; i++) await v.symlink(null, `l${i - 1}`, AT_FDCWD, `/l${i}`);
  assert.equal(await v.readFileText('/l40'), 'end');
  assert.equal(await v.stat(null, AT_FDCWD, '/l41'), -ELOOP);
});

test('a regular file in the middle of a path gives ENOTDIR, a missing one ENOENT', async () => {
  const v = mkvfs();
  await v.writeFile('/file', 'x');
  assert.equal(await v.stat(null, AT_FDCWD, '/file/x'), -ENOTDIR);
  assert.equal(await v.stat(null, AT_FDCWD, '/file/'), -ENOTDIR);
  assert.equal(await v.stat(null, AT_FDCWD, '/none/x'), -ENOENT);
  assert.equal(await v.stat(null, AT_FDCWD, ''), -ENOENT);
  assert.equal(await v.open(null, AT_FDCWD, '/file', O_RDONLY | O_DIRECTORY), -ENOTDIR);
});

test('O_PATH|O_DIRECTORY on a file gives ENOTDIR, on a directory a descriptor (GNU cp asks it of its destination)', async () => {
  const v = mkvfs();
  await v.writeFile('/file', 'x');
  await v.mkdir(null, AT_FDCWD, '/d', 0o755);
  assert.equal(await v.open(null, AT_FDCWD, '/file', O_PATH | O_DIRECTORY), -ENOTDIR);
  assert.equal(typeof await v.open(null, AT_FDCWD, '/d', O_PATH | O_DIRECTORY), 'object');
  assert.equal(typeof await v.open(null, AT_FDCWD, '/file', O_PATH), 'object');
});

test('.. at the root stays at the root, and crosses back out of a mount', async () => {
  const v = mkvfs();
  await v.mkdir(null, AT_FDCWD, '/mnt', 0o755);
  await v.writeFile('/marker', 'root fs');
  const sub = new TmpFs();
  v.mount('/mnt', sub);
  await v.writeFile('/mnt/inner', 'sub fs');
  assert.equal(await v.readFileText('/../../marker'), 'root fs');
  assert.equal(await v.readFileText('/mnt/../marker'), 'root fs');
  assert.equal(await v.readFileText('/mnt/inner'), 'sub fs');
  const st = await v.stat(null, AT_FDCWD, '/mnt');
  assert.ok(typeof st !== 'number' && st.dev === sub.dev);
  assert.equal(await v.link(null, AT_FDCWD, '/marker', AT_FDCWD, '/mnt/x', true), -EXDEV);
  assert.equal(await v.rename(null, AT_FDCWD, '/marker', AT_FDCWD, '/mnt/x'), -EXDEV);
  assert.equal(await v.rmdir(null, AT_FDCWD, '/mnt'), -EBUSY);
});

test('hard links share the inode and count links', async () => {
  const v = mkvfs();
  await v.writeFile('/a', 'data');
  assert.equal(await v.link(null, AT_FDCWD, '/a', AT_FDCWD, '/b', false), 0);
  const sa = await v.stat(null, AT_FDCWD, '/a');
  const sb = await v.stat(null, AT_FDCWD, '/b');
  assert.ok(typeof sa !== 'number' && typeof sb !== 'number');
  assert.equal(sa.ino, sb.ino);
  assert.equal(sb.nlink, 2);
  assert.equal(await v.unlink(null, AT_FDCWD, '/a'), 0);
  const sb2 = await v.stat(null, AT_FDCWD, '/b');
  assert.ok(typeof sb2 !== 'number' && sb2.nlink === 1);
  assert.equal(await v.readFileText('/b'), 'data');
  await v.mkdir(null, AT_FDCWD, '/dir', 0o755);
  assert.equal(await v.link(null, AT_FDCWD, '/dir', AT_FDCWD, '/dir2', false), -EPERM);
});

test('directory link counts follow subdirectories', async () => {
  const v = mkvfs();
  await v.mkdir(null, AT_FDCWD, '/p', 0o755);
  const nl = async (p: string) => { const s = await v.stat(null, AT_FDCWD, p); assert.ok(typeof s !== 'number'); return s.nlink; };
  assert.equal(await nl('/p'), 2);
  await v.mkdir(null, AT_FDCWD, '/p/c1', 0o755);
  await v.mkdir(null, AT_FDCWD, '/p/c2', 0o755);
  assert.equal(await nl('/p'), 4);
  await v.rename(null, AT_FDCWD, '/p/c2', AT_FDCWD, '/c2');
  assert.equal(await nl('/p'), 3);
  await v.rmdir(null, AT_FDCWD, '/p/c1');
  assert.equal(await nl('/p'), 2);
});

test('rename follows rename(2) rules for directories', async () => {
  const v = mkvfs();
  await v.mkdir(null, AT_FDCWD, '/a', 0o755);
  await v.mkdir(null, AT_FDCWD, '/b', 0o755);
  await v.writeFile('/a/f', '1');
  await v.writeFile('/file', '2');
  assert.equal(await v.rename(null, AT_FDCWD, '/b', AT_FDCWD, '/a'), -ENOTEMPTY);
  assert.equal(await v.rename(null, AT_FDCWD, '/a', AT_FDCWD, '/a/sub'), -EINVAL);
  assert.equal(await v.rename(null, AT_FDCWD, '/a', AT_FDCWD, '/file'), -ENOTDIR);
  assert.equal(await v.rename(null, AT_FDCWD, '/file', AT_FDCWD, '/b'), -EISDIR);
  assert.equal(await v.rename(null, AT_FDCWD, '/file', AT_FDCWD, '/a/f', 1 /* NOREPLACE */), -EEXIST);
  // Over an empty directory is allowed and replaces it.
  assert.equal(await v.rename(null, AT_FDCWD, '/a', AT_FDCWD, '/b'), 0);
  assert.equal(await v.readFileText('/b/f'), '1');
  assert.equal(await v.stat(null, AT_FDCWD, '/a'), -ENOENT);
  // Over a file replaces it atomically.
  assert.equal(await v.rename(null, AT_FDCWD, '/file', AT_FDCWD, '/b/f'), 0);
  assert.equal(await v.readFileText('/b/f'), '2');
});

test('rmdir and unlink give the errors Linux gives', async () => {
  const v = mkvfs();
  await v.mkdir(null, AT_FDCWD, '/d', 0o755);
  await v.writeFile('/d/f', '');
  assert.equal(await v.rmdir(null, AT_FDCWD, '/d'), -ENOTEMPTY);
  assert.equal(await v.rmdir(null, AT_FDCWD, '/d/f'), -ENOTDIR);
  assert.equal(await v.unlink(null, AT_FDCWD, '/d'), -EISDIR);
  assert.equal(await v.rmdir(null, AT_FDCWD, '/d/.'), -EINVAL);
  assert.equal(await v.mkdir(null, AT_FDCWD, '/d', 0o755), -EEXIST);
  assert.equal(await v.unlink(null, AT_FDCWD, '/d/f/'), -ENOTDIR);
  assert.equal(await v.unlink(null, AT_FDCWD, '/d/f'), 0);
  assert.equal(await v.rmdir(null, AT_FDCWD, '/d/'), 0);
});

test('O_APPEND writes at the end whatever the offset', async () => {
  const v = mkvfs();
  await v.writeFile('/log', 'one\n');
  const f = await openOk(v, '/log', O_WRONLY | O_APPEND);
  await f.seek(0, 0);
  await f.write(T, enc('two\n'));
  await f.pwrite(T, enc('three\n'), 0);
  assert.equal(await v.readFileText('/log'), 'one\ntwo\nthree\n');
});

test('O_TRUNC empties, and writes past the end leave a zero-filled hole', async () => {
  const v = mkvfs();
  await v.writeFile('/f', 'abcdef');
  const f = await openOk(v, '/f', O_RDWR | O_TRUNC);
  assert.equal(((await f.stat()) as { size: number }).size, 0);
  await f.pwrite(T, enc('Z'), 10);
  const buf = new Uint8Array(20);
  assert.equal(await f.pread(T, buf, 0), 11);
  assert.deepEqual([...buf.subarray(0, 11)], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 90]);
  assert.equal(await f.truncate(3), 0);
  assert.equal(await f.truncate(1 << 30), 0); // sparse growth must not allocate a gigabyte
  const st = await f.stat();
  assert.equal(st.size, 1 << 30);
  assert.ok(st.blocks <= 8);
  assert.equal(await f.pread(T, buf, 0), 20);
  assert.deepEqual([...buf], new Array(20).fill(0));
});

test('seek past the end, SEEK_END and SEEK_DATA/SEEK_HOLE', async () => {
  const v = mkvfs();
  await v.writeFile('/f', '0123456789');
  const f = await openOk(v, '/f', O_RDONLY);
  assert.equal(await f.seek(-3, 2), 7);
  assert.equal(await readAllFile(f), '789');
  assert.equal(await f.seek(-100, 1), -EINVAL);
  assert.equal(await f.seek(2, 3), 2);
  assert.equal(await f.seek(2, 4), 10);
  assert.equal(await f.seek(10, 3), -6 /* ENXIO */);
});

test('a directory lists . and .. first, then its entries, and mount points', async () => {
  const v = mkvfs();
  await v.mkdir(null, AT_FDCWD, '/d', 0o755);
  await v.writeFile('/d/x', '');
  await v.mkdir(null, AT_FDCWD, '/d/y', 0o755);
  v.mount('/d/m', new TmpFs());
  const f = await openOk(v, '/d', O_RDONLY | O_DIRECTORY);
  const ents = await f.readdir();
  assert.ok(Array.isArray(ents));
  assert.deepEqual(ents.map((e) => e.name), ['.', '..', 'x', 'y', 'm']);
  const root = await v.stat(null, AT_FDCWD, '/');
  assert.ok(typeof root !== 'number');
  assert.equal(ents[1].ino, root.ino);
  assert.equal(await v.open(null, AT_FDCWD, '/d', O_WRONLY), -EISDIR);
});

test('permissions: non-root needs the mode bits, root only needs an x bit to exec', async () => {
  const v = mkvfs();
  await v.writeFile('/secret', 'x', 0o600);
  await v.writeFile('/prog', 'x', 0o644);
  const user = {
    proc: { fs: { root: '/', cwd: '/', umask: 0o22 }, creds: { uid: 1000, gid: 1000, fsuid: 1000, fsgid: 1000, groups: [] }, files: null },
  } as unknown as Task;
  assert.equal(await v.open(ctxOf(user), AT_FDCWD, '/secret', O_RDONLY), -EACCES);
  assert.equal(await v.open(ctxOf(user), AT_FDCWD, '/x', O_CREAT | O_WRONLY), -EACCES); // / is 0755 root
  assert.equal(await v.readExecutable(null, '/prog'), -EACCES);
  const root = await v.resolve(null, AT_FDCWD, '/prog');
  assert.ok(typeof root !== 'number');
  await v.setattr(null, root.inode, { mode: 0o744 });
  const ex = await v.readExecutable(null, '/prog');
  assert.ok(typeof ex !== 'number' && ex.head.length === 1 && ex.size === 1 && ex.path === '/prog');
  assert.equal(await v.readExecutable(ctxOf(user), '/prog'), -EACCES);
  assert.equal(await v.setattr(ctxOf(user), root.inode, { mode: 0o777 }), -EPERM);
});

test('created files get the umask applied and the creator as owner', async () => {
  const v = mkvfs();
  const f = await openOk(v, '/new', O_CREAT | O_WRONLY, 0o777);
  const st = await f.stat();
  assert.equal(st.mode, S_IFREG | 0o755);
  assert.equal(st.uid, 0);
});

test('devfs: null, zero, full and urandom behave as Linux /dev', async () => {
  const v = mkvfs();
  await v.mkdir(null, AT_FDCWD, '/dev', 0o755);
  v.mount('/dev', new DevFs());
  const buf = new Uint8Array(64).fill(7);
  const nul = await openOk(v, '/dev/null', O_RDWR);
  assert.equal(await nul.read(T, buf), 0);
  assert.equal(await nul.write(T, buf), 64);
  const zero = await openOk(v, '/dev/zero', O_RDONLY);
  assert.equal(await zero.read(T, buf), 64);
  assert.ok(buf.every((b) => b === 0));
  const full = await openOk(v, '/dev/full', O_WRONLY);
  assert.equal(await full.write(T, buf), -ENOSPC);
  const ur = await openOk(v, '/dev/urandom', O_RDONLY);
  assert.equal(await ur.read(T, buf), 64);
  assert.ok(buf.some((b) => b !== 0));
  const st = await nul.stat();
  assert.equal(st.rdev, (1 << 8) | 3);
  // A node made with mknod elsewhere opens the same driver by number.
  assert.equal(await v.mknod(null, AT_FDCWD, '/mynull', 0o20666, (1 << 8) | 3), 0);
  const mine = await openOk(v, '/mynull', O_RDWR);
  assert.equal(await mine.write(T, buf), 64);
  assert.equal(await v.readlink(null, AT_FDCWD, '/dev/stdin'), '/proc/self/fd/0');
  assert.ok(!(nul instanceof InodeFile));
});

test('devices added to one /dev stay with it, and the driver gets the opening task', async () => {
  const opened: string[] = [];
  const mk = (label: string) => {
    const v = mkvfs();
    const dev = new DevFs();
    v.mount('/dev', dev);
    dev.addDevice('tty', 0o666, (5 << 8) | 0, (_flags, _path, t) => {
      opened.push(label + ':' + (t as unknown as { tid: number } | undefined)?.tid);
      return -6;
    });
    return v;
  };
  const a = mk('a'), b = mk('b');
  const task = { tid: 7, proc: { fs: { root: '/', cwd: '/', umask: 0o22 }, creds: { uid: 0, gid: 0, fsuid: 0, fsgid: 0, groups: [] }, files: null } } as unknown as Task;
  await a.open(ctxOf(task), AT_FDCWD, '/dev/tty', O_RDWR);
  await b.open(ctxOf(task), AT_FDCWD, '/dev/tty', O_RDWR);
  // A node made with mknod outside /dev finds the driver of the mounted devfs.
  await a.mknod(null, AT_FDCWD, '/mytty', 0o20666, 5 << 8);
  await a.open(ctxOf(task), AT_FDCWD, '/mytty', O_RDWR);
  assert.deepEqual(opened, ['a:7', 'b:7', 'a:7']);
});

test('removing "link/" where link points to a directory fails with ENOTDIR and keeps the target', async () => {
  const v = mkvfs();
  await v.mkdir(null, AT_FDCWD, '/d', 0o755);
  await v.symlink(null, 'd', AT_FDCWD, '/l');
  assert.equal(await v.rmdir(null, AT_FDCWD, '/l/'), -ENOTDIR);
  assert.equal(await v.unlink(null, AT_FDCWD, '/l/'), -ENOTDIR);
  assert.ok(typeof (await v.stat(null, AT_FDCWD, '/d')) !== 'number');
  assert.equal(await v.mkdir(null, AT_FDCWD, '/new/', 0o755), 0);
  assert.equal(await v.unlink(null, AT_FDCWD, '/l'), 0);
});
