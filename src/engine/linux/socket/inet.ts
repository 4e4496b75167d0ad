/**
 * AF_INET and AF_INET6 sockets (ip(7), ipv6(7), tcp(7), udp(7), icmp "ping" sockets) as
 * open file descriptions. The system-call layer (syscalls/socket.ts) decodes guest
 * structures; this module keeps the socket's state and options and owns blocking
 * (O_NONBLOCK, MSG_DONTWAIT, SO_RCVTIMEO/SO_SNDTIMEO, signals). The traffic itself is the
 * machine's NetStack (engine/net/stack.ts) — loopback inside the VM, or a backend.
 *
 * Address families: an AF_INET6 socket talks IPv4 through v4-mapped addresses
 * (::ffff:a.b.c.d, RFC 4291 §2.5.5.2) unless IPV6_V6ONLY; the stacks see plain IPv4 and
 * the guest sees mapped addresses back. Connecting to the unspecified address means the
 * loopback address, as on Linux (inet_hash_connect routes 0.0.0.0 to lo).
 */
import type { Task } from '../task.js';
import { File, O_NONBLOCK, O_RDWR, POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDHUP, POLLRDNORM, POLLWRNORM, S_IFSOCK, type Stat } from '../../fs/types.js';
import { allocAnonDev, nowTimespec } from '../../fs/tmpfs.js';
import {
  EADDRNOTAVAIL, EAFNOSUPPORT, EAGAIN, EALREADY, ECONNABORTED, EDESTADDRREQ, EFAULT, EINPROGRESS, EINTR, EINVAL, EISCONN, ENETUNREACH,
  EDOM, ENODEV, ENOENT, ENOPROTOOPT, ENOTCONN, ENOTTY, EOPNOTSUPP, EPERM, EPIPE, ERESTARTSYS,
} from '../errno.js';
import { INTERRUPTED, TIMEOUT, waitAny } from '../wait.js';
import { copyIn, copyOut, putU32 } from '../uaccess.js';
import { AF_INET, AF_INET6, anyAddr, isV4Mapped, isWildcard, loopbackAddr, v4Mapped } from '../../net/addr.js';
import type { RoutedStack } from '../../net/routed.js';
import { DGRAM_BUF, TCP_RCVBUF, TCP_SNDBUF } from '../../net/loopback.js';
import type { BoundPort, DatagramSocket, InetAddr, InetFamily, NetInterface, SockOpts, StreamConn, StreamListener } from '../../net/stack.js';
import { ifIoctl } from './ifreq.js';
import { MSG_DONTWAIT, MSG_NOSIGNAL, MSG_OOB, MSG_PEEK, MSG_TRUNC, MSG_WAITALL, RCV_SHUTDOWN, SEND_SHUTDOWN, SOCK_DGRAM, SOCK_STREAM } from './unix.js';

export const IPPROTO_IP = 0, IPPROTO_ICMP = 1, IPPROTO_TCP = 6, IPPROTO_UDP = 17, IPPROTO_IPV6 = 41, IPPROTO_ICMPV6 = 58;
const SOL_SOCKET = 1;
const SIGPIPE = 13;

// SOL_SOCKET options (asm-generic/socket.h).
const SO_DEBUG = 1, SO_REUSEADDR = 2, SO_TYPE = 3, SO_ERROR = 4, SO_DONTROUTE = 5, SO_BROADCAST = 6, SO_SNDBUF = 7, SO_RCVBUF = 8;
const SO_KEEPALIVE = 9, SO_OOBINLINE = 10, SO_NO_CHECK = 11, SO_PRIORITY = 12, SO_LINGER = 13, SO_REUSEPORT = 15, SO_RCVLOWAT = 18;
const SO_SNDLOWAT = 19, SO_RCVTIMEO_OLD = 20, SO_SNDTIMEO_OLD = 21, SO_BINDTODEVICE = 25, SO_TIMESTAMP_OLD = 29, SO_ACCEPTCONN = 30;
const SO_SNDBUFFORCE = 32, SO_RCVBUFFORCE = 33, SO_TIMESTAMPNS_OLD = 35, SO_MARK = 36, SO_PROTOCOL = 38, SO_DOMAIN = 39;
const SO_RXQ_OVFL = 40, SO_BUSY_POLL = 46, SO_INCOMING_CPU = 49, SO_TIMESTAMP_NEW = 63, SO_TIMESTAMPNS_NEW = 64;
const SO_RCVTIMEO_NEW = 66, SO_SNDTIMEO_NEW = 67;
// IPPROTO_IP options (linux/in.h).
const IP_TOS = 1, IP_TTL = 2, IP_HDRINCL = 3, IP_OPTIONS = 4, IP_PKTINFO = 8, IP_MTU_DISCOVER = 10, IP_RECVERR = 11, IP_RECVTTL = 12;
const IP_RECVTOS = 13, IP_MTU = 14, IP_FREEBIND = 15, IP_MULTICAST_TTL = 33, IP_MULTICAST_LOOP = 34, IP_BIND_ADDRESS_NO_PORT = 24;
// IPPROTO_IPV6 options (linux/in6.h).
const IPV6_UNICAST_HOPS = 16, IPV6_MULTICAST_LOOP = 19, IPV6_MTU_DISCOVER = 23, IPV6_RECVERR = 25, IPV6_V6ONLY = 26;
const IPV6_RECVPKTINFO = 49, IPV6_RECVHOPLIMIT = 51, IPV6_TCLASS = 67, IPV6_RECVTCLASS = 66;
// IPPROTO_TCP options (linux/tcp.h).
const TCP_NODELAY = 1, TCP_MAXSEG = 2, TCP_CORK = 3, TCP_KEEPIDLE = 4, TCP_KEEPINTVL = 5, TCP_KEEPCNT = 6, TCP_SYNCNT = 7;
const TCP_LINGER2 = 8, TCP_DEFER_ACCEPT = 9, TCP_WINDOW_CLAMP = 10, TCP_INFO = 11, TCP_QUICKACK = 12, TCP_CONGESTION = 13;
const TCP_USER_TIMEOUT = 18, TCP_FASTOPEN = 23, TCP_NOTSENT_LOWAT = 25, TCP_FASTOPEN_CONNECT = 30;

