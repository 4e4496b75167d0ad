/**
 * AF_UNIX sockets (unix(7)): SOCK_STREAM, SOCK_DGRAM and SOCK_SEQPACKET, as open file
 * descriptions. The system-call layer (syscalls/socket.ts) decodes guest structures;
 * this module keeps the queues, the connection state and the name registry.
 *
 * Model. Each socket has a receive queue of messages. A sender appends to its peer's
 * queue (the connected peer, or for datagrams the socket named by the address); a message
 * carries its bytes, the sender's address (datagrams), passed descriptions (SCM_RIGHTS,
 * each holding a reference until received or dropped) and the sender's credentials. The
 * queue is bounded by the receiver's byte limit (its SO_RCVBUF); Linux charges the
 * sender's SO_SNDBUF with the sk_buff truesize instead, so exact fill points differ from
 * the kernel's (documented deviation; no test depends on them).
 *
 * Names. Pathname sockets: bind() creates an S_IFSOCK inode through the VFS (as mknod
 * would; an existing name gives EADDRINUSE) and registers the socket under the inode's
 * (st_dev, st_ino); connect() resolves the path, checks write permission and looks the
 * pair up. Removing the name (unlink) does not unbind, exactly as on Linux, and an entry
 * is dropped when the socket is released. Abstract names (sun_path[0] == NUL) live in a
 * map keyed by their bytes. The registry is per Kernel, like a network namespace.
 *
 * Wake-ups: any change to a socket's queue or state wakes that socket's waitq and its
 * peer's, so poll(), blocked readers and blocked writers recheck.
 */
import type { Task } from '../task.js';
import type { Kernel } from '../kernel.js';
import { File, O_NONBLOCK, O_RDWR, POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDHUP, POLLRDNORM, POLLWRBAND, POLLWRNORM, S_IFSOCK, type Stat, unref } from '../../fs/types.js';
import { allocAnonDev, nowTimespec } from '../../fs/tmpfs.js';
import {
  EAGAIN, EFAULT, ECONNREFUSED, ECONNRESET, EINVAL, EISCONN, EMSGSIZE, ENOTCONN, ENOTTY, EOPNOTSUPP, EPERM, EPIPE, EPROTOTYPE, ERESTARTSYS,
} from '../errno.js';
import { INTERRUPTED, waitAny } from '../wait.js';
import { putU32 } from '../uaccess.js';
import { ifIoctl } from './ifreq.js';

export const AF_UNIX = 1, AF_INET = 2, AF_INET6 = 10;
export const SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_SEQPACKET = 5;
export const MSG_OOB = 0x1, MSG_PEEK = 0x2, MSG_CTRUNC = 0x8, MSG_TRUNC = 0x20, MSG_DONTWAIT = 0x40, MSG_EOR = 0x80;
export const MSG_WAITALL = 0x100, MSG_NOSIGNAL = 0x4000, MSG_CMSG_CLOEXEC = 0x40000000;
/** sk_shutdown bits (RCV_SHUTDOWN, SEND_SHUTDOWN in include/net/sock.h). */
export const RCV_SHUTDOWN = 1, SEND_SHUTDOWN = 2;
/** net.core.wmem_default / rmem_default on a stock kernel. */
export const DEFAULT_BUF = 212992;
const FIONREAD = 0x541b, SIOCOUTQ = 0x5411;
const SIGPIPE = 13;
/** The sk_buff overhead Linux adds to every datagram it charges (measured ~ 768 bytes truesize); used for EMSGSIZE only. */
const UNIX_MAX_DGRAM = DEFAULT_BUF - 32;

const sockDev = allocAnonDev();
let nextIno = 1;

export interface Ucred { pid: number; uid: number; gid: number }

/** A socket name as given to bind: the sun_path bytes (abstract names start with NUL). */
export type UnixName = Uint8Array;

