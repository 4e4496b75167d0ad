/**
 * ptys through /dev/ptmx and devpts, with behaviour observed on a real pty from python3
 * on this machine: a locked slave fails to open with EIO; a fresh master does not read
 * EOF; after the slave closes the master reads what is left, then EIO, and polls
 * OUT|HUP; after the master closes the slave reads 0, writes EIO and polls
 * IN|OUT|ERR|HUP; packet mode prefixes data with 0 and reports a flush as byte 1;
 * /dev/pts/N is char device 136:N with inode N+3.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { World, ARG, readStr, bytes } from './fixture.js';
import { Devpts } from '../../src/engine/tty/devpts.js';
import { PtyMasterFile } from '../../src/engine/tty/pty.js';
import { Tty, type TtyFile } from '../../src/engine/tty/tty.js';
import { registerTtyDevices, type DeviceOpen } from '../../src/engine/tty/devices.js';
import {
  type File, type Stat, O_CLOEXEC, O_NOCTTY, O_NONBLOCK, O_RDWR, POLLERR, POLLHUP, POLLIN, POLLOUT, S_IFCHR,
} from '../../src/engine/fs/types.js';
import * as io from '../../src/engine/tty/ioctls.js';
import { getU32, putU32 } from '../../src/engine/linux/uaccess.js';
import type { Inode, DirEntry } from '../../src/engine/fs/types.js';
import type { Task } from '../../src/engine/linux/task.js';
import { Vfs } from '../../src/engine/fs/vfs.js';
import { TmpFs } from '../../src/engine/fs/tmpfs.js';
import { ctxOf } from '../../src/engine/linux/path-ctx.js';
import { cttyOf } from '../../src/engine/tty/jobctl.js';

const AT_FDCWD = -100;

/** lookup that must find an inode (the Inode API may also answer null or -errno). */
async function lk(dir: Inode, name: string): Promise<Inode> {
  const r = await dir.lookup!(name);
  assert.ok(r && typeof r !== 'number', `no ${name}`);
  return r;
}
async function ls(dir: Inode): Promise<DirEntry[]> {
  const r = await dir.readdir!();
  assert.ok(typeof r !== 'number', `readdir failed: ${r}`);
  return r;
}

const EIO = 5, ENXIO = 6, EAGAIN = 11;
const SIGHUP = 1, SIGCONT = 18, SIGUSR1 = 10;
const ptmxStat = () => ({ mode: S_IFCHR | 0o666 }) as Stat;

function setup() {
  const w = new World();
  const t = w.proc(10, { sid: 10, pgid: 10 });
  const fs = new Devpts(w.k);
  const m = fs.openMaster(O_RDWR, '/dev/ptmx', ptmxStat, t) as PtyMasterFile;
  return { w, t, fs, m };
}

function unlock(m: PtyMasterFile, t: Task) {
  putU32(t, ARG, 0);
  assert.equal(m.ioctl(t, io.TIOCSPTLCK, ARG), 0);
}

async function openSlave(fs: Devpts, t: Task, n: number, flags = O_RDWR | O_NOCTTY): Promise<File | number> {
  const ino = await lk(fs.root, String(n));
  assert.ok(ino, `no /dev/pts/${n}`);
  return ino.open!(flags, `/dev/pts/${n}`);
}

/** Open /dev/pts/n as task t would through the VFS (devpts inodes take the task as a third argument). */
async function openAs(fs: Devpts, t: Task, n: number, flags = O_RDWR): Promise<File | number> {
  const ino = (await lk(fs.root, String(n)))!;
  const open = ino.open as unknown as (f: number, p: string, t: Task) => File | number;
  return open.call(ino, flags, `/dev/pts/${n}`, t);
}

test('ptmx gives pty 0, then 1; the slave is locked until TIOCSPTLCK 0', async () => {
  const { t, fs, m } = setup();
  assert.equal(m.ioctl(t, io.TIOCGPTN, ARG), 0);
  assert.equal(getU32(t, ARG), 0);
  assert.equal(m.ioctl(t, io.TIOCGPTLCK, ARG), 0);
  assert.equal(getU32(t, ARG), 1);
  assert.equal(await openSlave(fs, t, 0), -EIO);
  unlock(m, t);
  assert.ok(typeof (await openSlave(fs, t, 0)) === 'object');
  const m2 = fs.openMaster(O_RDWR, '/dev/ptmx', ptmxStat, t) as PtyMasterFile;
  assert.equal(m2.ioctl(t, io.TIOCGPTN, ARG), 0);
  assert.equal(getU32(t, ARG), 1);
});

