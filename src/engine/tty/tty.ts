/**
 * A terminal: termios state, the line discipline, window size, session and foreground
 * group, and the read/write/poll/ioctl behaviour every tty shares (tty_ioctl(4)). The
 * "hardware" is a TtyDriver: the host console or the master side of a pty.
 */
import { File, O_NONBLOCK, POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, S_IFCHR, type Stat } from '../fs/types.js';
import type { Kernel } from '../linux/kernel.js';
import type { Task } from '../linux/task.js';
import { WaitQueue, waitAny, INTERRUPTED, TIMEOUT } from '../wait/queue.js';
import { EAGAIN, EFAULT, EINVAL, EIO, ENOTTY, EPERM, ERESTARTSYS, ESRCH } from '../linux/errno.js';
import { getI32, getStruct, putStruct, putU32 } from '../linux/uaccess.js';
import { LineDiscipline } from './ldisc.js';
import {
  type Termios, type Winsize, applyTermio, cloneTermios, decodeTermios, defaultTermios, encodeTermio,
  encodeTermios, ICANON, TOSTOP, VMIN, VTIME, VSTART, VSTOP, TCIFLUSH, TCOFLUSH, TCIOFLUSH, TCOOFF,
  TCOON, TCIOFF, TCION, TERMIOS_SIZE, TERMIOS2_SIZE, TERMIO_SIZE, WINSIZE_SIZE, VDISABLE,
} from './termios.js';
import * as io from './ioctls.js';
import {
  type JobTty, SIGTTIN, SIGTTOU, SIGWINCH, checkBackground, clearSession, cttyOf, disassociateCtty,
  hangupSession, killPgrp, setCtty,
} from './jobctl.js';

/** The device side of a terminal. */
export interface TtyDriver {
  /** Bytes after output processing. */
  write(bytes: Uint8Array): void;
  /** How many more bytes write() takes now (the pty master's buffer); Infinity if unbounded. */
  writeRoom(): number;
  /** Discard output not yet consumed by the device. */
  flushOutput(): void;
  /** Bytes written but not yet consumed (TIOCOUTQ). */
  outq(): number;
  /** Output stopped or started, input or output flushed (pty packet mode). */
  event?(what: 'stop' | 'start' | 'flushread' | 'flushwrite'): void;
  /** The terminal's state changed (its reader took input, output restarted). */
  changed?(): void;
}

/** Linux's makedev encoding (new_encode_dev), as st_rdev reports it. */
export const mkdev = (major: number, minor: number): number =>
  ((minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12)) >>> 0;

/** A character device's stat, with times fixed at creation. */
export function charDevStat(rdev: number, perm: number, ino: number, dev: number, uid = 0, gid = 0, when = Date.now()): Stat {
  const ts = { sec: Math.floor(when / 1000), nsec: (when % 1000) * 1e6 };
  return {
    dev, ino, mode: S_IFCHR | perm, nlink: 1, uid, gid, rdev, size: 0, blksize: 1024, blocks: 0,
    atime: ts, mtime: ts, ctime: ts,
  };
}

export class Tty implements JobTty {
  /** Requests of the device behind the tty (the console's VT ioctls: tty/vt.ts); undefined = not its request. */
  deviceIoctl?: (t: Task, req: number, arg: number) => number | Promise<number> | undefined;
  termios: Termios;
  readonly ldisc: LineDiscipline;
  winsize: Winsize = { rows: 24, cols: 80, xpixel: 0, ypixel: 0 };
  session = 0;
  pgrp = 0;
  /** The other side went away (pty master closed): reads give 0, writes and ioctls EIO. */
  hungUp = false;
  /** Host input ended without a hangup (console on a pipe): reads give 0 once drained. */
  inputEnded = false;
  /** TIOCEXCL. */
  exclusive = false;
  /** Woken on every change; blocked readers and writers wait here. */
  readonly event = new WaitQueue();
  /** Open descriptions, whose wait queues are woken for poll. */
  readonly files = new Set<File>();
  /** Told as descriptions open and close (the pty pair counts slave opens). */
  onOpen?: () => void;
  onClose?: () => void;
  /** Device input not yet taken by the discipline (its buffer was full). */
  private pending: number[] = [];
  private draining = false;