interface Msg {
  data: Uint8Array;
  /** Bytes already read (stream sockets read messages in parts). */
  off: number;
  from: UnixName | null;
  rights: File[] | null;
  cred: Ucred;
}

/** Per-kernel name registry (see the module comment). */
export class UnixRegistry {
  readonly byInode = new Map<string, UnixSocket>();
  readonly abstract = new Map<string, UnixSocket>();
  private autobindNext = 0;

  static key(dev: number, ino: number): string { return `${dev}:${ino}`; }
  static abstractKey(name: UnixName): string { return String.fromCharCode(...name); }

  /** An unused autobind name: NUL and five hex digits (unix(7) "Autobind feature"). */
  autobindName(): UnixName {
    for (;;) {
      const s = '\0' + (this.autobindNext++ & 0xfffff).toString(16).padStart(5, '0');
      if (!this.abstract.has(s)) return Uint8Array.from(s, (c) => c.charCodeAt(0));
    }
  }
}

const registries = new WeakMap<Kernel, UnixRegistry>();
export function registryOf(k: Kernel): UnixRegistry {
  let r = registries.get(k);
  if (!r) registries.set(k, r = new UnixRegistry());
  return r;
}

export type SockState = 'unconnected' | 'listening' | 'connected';

export class UnixSocket extends File {
  readonly type: number;
  readonly registry: UnixRegistry;
  readonly ino = nextIno++;
  readonly ctime = nowTimespec();
  state: SockState = 'unconnected';
  peer: UnixSocket | null = null;
  name: UnixName | null = null;
  /** Registry key this socket is bound under, removed at release. */
  private boundKey: { abstract: boolean; key: string } | null = null;
  shutdown = 0;
  /** Pending error (sk_err) reported once by SO_ERROR or the next receive. */
  error = 0;
  released = false;
  readonly queue: Msg[] = [];
  queued = 0;
  /** Connections waiting for accept() (listening sockets). */
  readonly backlog: UnixSocket[] = [];
  maxBacklog = 0;
  sndbuf = DEFAULT_BUF;
  rcvbuf = DEFAULT_BUF;
  passcred = false;
  reuseaddr = false;
  /** SO_PEERCRED: the peer's credentials when the connection was made. */
  peercred: Ucred | null = null;
  /** Credentials of the listener at listen() time (given to connecting clients). */
  listenCred: Ucred | null = null;

  constructor(registry: UnixRegistry, type: number, nonblock: boolean) {
    super(O_RDWR | (nonblock ? O_NONBLOCK : 0), '');
    this.registry = registry;
    this.type = type;
    this.path = `socket:[${this.ino}]`;
  }

  get connectionBased(): boolean { return this.type !== SOCK_DGRAM; }

  wake(): void {
    this.waitq.wake();
    this.peer?.waitq.wake();
  }

  bindName(name: UnixName, key: string, abstract: boolean): void {
    this.name = name;
    this.boundKey = { abstract, key };
    (abstract ? this.registry.abstract : this.registry.byInode).set(key, this);
  }

  stat(): Stat {
    return {
      dev: sockDev, ino: this.ino, mode: S_IFSOCK | 0o777, nlink: 1, uid: 0, gid: 0, rdev: 0,
      size: 0, blksize: 4096, blocks: 0, atime: this.ctime, mtime: this.ctime, ctime: this.ctime,
    };
  }

  /** Room in this socket's receive queue for n more bytes. */
  hasRoom(n: number): boolean {
    return this.queued === 0 || this.queued + n <= this.rcvbuf;
  }