test('devpts lists ptmx and open ptys; /dev/pts/N is 136:N, inode N+3, mode 620 group tty', async () => {
  const { t, fs } = setup();
  fs.openMaster(O_RDWR, '/dev/ptmx', ptmxStat, t);
  const names = (await ls(fs.root)).map((e) => `${e.name}:${e.ino}`);
  assert.deepEqual(names, ['ptmx:2', '0:3', '1:4']);
  const st = await (await lk(fs.root, '1'))!.stat();
  assert.equal(st.mode, S_IFCHR | 0o620);
  assert.equal(st.rdev, (136 << 8) | 1);
  assert.equal(st.ino, 4);
  assert.equal(st.gid, 5);
  assert.equal(await fs.root.lookup!('7'), null);
});

test('master writes are slave input through the line discipline; slave output reaches the master processed', async () => {
  const { t, fs, m } = setup();
  unlock(m, t);
  const s = (await openSlave(fs, t, 0)) as TtyFile;
  assert.equal(await m.write(t, bytes('ls -l\r')), 6);
  assert.equal(await readStr(s, t), 'ls -l\n');
  assert.equal(await readStr(m, t), 'ls -l\r\n');
  assert.equal(await s.write(t, bytes('total 0\n')), 8);
  assert.equal(await readStr(m, t), 'total 0\r\n');
});

test('the slave fstat matches its devpts node (ttyname compares them)', async () => {
  const { t, fs, m } = setup();
  unlock(m, t);
  const s = (await openSlave(fs, t, 0)) as TtyFile;
  const a = await s.stat();
  const b = await (await lk(fs.root, '0'))!.stat();
  assert.deepEqual([a.dev, a.ino, a.rdev], [b.dev, b.ino, b.rdev]);
});

test('a fresh master with no slave opened does not read EOF', async () => {
  const { t, fs } = setup();
  const m = fs.openMaster(O_RDWR | O_NONBLOCK, '/dev/ptmx', ptmxStat, t) as PtyMasterFile;
  assert.equal(await readStr(m, t), -EAGAIN);
  assert.equal(m.poll() & (POLLIN | POLLHUP), 0);
});

test('after the last slave close the master reads the rest, then EIO, and polls HUP', async () => {
  const { t, fs, m } = setup();
  unlock(m, t);
  const s = (await openSlave(fs, t, 0)) as TtyFile;
  await s.write(t, bytes('bye\n'));
  s.release();
  assert.equal(m.poll(), POLLIN | 0x40 | POLLOUT | 0x100 | POLLHUP);
  assert.equal(await readStr(m, t), 'bye\r\n');
  assert.equal(await readStr(m, t), -EIO);
  assert.equal(m.poll() & (POLLIN | POLLOUT | POLLHUP), POLLOUT | POLLHUP);
});

test('after the master closes the slave reads 0, writes EIO, polls IN|OUT|ERR|HUP, and the node goes away', async () => {
  const { t, fs, m } = setup();
  unlock(m, t);
  const s = (await openSlave(fs, t, 0)) as TtyFile;
  await m.write(t, bytes('pending\n'));
  m.release();
  assert.equal(await readStr(s, t), '');
  assert.equal(await s.write(t, bytes('x')), -EIO);
  assert.equal(s.ioctl(t, io.TCGETS, ARG), -EIO);
  const ev = s.poll();
  assert.equal(ev & (POLLIN | POLLOUT | POLLERR | POLLHUP), POLLIN | POLLOUT | POLLERR | POLLHUP);
  assert.equal(await fs.root.lookup!('0'), null);
});

test('the session leader opening a slave without O_NOCTTY gets it as controlling terminal; hangup sends SIGHUP and SIGCONT', async () => {
  const { w, t, fs, m } = setup();
  unlock(m, t);
  const s = (await openAs(fs, t, 0)) as TtyFile;
  assert.equal(s.ioctl(t, io.TIOCGSID, ARG), 0);
  assert.equal(getU32(t, ARG), 10);
  m.release();
  assert.deepEqual(w.signals(), [`pid 10: ${SIGHUP}`, `pid 10: ${SIGCONT}`]);
});