  constructor(
    readonly kernel: Kernel,
    /** Name for messages and /proc (tty1, pts/0). */
    readonly name: string,
    /** st_rdev of the terminal (TIOCGDEV). */
    readonly rdev: number,
    readonly driver: TtyDriver,
    termios: Termios = defaultTermios(),
  ) {
    this.termios = termios;
    this.ldisc = new LineDiscipline(termios, {
      output: (b) => this.driver.write(b),
      signal: (sig) => { killPgrp(this.kernel, this.pgrp, sig); },
      flushOutput: () => { this.driver.flushOutput(); this.driver.event?.('flushread'); this.driver.event?.('flushwrite'); },
      changed: () => this.notify(),
    });
  }

  /** Wake readers, writers and pollers; give queued device input another chance. */
  notify(): void {
    if (!this.draining && this.pending.length) {
      this.draining = true;
      const n = this.ldisc.receive(Uint8Array.from(this.pending));
      this.pending.splice(0, n);
      this.draining = false;
    }
    this.event.wake();
    for (const f of this.files) f.waitq.wake();
    this.driver.changed?.();
  }

  /** Input from hardware that cannot wait (the host console): queued when the buffer is full. */
  input(bytes: Uint8Array): void {
    if (this.hungUp) return;
    if (this.pending.length) {
      for (const b of bytes) this.pending.push(b);
      this.notify();
      return;
    }
    const n = this.ldisc.receive(bytes);
    for (let i = n; i < bytes.length; i++) this.pending.push(bytes[i]);
  }

  /** Input from a writer that can wait (the pty master): how many bytes were taken. */
  feed(bytes: Uint8Array): number {
    return this.ldisc.receive(bytes);
  }

  /** Host input ended: pending partial line becomes readable, then reads return 0. */
  endInput(): void {
    this.inputEnded = true;
    this.ldisc.pushPartial();
    this.notify();
  }

  /** The other side hung up: discard input, signal the session, fail further I/O. */
  hangup(): void {
    if (this.hungUp) return;
    this.hungUp = true;
    this.pending = [];
    this.ldisc.flushInput();
    hangupSession(this);
    this.notify();
  }

  // ---- read / write / poll ----

  async read(t: Task, file: File, buf: Uint8Array): Promise<number> {
    if (this.hungUp) return 0;
    const jc = checkBackground(t, this, SIGTTIN);
    if (jc) return jc;
    if (buf.length === 0) return 0;
    if (this.termios.lflag & ICANON) {
      for (;;) {
        if (this.ldisc.readable()) {
          const line = this.ldisc.readLine(buf.length);
          buf.set(line);
          return line.length;
        }
        if (this.hungUp || this.inputEnded) return 0;
        if (file.nonblock) return -EAGAIN;
        if (await waitAny([this.event], t.interrupt) === INTERRUPTED) return -ERESTARTSYS;
        if (!(this.termios.lflag & ICANON)) return this.read(t, file, buf);
      }
    }
    // termios(3) "MIN > 0, TIME > 0": TIME is an interbyte timer started by the first
    // byte; "MIN == 0, TIME > 0": TIME bounds the wait for the first byte.
    const min = this.termios.cc[VMIN];
    const time = this.termios.cc[VTIME] * 100;
    const minimum = Math.min(min || 1, buf.length);
    let timeout: number | undefined = min === 0 ? time : undefined;
    let got = 0;
    for (;;) {
      if (this.ldisc.readable()) {
        const chunk = this.ldisc.readRaw(buf.length - got);
        buf.set(chunk, got);
        got += chunk.length;
        if (got >= minimum) break;
        if (min > 0 && time > 0) timeout = time;
        continue;
      }
      if (this.hungUp || this.inputEnded) break;
      if (timeout === 0) break;
      if (file.nonblock) return got || -EAGAIN;
      const r = await waitAny([this.event], t.interrupt, timeout);
      if (r === INTERRUPTED) return got || -ERESTARTSYS;
      if (r === TIMEOUT) break;
    }
    return got;
  }

