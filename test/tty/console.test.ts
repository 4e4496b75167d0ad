/**
 * The console through the File API with a fake host terminal: output processing,
 * canonical reads, signals to the foreground group, VMIN/VTIME, window size, and job
 * control. Expected behaviour: termios(3), tty_ioctl(4), credentials(7), and a real pty
 * driven from python3 on this machine (background read with SIGTTIN ignored gives EIO,
 * TIOCSPGRP to a missing group ESRCH and to another session's group EPERM, TIOCGPGRP
 * on a terminal that is not the caller's ENOTTY, a background read stops with SIGTTIN).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { World, FakeHost, ARG, readStr, bytes, sleep } from './fixture.js';
import { Console } from '../../src/engine/tty/console.js';
import type { TtyFile } from '../../src/engine/tty/tty.js';
import { O_NONBLOCK, O_RDWR, POLLIN, POLLOUT } from '../../src/engine/fs/types.js';
import * as io from '../../src/engine/tty/ioctls.js';
import { ICANON, VMIN, VTIME, TOSTOP, ECHO } from '../../src/engine/tty/termios.js';
import { getU32, putStruct, putU32, getStruct } from '../../src/engine/linux/uaccess.js';
import { disassociateCtty } from '../../src/engine/tty/jobctl.js';

const EAGAIN = 11, EIO = 5, ENOTTY = 25, EPERM = 1, ESRCH = 3, ERESTARTSYS = 512;
const SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGCONT = 18, SIGTSTP = 20, SIGTTIN = 21, SIGTTOU = 22, SIGWINCH = 28;

/** A session: leader `shell` (pid 100) with the console as controlling terminal. */
function setup() {
  const w = new World();
  const host = new FakeHost();
  const con = new Console(w.k, host);
  const shell = w.proc(100, { sid: 100, pgid: 100 });
  const f = con.stdio(shell.proc) as TtyFile;
  return { w, host, con, shell, f };
}

function raw(f: TtyFile, min: number, time: number) {
  const tio = f.tty.getTermios();
  tio.lflag &= ~(ICANON | ECHO);
  tio.cc[VMIN] = min;
  tio.cc[VTIME] = time;
  f.tty.setTermios(tio);
}

test('output processing turns NL into CR NL (OPOST ONLCR)', async () => {
  const { host, shell, f } = setup();
  assert.equal(await f.write(shell, bytes('a\nb\n')), 4);
  assert.equal(host.take(), 'a\r\nb\r\n');
});

test('a canonical read waits for the end of the line and returns one line', async () => {
  const { host, shell, f } = setup();
  const p = readStr(f, shell);
  let done = false;
  void p.then(() => { done = true; });
  host.type('he');
  await sleep(10);
  assert.equal(done, false);
  host.type('llo\rworld\r');
  assert.equal(await p, 'hello\n');
  assert.equal(await readStr(f, shell), 'world\n');
  assert.equal(host.take(), 'hello\r\nworld\r\n');
});

test('a short buffer takes a long line over several reads', async () => {
  const { host, shell, f } = setup();
  host.type('abcdef\n');
  assert.equal(await readStr(f, shell, 4), 'abcd');
  assert.equal(await readStr(f, shell, 4), 'ef\n');
});

test('^D on an empty line reads as end of file, after a partial line it pushes the line', async () => {
  const { host, shell, f } = setup();
  host.type('ab\x04\x04');
  assert.equal(await readStr(f, shell), 'ab');
  assert.equal(await readStr(f, shell), '');
  assert.equal(host.take(), 'ab');
});

test('console erase removes a whole UTF-8 character (IUTF8 as a Linux VT sets it)', async () => {
  const { host, shell, f } = setup();
  host.type(new Uint8Array([0x61, 0xc3, 0xa9, 0x7f, 0x0a]));
  assert.equal(await readStr(f, shell), 'a\n');
  assert.equal(host.take(), 'a\xc3\xa9\b \b\r\n');
});