/** TCP states for TCP_INFO (include/net/tcp_states.h). */
const TCP_ESTABLISHED = 1, TCP_SYN_SENT = 2, TCP_CLOSE = 7, TCP_CLOSE_WAIT = 8, TCP_LISTEN = 10;
/** TCP_MAXSEG before a connection (TCP_MSS_DEFAULT) and over lo (65536 - 40 - 12 bytes of timestamp option). */
const MSS_DEFAULT = 536, MSS_LO = 65483;
/** net.core.wmem_max / rmem_max; SOCK_MIN_SNDBUF / SOCK_MIN_RCVBUF (as in socket.ts for AF_UNIX). */
const BUF_MAX = 212992, MIN_SNDBUF = 4608, MIN_RCVBUF = 2304;
/** net.core.somaxconn. */
const SOMAXCONN = 4096;

const FIONREAD = 0x541b, SIOCOUTQ = 0x5411, SIOCATMARK = 0x8905, SIOCGSTAMP_OLD = 0x8906;
const sockDev = allocAnonDev();
let nextIno = 1;

export type InetProto = 'tcp' | 'udp' | 'icmp';

/** sockaddr_in / sockaddr_in6 bytes → an address for a socket of `domain`, or -errno (inet_bind, inet6_bind, __ip4_datagram_connect...). */
export function decodeSockaddr(b: Uint8Array, domain: InetFamily): InetAddr | number {
  if (b.length < 2) return -EINVAL;
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  const family = dv.getUint16(0, true);
  if (domain === AF_INET) {
    if (b.length < 16) return -EINVAL;
    // AF_UNSPEC with INADDR_ANY is accepted as AF_INET for old programs (inet_bind_sk).
    if (family !== AF_INET && family !== 0) return -EAFNOSUPPORT;
    return { family: AF_INET, addr: b.slice(4, 8), port: dv.getUint16(2) };
  }
  if (family === AF_INET) return -EAFNOSUPPORT;
  if (b.length < 24) return -EINVAL;
  if (family !== AF_INET6) return -EAFNOSUPPORT;
  const a = b.slice(8, 24);
  const port = dv.getUint16(2);
  if (isV4Mapped(a)) return { family: AF_INET, addr: a.slice(12), port };
  return { family: AF_INET6, addr: a, port, flowinfo: dv.getUint32(4), scopeId: b.length >= 28 ? dv.getUint32(24, true) : 0 };
}

/** An address as a socket of `domain` reports it (IPv4 on an AF_INET6 socket is v4-mapped). */
export function encodeSockaddr(a: InetAddr, domain: InetFamily): Uint8Array {
  if (domain === AF_INET) {
    const b = new Uint8Array(16);
    const dv = new DataView(b.buffer);
    dv.setUint16(0, AF_INET, true);
    dv.setUint16(2, a.port);
    b.set(a.family === AF_INET ? a.addr : a.addr.subarray(12), 4);
    return b;
  }
  const b = new Uint8Array(28);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, AF_INET6, true);
  dv.setUint16(2, a.port);
  dv.setUint32(4, a.flowinfo ?? 0);
  b.set(a.family === AF_INET ? v4Mapped(a.addr) : a.addr, 8);
  dv.setUint32(24, a.scopeId ?? 0, true);
  return b;
}

export interface InetRecv { data: Uint8Array; full: number; from: InetAddr | null }

export class InetSocket extends File {
  readonly ino = nextIno++;
  readonly ctime = nowTimespec();
  readonly proto: InetProto;
  /** Bound but not yet listening/connected (TCP). */
  private bound: BoundPort | null = null;
  /** bind() address of a socket whose stack binds late, or of a datagram socket. */
  private bindAddr: InetAddr | null = null;
  conn: StreamConn | null = null;
  listener: StreamListener | null = null;
  dgram: DatagramSocket | null = null;
  private connectStarted = false;
  /** A non-blocking connect said EINPROGRESS and no later connect() has reported the outcome. */
  private inProgress = false;
  /** Set once a non-blocking connect's result has been reported (EALREADY vs EISCONN). */
  private shut = 0;
  /** A socket-level pending error (a failed connect once its connection is gone). */
  private error = 0;
  private opts: SockOpts;
  private linger: { on: boolean; secs: number } = { on: false, secs: 0 };
  private rcvTimeoMs = 0;
  private sndTimeoMs = 0;
  private ints = new Map<string, number>();