  async write(t: Task, file: File, data: Uint8Array): Promise<number> {
    if (this.hungUp) return -EIO;
    if (this.termios.lflag & TOSTOP) {
      const jc = checkBackground(t, this, SIGTTOU);
      if (jc) return jc;
    }
    let off = 0;
    while (off < data.length) {
      // Flow control (^S) and a full pty master buffer block writers.
      while (this.ldisc.stopped || this.driver.writeRoom() <= 0) {
        if (file.nonblock) return off || -EAGAIN;
        if (await waitAny([this.event], t.interrupt) === INTERRUPTED) return off || -ERESTARTSYS;
        if (this.hungUp) return off || -EIO;
      }
      const n = Math.min(data.length - off, this.driver.writeRoom());
      this.driver.write(this.ldisc.process(data.subarray(off, off + n)));
      off += n;
    }
    return off;
  }

  poll(): number {
    if (this.hungUp) return POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLERR | POLLHUP;
    let m = 0;
    const tio = this.termios;
    if (tio.lflag & ICANON) {
      if (this.ldisc.readable()) m |= POLLIN | POLLRDNORM;
    } else {
      // n_tty reports readability only once MIN bytes are there when TIME is 0.
      const need = tio.cc[VTIME] === 0 && tio.cc[VMIN] > 0 ? tio.cc[VMIN] : 1;
      if (this.ldisc.inq() >= need) m |= POLLIN | POLLRDNORM;
    }
    if (this.inputEnded) m |= POLLIN | POLLRDNORM;
    if (!this.ldisc.stopped && this.driver.writeRoom() > 0) m |= POLLOUT | POLLWRNORM;
    return m;
  }

  // ---- ioctl ----

  setTermios(next: Termios): void {
    const wasStopped = this.ldisc.stopped;
    this.termios = next;
    this.ldisc.setTermios(next);
    if (wasStopped && !this.ldisc.stopped) this.driver.event?.('start');
  }

  setWinsize(ws: Winsize): void {
    const w = this.winsize;
    if (w.rows === ws.rows && w.cols === ws.cols && w.xpixel === ws.xpixel && w.ypixel === ws.ypixel) return;
    this.winsize = { ...ws };
    killPgrp(this.kernel, this.pgrp, SIGWINCH);
  }

  private flush(sel: number): number {
    if (sel !== TCIFLUSH && sel !== TCOFLUSH && sel !== TCIOFLUSH) return -EINVAL;
    if (sel !== TCOFLUSH) {
      this.pending = [];
      this.ldisc.flushInput();
      this.driver.event?.('flushread');
    }
    if (sel !== TCIFLUSH) {
      this.driver.flushOutput();
      this.driver.event?.('flushwrite');
    }
    this.notify();
    return 0;
  }

  private flow(t: Task, action: number): number {
    switch (action) {
      case TCOOFF:
        this.ldisc.stop();
        this.driver.event?.('stop');
        return 0;
      case TCOON:
        this.ldisc.start();
        this.driver.event?.('start');
        return 0;
      case TCIOFF:
      case TCION: {
        const c = this.termios.cc[action === TCIOFF ? VSTOP : VSTART];
        if (c !== VDISABLE) this.driver.write(Uint8Array.of(c));
        return 0;
      }
      default:
        void t;
        return -EINVAL;
    }
  }

