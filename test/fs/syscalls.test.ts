/**
 * File system calls through the registry with guest memory, checking i386 struct
 * layouts (asm/stat.h, linux/dirent, fcntl flock64) and 64-bit offset splitting.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/engine/linux/syscalls/fs.js';
import { HANDLERS } from '../../src/engine/linux/syscalls/index.js';
import { AddressSpace, MAP_PRIVATE, MAP_ANONYMOUS, PROT_READ, PROT_WRITE } from '../../src/engine/mem/address-space.js';
import { Kernel } from '../../src/engine/linux/kernel.js';
import { TmpFs } from '../../src/engine/fs/tmpfs.js';
import { ProcFs } from '../../src/engine/kernfs/procfs.js';
import { FdTable } from '../../src/engine/fs/types.js';
import { WaitQueue } from '../../src/engine/linux/wait.js';
import type { Task } from '../../src/engine/linux/task.js';
import { EBADF, EEXIST, ENOENT, EAGAIN, ERANGE, EINVAL, ENOTDIR } from '../../src/engine/linux/errno.js';

const BUF = 0x400000, STR = 0x500000, STR2 = 0x501000;

function machine(uid = 0) {
  const kernel = new Kernel();
  kernel.vfs.mount('/', new TmpFs({ mode: 0o755 }));
  const mem = new AddressSpace(16 << 20);
  mem.map(BUF, 0x200000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
  const mkproc = (pid: number) => ({
    pid, kernel, files: new FdTable(), fs: { cwd: '/', root: '/', umask: 0o022 },
    creds: { uid, euid: uid, suid: uid, fsuid: uid, gid: uid, egid: uid, sgid: uid, fsgid: uid, groups: [] }, alive: true, rlimits: new Map(),
  });
  const proc = mkproc(100);
  kernel.processes.set(100, proc as never);
  const t = { tid: 100, pid: 100, proc, creds: proc.creds, kernel, mem, interrupt: new WaitQueue() } as unknown as Task;
  const sys = async (name: string, ...a: number[]): Promise<number> => {
    const h = HANDLERS.get(name);
    assert.ok(h, `no handler for ${name}`);
    return h(t, a[0] ?? 0, a[1] ?? 0, a[2] ?? 0, a[3] ?? 0, a[4] ?? 0, a[5] ?? 0);
  };
  const str = (s: string, at = STR) => { mem.writeBytes(at, new TextEncoder().encode(s + '\0')); return at; };
  const bytes = (a: number, n: number) => mem.readBytes(a, n)!;
  const dv = () => mem.dv;
  return { kernel, mem, t, sys, str, bytes, dv, mkproc };
}

const O_RDWR = 2, O_CREAT = 0o100, O_EXCL = 0o200, O_WRONLY = 1, O_DIRECTORY = 0o200000, O_CLOEXEC = 0o2000000;
const AT_FDCWD = -100;

test('open/write/lseek/read round-trip through guest memory', async () => {
  const m = machine();
  const fd = await m.sys('open', m.str('/f'), O_RDWR | O_CREAT, 0o644);
  assert.equal(fd, 0);
  m.mem.writeBytes(BUF, new TextEncoder().encode('hello'));
  assert.equal(await m.sys('write', fd, BUF, 5), 5);
  assert.equal(await m.sys('lseek', fd, 1, 0), 1);
  assert.equal(await m.sys('read', fd, BUF + 100, 10), 4);
  assert.equal(new TextDecoder().decode(m.bytes(BUF + 100, 4)), 'ello');
  assert.equal(await m.sys('open', m.str('/f'), O_RDWR | O_CREAT | O_EXCL, 0o644), -EEXIST);
  assert.equal(await m.sys('read', 55, BUF, 1), -EBADF);
  assert.equal(await m.sys('close', fd), 0);
  assert.equal(await m.sys('close', fd), -EBADF);
});

test('stat64 fills the 96-byte i386 layout with st_ino at 88 and __st_ino at 12', async () => {
  const m = machine();
  const fd = await m.sys('open', m.str('/f'), O_RDWR | O_CREAT, 0o640);
  m.mem.writeBytes(BUF, new Uint8Array(1234));
  await m.sys('write', fd, BUF, 1234);
  m.mem.u8.fill(0xee, BUF + 0x1000, BUF + 0x1000 + 96);
  assert.equal(await m.sys('stat64', m.str('/f'), BUF + 0x1000), 0);
  const dv = m.dv(), b = BUF + 0x1000;
  const st = await m.kernel.vfs.stat(null, AT_FDCWD, '/f');
  assert.ok(typeof st !== 'number');
  assert.equal(dv.getUint32(b + 16, true), 0o100640); // st_mode
  assert.equal(dv.getUint32(b + 20, true), 1); // nlink
  assert.equal(Number(dv.getBigInt64(b + 44, true)), 1234); // st_size
  assert.equal(dv.getUint32(b + 52, true), 4096); // blksize
  assert.equal(dv.getUint32(b + 12, true), st.ino); // __st_ino
  assert.equal(Number(dv.getBigUint64(b + 88, true)), st.ino); // st_ino
  assert.equal(dv.getUint32(b + 72, true), st.mtime.sec);
  assert.equal(dv.getUint32(b + 76, true), st.mtime.nsec);
  assert.equal(Number(dv.getBigUint64(b, true)), st.dev);
  // The old struct stat: mode is 16-bit at 8, size 32-bit at 20.
  assert.equal(await m.sys('fstat', fd, BUF + 0x2000), 0);
  assert.equal(dv.getUint16(BUF + 0x2000 + 8, true), 0o100640);
  assert.equal(dv.getUint32(BUF + 0x2000 + 20, true), 1234);
});

test('_llseek and pread64 carry 64-bit offsets split across registers', async () => {
  const m = machine();
  const fd = await m.sys('open', m.str('/sparse'), O_RDWR | O_CREAT, 0o644);
  // Seek to 2^32 + 8 (high = 1, low = 8) and read the 64-bit result.
  assert.equal(await m.sys('_llseek', fd, 1, 8, BUF, 0), 0);
  assert.equal(Number(m.dv().getBigInt64(BUF, true)), 2 ** 32 + 8);
  // lseek's 32-bit off_t cannot report it.
  assert.equal(await m.sys('lseek', fd, 0, 1), -75 /* EOVERFLOW */);
  m.mem.writeBytes(BUF, new TextEncoder().encode('XY'));
  assert.equal(await m.sys('pwrite64', fd, BUF, 2, 100, 0), 2);
  assert.equal(await m.sys('pread64', fd, BUF + 8, 2, 100, 0), 2);
  assert.equal(new TextDecoder().decode(m.bytes(BUF + 8, 2)), 'XY');
  assert.equal(await m.sys('pread64', fd, BUF + 8, 2, 0, -1), -EINVAL);
  assert.equal(await m.sys('ftruncate64', fd, 0, 1), -27 /* EFBIG: beyond what tmpfs holds */);
});