test('^C sends SIGINT to the foreground group, echoes ^C and flushes the line', async () => {
  const { w, host, shell, f } = setup();
  host.type('abc\x03');
  assert.deepEqual(w.signals(), [`pgrp 100: ${SIGINT}`]);
  assert.equal(host.take(), 'abc^C');
  host.type('x\n');
  assert.equal(await readStr(f, shell), 'x\n');
});

test('^\\ and ^Z send SIGQUIT and SIGTSTP to the foreground group', () => {
  const { w, host } = setup();
  host.type('\x1c\x1a');
  assert.deepEqual(w.signals(), [`pgrp 100: ${SIGQUIT}`, `pgrp 100: ${SIGTSTP}`]);
});

test('a blocked read interrupted by a signal returns -ERESTARTSYS', async () => {
  const { shell, f } = setup();
  const p = readStr(f, shell);
  await sleep(5);
  shell.interrupt.wake();
  assert.equal(await p, -ERESTARTSYS);
});

test('non-blocking read with no line gives EAGAIN; poll reports POLLIN only for a complete line', async () => {
  const { host, shell, con } = setup();
  const f = con.open(O_RDWR | O_NONBLOCK);
  assert.equal(await readStr(f, shell), -EAGAIN);
  host.type('ab');
  assert.equal(f.poll() & POLLIN, 0);
  host.type('\n');
  assert.equal(f.poll() & (POLLIN | POLLOUT), POLLIN | POLLOUT);
});

test('VMIN=0 VTIME=0 returns at once with what is there', async () => {
  const { host, shell, f } = setup();
  raw(f, 0, 0);
  assert.equal(await readStr(f, shell), '');
  host.type('xy');
  assert.equal(await readStr(f, shell), 'xy');
});

test('VMIN=0 VTIME=2 waits up to 0.2 s for the first byte', async () => {
  const { host, shell, f } = setup();
  raw(f, 0, 2);
  let t0 = performance.now();
  assert.equal(await readStr(f, shell), '');
  assert.ok(performance.now() - t0 >= 180, 'timed out too early');
  t0 = performance.now();
  setTimeout(() => host.type('z'), 30);
  assert.equal(await readStr(f, shell), 'z');
  assert.ok(performance.now() - t0 < 180);
});

test('VMIN=3 VTIME=0 blocks until three bytes arrive', async () => {
  const { host, shell, f } = setup();
  raw(f, 3, 0);
  const p = readStr(f, shell);
  let done = false;
  void p.then(() => { done = true; });
  host.type('ab');
  await sleep(20);
  assert.equal(done, false);
  host.type('cd');
  assert.equal(await p, 'abcd');
});

test('VMIN=5 VTIME=1: the interbyte timer returns a short read', async () => {
  const { host, shell, f } = setup();
  raw(f, 5, 1);
  const t0 = performance.now();
  setTimeout(() => host.type('q'), 20);
  assert.equal(await readStr(f, shell), 'q');
  const dt = performance.now() - t0;
  assert.ok(dt >= 100 && dt < 400, `took ${dt} ms`);
});

test('TCGETS gives the Linux defaults (as a fresh pty reports them, plus IUTF8 on the console)', () => {
  const { shell, f } = setup();
  assert.equal(f.ioctl(shell, io.TCGETS, ARG), 0);
  const dv = getStruct(shell, ARG, 36)!;
  assert.deepEqual([0, 4, 8, 12].map((o) => dv.getUint32(o, true)), [0x500 | 0x4000, 0x5, 0xbf, 0x8a3b]);
  const cc = [...new Uint8Array(dv.buffer, 17, 19)];
  assert.deepEqual(cc, [3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0, 0, 0]);
});

test('TCSETS round-trips through TCGETS and switches to non-canonical mode', async () => {
  const { host, shell, f } = setup();
  f.ioctl(shell, io.TCGETS, ARG);
  const dv = getStruct(shell, ARG, 36)!;
  dv.setUint32(12, dv.getUint32(12, true) & ~(ICANON | ECHO), true);
  putStruct(shell, ARG, 36, (d) => new Uint8Array(d.buffer).set(new Uint8Array(dv.buffer)));
  assert.equal(f.ioctl(shell, io.TCSETS, ARG), 0);
  host.type('k');
  assert.equal(await readStr(f, shell), 'k');
  assert.equal(host.take(), '');
});