  /**
   * tty_ioctl(4). `viaMaster`: the request came through the pty master, which may look
   * at the slave's group and session without it being the caller's terminal.
   */
  ioctl(t: Task, file: File, req: number, arg: number, viaMaster = false): number | Promise<number> {
    req >>>= 0;
    if (this.hungUp && !viaMaster) return req === io.TIOCSPGRP ? -ENOTTY : -EIO;
    const set = io.SET_REQUESTS.get(req);
    if (set) {
      if (!viaMaster) {
        const jc = checkBackground(t, this, SIGTTOU);
        if (jc) return jc;
      }
      const size = set.kind === 'termios' ? TERMIOS_SIZE : set.kind === 'termios2' ? TERMIOS2_SIZE : TERMIO_SIZE;
      const dv = getStruct(t, arg, size);
      if (!dv) return -EFAULT;
      const next = set.kind === 'termio' ? applyTermio(this.termios, dv) : decodeTermios(dv, set.kind === 'termios2');
      // Pending output needs no draining: it reaches the device (or master buffer) at once.
      if (set.when === io.SET_FLUSH) this.flush(TCIFLUSH);
      this.setTermios(next);
      return 0;
    }
    switch (req) {
      case io.TCGETS:
      case io.TCGETS2:
        return putStruct(t, arg, req === io.TCGETS ? TERMIOS_SIZE : TERMIOS2_SIZE,
          (dv) => encodeTermios(this.termios, dv, req === io.TCGETS2)) ? 0 : -EFAULT;
      case io.TCGETA:
        return putStruct(t, arg, TERMIO_SIZE, (dv) => encodeTermio(this.termios, dv)) ? 0 : -EFAULT;
      case io.TCSBRK:
      case io.TCSBRKP:
      case io.TIOCSBRK:
      case io.TIOCCBRK:
        return 0;
      case io.TCXONC: {
        const jc = viaMaster ? 0 : checkBackground(t, this, SIGTTOU);
        return jc || this.flow(t, arg);
      }
      case io.TCFLSH: {
        const jc = viaMaster ? 0 : checkBackground(t, this, SIGTTOU);
        return jc || this.flush(arg);
      }
      case io.TIOCGWINSZ:
        return putStruct(t, arg, WINSIZE_SIZE, (dv) => {
          dv.setUint16(0, this.winsize.rows, true);
          dv.setUint16(2, this.winsize.cols, true);
          dv.setUint16(4, this.winsize.xpixel, true);
          dv.setUint16(6, this.winsize.ypixel, true);
        }) ? 0 : -EFAULT;
      case io.TIOCSWINSZ: {
        const dv = getStruct(t, arg, WINSIZE_SIZE);
        if (!dv) return -EFAULT;
        this.setWinsize({ rows: dv.getUint16(0, true), cols: dv.getUint16(2, true), xpixel: dv.getUint16(4, true), ypixel: dv.getUint16(6, true) });
        return 0;
      }
      case io.FIONREAD:
        return putU32(t, arg, this.ldisc.inq()) ? 0 : -EFAULT;
      case io.TIOCOUTQ:
        return putU32(t, arg, this.driver.outq()) ? 0 : -EFAULT;
      case io.TIOCSTI: {
        // Faking input is for the terminal's own session, or root (tty_ioctl(4)).
        if (cttyOf(t.proc) !== this && t.proc.creds.euid !== 0) return -EPERM;
        const b = t.mem.readBytes(arg >>> 0, 1);
        if (!b) return -EFAULT;
        this.input(b);
        return 0;
      }
      case io.TIOCEXCL: this.exclusive = true; return 0;
      case io.TIOCNXCL: this.exclusive = false; return 0;
      case io.TIOCGEXCL: return putU32(t, arg, this.exclusive ? 1 : 0) ? 0 : -EFAULT;
      case io.TIOCGETD: return putU32(t, arg, 0) ? 0 : -EFAULT; // N_TTY
      case io.TIOCSETD: {
        const d = getI32(t, arg);
        return d === null ? -EFAULT : d === 0 ? 0 : -EINVAL;
      }
      case io.TIOCGDEV: return putU32(t, arg, this.rdev) ? 0 : -EFAULT;
      case io.FIONBIO: {
        const on = getI32(t, arg);
        if (on === null) return -EFAULT;
        file.flags = on ? file.flags | O_NONBLOCK : file.flags & ~O_NONBLOCK;
        return 0;
      }
      case io.TIOCSCTTY: return this.tiocsctty(t, arg);
      case io.TIOCNOTTY:
        if (cttyOf(t.proc) !== this) return -ENOTTY;
        disassociateCtty(t.proc, false);
        return 0;
      case io.TIOCGPGRP:
        if (!viaMaster && cttyOf(t.proc) !== this) return -ENOTTY;
        return putU32(t, arg, this.pgrp) ? 0 : -EFAULT;
      case io.TIOCSPGRP: return this.tiocspgrp(t, arg);
      case io.TIOCGSID:
        if (!viaMaster && cttyOf(t.proc) !== this) return -ENOTTY;
        if (!this.session) return -ENOTTY;
        return putU32(t, arg, this.session) ? 0 : -EFAULT;
      default:
        return this.deviceIoctl?.(t, req, arg) ?? -ENOTTY;
    }
  }