  constructor(readonly kernelNet: RoutedStack, readonly domain: InetFamily, readonly type: number, readonly protocol: number, nonblock: boolean) {
    super(O_RDWR | (nonblock ? O_NONBLOCK : 0), '');
    this.path = `socket:[${this.ino}]`;
    this.proto = type === SOCK_STREAM ? 'tcp' : protocol === IPPROTO_ICMP || protocol === IPPROTO_ICMPV6 ? 'icmp' : 'udp';
    const tcp = this.proto === 'tcp';
    this.opts = { rcvBuf: tcp ? TCP_RCVBUF : DGRAM_BUF, sndBuf: tcp ? TCP_SNDBUF : DGRAM_BUF, ttl: 64, v6only: false };
  }

  private readonly wakeUp = (): void => this.waitq.wake();

  private watch<T extends { onChange: (() => void) | null }>(x: T): T {
    x.onChange = this.wakeUp;
    return x;
  }

  stat(): Stat {
    return {
      dev: sockDev, ino: this.ino, mode: S_IFSOCK | 0o777, nlink: 1, uid: 0, gid: 0, rdev: 0,
      size: 0, blksize: 4096, blocks: 0, atime: this.ctime, mtime: this.ctime, ctime: this.ctime,
    };
  }

  // ---- addresses ----

  private wildcard(): InetAddr {
    return { family: this.domain, addr: anyAddr(this.domain), port: 0 };
  }

  /** What getsockname() reports. */
  sockname(): InetAddr {
    const a = this.conn?.local ?? this.listener?.local ?? this.dgram?.local ?? this.bound?.local ?? this.bindAddr;
    return a ?? this.wildcard();
  }

  peername(): InetAddr | number {
    if (this.conn && this.conn.state === 'connected') return this.conn.remote;
    if (this.dgram?.remote) return this.dgram.remote;
    return -ENOTCONN;
  }

  /** A destination given by the guest: the unspecified address is the loopback address; v4-mapped on a V6ONLY socket is unreachable. */
  private target(a: InetAddr): InetAddr | number {
    if (this.domain === AF_INET6 && a.family === AF_INET && this.opts.v6only) return -ENETUNREACH;
    return isWildcard(a.addr) ? { ...a, addr: loopbackAddr(a.family) } : a;
  }

  private get isBound(): boolean { return !!(this.bound || this.binding || this.conn || this.listener || this.dgram); }

  /** A bind in progress (a stack that answers later): a second bind() meanwhile is refused, as an already bound socket's. */
  private binding = false;

  async bind(a: InetAddr): Promise<number> {
    if (this.isBound) return -EINVAL;
    if (this.domain === AF_INET6 && a.family === AF_INET && this.opts.v6only) return -EINVAL;
    const net = this.kernelNet;
    this.binding = true;
    try {
      if (this.proto === 'tcp') {
        const b = await net.bind(a, this.opts);
        if (typeof b === 'number') return b;
        this.bound = b;
        return 0;
      }
      const d = await net.datagram(this.proto, a, this.opts);
      if (typeof d === 'number') return d;
      this.dgram = this.watch(d);
      return 0;
    } finally {
      this.binding = false;
    }
  }

  async listen(backlog: number): Promise<number> {
    if (this.proto !== 'tcp') return -EOPNOTSUPP;
    const n = backlog < 0 || backlog > SOMAXCONN ? SOMAXCONN : backlog;
    if (this.listener) return 0; // Linux adjusts the backlog; the stacks keep theirs
    if (this.conn) return -EINVAL;
    if (!this.bound) {
      const e = await this.bind(this.wildcard());
      if (e < 0) return e;
      if (!this.bound) return -EINVAL;
    }
    const l = this.bound.listen(n, this.opts);
    this.bound = null;
    if (typeof l === 'number') return l;
    this.listener = this.watch(l);
    this.shut = 0;
    this.waitq.wake();
    return 0;
  }

  private get canBlock(): boolean { return !this.nonblock; }

  /** Wait for a change, with an optional timeout (ms, 0 = none): WOKEN/TIMEOUT/INTERRUPTED. */
  private wait(t: Task, timeoutMs: number): Promise<number> {
    return waitAny([this.waitq], t.interrupt, timeoutMs > 0 ? timeoutMs : undefined);
  }

  /** The error for an interrupted wait: restartable unless a timeout was set (sock_intr_errno). */
  private intr(timeoutMs: number): number { return timeoutMs > 0 ? -EINTR : -ERESTARTSYS; }

  async connect(t: Task, a: InetAddr | null): Promise<number> {
    if (this.proto !== 'tcp') {
      if (!a) { this.dgram?.connect(null); return 0; }
      const to = this.target(a);
      if (typeof to === 'number') return to;
      const d = await this.ensureDgram();
      if (typeof d === 'number') return d;
      return d.connect(to);
    }
    if (!a) return -EINVAL;
    if (this.listener) return -EINVAL;
    if (this.conn) {
      if (this.conn.state === 'connecting') return this.nonblock ? -EALREADY : this.waitConnected(t);
      if (this.conn.state === 'connected') {
        // The first connect() after a non-blocking one completed reports success (SS_CONNECTING → SS_CONNECTED).
        if (this.inProgress) { this.inProgress = false; return 0; }
        return -EISCONN;
      }
      // A failed attempt: its error once, then a fresh attempt (Linux lets connect() be retried).
      const e = this.takeErr();
      this.conn.close();
      this.conn = null;
      if (e) return -e;
    }
    const to = this.target(a);
    if (typeof to === 'number') return to;
    let c: StreamConn | number;
    if (this.bound) { c = this.bound.connect(to, this.opts); this.bound = null; } else c = this.kernelNet.connect(to, null, this.opts);
    if (typeof c === 'number') return c;
    this.conn = this.watch(c);
    this.connectStarted = true;
    if (c.state === 'connected') return 0;
    if (c.state === 'closed') return this.failedConnect();
    if (this.nonblock) { this.inProgress = true; return -EINPROGRESS; }
    return this.waitConnected(t);
  }