test('getdents64 lists . and .. then entries, resuming where it stopped', async () => {
  const m = machine();
  await m.sys('mkdir', m.str('/d'), 0o755);
  for (const n of ['alpha', 'beta', 'gamma']) await m.sys('open', m.str('/d/' + n), O_CREAT | O_WRONLY, 0o644);
  const fd = await m.sys('open', m.str('/d'), O_DIRECTORY);
  const names: string[] = [];
  const types: number[] = [];
  // A buffer of 48 bytes holds two 24-byte records at a time.
  for (;;) {
    const n = await m.sys('getdents64', fd, BUF, 48);
    assert.ok(n >= 0);
    if (n === 0) break;
    for (let off = 0; off < n;) {
      const reclen = m.dv().getUint16(BUF + off + 16, true);
      types.push(m.dv().getUint8(BUF + off + 18));
      const raw = m.bytes(BUF + off + 19, reclen - 19);
      names.push(new TextDecoder().decode(raw.subarray(0, raw.indexOf(0))));
      assert.equal(reclen % 8, 0);
      off += reclen;
    }
  }
  assert.deepEqual(names, ['.', '..', 'alpha', 'beta', 'gamma']);
  assert.deepEqual(types, [4, 4, 8, 8, 8]);
  assert.equal(await m.sys('getdents64', fd, BUF, 10), 0);
  await m.sys('lseek', fd, 0, 0);
  assert.equal(await m.sys('getdents64', fd, BUF, 10), -EINVAL);
  const f = await m.sys('open', m.str('/d/alpha'), 0);
  assert.equal(await m.sys('getdents64', f, BUF, 100), -ENOTDIR);
});

test('dup2, dup3 and F_DUPFD_CLOEXEC manage descriptors and close-on-exec', async () => {
  const m = machine();
  const fd = await m.sys('open', m.str('/f'), O_RDWR | O_CREAT | O_CLOEXEC, 0o644);
  assert.equal(await m.sys('fcntl64', fd, 1 /* F_GETFD */), 1);
  assert.equal(await m.sys('dup2', fd, 10), 10);
  assert.equal(await m.sys('fcntl64', 10, 1), 0);
  assert.equal(await m.sys('dup3', fd, fd, 0), -EINVAL);
  assert.equal(await m.sys('fcntl64', fd, 1030 /* F_DUPFD_CLOEXEC */, 5), 5);
  assert.equal(await m.sys('fcntl64', 5, 1), 1);
  // F_GETFL shows the access mode without O_CREAT/O_CLOEXEC; F_SETFL only changes status flags.
  assert.equal(await m.sys('fcntl64', fd, 3), O_RDWR);
  assert.equal(await m.sys('fcntl64', fd, 4, 0o4000 | 0o2000 | O_WRONLY), 0);
  assert.equal(await m.sys('fcntl64', 10, 3), O_RDWR | 0o4000 | 0o2000);
});