  poll(): number {
    let m = 0;
    if (this.error) m |= POLLERR;
    if (this.shutdown & RCV_SHUTDOWN) m |= POLLRDHUP | POLLIN | POLLRDNORM;
    if (this.shutdown === (RCV_SHUTDOWN | SEND_SHUTDOWN)) m |= POLLHUP;
    if (this.queue.length || this.backlog.length) m |= POLLIN | POLLRDNORM;
    if (this.connectionBased) {
      if (this.state === 'unconnected') m |= POLLHUP;
      if (this.state !== 'listening' && (!this.peer || this.peer.hasRoom(1))) m |= POLLOUT | POLLWRNORM | POLLWRBAND;
    } else {
      const other = this.peer;
      if (!other || other.peer === this || other.peer === null || other.hasRoom(1)) m |= POLLOUT | POLLWRNORM | POLLWRBAND;
      if (other && !other.hasRoom(1)) m &= ~(POLLOUT | POLLWRNORM | POLLWRBAND);
    }
    return m;
  }

  ioctl(t: Task, req: number, arg: number): number {
    if (req === FIONREAD) {
      if (this.state === 'listening') return -EINVAL;
      const n = this.type === SOCK_STREAM ? this.queued : (this.queue[0] ? this.queue[0].data.length : 0);
      return putU32(t, arg, n) ? 0 : -EFAULT;
    }
    if (req === SIOCOUTQ) {
      return putU32(t, arg, this.peer && this.connectionBased ? this.peer.queued : 0) ? 0 : -EFAULT;
    }
    return ifIoctl(t, t.kernel.net.interfaces(), req, arg);
  }

  read(t: Task, buf: Uint8Array): number | Promise<number> {
    const r = this.recv(t, buf.length, 0);
    const done = (v: RecvResult | number): number => {
      if (typeof v === 'number') return v;
      buf.set(v.data.subarray(0, Math.min(v.data.length, buf.length)));
      dropRights(v.rights);
      return v.data.length;
    };
    return r instanceof Promise ? r.then(done) : done(r);
  }

  write(t: Task, data: Uint8Array): number | Promise<number> {
    return this.send(t, data, 0, null, null, null);
  }

  // ---- sending ----

  /**
   * Send `data` to the connected peer or, for datagrams, to `to` when given. Returns bytes
   * sent or -errno (EPIPE raises SIGPIPE unless MSG_NOSIGNAL). `rights` are references the
   * caller took; they are dropped here on failure.
   */
  send(t: Task, data: Uint8Array, flags: number, to: UnixSocket | null, rights: File[] | null, cred: Ucred | null): number | Promise<number> {
    const r = this.sendTry(t, data, flags, to, rights, cred, 0);
    if (typeof r === 'number' && r !== -EAGAIN && !(r >= 0 && r < data.length && this.type === SOCK_STREAM)) {
      if (r < 0) dropRights(rights);
      return r;
    }
    const done = typeof r === 'number' && r > 0 ? r : 0;
    if (this.nonblock || flags & MSG_DONTWAIT) {
      if (done === 0) dropRights(rights);
      return done > 0 ? done : -EAGAIN;
    }
    return this.sendSlow(t, data, flags, to, done > 0 ? null : rights, cred, done);
  }

  private async sendSlow(t: Task, data: Uint8Array, flags: number, to: UnixSocket | null, rights: File[] | null, cred: Ucred | null, done: number): Promise<number> {
    for (;;) {
      const target = this.connectionBased ? this.peer : (to ?? this.peer);
      const qs = [this.waitq];
      if (target) qs.push(target.waitq);
      if ((await waitAny(qs, t.interrupt)) === INTERRUPTED) {
        if (done === 0) dropRights(rights);
        return done > 0 ? done : -ERESTARTSYS;
      }
      const r = this.sendTry(t, data, flags, to, done > 0 ? null : rights, cred, done);
      if (r === -EAGAIN) continue;
      if (r < 0) {
        if (done === 0) dropRights(rights);
        return done > 0 ? done : r;
      }
      if (r === data.length || this.type !== SOCK_STREAM) return r;
      done = r;
    }
  }

  private pipeError(t: Task, flags: number): number {
    if (!(flags & MSG_NOSIGNAL)) t.kernel.signalTask(t, { signo: SIGPIPE, code: 0, pid: t.proc.pid, uid: t.proc.creds.uid });
    return -EPIPE;
  }