  /** The pending error: one poll() already took from the stack, or the stack's. */
  private takeErr(): number {
    const e = this.error || this.conn?.takeError() || this.dgram?.takeError() || 0;
    this.error = 0;
    return e;
  }

  private failedConnect(): number {
    const c = this.conn!;
    const e = this.takeErr() || ECONNABORTED;
    c.close();
    this.conn = null;
    return -e;
  }

  private async waitConnected(t: Task): Promise<number> {
    const c = this.conn!;
    while (c.state === 'connecting') {
      const w = await this.wait(t, this.sndTimeoMs);
      if (w === INTERRUPTED) return this.intr(this.sndTimeoMs);
      if (w === TIMEOUT && c.state === 'connecting') return -EINPROGRESS;
    }
    if (this.conn !== c) return -EINVAL;
    return c.state === 'connected' ? 0 : this.failedConnect();
  }

  async accept(t: Task): Promise<InetSocket | number> {
    const l = this.listener;
    if (!l) return -EINVAL;
    for (;;) {
      const c = l.accept();
      if (c) {
        const s = new InetSocket(this.kernelNet, this.domain, this.type, this.protocol, false);
        s.conn = s.watch(c);
        s.opts = { ...this.opts };
        s.linger = { ...this.linger };
        s.ints = new Map(this.ints);
        return s;
      }
      if (this.nonblock) return -EAGAIN;
      const w = await this.wait(t, this.rcvTimeoMs);
      if (w === INTERRUPTED) return this.intr(this.rcvTimeoMs);
      if (w === TIMEOUT) return -EAGAIN;
      if (this.listener !== l) return -EINVAL;
    }
  }

  shutdown(how: number): number {
    if (how < 0 || how > 2) return -EINVAL;
    if (this.listener) {
      // Shutting down a listener closes it (inet_shutdown on TCP_LISTEN → tcp_disconnect).
      if (how !== 1) { this.listener.close(); this.listener = null; this.waitq.wake(); return 0; }
      return -ENOTCONN;
    }
    if (this.proto === 'tcp') {
      if (!this.conn || this.conn.state === 'closed' && !this.connectStarted) return -ENOTCONN;
      if (this.conn.state === 'connecting' && how !== 0) { /* Linux closes a connecting socket on SHUT_WR */ }
    } else if (!this.dgram?.remote) return -ENOTCONN;
    this.shut |= (how + 1) & (RCV_SHUTDOWN | SEND_SHUTDOWN);
    this.conn?.shutdown(how as 0 | 1 | 2);
    this.waitq.wake();
    return 0;
  }

  release(): void {
    this.bound?.release();
    this.listener?.close();
    // SO_LINGER with a zero timeout resets instead of closing gracefully.
    this.conn?.close(this.linger.on && this.linger.secs === 0);
    this.dgram?.close();
    this.bound = null; this.listener = null; this.conn = null; this.dgram = null;
    this.waitq.wake();
  }

  // ---- data ----

  /** The datagram socket, bound to an ephemeral port on first use (inet_autobind). */
  private async ensureDgram(): Promise<DatagramSocket | number> {
    if (this.dgram) return this.dgram;
    const e = await this.bind(this.wildcard());
    if (e < 0 && e !== -EINVAL) return e;
    return this.dgram ?? -EINVAL;
  }

  private pipe(t: Task, flags: number): number {
    if (!(flags & MSG_NOSIGNAL)) t.kernel.signalTask(t, { signo: SIGPIPE, code: 0, pid: t.proc.pid, uid: t.proc.creds.uid });
    return -EPIPE;
  }

  send(t: Task, data: Uint8Array, flags: number, to: InetAddr | null): number | Promise<number> {
    if (flags & MSG_OOB && this.proto !== 'tcp') return -EOPNOTSUPP;
    if (this.proto !== 'tcp') return this.sendDgram(t, data, flags, to);
    return this.sendStream(t, data, flags);
  }

  private async sendDgram(t: Task, data: Uint8Array, flags: number, to: InetAddr | null): Promise<number> {
    if (this.shut & SEND_SHUTDOWN) return this.pipe(t, flags);
    let dest: InetAddr | null = null;
    if (to) {
      const d = this.target(to);
      if (typeof d === 'number') return d;
      dest = d;
    } else if (!this.dgram?.remote) return -EDESTADDRREQ;
    const d = await this.ensureDgram();
    if (typeof d === 'number') return d;
    const e = this.takeErr();
    if (e) return -e;
    return d.send(data, dest);
  }