test('master ioctls reach the slave: TCGETS, window size with SIGWINCH, TIOCGPGRP without being the controlling terminal', async () => {
  const { w, t, fs, m } = setup();
  unlock(m, t);
  const s = (await openAs(fs, t, 0)) as TtyFile;
  const helper = w.proc(20, { sid: 20, pgid: 20 });
  assert.equal(m.ioctl(helper, io.TCGETS, ARG), 0);
  assert.equal(getU32(helper, ARG + 12), 0x8a3b);
  assert.equal(m.ioctl(helper, io.TIOCGPGRP, ARG), 0);
  assert.equal(getU32(helper, ARG), 10);
  putU32(helper, ARG, (120 << 16) | 40);
  putU32(helper, ARG + 4, 0);
  assert.equal(m.ioctl(helper, io.TIOCSWINSZ, ARG), 0);
  assert.deepEqual(w.signals(), [`pgrp 10: 28`]);
  assert.equal(s.ioctl(t, io.TIOCGWINSZ, ARG + 8), 0);
  assert.equal(getU32(t, ARG + 8), (120 << 16) | 40);
  assert.equal(m.ioctl(helper, io.TIOCSIG, SIGUSR1), 0);
  assert.deepEqual(w.signals(), [`pgrp 10: ${SIGUSR1}`]);
});

test('packet mode: data is prefixed with TIOCPKT_DATA, a flush is reported as TIOCPKT_FLUSHREAD', async () => {
  const { t, fs, m } = setup();
  unlock(m, t);
  const s = (await openSlave(fs, t, 0)) as TtyFile;
  putU32(t, ARG, 1);
  assert.equal(m.ioctl(t, io.TIOCPKT, ARG), 0);
  await s.write(t, bytes('out'));
  assert.equal(await readStr(m, t), '\x00out');
  assert.equal(s.ioctl(t, io.TCFLSH, 0), 0);
  assert.equal(await readStr(m, t), '\x01');
});

test('TIOCGPTPEER opens the slave as a new descriptor (glibc openpty)', () => {
  const { t, m } = setup();
  unlock(m, t);
  const fd = m.ioctl(t, io.TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC) as number;
  assert.ok(fd >= 0);
  const f = t.proc.files.get(fd) as TtyFile;
  assert.equal(f.path, '/dev/pts/0');
  assert.equal(t.proc.files.cloexec[fd], true);
  assert.equal(m.pair.slaveOpens, 1);
});

test('a master writer blocks when the slave input buffer is full and resumes when the slave reads', async () => {
  const { t, fs, m } = setup();
  unlock(m, t);
  const s = (await openSlave(fs, t, 0)) as TtyFile;
  const tio = s.tty.getTermios();
  tio.lflag = 0;
  s.tty.setTermios(tio);
  const big = new Uint8Array(6000).fill(0x61);
  const p = m.write(t, big);
  let done = false;
  void p.then(() => { done = true; });
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(done, false);
  const got = await readStr(s, t, 8192);
  assert.equal(typeof got === 'string' && got.length, 4095);
  assert.equal(await p, 6000);
});

test('/dev/tty opens the caller\'s controlling terminal and is ENXIO without one', async () => {
  const { w, t, fs, m } = setup();
  const devs = new Map<string, DeviceOpen>();
  registerTtyDevices({ addDevice: (name, _mode, _rdev, open) => devs.set(name, open) }, { devpts: fs });
  const other = w.proc(30, { sid: 30, pgid: 30 });
  assert.equal(await devs.get('tty')!(O_RDWR, '/dev/tty', other), -ENXIO);
  unlock(m, t);
  await openAs(fs, t, 0);
  const f = (await devs.get('tty')!(O_RDWR, '/dev/tty', t)) as TtyFile;
  assert.ok(f.tty instanceof Tty);
  assert.equal(f.tty, m.pair.slave);
  const m2 = (await devs.get('ptmx')!(O_RDWR, '/dev/ptmx', t)) as PtyMasterFile;
  assert.equal(m2.pair.index, 1);
});