  /** One attempt: the new count of bytes sent (stream), the length (others), -EAGAIN or -errno. */
  private sendTry(t: Task, data: Uint8Array, flags: number, to: UnixSocket | null, rights: File[] | null, cred: Ucred | null, done: number): number {
    const c = cred ?? credOf(t);
    if (flags & MSG_OOB) return -EOPNOTSUPP;
    if (this.type === SOCK_STREAM) {
      if (this.error) { const e = this.error; this.error = 0; return done > 0 ? done : -e; }
      if (this.state !== 'connected' || !this.peer) return to ? -EOPNOTSUPP : -ENOTCONN;
      if (this.shutdown & SEND_SHUTDOWN) return done > 0 ? done : this.pipeError(t, flags);
      const p = this.peer;
      if (p.released || p.shutdown & RCV_SHUTDOWN) return done > 0 ? done : this.pipeError(t, flags);
      if (data.length === 0) return 0;
      if (!p.hasRoom(1)) return done > 0 ? done : -EAGAIN;
      const room = p.queued === 0 ? Math.max(p.rcvbuf, 1) : p.rcvbuf - p.queued;
      const n = Math.min(data.length - done, room);
      p.enqueue({ data: data.slice(done, done + n), off: 0, from: this.name, rights: done === 0 ? rights : null, cred: c });
      return done + n;
    }
    // Datagrams and sequenced packets: one message, whole or not at all.
    if (this.type === SOCK_SEQPACKET) {
      if (this.error) { const e = this.error; this.error = 0; return -e; }
      if (this.state !== 'connected') return -ENOTCONN;
    }
    let target = this.type === SOCK_SEQPACKET ? this.peer : (to ?? this.peer);
    if (!target) return to === null && this.type === SOCK_DGRAM ? -ENOTCONN : -EPIPE;
    if (data.length > Math.min(this.sndbuf, UNIX_MAX_DGRAM)) return -EMSGSIZE;
    if (target.released) {
      if (this.type === SOCK_SEQPACKET) return this.pipeError(t, flags);
      if (target === this.peer) this.peer = null;
      return -ECONNREFUSED;
    }
    if (this.type === SOCK_SEQPACKET && (this.shutdown & SEND_SHUTDOWN || target.shutdown & RCV_SHUTDOWN)) return this.pipeError(t, flags);
    if (this.type === SOCK_DGRAM) {
      if (target.peer && target.peer !== this) return -EPERM;
      if (target.shutdown & RCV_SHUTDOWN || this.shutdown & SEND_SHUTDOWN) return this.pipeError(t, flags);
    }
    if (!target.hasRoom(data.length)) return -EAGAIN;
    target.enqueue({ data: data.slice(), off: 0, from: this.name, rights, cred: c });
    return data.length;
  }

  enqueue(m: Msg): void {
    this.queue.push(m);
    this.queued += m.data.length;
    this.wake();
  }

  // ---- receiving ----

  /** Receive up to `len` bytes. The result's data may be shorter than `len` only. */
  recv(t: Task, len: number, flags: number): RecvResult | number | Promise<RecvResult | number> {
    const r = this.recvTry(len, flags, null);
    if (r !== -EAGAIN && !(typeof r !== 'number' && r.more)) return r;
    if (this.nonblock || flags & MSG_DONTWAIT) return r;
    return this.recvSlow(t, len, flags, typeof r === 'number' ? null : r);
  }

  private async recvSlow(t: Task, len: number, flags: number, partial: RecvResult | null): Promise<RecvResult | number> {
    for (;;) {
      if ((await waitAny([this.waitq], t.interrupt)) === INTERRUPTED) return partial && partial.data.length ? partial : -ERESTARTSYS;
      const r = this.recvTry(len, flags, partial);
      if (r === -EAGAIN) continue;
      if (typeof r === 'number' || !r.more) return r;
      partial = r;
    }
  }