  private async sendStream(t: Task, data: Uint8Array, flags: number): Promise<number> {
    const nonblock = this.nonblock || (flags & MSG_DONTWAIT) !== 0;
    let done = 0;
    for (;;) {
      const c = this.conn;
      if (!c || this.listener) return this.pipe(t, flags);
      if (c.state === 'connecting') {
        if (nonblock) return -EAGAIN;
      } else {
        if (this.shut & SEND_SHUTDOWN) return done || this.pipe(t, flags);
        if (data.length === 0) return 0;
        const n = c.write(data.subarray(done));
        if (n > 0) { done += n; if (done === data.length) return done; continue; }
        if (n === -EPIPE) return done || this.pipe(t, flags);
        if (n !== -EAGAIN && n < 0) return done || n;
        if (c.state === 'closed') {
          const e = this.takeErr();
          return done || (e && e !== EPIPE ? -e : this.pipe(t, flags));
        }
        if (nonblock) return done || -EAGAIN;
      }
      const w = await this.wait(t, this.sndTimeoMs);
      if (w === INTERRUPTED) return done || this.intr(this.sndTimeoMs);
      if (w === TIMEOUT) return done || -EAGAIN;
    }
  }

  recv(t: Task, len: number, flags: number): Promise<InetRecv | number> | InetRecv | number {
    if (flags & MSG_OOB) return -EINVAL;
    return this.proto === 'tcp' ? this.recvStream(t, len, flags) : this.recvDgram(t, len, flags);
  }

  private async recvDgram(t: Task, len: number, flags: number): Promise<InetRecv | number> {
    const nonblock = this.nonblock || (flags & MSG_DONTWAIT) !== 0;
    for (;;) {
      const d = this.dgram;
      const m = d?.recv((flags & MSG_PEEK) !== 0);
      if (m) return { data: m.data.subarray(0, len), full: m.data.length, from: m.from };
      const e = this.takeErr();
      if (e) return -e;
      if (this.shut & RCV_SHUTDOWN) return { data: new Uint8Array(0), full: 0, from: null };
      if (nonblock) return -EAGAIN;
      const w = await this.wait(t, this.rcvTimeoMs);
      if (w === INTERRUPTED) return this.intr(this.rcvTimeoMs);
      if (w === TIMEOUT) return -EAGAIN;
    }
  }

  private async recvStream(t: Task, len: number, flags: number): Promise<InetRecv | number> {
    const nonblock = this.nonblock || (flags & MSG_DONTWAIT) !== 0;
    const peek = (flags & MSG_PEEK) !== 0;
    const waitall = (flags & MSG_WAITALL) !== 0 && !peek;
    const buf = new Uint8Array(len);
    let got = 0;
    const out = () => ({ data: buf.subarray(0, got), full: got, from: this.conn?.remote ?? null });
    for (;;) {
      const c = this.conn;
      if (!c || this.listener) return -ENOTCONN;
      if (len === 0) return out();
      if (c.state !== 'connecting') {
        const n = c.read(buf.subarray(got), peek);
        if (n > 0) {
          got += n;
          if (!waitall || got === len) return out();
          continue;
        }
        // EOF after a FIN; a reset without one reports its error first (tcp_recvmsg: SOCK_DONE, then sk_err).
        if (n === 0 && (c.eof || got)) return out();
        const e = this.takeErr();
        if (e) return got ? out() : -e;
        if (this.shut & RCV_SHUTDOWN || c.state === 'closed') return out();
      }
      if (nonblock) return got ? out() : -EAGAIN;
      const w = await this.wait(t, this.rcvTimeoMs);
      if (w === INTERRUPTED) return got ? out() : this.intr(this.rcvTimeoMs);
      if (w === TIMEOUT) return got ? out() : -EAGAIN;
    }
  }

  read(t: Task, buf: Uint8Array): number | Promise<number> {
    const done = (r: InetRecv | number): number => {
      if (typeof r === 'number') return r;
      buf.set(r.data);
      return r.data.length;
    };
    const r = this.recv(t, buf.length, 0);
    return r instanceof Promise ? r.then(done) : done(r);
  }

  write(t: Task, data: Uint8Array): number | Promise<number> {
    return this.send(t, data, 0, null);
  }

  // ---- readiness (tcp_poll, datagram_poll) ----

  poll(): number {
    if (this.listener) return this.listener.pending() ? POLLIN | POLLRDNORM : 0;
    let m = 0;
    if (this.proto === 'tcp') {
      const c = this.conn;
      const state = c ? c.state : 'closed';
      if (state === 'closed' || this.shut === (RCV_SHUTDOWN | SEND_SHUTDOWN) || (c?.eof && this.shut & SEND_SHUTDOWN)) m |= POLLHUP;
      if (this.shut & RCV_SHUTDOWN || c?.eof) m |= POLLIN | POLLRDNORM | POLLRDHUP;
      if (state !== 'connecting') {
        if (c && c.readable() > 0) m |= POLLIN | POLLRDNORM;
        if (!(this.shut & SEND_SHUTDOWN)) {
          if (!c || state === 'closed' || c.writable() > 0) m |= POLLOUT | POLLWRNORM;
        } else m |= POLLOUT | POLLWRNORM;
      }
      if (c && state === 'closed' && this.connectStarted && c.readable() === 0) m |= POLLIN | POLLRDNORM;
      if (c && this.pendingError(c)) m |= POLLERR;
      return m;
    }
    const d = this.dgram;
    if (this.shut & RCV_SHUTDOWN) m |= POLLRDHUP | POLLIN | POLLRDNORM;
    if (this.shut === (RCV_SHUTDOWN | SEND_SHUTDOWN)) m |= POLLHUP;
    if (d && d.nextSize() >= 0) m |= POLLIN | POLLRDNORM;
    m |= POLLOUT | POLLWRNORM;
    if (d && this.peekError(d)) m |= POLLERR;
    return m;
  }