  /** TIOCSCTTY: a session leader without a terminal takes this one (arg 1 + root: steal it). */
  private tiocsctty(t: Task, arg: number): number {
    const p = t.proc;
    if (p.pid === p.sid && this.session === p.sid) return 0;
    if (p.pid !== p.sid || cttyOf(p)) return -EPERM;
    if (this.session) {
      if (arg !== 1 || p.creds.euid !== 0) return -EPERM;
      clearSession(this);
    }
    setCtty(p, this);
    return 0;
  }

  /** TIOCSPGRP: only for the caller's own terminal, to a group of the same session. */
  private tiocspgrp(t: Task, arg: number): number {
    const jc = checkBackground(t, this, SIGTTOU);
    if (jc === -EIO) return -ENOTTY;
    if (jc) return jc;
    const p = t.proc;
    if (cttyOf(p) !== this || this.session !== p.sid) return -ENOTTY;
    const pg = getI32(t, arg);
    if (pg === null) return -EFAULT;
    if (pg < 0) return -EINVAL;
    let found = false;
    for (const q of this.kernel.processes.values()) {
      if (q.pgid !== pg || q.zombie) continue;
      found = true;
      if (q.sid !== p.sid) return -EPERM;
    }
    if (!found) return -ESRCH;
    this.pgrp = pg;
    return 0;
  }

  /** A new open description; `stat` is what fstat reports (the device node opened). */
  open(flags: number, path: string, stat: () => Stat | Promise<Stat>): TtyFile {
    const f = new TtyFile(this, flags, path, stat);
    this.onOpen?.();
    return f;
  }

  /** A snapshot of the settings (for tests and hosts). */
  getTermios(): Termios { return cloneTermios(this.termios); }
}

/** An open description of a terminal (slave side or console). */
export class TtyFile extends File {
  constructor(
    readonly tty: Tty,
    flags: number,
    path: string,
    private readonly statFn: () => Stat | Promise<Stat>,
  ) {
    super(flags, path);
    tty.files.add(this);
  }
  override read(t: Task, buf: Uint8Array): Promise<number> { return this.tty.read(t, this, buf); }
  override write(t: Task, data: Uint8Array): Promise<number> { return this.tty.write(t, this, data); }
  override poll(): number { return this.tty.poll(); }
  override ioctl(t: Task, req: number, arg: number): number | Promise<number> { return this.tty.ioctl(t, this, req, arg); }
  override stat(): Stat | Promise<Stat> { return this.statFn(); }
  override release(): void {
    this.tty.files.delete(this);
    this.tty.onClose?.();
  }
}