  /**
   * One attempt. Streams gather bytes across messages (stopping after one that carries
   * descriptors, and, with SO_PASSCRED, between writers: unix_stream_read_generic), and
   * with MSG_WAITALL report `more` until `len` bytes came. -EAGAIN: nothing yet.
   */
  private recvTry(len: number, flags: number, partial: RecvResult | null): RecvResult | number {
    if (flags & MSG_OOB) return -EOPNOTSUPP;
    if (this.type === SOCK_STREAM) {
      if (this.state !== 'connected') return -EINVAL;
      const out = partial ?? { data: new Uint8Array(0), full: 0, from: null, rights: null, cred: null, more: false };
      const chunks: Uint8Array[] = [out.data];
      let got = out.data.length;
      let stop = false;
      let qi = 0;
      while (got < len && !stop && qi < this.queue.length) {
        const m = this.queue[qi];
        if (out.cred && this.passcred && !sameCred(out.cred, m.cred)) break;
        const take = Math.min(len - got, m.data.length - m.off);
        chunks.push(m.data.subarray(m.off, m.off + take));
        got += take;
        if (!out.cred) out.cred = m.cred;
        if (m.rights) {
          if (!(flags & MSG_PEEK)) { out.rights = m.rights; m.rights = null; } else out.rights = m.rights.slice();
          if (flags & MSG_PEEK) for (const f of out.rights) f.refs++;
          stop = true;
        }
        if (flags & MSG_PEEK) {
          qi++;
        } else {
          m.off += take;
          this.queued -= take;
          if (m.off === m.data.length) this.queue.shift();
        }
      }
      if (got > out.data.length) {
        out.data = concat(chunks, got);
        if (!(flags & MSG_PEEK)) this.wake();
      }
      out.full = out.data.length;
      const waitall = flags & MSG_WAITALL && !(flags & MSG_PEEK) && !stop;
      if (out.data.length >= len || (out.data.length > 0 && !waitall) || stop) return { ...out, more: false };
      if (this.error) { const e = this.error; this.error = 0; return out.data.length ? { ...out, more: false } : -e; }
      if (this.shutdown & RCV_SHUTDOWN) return { ...out, more: false };
      if (out.data.length === 0) return -EAGAIN;
      return { ...out, more: true };
    }
    if (this.type === SOCK_SEQPACKET && this.state !== 'connected') return this.state === 'listening' ? -EINVAL : -ENOTCONN;
    const m = this.queue[0];
    if (!m) {
      if (this.error) { const e = this.error; this.error = 0; return -e; }
      if (this.shutdown & RCV_SHUTDOWN) return { data: new Uint8Array(0), full: 0, from: null, rights: null, cred: null, more: false };
      return -EAGAIN;
    }
    const data = m.data.slice(0, Math.min(len, m.data.length));
    let rights = m.rights;
    if (flags & MSG_PEEK) {
      if (rights) { rights = rights.slice(); for (const f of rights) f.refs++; }
    } else {
      this.queue.shift();
      this.queued -= m.data.length;
      m.rights = null;
      this.wake();
    }
    return { data, full: m.data.length, from: m.from, rights, cred: m.cred, more: false };
  }

  // ---- connections ----

  /** Shut down per `how` (SHUT_RD 0, SHUT_WR 1, SHUT_RDWR 2); the peer sees the mirror. */
  shut(how: number): number {
    if (how < 0 || how > 2) return -EINVAL;
    const mode = (how + 1) & (RCV_SHUTDOWN | SEND_SHUTDOWN);
    this.shutdown |= mode;
    const p = this.peer;
    if (p && this.connectionBased) {
      let pm = 0;
      if (mode & RCV_SHUTDOWN) pm |= SEND_SHUTDOWN;
      if (mode & SEND_SHUTDOWN) pm |= RCV_SHUTDOWN;
      p.shutdown |= pm;
    }
    this.wake();
    return 0;
  }