  /** Whether an error is pending, without consuming it (the stacks only offer takeError: put it back by keeping it here). */
  private pendingError(c: StreamConn): boolean {
    if (this.error) return true;
    const e = c.takeError();
    if (e) this.error = e;
    return e !== 0;
  }

  private peekError(d: DatagramSocket): boolean {
    if (this.error) return true;
    const e = d.takeError();
    if (e) this.error = e;
    return e !== 0;
  }

  // ---- ioctl ----

  ioctl(t: Task, req: number, arg: number): number {
    switch (req) {
      case FIONREAD: {
        if (this.listener) return -EINVAL;
        let n = 0;
        if (this.conn) n = this.conn.readable();
        else if (this.dgram) n = Math.max(0, this.dgram.nextSize());
        return putU32(t, arg, n) ? 0 : -EFAULT;
      }
      case SIOCOUTQ: return putU32(t, arg, 0) ? 0 : -EFAULT;
      case SIOCATMARK: return putU32(t, arg, 0) ? 0 : -EFAULT;
      case SIOCGSTAMP_OLD: return -ENOENT;
    }
    return ifIoctl(t, this.kernelNet.interfaces(), req, arg);
  }

  // ---- options ----

  /** setsockopt with the option's bytes; 0 or -errno. */
  setOpt(level: number, name: number, v: Uint8Array, privileged: boolean): number {
    const int = v.length >= 4 ? new DataView(v.buffer, v.byteOffset, 4).getInt32(0, true) : v.length >= 1 ? v[0] : null;
    const needInt = (): number | null => (v.length >= 4 ? int : null);
    const key = `${level}:${name}`;
    if (level === SOL_SOCKET) {
      switch (name) {
        case SO_LINGER: {
          if (v.length < 8) return -EINVAL;
          const dv = new DataView(v.buffer, v.byteOffset, 8);
          this.linger = { on: dv.getInt32(0, true) !== 0, secs: dv.getInt32(4, true) };
          return 0;
        }
        case SO_RCVTIMEO_OLD: case SO_SNDTIMEO_OLD: case SO_RCVTIMEO_NEW: case SO_SNDTIMEO_NEW: {
          const wide = name === SO_RCVTIMEO_NEW || name === SO_SNDTIMEO_NEW;
          if (v.length < (wide ? 16 : 8)) return -EINVAL;
          const dv = new DataView(v.buffer, v.byteOffset, v.length);
          const sec = wide ? Number(dv.getBigInt64(0, true)) : dv.getInt32(0, true);
          const usec = wide ? Number(dv.getBigInt64(8, true)) : dv.getInt32(4, true);
          if (usec < 0 || usec >= 1_000_000) return -EDOM;
          const ms = sec < 0 ? 0 : sec * 1000 + Math.ceil(usec / 1000);
          if (name === SO_RCVTIMEO_OLD || name === SO_RCVTIMEO_NEW) this.rcvTimeoMs = ms; else this.sndTimeoMs = ms;
          return 0;
        }
        case SO_BINDTODEVICE: return 0;
      }
      const x = needInt();
      if (x === null) return -EINVAL;
      const bufSize = (n: number, min: number, force: boolean) => Math.max(min, 2 * Math.min(n >>> 0 > 0x7fffffff ? 0x7fffffff : n, force ? 0x3fffffff : BUF_MAX));
      switch (name) {
        case SO_REUSEADDR: this.opts.reuseAddr = x !== 0; return 0;
        case SO_REUSEPORT: this.opts.reusePort = x !== 0; return 0;
        case SO_KEEPALIVE: this.opts.keepAlive = x !== 0; this.push(); return 0;
        case SO_BROADCAST: this.opts.broadcast = x !== 0; this.push(); return 0;
        case SO_SNDBUF: case SO_SNDBUFFORCE:
          if (name === SO_SNDBUFFORCE && !privileged) return -EPERM;
          this.opts.sndBuf = bufSize(x, MIN_SNDBUF, name === SO_SNDBUFFORCE); this.push(); return 0;
        case SO_RCVBUF: case SO_RCVBUFFORCE:
          if (name === SO_RCVBUFFORCE && !privileged) return -EPERM;
          this.opts.rcvBuf = bufSize(x, MIN_RCVBUF, name === SO_RCVBUFFORCE); this.push(); return 0;
        case SO_DEBUG: case SO_DONTROUTE: case SO_OOBINLINE: case SO_NO_CHECK: case SO_PRIORITY: case SO_RCVLOWAT: case SO_TIMESTAMP_OLD:
        case SO_TIMESTAMPNS_OLD: case SO_TIMESTAMP_NEW: case SO_TIMESTAMPNS_NEW: case SO_MARK: case SO_RXQ_OVFL: case SO_BUSY_POLL:
        case SO_INCOMING_CPU:
          this.ints.set(key, x); return 0;
        case SO_SNDLOWAT: return -ENOPROTOOPT;
      }
      return -ENOPROTOOPT;
    }
    if (level === IPPROTO_TCP) {
      if (this.proto !== 'tcp') return -EOPNOTSUPP;
      if (name === TCP_CONGESTION) return 0;
      const x = needInt();
      if (x === null) return -EINVAL;
      switch (name) {
        case TCP_NODELAY: this.opts.noDelay = x !== 0; this.push(); return 0;
        case TCP_MAXSEG: if (x !== 0 && (x < 88 || x > 32767)) return -EINVAL; this.ints.set(key, x); return 0;
        case TCP_KEEPIDLE: case TCP_KEEPINTVL: if (x < 1 || x > 32767) return -EINVAL; this.ints.set(key, x); return 0;
        case TCP_KEEPCNT: case TCP_SYNCNT: if (x < 1 || x > 127) return -EINVAL; this.ints.set(key, x); return 0;
        case TCP_CORK: case TCP_LINGER2: case TCP_DEFER_ACCEPT: case TCP_WINDOW_CLAMP: case TCP_QUICKACK: case TCP_USER_TIMEOUT:
        case TCP_FASTOPEN: case TCP_NOTSENT_LOWAT: case TCP_FASTOPEN_CONNECT:
          this.ints.set(key, x); return 0;
      }
      return -ENOPROTOOPT;
    }
    if (level === IPPROTO_IP) {
      if (this.domain !== AF_INET && !(name === IP_TOS || name === IP_TTL)) return -ENOPROTOOPT;
      const x = needInt() ?? int;
      if (x === null) return -EINVAL;
      switch (name) {
        case IP_TTL: if (x !== -1 && (x < 1 || x > 255)) return -EINVAL; this.opts.ttl = x === -1 ? 64 : x; this.push(); return 0;
        case IP_TOS: this.ints.set(key, x & 0xff); return 0;
        case IP_RECVERR: case IP_RECVTTL: case IP_RECVTOS: case IP_PKTINFO: case IP_MTU_DISCOVER: case IP_FREEBIND:
        case IP_MULTICAST_TTL: case IP_MULTICAST_LOOP: case IP_BIND_ADDRESS_NO_PORT: case IP_OPTIONS:
          this.ints.set(key, x); return 0;
        case IP_HDRINCL: return -ENOPROTOOPT;
      }
      return -ENOPROTOOPT;
    }
    if (level === IPPROTO_IPV6) {
      if (this.domain !== AF_INET6) return -ENOPROTOOPT;
      const x = needInt();
      if (x === null) return -EINVAL;
      switch (name) {
        case IPV6_V6ONLY:
          if (this.bound || this.listener || this.conn || this.dgram) return -EINVAL;
          this.opts.v6only = x !== 0; return 0;
        case IPV6_UNICAST_HOPS: if (x < -1 || x > 255) return -EINVAL; this.ints.set(key, x); return 0;
        case IPV6_RECVERR: case IPV6_MTU_DISCOVER: case IPV6_RECVPKTINFO: case IPV6_RECVHOPLIMIT: case IPV6_TCLASS: case IPV6_RECVTCLASS:
        case IPV6_MULTICAST_LOOP:
          this.ints.set(key, x); return 0;
      }
      return -ENOPROTOOPT;
    }
    if (level === IPPROTO_ICMP || level === IPPROTO_ICMPV6) return this.proto === 'icmp' ? 0 : -ENOPROTOOPT;
    return -ENOPROTOOPT;
  }