test('F_SETLK record locks conflict between processes and report the holder', async () => {
  const m = machine();
  const fd = await m.sys('open', m.str('/lock'), O_RDWR | O_CREAT, 0o644);
  const setFlock64 = (type: number, start: number, len: number) => {
    const dv = m.dv();
    m.mem.u8.fill(0, BUF, BUF + 24);
    dv.setInt16(BUF, type, true);
    dv.setInt16(BUF + 2, 0, true);
    dv.setBigInt64(BUF + 4, BigInt(start), true);
    dv.setBigInt64(BUF + 12, BigInt(len), true);
  };
  setFlock64(1 /* F_WRLCK */, 10, 10);
  assert.equal(await m.sys('fcntl64', fd, 13 /* F_SETLK64 */, BUF), 0);
  // A second process sharing the description (as after fork) conflicts.
  const other = m.mkproc(200);
  m.kernel.processes.set(200, other as never);
  const t2 = { ...m.t, pid: 200, proc: other, creds: other.creds } as unknown as Task;
  other.files.install(0, m.t.proc.files.get(fd)!);
  const h = HANDLERS.get('fcntl64')!;
  setFlock64(0 /* F_RDLCK */, 15, 1);
  assert.equal(await h(t2, 0, 13, BUF, 0, 0, 0), -EAGAIN);
  setFlock64(0, 15, 1);
  assert.equal(await h(t2, 0, 12 /* F_GETLK64 */, BUF, 0, 0, 0), 0);
  assert.equal(m.dv().getInt16(BUF, true), 1);
  assert.equal(Number(m.dv().getBigInt64(BUF + 4, true)), 10);
  assert.equal(Number(m.dv().getBigInt64(BUF + 12, true)), 10);
  assert.equal(m.dv().getInt32(BUF + 20, true), 100);
  // Outside the range there is no conflict.
  setFlock64(1, 20, 5);
  assert.equal(await h(t2, 0, 13, BUF, 0, 0, 0), 0);
  // Closing any descriptor of the file drops the owner's locks.
  await m.sys('close', fd);
  setFlock64(1, 0, 0);
  assert.equal(await h(t2, 0, 13, BUF, 0, 0, 0), 0);
});

test('pipe2 returns two descriptors that pass data and report EOF', async () => {
  const m = machine();
  assert.equal(await m.sys('pipe2', BUF, O_CLOEXEC), 0);
  const r = m.dv().getInt32(BUF, true), w = m.dv().getInt32(BUF + 4, true);
  assert.deepEqual([r, w], [0, 1]);
  m.mem.writeBytes(BUF + 16, new TextEncoder().encode('ping'));
  assert.equal(await m.sys('write', w, BUF + 16, 4), 4);
  assert.equal(await m.sys('ioctl', r, 0x541b, BUF + 32), 0);
  assert.equal(m.dv().getInt32(BUF + 32, true), 4);
  assert.equal(await m.sys('close', w), 0);
  assert.equal(await m.sys('read', r, BUF + 64, 100), 4);
  assert.equal(await m.sys('read', r, BUF + 64, 100), 0);
  assert.equal(await m.sys('lseek', r, 0, 0), -29 /* ESPIPE */);
});

test('getcwd, chdir and relative paths; ERANGE for a small buffer', async () => {
  const m = machine();
  await m.sys('mkdir', m.str('/a'), 0o755);
  await m.sys('mkdir', m.str('/a/b'), 0o755);
  assert.equal(await m.sys('chdir', m.str('a/b')), 0);
  assert.equal(await m.sys('getcwd', BUF, 100), 5);
  assert.equal(new TextDecoder().decode(m.bytes(BUF, 4)), '/a/b');
  assert.equal(await m.sys('getcwd', BUF, 4), -ERANGE);
  assert.equal(await m.sys('mkdir', m.str('../c'), 0o700), 0);
  assert.equal(await m.kernel.vfs.stat(null, AT_FDCWD, '/a/c').then((s) => typeof s !== 'number'), true);
  assert.equal(await m.sys('chdir', m.str('/nope')), -ENOENT);
  const dfd = await m.sys('open', m.str('/a'), O_DIRECTORY);
  assert.equal(await m.sys('mkdirat', dfd, m.str('viafd'), 0o755), 0);
  assert.equal(await m.sys('fchdir', dfd), 0);
  assert.equal(await m.sys('access', m.str('viafd'), 1), 0);
});