test('TIOCSWINSZ sends SIGWINCH to the foreground group only when the size changes', () => {
  const { w, shell, f, host } = setup();
  putStruct(shell, ARG, 8, (dv) => { dv.setUint16(0, 50, true); dv.setUint16(2, 132, true); });
  assert.equal(f.ioctl(shell, io.TIOCSWINSZ, ARG), 0);
  assert.deepEqual(w.signals(), [`pgrp 100: ${SIGWINCH}`]);
  assert.equal(f.ioctl(shell, io.TIOCSWINSZ, ARG), 0);
  assert.deepEqual(w.signals(), []);
  assert.equal(f.ioctl(shell, io.TIOCGWINSZ, ARG + 16), 0);
  assert.equal(getU32(shell, ARG + 16), (132 << 16) | 50);
  host.resize(90, 40);
  assert.deepEqual(w.signals(), [`pgrp 100: ${SIGWINCH}`]);
  f.ioctl(shell, io.TIOCGWINSZ, ARG + 16);
  assert.equal(getU32(shell, ARG + 16), (90 << 16) | 40);
});

test('the initial size comes from the host', () => {
  const { shell, f } = setup();
  f.ioctl(shell, io.TIOCGWINSZ, ARG);
  assert.equal(getU32(shell, ARG), (100 << 16) | 30);
});

/** shell (pid 100, session leader) with a background job (pgid 200) as its child. */
function jobs() {
  const s = setup();
  const job = s.w.proc(200, { parent: s.shell.proc, sid: 100, pgid: 200 });
  return { ...s, job };
}

test('TIOCGPGRP/TIOCGSID give the foreground group and session on the controlling terminal', () => {
  const { shell, f } = jobs();
  assert.equal(f.ioctl(shell, io.TIOCGPGRP, ARG), 0);
  assert.equal(getU32(shell, ARG), 100);
  assert.equal(f.ioctl(shell, io.TIOCGSID, ARG), 0);
  assert.equal(getU32(shell, ARG), 100);
});

test('TIOCGPGRP on a terminal that is not the caller\'s controlling terminal is ENOTTY', () => {
  const { w, f } = jobs();
  const other = w.proc(300, { sid: 300, pgid: 300 });
  assert.equal(f.ioctl(other, io.TIOCGPGRP, ARG), -ENOTTY);
  assert.equal(f.ioctl(other, io.TIOCGSID, ARG), -ENOTTY);
  putU32(other, ARG, 300);
  assert.equal(f.ioctl(other, io.TIOCSPGRP, ARG), -ENOTTY);
});

test('TIOCSPGRP: ESRCH for no such group, EPERM for another session, then the job is foreground', () => {
  const { w, shell, f } = jobs();
  w.proc(300, { sid: 300, pgid: 300 });
  putU32(shell, ARG, 4242);
  assert.equal(f.ioctl(shell, io.TIOCSPGRP, ARG), -ESRCH);
  putU32(shell, ARG, 300);
  assert.equal(f.ioctl(shell, io.TIOCSPGRP, ARG), -EPERM);
  putU32(shell, ARG, 200);
  assert.equal(f.ioctl(shell, io.TIOCSPGRP, ARG), 0);
  assert.equal(f.tty.pgrp, 200);
});

test('a background read sends SIGTTIN to the reader\'s group and restarts', async () => {
  const { w, job, f } = jobs();
  assert.equal(await readStr(f, job), -ERESTARTSYS);
  assert.deepEqual(w.signals(), [`pgrp 200: ${SIGTTIN}`]);
});