  release(): void {
    this.released = true;
    if (this.boundKey) {
      const map = this.boundKey.abstract ? this.registry.abstract : this.registry.byInode;
      if (map.get(this.boundKey.key) === this) map.delete(this.boundKey.key);
    }
    const p = this.peer;
    if (p && this.connectionBased) {
      p.shutdown = RCV_SHUTDOWN | SEND_SHUTDOWN;
      // unix_release_sock: unread data at close resets the peer.
      if (this.queue.length && this.type === SOCK_STREAM) p.error = ECONNRESET;
      p.waitq.wake();
    } else if (p) {
      p.waitq.wake();
    }
    for (const m of this.queue) dropRights(m.rights);
    this.queue.length = 0;
    this.queued = 0;
    // Connections never accepted are closed too (their clients see a reset).
    for (const s of this.backlog.splice(0)) {
      if (s.peer) s.peer.error = ECONNRESET;
      s.release();
    }
    this.waitq.wake();
  }
}

export interface RecvResult {
  data: Uint8Array;
  /** Length of the whole datagram (MSG_TRUNC). */
  full: number;
  from: UnixName | null;
  rights: File[] | null;
  cred: Ucred | null;
  /** Internal: a MSG_WAITALL stream read that must go on. */
  more: boolean;
}

export function credOf(t: Task): Ucred {
  return { pid: t.proc.pid, uid: t.proc.creds.uid, gid: t.proc.creds.gid };
}
/** SO_PEERCRED records effective ids (init_peercred uses current_euid_egid). */
export function peerCredOf(t: Task): Ucred {
  return { pid: t.proc.pid, uid: t.proc.creds.euid, gid: t.proc.creds.egid };
}
const sameCred = (a: Ucred, b: Ucred): boolean => a.pid === b.pid && a.uid === b.uid && a.gid === b.gid;

export function dropRights(rights: File[] | null): void {
  if (rights) for (const f of rights) unref(f);
}

function concat(chunks: Uint8Array[], n: number): Uint8Array {
  const out = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) { out.set(c, o); o += c.length; }
  return out;
}

/** socketpair(2): two connected sockets. */
export function socketPair(t: Task, type: number, nonblock: boolean): [UnixSocket, UnixSocket] {
  const reg = registryOf(t.kernel);
  const a = new UnixSocket(reg, type, nonblock), b = new UnixSocket(reg, type, nonblock);
  a.peer = b; b.peer = a;
  a.state = b.state = 'connected';
  a.peercred = b.peercred = peerCredOf(t);
  return [a, b];
}

/**
 * Connect a stream or seqpacket socket to a listener: the server side is created at once
 * and queued for accept(), so connect completes without waiting for accept (as on
 * Linux). -EAGAIN: the backlog is full.
 */
export function connectTo(t: Task, s: UnixSocket, l: UnixSocket): number {
  if (l.type !== s.type) return -EPROTOTYPE;
  if (l.state !== 'listening' || l.released) return -ECONNREFUSED;
  if (l.shutdown & RCV_SHUTDOWN) return -ECONNREFUSED;
  if (l.backlog.length > l.maxBacklog) return -EAGAIN;
  const n = new UnixSocket(s.registry, s.type, false);
  n.state = 'connected';
  n.name = l.name;
  n.sndbuf = l.sndbuf; n.rcvbuf = l.rcvbuf; n.passcred = l.passcred;
  n.peer = s;
  n.peercred = peerCredOf(t);
  s.peer = n;
  s.state = 'connected';
  s.peercred = l.listenCred;
  l.backlog.push(n);
  l.waitq.wake();
  s.waitq.wake();
  return 0;
}

/** The result of a connect of a connected stream socket. */
export const alreadyConnected = (s: UnixSocket): number => (s.state === 'connected' ? -EISCONN : -EINVAL);