test('readlink copies without a NUL and truncates to the buffer', async () => {
  const m = machine();
  await m.sys('symlink', m.str('/some/target'), m.str('/ln', STR2));
  m.mem.u8.fill(0xff, BUF, BUF + 32);
  assert.equal(await m.sys('readlink', m.str('/ln'), BUF, 5), 5);
  assert.equal(new TextDecoder().decode(m.bytes(BUF, 5)), '/some');
  assert.equal(m.mem.u8[BUF + 5], 0xff);
  assert.equal(await m.sys('readlink', m.str('/ln'), BUF, 0), -EINVAL);
});

test('utimensat sets nanosecond times and UTIME_OMIT leaves one alone', async () => {
  const m = machine();
  await m.sys('open', m.str('/f'), O_CREAT | O_WRONLY, 0o644);
  const dv = m.dv();
  dv.setInt32(BUF, 1000, true); dv.setInt32(BUF + 4, 123456789, true);
  dv.setInt32(BUF + 8, 0, true); dv.setInt32(BUF + 12, (1 << 30) - 2, true); // UTIME_OMIT
  const before = await m.kernel.vfs.stat(null, AT_FDCWD, '/f');
  assert.equal(await m.sys('utimensat', AT_FDCWD, m.str('/f'), BUF, 0), 0);
  const after = await m.kernel.vfs.stat(null, AT_FDCWD, '/f');
  assert.ok(typeof after !== 'number' && typeof before !== 'number');
  assert.deepEqual(after.atime, { sec: 1000, nsec: 123456789 });
  assert.deepEqual(after.mtime, before.mtime);
});

test('opening /proc/self/fd/N of a pipe (via /dev/stdin) opens the same pipe again', async () => {
  const m = machine();
  const v = m.kernel.vfs;
  assert.equal(await m.sys('pipe', BUF), 0);
  const r = m.dv().getInt32(BUF, true), w = m.dv().getInt32(BUF + 4, true);
  // The real procfs; its idea of the running process (pid 1) is deliberately wrong, as it
  // is when another task ran while the walk awaited: /proc/self must name the caller.
  v.mount('/proc', new ProcFs(m.kernel, { dev: 99, currentPid: () => 1 }));
  await v.mkdir(null, AT_FDCWD, '/dev', 0o755);
  await v.symlink(null, '/proc/self/fd/0', AT_FDCWD, '/dev/stdin');
  assert.equal(await m.sys('dup2', r, 0), 0);
  const fd = await m.sys('open', m.str('/dev/stdin'), 0);
  assert.ok(fd >= 0, `open gave ${fd}`);
  m.mem.writeBytes(BUF + 16, new TextEncoder().encode('abc'));
  await m.sys('write', w, BUF + 16, 3);
  assert.equal(await m.sys('read', fd, BUF + 32, 10), 3);
  assert.equal(await m.sys('open', m.str('/proc/self/fd/99'), 0), -ENOENT);
});

test('extended attributes: resolve the path, then EOPNOTSUPP (get/set/remove) or an empty list', async () => {
  await import('../../src/engine/linux/syscalls/xattr.js');
  const m = machine();
  const EOPNOTSUPP = 95;
  assert.equal(await m.sys('open', m.str('/x'), O_RDWR | O_CREAT, 0o644), 0);
  const name = m.str('user.a', STR2);
  assert.equal(await m.sys('lgetxattr', m.str('/x'), name, BUF, 64), -EOPNOTSUPP);
  assert.equal(await m.sys('getxattr', m.str('/missing'), name, BUF, 64), -ENOENT);
  assert.equal(await m.sys('getxattr', m.str('/x/y'), name, BUF, 64), -ENOTDIR);
  assert.equal(await m.sys('setxattr', m.str('/x'), name, BUF, 1, 0), -EOPNOTSUPP);
  assert.equal(await m.sys('removexattr', m.str('/x'), name), -EOPNOTSUPP);
  assert.equal(await m.sys('listxattr', m.str('/x'), BUF, 64), 0);
  assert.equal(await m.sys('fgetxattr', 0, name, BUF, 64), -EOPNOTSUPP);
  assert.equal(await m.sys('flistxattr', 0, BUF, 64), 0);
  assert.equal(await m.sys('fgetxattr', 9, name, BUF, 64), -EBADF);
});
