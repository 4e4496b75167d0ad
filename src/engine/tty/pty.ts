/**
 * Pseudoterminals (pty(7)): a master description from /dev/ptmx and a slave Tty at
 * /dev/pts/N. The slave's processed output is what the master reads; what the master
 * writes is the slave's input, through the slave's line discipline.
 *
 * Observed on this machine and reproduced here: a fresh master (slave never opened)
 * blocks on read; after the last slave close the master reads the remaining output, then
 * EIO, and polls POLLHUP|POLLOUT (+POLLIN while output remains); after the master closes
 * the slave reads 0, writes and ioctls fail with EIO, and polls IN|OUT|ERR|HUP; a locked
 * slave (before unlockpt) fails to open with EIO; packet mode prefixes data with 0 and
 * reports a flush as the single byte TIOCPKT_FLUSHREAD.
 */
import { File, unref, O_ACCMODE, O_CLOEXEC, O_RDWR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, type Stat } from '../fs/types.js';
import type { Kernel } from '../linux/kernel.js';
import type { Task } from '../linux/task.js';
import { WaitQueue, waitAny, INTERRUPTED } from '../wait/queue.js';
import { EAGAIN, EBUSY, EFAULT, EINVAL, EIO, EMFILE, ERESTARTSYS } from '../linux/errno.js';
import { getI32, putU32 } from '../linux/uaccess.js';
import { Tty, charDevStat, mkdev } from './tty.js';
import { killPgrp, maybeAcquireCtty } from './jobctl.js';
import * as io from './ioctls.js';

/** Unix98 pty slaves are char devices 136:N (Documentation/admin-guide/devices.txt). */
export const PTS_MAJOR = 136;
/** Slave output the master has not read yet, beyond which slave writers block. */
export const MASTER_BUF = 16384;
/** Debian mounts devpts with gid=5 (tty), mode=620. */
export const TTY_GID = 5;

export class PtyPair {
  locked = true;
  masterOpen = true;
  slaveOpens = 0;
  slaveEverOpened = false;
  packet = false;
  /** Pending TIOCPKT_* status bits for a packet-mode read. */
  pktStatus = 0;
  /** Slave output waiting for the master. */
  private buf: number[] = [];
  private bufOff = 0;
  readonly slave: Tty;
  /** Woken when the master can read or write more. */
  readonly masterEvent = new WaitQueue();
  master: PtyMasterFile | null = null;
  mode = 0o620;
  uid: number;
  gid = TTY_GID;
  readonly created = Date.now();

  constructor(readonly kernel: Kernel, readonly index: number, private readonly fsDev: number, uid: number,
    private readonly onFree: (p: PtyPair) => void) {
    this.uid = uid;
    this.slave = new Tty(kernel, `pts/${index}`, mkdev(PTS_MAJOR, index), {
      write: (b) => {
        for (const x of b) this.buf.push(x);
        this.wakeMaster();
      },
      writeRoom: () => (this.masterOpen ? MASTER_BUF - this.pending() : Infinity),
      flushOutput: () => { this.buf = []; this.bufOff = 0; this.wakeMaster(); },
      outq: () => 0,
      event: (what) => {
        if (!this.packet) return;
        if (what === 'flushread') this.pktStatus |= io.TIOCPKT_FLUSHREAD;
        else if (what === 'flushwrite') this.pktStatus |= io.TIOCPKT_FLUSHWRITE;
        else if (what === 'stop') this.pktStatus = (this.pktStatus & ~io.TIOCPKT_START) | io.TIOCPKT_STOP;
        else this.pktStatus = (this.pktStatus & ~io.TIOCPKT_STOP) | io.TIOCPKT_START;
        this.wakeMaster();
      },
      changed: () => this.wakeMaster(),
    });
    this.slave.onOpen = () => {
      this.slaveOpens++;
      this.slaveEverOpened = true;
      this.wakeMaster();
    };
    this.slave.onClose = () => {
      if (--this.slaveOpens === 0) this.wakeMaster();
    };
  }

  pending(): number { return this.buf.length - this.bufOff; }

  take(n: number): number[] {
    const out = this.buf.slice(this.bufOff, this.bufOff + n);
    this.bufOff += out.length;
    if (this.bufOff === this.buf.length) { this.buf = []; this.bufOff = 0; }
    // The slave's writers may be waiting for room.
    this.slave.event.wake();
    for (const f of this.slave.files) f.waitq.wake();
    return out;
  }

  wakeMaster(): void {
    this.masterEvent.wake();
    this.master?.waitq.wake();
  }

  /** All slave descriptions are closed (after at least one was opened). */
  get slaveClosed(): boolean { return this.slaveEverOpened && this.slaveOpens === 0; }

  /** st of /dev/pts/N, shared by the devpts inode and open slave descriptions. */
  slaveStat(): Stat {
    return charDevStat(mkdev(PTS_MAJOR, this.index), this.mode, this.index + 3, this.fsDev, this.uid, this.gid, this.created);
  }