test('a background read with SIGTTIN ignored or blocked fails with EIO', async () => {
  const { w, job, f } = jobs();
  job.proc.sigactions.a[SIGTTIN].handler = 1;
  assert.equal(await readStr(f, job), -EIO);
  job.proc.sigactions.a[SIGTTIN].handler = 0;
  job.sigmask = 1n << BigInt(SIGTTIN - 1);
  assert.equal(await readStr(f, job), -EIO);
  assert.deepEqual(w.signals(), []);
});

test('a background read from an orphaned group fails with EIO', async () => {
  const { w, f } = jobs();
  const orphan = w.proc(400, { sid: 100, pgid: 400 });
  assert.equal(await readStr(f, orphan), -EIO);
  assert.deepEqual(w.signals(), []);
});

test('background writes go through unless TOSTOP, then SIGTTOU (ignored SIGTTOU lets them through)', async () => {
  const { w, host, job, f } = jobs();
  assert.equal(await f.write(job, bytes('bg\n')), 3);
  assert.equal(host.take(), 'bg\r\n');
  const tio = f.tty.getTermios();
  tio.lflag |= TOSTOP;
  f.tty.setTermios(tio);
  assert.equal(await f.write(job, bytes('x')), -ERESTARTSYS);
  assert.deepEqual(w.signals(), [`pgrp 200: ${SIGTTOU}`]);
  job.proc.sigactions.a[SIGTTOU].handler = 1;
  assert.equal(await f.write(job, bytes('y')), 1);
});

test('tcsetattr from the background sends SIGTTOU', () => {
  const { w, job, f } = jobs();
  f.ioctl(job, io.TCGETS, ARG);
  assert.equal(f.ioctl(job, io.TCSETS, ARG), -ERESTARTSYS);
  assert.deepEqual(w.signals(), [`pgrp 200: ${SIGTTOU}`]);
});

test('the session leader leaving sends SIGHUP and SIGCONT to the foreground group and frees the terminal', () => {
  const { w, shell, f } = jobs();
  putU32(shell, ARG, 200);
  f.ioctl(shell, io.TIOCSPGRP, ARG);
  disassociateCtty(shell.proc);
  assert.deepEqual(w.signals(), [`pgrp 200: ${SIGHUP}`, `pgrp 200: ${SIGCONT}`]);
  assert.equal(f.tty.session, 0);
  assert.equal(f.ioctl(shell, io.TIOCGPGRP, ARG), -ENOTTY);
});

test('TIOCSCTTY: a new session leader takes a free terminal; EPERM when another session has it', () => {
  const { w, f, shell } = setup();
  const other = w.proc(500, { sid: 500, pgid: 500 });
  assert.equal(f.ioctl(other, io.TIOCSCTTY, 0), -EPERM);
  disassociateCtty(shell.proc);
  assert.equal(f.ioctl(other, io.TIOCSCTTY, 0), 0);
  assert.equal(f.ioctl(other, io.TIOCGSID, ARG), 0);
  assert.equal(getU32(other, ARG), 500);
});

test('^S stops output until ^Q; writers wait meanwhile', async () => {
  const { host, shell, f } = setup();
  host.type('\x13');
  const p = f.write(shell, bytes('late'));
  await sleep(10);
  assert.equal(host.take(), '');
  host.type('\x11');
  assert.equal(await p, 4);
  assert.equal(host.take(), 'late');
});

test('end of host input makes the partial line readable, then end of file, with no SIGHUP', async () => {
  const { w, host, shell, f } = setup();
  host.type('tail');
  host.end();
  assert.equal(await readStr(f, shell), 'tail');
  assert.equal(await readStr(f, shell), '');
  assert.deepEqual(w.signals(), []);
  assert.equal(await f.write(shell, bytes('ok')), 2);
});

test('FIONREAD counts complete lines in canonical mode', () => {
  const { host, shell, f } = setup();
  host.type('ab\ncd');
  assert.equal(f.ioctl(shell, io.FIONREAD, ARG), 0);
  assert.equal(getU32(shell, ARG), 3);
});

test('unknown requests are ENOTTY', () => {
  const { shell, f } = setup();
  assert.equal(f.ioctl(shell, io.KDGKBTYPE, ARG), -ENOTTY);
});