test('registered in the real devfs: /dev/tty1 acquires the controlling terminal and fstat matches the node', async () => {
  const { DevFs, makedev } = await import('../../src/engine/fs/devfs.js');
  const { Console } = await import('../../src/engine/tty/console.js');
  const { FakeHost } = await import('./fixture.js');
  const { w, t, fs } = setup();
  const devfs = new DevFs();
  const con = new Console(w.k, new FakeHost());
  registerTtyDevices(devfs, { devpts: fs, console: con });
  const node = (await lk(devfs.root, 'tty1'))!;
  const st = await node.stat();
  assert.equal(st.rdev, makedev(4, 1));
  const f = (await devfs.driver(st.rdev)!(O_RDWR, '/dev/tty1', t, node)) as TtyFile;
  const fst = await f.stat();
  assert.deepEqual([fst.dev, fst.ino, fst.rdev], [st.dev, st.ino, st.rdev]);
  assert.equal(f.ioctl(t, io.TIOCGSID, ARG), 0);
  assert.equal(getU32(t, ARG), 10);
  // /dev/console never becomes a controlling terminal.
  const other = w.proc(40, { sid: 40, pgid: 40 });
  const cnode = (await lk(devfs.root, 'console'))!;
  const c = (await devfs.driver(makedev(5, 1))!(O_RDWR, '/dev/console', other, cnode)) as TtyFile;
  assert.equal(c.ioctl(other, io.TIOCGSID, ARG), -25);
});

test('open(2) of /dev/pts/N through the VFS: the controlling terminal goes to the thread opening, not to the task that ran last', async () => {
  // xterm's child: setsid(), then open(/dev/pts/N) without O_NOCTTY, then open(/dev/tty). An
  // open finishes after awaits (path walk, stat), and meanwhile the scheduler may run another
  // task: Devpts' currentTask (the kernel's last running task) is then the parent, which
  // took nothing (not a session leader), and the child's /dev/tty failed with ENXIO.
  const w = new World();
  const parent = w.proc(43, { sid: 39, pgid: 39 });
  const child = w.proc(46, { sid: 46, pgid: 46 });
  const fs = new Devpts(w.k, 0x1a, () => parent);
  const v = new Vfs();
  v.mount('/', new TmpFs());
  await v.mkdir(null, -100, '/dev', 0o755);
  await v.mkdir(null, -100, '/dev/pts', 0o755);
  v.mount('/dev/pts', fs);
  const m = (await v.open(ctxOf(parent), -100, '/dev/pts/ptmx', O_RDWR | O_NOCTTY)) as PtyMasterFile;
  assert.ok(m instanceof PtyMasterFile, `ptmx: ${String(m)}`);
  unlock(m, parent);
  const s = await v.open(ctxOf(child), -100, '/dev/pts/0', O_RDWR);
  assert.equal(typeof s, 'object');
  assert.equal(cttyOf(child.proc), m.pair.slave, 'the session leader that opened the slave has it as its controlling terminal');
  assert.equal(cttyOf(parent.proc), null);
});

test('a slave opened through the VFS becomes the controlling terminal of the task that opened it, not of the task that made the last system call', async () => {
  // xterm's child (a session leader without a terminal) opens /dev/pts/N. The open walks the
  // path first, and the walk awaits: other tasks' system calls run meanwhile, so when the
  // device's open runs, kernel.current is often another task. The VFS did not pass the
  // caller to devpts, which took kernel.current: in the desktop test (2026-12-07) another
  // session leader (a test's `sh -c`) got the pty as its terminal, xterm's child then found
  // no /dev/tty (ENXIO) and told xterm the pty was bad; xterm closed the master, the hang-up
  // killed the child with SIGHUP and xterm died of SIGPIPE: 6 of 22 runs lost an xterm.
  const w = new World();
  const child = w.proc(10, { sid: 10, pgid: 10 });
  const other = w.proc(20, { sid: 20, pgid: 20 });
  const fs = new Devpts(w.k, 0x1a, () => w.k.current ?? undefined);
  const vfs = new Vfs();
  vfs.mount('/', fs);
  const m = fs.openMaster(O_RDWR, '/dev/ptmx', ptmxStat, child) as PtyMasterFile;
  unlock(m, child);
  w.k.current = other;
  const s = await vfs.open(ctxOf(child), AT_FDCWD, '/0', O_RDWR);
  assert.ok(typeof s === 'object', `open: ${String(s)}`);
  const tty = fs.ptys.get(0)!.slave;
  assert.equal(tty.session, 10, 'the pty is the session of the task that opened it');
  assert.equal(cttyOf(child.proc), tty);
  assert.equal(cttyOf(other.proc), null, 'the task that made the last system call got nothing');
});