  /** open(2) of /dev/pts/N (or TIOCGPTPEER). */
  openSlave(flags: number, path: string, t?: Task): File | number {
    if (!this.masterOpen || this.locked) return -EIO;
    if (this.slave.exclusive && t && t.proc.creds.euid !== 0) return -EBUSY;
    const f = this.slave.open(flags, path, () => this.slaveStat());
    if (t) maybeAcquireCtty(t, this.slave, flags);
    return f;
  }

  closeMaster(): void {
    this.masterOpen = false;
    this.master = null;
    this.slave.hangup();
    this.onFree(this);
  }
}

/** The master side: reads slave output, writes slave input, ioctls mostly reach the slave. */
export class PtyMasterFile extends File {
  constructor(readonly pair: PtyPair, flags: number, path: string, private readonly statFn: () => Stat | Promise<Stat>) {
    super(flags, path);
    pair.master = this;
  }

  override async read(t: Task, buf: Uint8Array): Promise<number> {
    const p = this.pair;
    if (buf.length === 0) return 0;
    for (;;) {
      if (p.packet && p.pktStatus) {
        buf[0] = p.pktStatus;
        p.pktStatus = 0;
        return 1;
      }
      if (p.pending()) {
        const hdr = p.packet ? 1 : 0;
        if (hdr) buf[0] = io.TIOCPKT_DATA;
        const data = p.take(buf.length - hdr);
        buf.set(data, hdr);
        return data.length + hdr;
      }
      if (p.slaveClosed) return -EIO;
      if (this.nonblock) return -EAGAIN;
      if (await waitAny([p.masterEvent], t.interrupt) === INTERRUPTED) return -ERESTARTSYS;
    }
  }

  override async write(t: Task, data: Uint8Array): Promise<number> {
    const p = this.pair;
    let off = 0;
    while (off < data.length) {
      // Nobody will read the slave's input any more: accept and drop it, as Linux does.
      if (p.slaveClosed) return data.length;
      const n = p.slave.feed(data.subarray(off));
      off += n;
      if (n > 0) continue;
      if (this.nonblock) return off || -EAGAIN;
      if (await waitAny([p.masterEvent], t.interrupt) === INTERRUPTED) return off || -ERESTARTSYS;
    }
    return off;
  }

  override poll(): number {
    const p = this.pair;
    let m = 0;
    if (p.pending() || (p.packet && p.pktStatus)) m |= POLLIN | POLLRDNORM;
    if (p.slaveClosed) return m | POLLOUT | POLLWRNORM | POLLHUP;
    if (p.slave.ldisc.room() > 0) m |= POLLOUT | POLLWRNORM;
    return m;
  }

  override ioctl(t: Task, req: number, arg: number): number | Promise<number> {
    const p = this.pair;
    switch (req >>> 0) {
      case io.TIOCGPTN: return putU32(t, arg, p.index) ? 0 : -EFAULT;
      case io.TIOCSPTLCK: {
        const v = getI32(t, arg);
        if (v === null) return -EFAULT;
        p.locked = v !== 0;
        return 0;
      }
      case io.TIOCGPTLCK: return putU32(t, arg, p.locked ? 1 : 0) ? 0 : -EFAULT;
      case io.TIOCPKT: {
        const v = getI32(t, arg);
        if (v === null) return -EFAULT;
        p.packet = v !== 0;
        p.pktStatus = 0;
        return 0;
      }
      case io.TIOCGPKT: return putU32(t, arg, p.packet ? 1 : 0) ? 0 : -EFAULT;
      case io.TIOCSIG:
        // The signal number is the argument itself, not a pointer.
        if (arg <= 0 || arg > 64) return -EINVAL;
        killPgrp(p.kernel, p.slave.pgrp, arg);
        return 0;
      case io.TIOCGPTPEER: {
        // glibc's openpty(3) opens the slave this way; arg holds the open flags.
        const flags = (arg & ~O_ACCMODE) | ((arg & O_ACCMODE) || O_RDWR);
        const f = p.openSlave(flags, `/dev/pts/${p.index}`, t);
        if (typeof f === 'number') return f;
        const fd = t.proc.files.alloc(f, 0, (arg & O_CLOEXEC) !== 0);
        if (fd < 0) { f.refs++; unref(f); return -EMFILE; }
        return fd;
      }
      case io.FIONREAD: return putU32(t, arg, p.pending()) ? 0 : -EFAULT;
      case io.TIOCOUTQ: return putU32(t, arg, p.slave.ldisc.inq()) ? 0 : -EFAULT;
      default:
        return p.slave.ioctl(t, this, req, arg, true);
    }
  }

  override stat(): Stat | Promise<Stat> { return this.statFn(); }

  override release(): void {
    this.pair.closeMaster();
  }
}