  /** Hand changed options to the live connection or datagram socket. */
  private push(): void {
    this.conn?.setOptions(this.opts);
    this.dgram?.setOptions(this.opts);
  }

  /** getsockopt: the option's bytes (before truncation to the caller's length) or -errno. */
  getOpt(level: number, name: number): Uint8Array | number {
    const int = (v: number) => { const b = new Uint8Array(4); new DataView(b.buffer).setInt32(0, v, true); return b; };
    const key = `${level}:${name}`;
    if (level === SOL_SOCKET) {
      switch (name) {
        case SO_TYPE: return int(this.type);
        case SO_DOMAIN: return int(this.domain);
        case SO_PROTOCOL: return int(this.proto === 'tcp' ? IPPROTO_TCP : this.proto === 'udp' ? IPPROTO_UDP : this.domain === AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
        case SO_ERROR: return int(this.takeErr());
        case SO_ACCEPTCONN: return int(this.listener ? 1 : 0);
        case SO_REUSEADDR: return int(this.opts.reuseAddr ? 1 : 0);
        case SO_REUSEPORT: return int(this.opts.reusePort ? 1 : 0);
        case SO_KEEPALIVE: return int(this.opts.keepAlive ? 1 : 0);
        case SO_BROADCAST: return int(this.opts.broadcast ? 1 : 0);
        case SO_SNDBUF: return int(this.opts.sndBuf ?? 0);
        case SO_RCVBUF: return int(this.opts.rcvBuf ?? 0);
        case SO_RCVLOWAT: case SO_SNDLOWAT: return int(this.ints.get(key) ?? 1);
        case SO_LINGER: { const b = new Uint8Array(8); const dv = new DataView(b.buffer); dv.setInt32(0, this.linger.on ? 1 : 0, true); dv.setInt32(4, this.linger.secs, true); return b; }
        case SO_RCVTIMEO_OLD: case SO_SNDTIMEO_OLD: case SO_RCVTIMEO_NEW: case SO_SNDTIMEO_NEW: {
          const ms = name === SO_RCVTIMEO_OLD || name === SO_RCVTIMEO_NEW ? this.rcvTimeoMs : this.sndTimeoMs;
          const wide = name === SO_RCVTIMEO_NEW || name === SO_SNDTIMEO_NEW;
          const b = new Uint8Array(wide ? 16 : 8);
          const dv = new DataView(b.buffer);
          if (wide) { dv.setBigInt64(0, BigInt(Math.floor(ms / 1000)), true); dv.setBigInt64(8, BigInt((ms % 1000) * 1000), true); } else { dv.setInt32(0, Math.floor(ms / 1000), true); dv.setInt32(4, (ms % 1000) * 1000, true); }
          return b;
        }
        case SO_DEBUG: case SO_DONTROUTE: case SO_OOBINLINE: case SO_NO_CHECK: case SO_PRIORITY: case SO_TIMESTAMP_OLD: case SO_TIMESTAMPNS_OLD:
        case SO_TIMESTAMP_NEW: case SO_TIMESTAMPNS_NEW: case SO_MARK: case SO_RXQ_OVFL: case SO_BUSY_POLL:
          return int(this.ints.get(key) ?? 0);
        case SO_INCOMING_CPU: return int(0);
      }
      return -ENOPROTOOPT;
    }
    if (level === IPPROTO_TCP) {
      if (this.proto !== 'tcp') return -EOPNOTSUPP;
      switch (name) {
        case TCP_NODELAY: return int(this.opts.noDelay ? 1 : 0);
        case TCP_MAXSEG: return int(this.conn?.state === 'connected' ? MSS_LO : this.ints.get(key) || MSS_DEFAULT);
        case TCP_KEEPIDLE: return int(this.ints.get(key) ?? 7200);
        case TCP_KEEPINTVL: return int(this.ints.get(key) ?? 75);
        case TCP_KEEPCNT: return int(this.ints.get(key) ?? 9);
        case TCP_SYNCNT: return int(this.ints.get(key) ?? 6);
        case TCP_INFO: return this.tcpInfo();
        case TCP_CONGESTION: return new TextEncoder().encode('cubic\0\0\0\0\0\0\0\0\0\0\0');
        case TCP_CORK: case TCP_LINGER2: case TCP_DEFER_ACCEPT: case TCP_WINDOW_CLAMP: case TCP_QUICKACK: case TCP_USER_TIMEOUT:
        case TCP_FASTOPEN: case TCP_NOTSENT_LOWAT: case TCP_FASTOPEN_CONNECT:
          return int(this.ints.get(key) ?? 0);
      }
      return -ENOPROTOOPT;
    }
    if (level === IPPROTO_IP) {
      switch (name) {
        case IP_TTL: return int(this.opts.ttl ?? 64);
        case IP_TOS: return int(this.ints.get(key) ?? 0);
        case IP_MTU: {
          if (!this.conn && !this.dgram?.remote) return -ENOTCONN;
          return int(65536);
        }
        case IP_RECVERR: case IP_RECVTTL: case IP_RECVTOS: case IP_PKTINFO: case IP_FREEBIND: case IP_BIND_ADDRESS_NO_PORT: case IP_OPTIONS:
          return int(this.ints.get(key) ?? 0);
        case IP_MTU_DISCOVER: return int(this.ints.get(key) ?? 1);
        case IP_MULTICAST_TTL: return int(this.ints.get(key) ?? 1);
        case IP_MULTICAST_LOOP: return int(this.ints.get(key) ?? 1);
      }
      return -ENOPROTOOPT;
    }
    if (level === IPPROTO_IPV6) {
      if (this.domain !== AF_INET6) return -ENOPROTOOPT;
      switch (name) {
        case IPV6_V6ONLY: return int(this.opts.v6only ? 1 : 0);
        case IPV6_UNICAST_HOPS: return int(this.ints.get(key) ?? 64);
        case IPV6_RECVERR: case IPV6_MTU_DISCOVER: case IPV6_RECVPKTINFO: case IPV6_RECVHOPLIMIT: case IPV6_TCLASS: case IPV6_RECVTCLASS:
          return int(this.ints.get(key) ?? 0);
        case IPV6_MULTICAST_LOOP: return int(this.ints.get(key) ?? 1);
      }
      return -ENOPROTOOPT;
    }
    return -ENOPROTOOPT;
  }

  /** struct tcp_info (linux/tcp.h), 104 bytes: the state and segment sizes; counters we do not keep read 0. */
  private tcpInfo(): Uint8Array {
    const b = new Uint8Array(104);
    const dv = new DataView(b.buffer);
    const c = this.conn;
    const state = this.listener ? TCP_LISTEN : !c ? TCP_CLOSE : c.state === 'connecting' ? TCP_SYN_SENT
      : c.state === 'closed' ? TCP_CLOSE : c.eof ? TCP_CLOSE_WAIT : TCP_ESTABLISHED;
    b[0] = state;
    const mss = c?.state === 'connected' ? MSS_LO : MSS_DEFAULT;
    dv.setUint32(8, 200_000, true); // tcpi_rto: TCP_TIMEOUT_INIT, 200 ms minimum, in µs
    dv.setUint32(16, mss, true); // tcpi_snd_mss
    dv.setUint32(20, mss, true); // tcpi_rcv_mss
    dv.setUint32(60, 65536, true); // tcpi_pmtu
    dv.setUint32(80, 10, true); // tcpi_snd_cwnd: TCP_INIT_CWND
    dv.setUint32(84, mss, true); // tcpi_advmss
    dv.setUint32(88, 3, true); // tcpi_reordering: net.ipv4.tcp_reordering
    return b;
  }
}



