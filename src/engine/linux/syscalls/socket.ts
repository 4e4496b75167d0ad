/**
 * Socket system calls (socket(2) and friends) and the i386 socketcall(2) multiplexer.
 * AF_UNIX (socket/unix.ts), AF_INET and AF_INET6 (socket/inet.ts: TCP, UDP and ICMP echo
 * "ping" sockets over the machine's NetStack) and AF_NETLINK (socket/netlink.ts:
 * NETLINK_ROUTE dumps of links, addresses and routes). SOCK_RAW answers EPERM, as to a
 * process without CAP_NET_RAW (ping then uses its ICMP datagram socket).
 * The data calls share one path: the msghdr/iovec plumbing here, the queues in each family.
 *
 * i386 layouts (all fields 4 bytes): struct msghdr {name, namelen, iov, iovlen, control,
 * controllen, flags} = 28 bytes; struct iovec {base, len}; struct cmsghdr {len, level,
 * type} = 12 bytes followed by data aligned to 4; struct ucred {pid, uid, gid};
 * struct sockaddr_un {sa_family_t (2 bytes), char sun_path[108]}.
 */
import { syscallTable } from './registry.js';
import type { Task } from '../task.js';
import {
  EACCES, EADDRINUSE, EAFNOSUPPORT, EAGAIN, EBADF, ECONNREFUSED, EEXIST, EFAULT, EINVAL, EISCONN, EMFILE, EMSGSIZE, ENOPROTOOPT, ENOTCONN, ENOTSOCK,
  EOPNOTSUPP, EPERM, EPROTONOSUPPORT, EPROTOTYPE, ERESTARTSYS, ESOCKTNOSUPPORT,
} from '../errno.js';
import { type File, O_CLOEXEC, O_NONBLOCK, S_IFMT, S_IFSOCK } from '../../fs/types.js';
import { AT_FDCWD, MAY_WRITE, permission } from '../../fs/vfs.js';
import { INTERRUPTED, waitAny } from '../wait.js';
import { copyIn, copyOut, getStruct, getI32, putStruct, putU32 } from '../uaccess.js';
import { InetSocket, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP, decodeSockaddr, encodeSockaddr } from '../socket/inet.js';
import { AF_NETLINK, NetlinkSocket } from '../socket/netlink.js';
import type { InetAddr, InetFamily } from '../../net/stack.js';
import {
  AF_INET, AF_INET6, AF_UNIX, MSG_CMSG_CLOEXEC, MSG_CTRUNC, MSG_DONTWAIT, MSG_TRUNC, MSG_EOR,
  SOCK_DGRAM, SOCK_SEQPACKET, SOCK_STREAM, UnixRegistry, UnixSocket, alreadyConnected, connectTo, dropRights, registryOf, socketPair,
  type RecvResult, type Ucred, type UnixName,
} from '../socket/unix.js';
import { ctxOf } from '../path-ctx.js';
import { monotonicNs } from '../clock.js';

const SOCK_NONBLOCK = O_NONBLOCK, SOCK_CLOEXEC = O_CLOEXEC, SOCK_TYPE_MASK = 0xf, SOCK_RAW = 3;
const AF_UNSPEC = 0;
const SOL_SOCKET = 1, SCM_RIGHTS = 1, SCM_CREDENTIALS = 2;
const SO_DEBUG = 1, SO_REUSEADDR = 2, SO_TYPE = 3, SO_ERROR = 4, SO_DONTROUTE = 5, SO_BROADCAST = 6, SO_SNDBUF = 7, SO_RCVBUF = 8;
const SO_KEEPALIVE = 9, SO_OOBINLINE = 10, SO_LINGER = 13, SO_REUSEPORT = 15, SO_PASSCRED = 16, SO_PEERCRED = 17, SO_RCVLOWAT = 18;
const SO_SNDLOWAT = 19, SO_RCVTIMEO = 20, SO_SNDTIMEO = 21, SO_ACCEPTCONN = 30, SO_SNDBUFFORCE = 32, SO_RCVBUFFORCE = 33;
const SO_PROTOCOL = 38, SO_DOMAIN = 39;
/** sizeof(struct sockaddr_un), offsetof(sun_path). */
const SUN_LEN_MAX = 110, SUN_PATH_OFF = 2;
/** SCM_MAX_FD (include/net/scm.h). */
const SCM_MAX_FD = 253;
const UIO_MAXIOV = 1024;
/** net.core.somaxconn default. */
const SOMAXCONN = 4096;
/** SOCK_MIN_SNDBUF / SOCK_MIN_RCVBUF on i386 (2 * (2048 + sizeof(struct sk_buff) aligned)) — measured 4608 / 2304 on Linux 6.x. */
const MIN_SNDBUF = 4608, MIN_RCVBUF = 2304;
/** net.core.wmem_max / rmem_max defaults. */
const BUF_MAX = 212992;

type AnySocket = UnixSocket | InetSocket | NetlinkSocket;

function sockOf(t: Task, fd: number): AnySocket | number {
  const f = t.proc.files.get(fd);
  if (!f) return -EBADF;
  return f instanceof UnixSocket || f instanceof InetSocket || f instanceof NetlinkSocket ? f : -ENOTSOCK;
}

function install(t: Task, f: File, cloexec: boolean): number {
  const fd = t.proc.files.alloc(f, 0, cloexec);
  if (fd < 0) { void f.release(); return -EMFILE; }
  return fd;
}

function checkType(domain: number, type: number, protocol: number): number {
  if (type & ~(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC)) return -EINVAL;
  if (domain !== AF_UNIX) return -EAFNOSUPPORT;
  const kind = type & SOCK_TYPE_MASK;
  if (kind !== SOCK_STREAM && kind !== SOCK_DGRAM && kind !== SOCK_SEQPACKET) return -ESOCKTNOSUPPORT;
  if (protocol !== 0 && protocol !== AF_UNIX) return -EPROTONOSUPPORT;
  return kind;
}

/** socket(AF_INET/AF_INET6, ...): the protocol that serves type/protocol (inet_create's inetsw table), or -errno. */
function inetProtocol(t: Task, domain: number, kind: number, protocol: number): number {
  if (kind === SOCK_STREAM) return protocol === 0 || protocol === IPPROTO_TCP ? IPPROTO_TCP : -EPROTONOSUPPORT;
  if (kind === SOCK_DGRAM) {
    if (protocol === 0 || protocol === IPPROTO_UDP) return IPPROTO_UDP;
    // ICMP echo sockets: allowed for every group, as with net.ipv4.ping_group_range = "0 2147483647" (Debian's default since systemd 243).
    if (protocol === (domain === AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6)) return protocol;
    return -EPROTONOSUPPORT;
  }
  if (kind === SOCK_RAW) return t.proc.creds.euid === 0 ? -EPROTONOSUPPORT : -EPERM;
  return -ESOCKTNOSUPPORT;
}

function socket(t: Task, domain: number, type: number, protocol: number): number {
  if (type & ~(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC)) return -EINVAL;
  const nonblock = (type & SOCK_NONBLOCK) !== 0, cloexec = (type & SOCK_CLOEXEC) !== 0;
  if (domain === AF_INET || domain === AF_INET6) {
    const kind = type & SOCK_TYPE_MASK;
    const proto = inetProtocol(t, domain, kind, protocol);
    if (proto < 0) return proto;
    return install(t, new InetSocket(t.kernel.net, domain, kind, proto, nonblock), cloexec);
  }
  if (domain === AF_NETLINK) {
    const s = NetlinkSocket.create(t.kernel, type & SOCK_TYPE_MASK, protocol, nonblock);
    return typeof s === 'number' ? s : install(t, s, cloexec);
  }
  const kind = checkType(domain, type, protocol);
  if (kind < 0) return kind;
  return install(t, new UnixSocket(registryOf(t.kernel), kind, (type & SOCK_NONBLOCK) !== 0), (type & SOCK_CLOEXEC) !== 0);
}

function socketpair(t: Task, domain: number, type: number, protocol: number, sv: number): number {
  if (domain === AF_INET || domain === AF_INET6) return type & ~(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC) ? -EINVAL : -EOPNOTSUPP;
  const kind = checkType(domain, type, protocol);
  if (kind < 0) return kind;
  const [a, b] = socketPair(t, kind, (type & SOCK_NONBLOCK) !== 0);
  const cloexec = (type & SOCK_CLOEXEC) !== 0;
  const fa = install(t, a, cloexec);
  if (fa < 0) { void b.release(); return fa; }
  const fb = install(t, b, cloexec);
  if (fb < 0) { t.proc.files.close(fa); return fb; }
  if (!putStruct(t, sv, 8, (dv) => { dv.setInt32(0, fa, true); dv.setInt32(4, fb, true); })) {
    t.proc.files.close(fa); t.proc.files.close(fb);
    return -EFAULT;
  }
  return 0;
}

// ---- addresses ----

interface Addr { family: number; name: UnixName; abstract: boolean }

/** Decode a sockaddr_un (unix_validate_addr / unix_mkname). An empty name (len 2) is `name.length === 0`. */
function readAddr(t: Task, p: number, len: number): Addr | number {
  if (len < 2 || len > SUN_LEN_MAX) return -EINVAL;
  const b = copyIn(t, p, len);
  if (!b) return -EFAULT;
  const family = b[0] | b[1] << 8;
  let name = b.subarray(SUN_PATH_OFF);
  const abstract = name.length > 0 && name[0] === 0;
  if (!abstract) {
    const nul = name.indexOf(0);
    if (nul >= 0) name = name.subarray(0, nul);
  }
  return { family, name: name.slice(), abstract };
}

/** Write an address and its length as getsockname/accept/recvfrom do (truncating to the caller's size). */
function writeAddr(t: Task, p: number, lenp: number, name: UnixName | null): number {
  if (!lenp) return 0;
  const have = getI32(t, lenp);
  if (have === null) return -EFAULT;
  if (have < 0) return -EINVAL;
  let bytes: Uint8Array;
  if (name === null) bytes = Uint8Array.of(AF_UNIX, 0);
  else {
    const abstract = name.length > 0 && name[0] === 0;
    bytes = new Uint8Array(SUN_PATH_OFF + name.length + (abstract ? 0 : 1));
    bytes[0] = AF_UNIX;
    bytes.set(name, SUN_PATH_OFF);
  }
  if (p && have > 0 && !copyOut(t, p, bytes.subarray(0, Math.min(have, bytes.length)))) return -EFAULT;
  return putU32(t, lenp, bytes.length) ? 0 : -EFAULT;
}

const pathOf = (name: UnixName): string => new TextDecoder().decode(name);

/** sizeof(struct sockaddr_storage): move_addr_to_kernel refuses longer addresses. */
const SOCKADDR_MAX = 128;

/** A sockaddr_in/sockaddr_in6 from the guest for an inet socket; null for AF_UNSPEC when `unspec` allows it. */
function readInetAddr(t: Task, s: InetSocket, p: number, len: number, unspec = false): InetAddr | null | number {
  if (len < 0 || len > SOCKADDR_MAX) return -EINVAL;
  const b = copyIn(t, p, len);
  if (!b) return -EFAULT;
  if (unspec && len >= 2 && (b[0] | b[1] << 8) === AF_UNSPEC) return null;
  return decodeSockaddr(b, s.domain);
}

/** Write an inet address and its length (getsockname, accept, recvfrom), truncated to the caller's size. */
function writeInetAddr(t: Task, p: number, lenp: number, a: InetAddr, domain: InetFamily): number {
  return writeBytes(t, p, lenp, encodeSockaddr(a, domain));
}

function writeBytes(t: Task, p: number, lenp: number, bytes: Uint8Array): number {
  if (!lenp) return 0;
  const have = getI32(t, lenp);
  if (have === null) return -EFAULT;
  if (have < 0) return -EINVAL;
  if (p && have > 0 && !copyOut(t, p, bytes.subarray(0, Math.min(have, bytes.length)))) return -EFAULT;
  return putU32(t, lenp, bytes.length) ? 0 : -EFAULT;
}

/** ip_unprivileged_port_start: binding below 1024 wants CAP_NET_BIND_SERVICE (root here). */
const PROT_SOCK = 1024;

/** The socket bound to an address (for connect and sendto), or -errno. */
async function lookup(t: Task, a: Addr): Promise<UnixSocket | number> {
  const reg = registryOf(t.kernel);
  if (a.abstract) return reg.abstract.get(UnixRegistry.abstractKey(a.name)) ?? -ECONNREFUSED;
  const vfs = t.kernel.vfs;
  const r = await vfs.resolve(ctxOf(t), AT_FDCWD, pathOf(a.name));
  if (typeof r === 'number') return r;
  const perm = permission(r.stat, MAY_WRITE, ctxOf(t));
  if (perm < 0) return perm;
  if ((r.stat.mode & S_IFMT) !== S_IFSOCK) return -ECONNREFUSED;
  return reg.byInode.get(UnixRegistry.key(r.stat.dev, r.stat.ino)) ?? -ECONNREFUSED;
}

async function bind(t: Task, fd: number, p: number, len: number): Promise<number> {
  const s = sockOf(t, fd);
  if (typeof s === 'number') return s;
  if (s instanceof NetlinkSocket) return s.bind(copyIn(t, p, Math.max(0, Math.min(len, SOCKADDR_MAX))), len);
  if (s instanceof InetSocket) {
    const ia = readInetAddr(t, s, p, len);
    if (typeof ia === 'number') return ia;
    if (ia!.port && ia!.port < PROT_SOCK && s.proto !== 'icmp' && t.proc.creds.euid !== 0) return -EACCES;
    return s.bind(ia!);
  }
  const a = readAddr(t, p, len);
  if (typeof a === 'number') return a;
  if (a.family !== AF_UNIX) return -EINVAL;
  if (s.name) return -EINVAL;
  const reg = s.registry;
  if (a.name.length === 0) {
    const name = reg.autobindName();
    s.bindName(name, UnixRegistry.abstractKey(name), true);
    return 0;
  }
  if (a.abstract) {
    const key = UnixRegistry.abstractKey(a.name);
    if (reg.abstract.has(key)) return -EADDRINUSE;
    s.bindName(a.name, key, true);
    return 0;
  }
  const vfs = t.kernel.vfs;
  const path = pathOf(a.name);
  const e = await vfs.mknod(ctxOf(t), AT_FDCWD, path, S_IFSOCK | 0o777, 0);
  if (e === -EEXIST) return -EADDRINUSE;
  if (e < 0) return e;
  if (s.name) return -EINVAL; // bound meanwhile by another thread
  const r = await vfs.resolve(ctxOf(t), AT_FDCWD, path, false);
  if (typeof r === 'number') return r;
  s.bindName(a.name, UnixRegistry.key(r.stat.dev, r.stat.ino), false);
  return 0;
}

async function connect(t: Task, fd: number, p: number, len: number): Promise<number> {
  const s = sockOf(t, fd);
  if (typeof s === 'number') return s;
  if (s instanceof NetlinkSocket) return 0;
  if (s instanceof InetSocket) {
    const ia = readInetAddr(t, s, p, len, true);
    if (typeof ia === 'number') return ia;
    return s.connect(t, ia);
  }
  const a = readAddr(t, p, len);
  if (typeof a === 'number') return a;
  if (s.type === SOCK_DGRAM && a.family === AF_UNSPEC) {
    s.peer = null;
    s.wake();
    return 0;
  }
  if (a.family !== AF_UNIX) return -EINVAL;
  if (a.name.length === 0) return -EINVAL;
  if (s.connectionBased && s.state !== 'unconnected') return alreadyConnected(s);
  const target = await lookup(t, a);
  if (typeof target === 'number') return target;
  if (s.type === SOCK_DGRAM) {
    if (target.type !== s.type) return -EPROTOTYPE;
    s.peer = target;
    s.wake();
    return 0;
  }
  for (;;) {
    if (s.state !== 'unconnected') return alreadyConnected(s);
    const r = connectTo(t, s, target);
    if (r !== -EAGAIN) return r;
    if (s.nonblock) return -EAGAIN;
    if ((await waitAny([target.waitq], t.interrupt)) === INTERRUPTED) return -ERESTARTSYS;
  }
}

function listen(t: Task, fd: number, backlog: number): number | Promise<number> {
  const s = sockOf(t, fd);
  if (typeof s === 'number') return s;
  if (s instanceof NetlinkSocket) return -EOPNOTSUPP;
  if (s instanceof InetSocket) return s.listen(backlog);
  if (!s.connectionBased) return -EOPNOTSUPP;
  if (s.state === 'connected' || !s.name) return -EINVAL;
  s.maxBacklog = backlog < 0 || backlog > SOMAXCONN ? SOMAXCONN : backlog;
  if (s.state !== 'listening') s.listenCred = { pid: t.proc.pid, uid: t.proc.creds.euid, gid: t.proc.creds.egid };
  s.state = 'listening';
  s.wake();
  return 0;
}

async function accept(t: Task, fd: number, p: number, lenp: number, flags: number): Promise<number> {
  if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) return -EINVAL;
  const s = sockOf(t, fd);
  if (typeof s === 'number') return s;
  if (s instanceof NetlinkSocket) return -EOPNOTSUPP;
  if (s instanceof InetSocket) {
    if (s.proto !== 'tcp') return -EOPNOTSUPP;
    const n = await s.accept(t);
    if (typeof n === 'number') return n;
    if (flags & SOCK_NONBLOCK) n.flags |= O_NONBLOCK;
    const peer = n.peername();
    const e = typeof peer === 'number' ? 0 : writeInetAddr(t, p, lenp, peer, s.domain);
    if (e < 0) { void n.release(); return e; }
    return install(t, n, (flags & SOCK_CLOEXEC) !== 0);
  }
  if (!s.connectionBased) return -EOPNOTSUPP;
  if (s.state !== 'listening') return -EINVAL;
  while (!s.backlog.length) {
    if (s.nonblock) return -EAGAIN;
    if ((await waitAny([s.waitq], t.interrupt)) === INTERRUPTED) return -ERESTARTSYS;
    if (s.released || s.state !== 'listening') return -EINVAL;
  }
  const n = s.backlog.shift()!;
  s.wake();
  if (flags & SOCK_NONBLOCK) n.flags |= O_NONBLOCK;
  const e = writeAddr(t, p, lenp, n.peer?.name ?? null);
  if (e < 0) { s.backlog.unshift(n); return e; }
  return install(t, n, (flags & SOCK_CLOEXEC) !== 0);
}

function getname(t: Task, fd: number, p: number, lenp: number, peer: boolean): number {
  const s = sockOf(t, fd);
  if (typeof s === 'number') return s;
  if (s instanceof NetlinkSocket) return peer ? writeBytes(t, p, lenp, s.peerName()) : writeBytes(t, p, lenp, s.sockName());
  if (s instanceof InetSocket) {
    const a = peer ? s.peername() : s.sockname();
    return typeof a === 'number' ? a : writeInetAddr(t, p, lenp, a, s.domain);
  }
  if (peer) {
    if (!s.peer || (s.connectionBased && s.state !== 'connected')) return -ENOTCONN;
    return writeAddr(t, p, lenp, s.peer.name);
  }
  return writeAddr(t, p, lenp, s.name);
}

function shutdown(t: Task, fd: number, how: number): number {
  const s = sockOf(t, fd);
  if (typeof s === 'number') return s;
  if (s instanceof NetlinkSocket) return -EOPNOTSUPP;
  return s instanceof InetSocket ? s.shutdown(how) : s.shut(how);
}

// ---- data ----

interface Iov { base: number; len: number }

function readIovs(t: Task, p: number, n: number): Iov[] | number {
  if (n < 0 || n > UIO_MAXIOV) return -EMSGSIZE;
  const dv = n ? getStruct(t, p, n * 8) : new DataView(new ArrayBuffer(0));
  if (!dv) return -EFAULT;
  const out: Iov[] = [];
  let total = 0;
  for (let i = 0; i < n; i++) {
    const len = dv.getInt32(i * 8 + 4, true);
    if (len < 0 || (total += len) > 0x7ffff000) return -EINVAL;
    out.push({ base: dv.getUint32(i * 8, true), len });
  }
  return out;
}

function gather(t: Task, iovs: Iov[]): Uint8Array | number {
  const total = iovs.reduce((n, v) => n + v.len, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const v of iovs) {
    if (!v.len) continue;
    const b = copyIn(t, v.base, v.len);
    if (!b) return -EFAULT;
    out.set(b, o);
    o += v.len;
  }
  return out;
}

function scatter(t: Task, iovs: Iov[], data: Uint8Array): boolean {
  let o = 0;
  for (const v of iovs) {
    if (o >= data.length) break;
    const n = Math.min(v.len, data.length - o);
    if (n && !copyOut(t, v.base, data.subarray(o, o + n))) return false;
    o += n;
  }
  return true;
}

/** Destination of a send with an address: the socket, or -errno. */
async function destination(t: Task, s: UnixSocket, p: number, len: number): Promise<UnixSocket | null | number> {
  if (!p || len === 0) return null;
  if (s.type === SOCK_SEQPACKET) return null; // the address is ignored
  if (s.type === SOCK_STREAM) return s.state === 'connected' ? -EISCONN : -EOPNOTSUPP;
  const a = readAddr(t, p, len);
  if (typeof a === 'number') return a;
  if (a.family !== AF_UNIX || a.name.length === 0) return -EINVAL;
  const d = await lookup(t, a);
  if (typeof d === 'number') return d;
  return d.type !== s.type ? -EPROTOTYPE : d;
}

async function sendCommon(t: Task, s: AnySocket, data: Uint8Array, flags: number, to: number, tolen: number, rights: File[] | null, cred: Ucred | null): Promise<number> {
  if (!(s instanceof UnixSocket)) {
    dropRights(rights);
    if (s instanceof NetlinkSocket) return s.send(t, data, flags);
    let dest: InetAddr | null = null;
    // A stream socket ignores the address (tcp_sendmsg); a datagram socket sends there.
    if (to && tolen && s.proto !== 'tcp') {
      const a = readInetAddr(t, s, to, tolen);
      if (typeof a === 'number') return a;
      dest = a;
    }
    return s.send(t, data, flags, dest);
  }
  const dest = await destination(t, s, to, tolen);
  if (typeof dest === 'number') { dropRights(rights); return dest; }
  return s.send(t, data, flags, dest, rights, cred);
}

async function sendto(t: Task, fd: number, buf: number, len: number, flags: number, to: number, tolen: number): Promise<number> {
  const s = sockOf(t, fd);
  if (typeof s === 'number') return s;
  if (len < 0) return -EINVAL;
  const data = copyIn(t, buf, len);
  if (!data) return -EFAULT;
  return sendCommon(t, s, data, flags, to, tolen, null, null);
}

async function recvCommon(t: Task, s: UnixSocket, len: number, flags: number): Promise<RecvResult | number> {
  return s.recv(t, len, flags);
}

/** A receive on an inet or netlink socket: the bytes, the datagram's full length and the sender's address as the guest sees it. */
interface OtherRecv { data: Uint8Array; full: number; name: Uint8Array | null; cred?: { pid: number; uid: number; gid: number } }

async function recvOther(t: Task, s: InetSocket | NetlinkSocket, len: number, flags: number): Promise<OtherRecv | number> {
  if (s instanceof NetlinkSocket) return s.recv(t, len, flags);
  const r = await s.recv(t, len, flags);
  if (typeof r === 'number') return r;
  // TCP reports no address (tcp_recvmsg leaves msg_namelen 0).
  return { data: r.data, full: r.full, name: r.from && s.proto !== 'tcp' ? encodeSockaddr(r.from, s.domain) : null };
}

/** recvfrom/recvmsg result with MSG_TRUNC: datagram sockets return the full length. */
const isDatagram = (s: AnySocket): boolean => (s instanceof InetSocket ? s.proto !== 'tcp' : s instanceof NetlinkSocket ? true : s.type !== SOCK_STREAM);

async function recvfrom(t: Task, fd: number, buf: number, len: number, flags: number, from: number, fromlen: number): Promise<number> {
  const s = sockOf(t, fd);
  if (typeof s === 'number') return s;
  if (len < 0) return -EINVAL;
  if (!(s instanceof UnixSocket)) {
    const r = await recvOther(t, s, len, flags);
    if (typeof r === 'number') return r;
    if (r.data.length && !copyOut(t, buf, r.data)) return -EFAULT;
    if (from && fromlen) {
      const e = r.name ? writeBytes(t, from, fromlen, r.name) : putU32(t, fromlen, 0) ? 0 : -EFAULT;
      if (e < 0) return e;
    }
    return flags & MSG_TRUNC && isDatagram(s) ? r.full : r.data.length;
  }
  const r = await recvCommon(t, s, len, flags);
  if (typeof r === 'number') return r;
  dropRights(r.rights);
  if (r.data.length && !copyOut(t, buf, r.data)) return -EFAULT;
  if (from) {
    const e = fromlen ? writeFrom(t, from, fromlen, r.from) : 0;
    if (e < 0) return e;
  }
  return flags & MSG_TRUNC && s.type !== SOCK_STREAM ? r.full : r.data.length;
}

/** recvfrom/recvmsg name: an unbound sender gives length 0 (unix_copy_addr). */
function writeFrom(t: Task, p: number, lenp: number, name: UnixName | null): number {
  if (name === null) return putU32(t, lenp, 0) ? 0 : -EFAULT;
  return writeAddr(t, p, lenp, name);
}

interface Cmsgs { rights: File[] | null; cred: Ucred | null }

function parseCmsgs(t: Task, p: number, len: number): Cmsgs | number {
  const out: Cmsgs = { rights: null, cred: null };
  if (!p || len === 0) return out;
  if (len < 0) return -EINVAL;
  const b = copyIn(t, p, len);
  if (!b) return -EFAULT;
  const dv = new DataView(b.buffer);
  const fail = (e: number): number => { dropRights(out.rights); return e; };
  for (let o = 0; o + 12 <= len;) {
    const clen = dv.getUint32(o, true), level = dv.getInt32(o + 4, true), type = dv.getInt32(o + 8, true);
    if (clen < 12 || o + clen > len) return fail(-EINVAL);
    if (level !== SOL_SOCKET) return fail(-EINVAL);
    if (type === SCM_RIGHTS) {
      const n = (clen - 12) >> 2;
      if (n <= 0 || (out.rights?.length ?? 0) + n > SCM_MAX_FD || out.rights) return fail(-EINVAL);
      const fs: File[] = [];
      for (let i = 0; i < n; i++) {
        const f = t.proc.files.get(dv.getInt32(o + 12 + i * 4, true));
        if (!f) { dropRights(fs); return fail(-EBADF); }
        f.refs++;
        fs.push(f);
      }
      out.rights = fs;
    } else if (type === SCM_CREDENTIALS) {
      if (clen !== 24) return fail(-EINVAL);
      const c = { pid: dv.getInt32(o + 12, true), uid: dv.getUint32(o + 16, true), gid: dv.getUint32(o + 20, true) };
      const cr = t.proc.creds;
      const root = cr.euid === 0;
      // __scm_send / scm_check_creds: one's own pid and any of one's ids, unless privileged.
      if (!root && (c.pid !== t.proc.pid || ![cr.uid, cr.euid, cr.suid].includes(c.uid) || ![cr.gid, cr.egid, cr.sgid].includes(c.gid))) return fail(-EPERM);
      out.cred = c;
    } else {
      return fail(-EINVAL);
    }
    o += (clen + 3) & ~3;
  }
  return out;
}

interface MsgHdr { name: number; namelen: number; iov: number; iovlen: number; control: number; controllen: number; flags: number }

function readMsgHdr(t: Task, p: number): MsgHdr | number {
  const dv = getStruct(t, p, 28);
  if (!dv) return -EFAULT;
  const u = (o: number) => dv.getUint32(o, true);
  return { name: u(0), namelen: dv.getInt32(4, true), iov: u(8), iovlen: dv.getInt32(12, true), control: u(16), controllen: u(20), flags: dv.getInt32(24, true) };
}

/** What sendmsg and recvmsg both start from: the socket, its msghdr and the msghdr's iovecs. */
function msgCall(t: Task, fd: number, mp: number) {
  const s = sockOf(t, fd);
  if (typeof s === 'number') return s;
  const m = readMsgHdr(t, mp);
  if (typeof m === 'number') return m;
  const iovs = readIovs(t, m.iov, m.iovlen);
  if (typeof iovs === 'number') return iovs;
  return { s, m, iovs };
}

async function sendmsg(t: Task, fd: number, mp: number, flags: number): Promise<number> {
  const call = msgCall(t, fd, mp);
  if (typeof call === 'number') return call;
  const { s, m, iovs } = call;
  const data = gather(t, iovs);
  if (typeof data === 'number') return data;
  // Inet and netlink sockets take no control messages that change what is sent (IP_PKTINFO, IP_TTL... are accepted and ignored).
  if (!(s instanceof UnixSocket)) return sendCommon(t, s, data, flags, m.name, m.namelen, null, null);
  const c = parseCmsgs(t, m.control, m.controllen);
  if (typeof c === 'number') return c;
  return sendCommon(t, s, data, flags, m.name, m.namelen, c.rights, c.cred);
}

async function recvmsg(t: Task, fd: number, mp: number, flags: number): Promise<number> {
  const call = msgCall(t, fd, mp);
  if (typeof call === 'number') return call;
  const { s, m, iovs } = call;
  const len = iovs.reduce((n, v) => n + v.len, 0);
  if (!(s instanceof UnixSocket)) {
    const r = await recvOther(t, s, len, flags & ~MSG_CMSG_CLOEXEC);
    if (typeof r === 'number') return r;
    if (!scatter(t, iovs, r.data)) return -EFAULT;
    let mflags = r.full > r.data.length && isDatagram(s) ? MSG_TRUNC : 0;
    // Netlink with SO_PASSCRED: the sender's credentials (netlink_recvmsg → scm_recv), the kernel's for its own messages.
    let used = 0;
    const cred = r.cred;
    if (cred && m.control) {
      if (m.controllen >= 24) {
        const c = new Uint8Array(24);
        const cdv = new DataView(c.buffer);
        cdv.setUint32(0, 24, true); cdv.setInt32(4, SOL_SOCKET, true); cdv.setInt32(8, SCM_CREDENTIALS, true);
        cdv.setInt32(12, cred.pid, true); cdv.setUint32(16, cred.uid, true); cdv.setUint32(20, cred.gid, true);
        if (!copyOut(t, m.control, c)) return -EFAULT;
        used = 24;
      } else mflags |= MSG_CTRUNC;
    }
    if (!putU32(t, mp + 20, used) || !putU32(t, mp + 24, mflags)) return -EFAULT;
    if (m.name && r.name) {
      const e = writeBytes(t, m.name, mp + 4, r.name);
      if (e < 0) return e;
    } else if (!putU32(t, mp + 4, 0)) return -EFAULT;
    return flags & MSG_TRUNC && isDatagram(s) ? r.full : r.data.length;
  }
  const r = await recvCommon(t, s, len, flags & ~MSG_CMSG_CLOEXEC);
  if (typeof r === 'number') return r;
  if (!scatter(t, iovs, r.data)) { dropRights(r.rights); return -EFAULT; }
  let mflags = 0;
  if (r.full > r.data.length && s.type !== SOCK_STREAM) mflags |= MSG_TRUNC;
  if (s.type === SOCK_SEQPACKET && !(mflags & MSG_TRUNC)) mflags |= MSG_EOR;
  // Control messages: credentials first (scm_recv), then descriptors (scm_detach_fds).
  const ctl: number[] = [];
  let used = 0;
  const room = m.control ? m.controllen : 0;
  const cbuf = new Uint8Array(room);
  const cdv = new DataView(cbuf.buffer);
  if (s.passcred && r.cred) {
    if (used + 24 <= room) {
      cdv.setUint32(used, 24, true); cdv.setInt32(used + 4, SOL_SOCKET, true); cdv.setInt32(used + 8, SCM_CREDENTIALS, true);
      cdv.setInt32(used + 12, r.cred.pid, true); cdv.setUint32(used + 16, r.cred.uid, true); cdv.setUint32(used + 20, r.cred.gid, true);
      used += 24;
    } else mflags |= MSG_CTRUNC;
  }
  if (r.rights) {
    const fit = room - used >= 16 ? Math.min(r.rights.length, (room - used - 12) >> 2) : 0;
    if (fit < r.rights.length) mflags |= MSG_CTRUNC;
    if (fit > 0) {
      cdv.setUint32(used, 12 + fit * 4, true); cdv.setInt32(used + 4, SOL_SOCKET, true); cdv.setInt32(used + 8, SCM_RIGHTS, true);
      for (let i = 0; i < fit; i++) {
        const f = r.rights[i];
        const nfd = t.proc.files.alloc(f, 0, (flags & MSG_CMSG_CLOEXEC) !== 0);
        if (nfd < 0) { mflags |= MSG_CTRUNC; cdv.setUint32(used, 12 + i * 4, true); dropRights(r.rights.slice(i)); break; }
        ctl.push(nfd);
        cdv.setInt32(used + 12 + i * 4, nfd, true);
      }
      // The queue's references move to the descriptors just installed (alloc took its own).
      dropRights(r.rights.slice(0, ctl.length));
      if (ctl.length === fit) dropRights(r.rights.slice(fit));
      used += 12 + ctl.length * 4;
    } else dropRights(r.rights);
  }
  if (used && !copyOut(t, m.control, cbuf.subarray(0, used))) return -EFAULT;
  if (!putU32(t, mp + 20, used)) return -EFAULT;
  if (!putU32(t, mp + 24, mflags)) return -EFAULT;
  if (m.name) {
    const name = r.from;
    if (name === null || s.type === SOCK_STREAM && !name) {
      if (!putU32(t, mp + 4, 0)) return -EFAULT;
    } else {
      const e = writeAddr(t, m.name, mp + 4, name);
      if (e < 0) return e;
    }
  } else if (!putU32(t, mp + 4, 0)) return -EFAULT;
  return flags & MSG_TRUNC && s.type !== SOCK_STREAM ? r.full : r.data.length;
}

// ---- options ----

/** The largest option value read from the guest (struct tcp_info is the largest we know). */
const OPT_MAX = 256;

function setsockopt(t: Task, fd: number, level: number, name: number, p: number, len: number): number {
  const s = sockOf(t, fd);
  if (typeof s === 'number') return s;
  if (!(s instanceof UnixSocket)) {
    if (len < 0) return -EINVAL;
    const v = copyIn(t, p, Math.min(len, OPT_MAX));
    if (!v) return -EFAULT;
    return s.setOpt(level, name, v, t.proc.creds.euid === 0);
  }
  if (level !== SOL_SOCKET) return -EOPNOTSUPP;
  if (name === SO_LINGER || name === SO_RCVTIMEO || name === SO_SNDTIMEO) {
    // Accepted and ignored: unix sockets never linger; receive/send timeouts are not implemented.
    return len < 8 ? -EINVAL : copyIn(t, p, 8) ? 0 : -EFAULT;
  }
  if (len < 4) return -EINVAL;
  const v = getI32(t, p);
  if (v === null) return -EFAULT;
  const clamp = (x: number, min: number, force: boolean) => Math.max(min, 2 * Math.min(x >>> 0 > 0x7fffffff ? 0x7fffffff : x, force ? 0x3fffffff : BUF_MAX));
  switch (name) {
    case SO_REUSEADDR: s.reuseaddr = v !== 0; return 0;
    case SO_PASSCRED: s.passcred = v !== 0; return 0;
    case SO_SNDBUF: case SO_SNDBUFFORCE:
      if (name === SO_SNDBUFFORCE && t.proc.creds.euid !== 0) return -EPERM;
      s.sndbuf = clamp(v, MIN_SNDBUF, name === SO_SNDBUFFORCE); s.wake(); return 0;
    case SO_RCVBUF: case SO_RCVBUFFORCE:
      if (name === SO_RCVBUFFORCE && t.proc.creds.euid !== 0) return -EPERM;
      s.rcvbuf = clamp(v, MIN_RCVBUF, name === SO_RCVBUFFORCE); s.wake(); return 0;
    case SO_DEBUG: case SO_DONTROUTE: case SO_BROADCAST: case SO_KEEPALIVE: case SO_OOBINLINE: case SO_REUSEPORT:
    case SO_RCVLOWAT: case SO_SNDLOWAT:
      return 0;
    case SO_TYPE: case SO_ERROR: case SO_PEERCRED: case SO_ACCEPTCONN: case SO_PROTOCOL: case SO_DOMAIN:
      return -ENOPROTOOPT;
  }
  return -ENOPROTOOPT;
}

function getsockopt(t: Task, fd: number, level: number, name: number, p: number, lenp: number): number {
  const s = sockOf(t, fd);
  if (typeof s === 'number') return s;
  if (!(s instanceof UnixSocket)) {
    const have = getI32(t, lenp);
    if (have === null) return -EFAULT;
    if (have < 0) return -EINVAL;
    const v = s.getOpt(level, name);
    if (typeof v === 'number') return v;
    const n = Math.min(have, v.length);
    if (n && !copyOut(t, p, v.subarray(0, n))) return -EFAULT;
    return putU32(t, lenp, n) ? 0 : -EFAULT;
  }
  if (level !== SOL_SOCKET) return -EOPNOTSUPP;
  const have = getI32(t, lenp);
  if (have === null) return -EFAULT;
  if (have < 0) return -EINVAL;
  let out: Uint8Array;
  const int = (v: number) => { const b = new Uint8Array(4); new DataView(b.buffer).setInt32(0, v, true); return b; };
  switch (name) {
    case SO_TYPE: out = int(s.type); break;
    case SO_ERROR: out = int(s.error); s.error = 0; break;
    case SO_SNDBUF: out = int(s.sndbuf); break;
    case SO_RCVBUF: out = int(s.rcvbuf); break;
    case SO_REUSEADDR: out = int(s.reuseaddr ? 1 : 0); break;
    case SO_PASSCRED: out = int(s.passcred ? 1 : 0); break;
    case SO_ACCEPTCONN: out = int(s.state === 'listening' ? 1 : 0); break;
    case SO_DOMAIN: out = int(AF_UNIX); break;
    case SO_PROTOCOL: out = int(0); break;
    case SO_KEEPALIVE: case SO_DEBUG: case SO_DONTROUTE: case SO_BROADCAST: case SO_OOBINLINE: case SO_REUSEPORT: out = int(0); break;
    case SO_RCVLOWAT: case SO_SNDLOWAT: out = int(1); break;
    case SO_LINGER: case SO_RCVTIMEO: case SO_SNDTIMEO: out = new Uint8Array(8); break;
    case SO_PEERCRED: {
      // No peer: pid 0 and the overflow ids (sk_peer_cred unset gives -1 ids in practice: overflowuid 65534).
      const c = s.peercred ?? { pid: 0, uid: 65534, gid: 65534 };
      out = new Uint8Array(12);
      const dv = new DataView(out.buffer);
      dv.setInt32(0, c.pid, true); dv.setUint32(4, c.uid, true); dv.setUint32(8, c.gid, true);
      break;
    }
    default: return -ENOPROTOOPT;
  }
  const n = Math.min(have, out.length);
  if (n && !copyOut(t, p, out.subarray(0, n))) return -EFAULT;
  return putU32(t, lenp, n) ? 0 : -EFAULT;
}

// ---- sendmmsg / recvmmsg ----

/** struct mmsghdr on i386: a 28-byte msghdr, then msg_len (u32). */
const MMSGHDR = 32;
/** recvmmsg: after the first message, do not wait for more (include/linux/socket.h). */
const MSG_WAITFORONE = 0x10000;

/**
 * sendmmsg(2) as net/socket.c __sys_sendmmsg: sendmsg for each message in turn, its count
 * stored in msg_len; an error ends the batch and is returned only when nothing was sent.
 */
async function sendmmsg(t: Task, fd: number, vec: number, vlen: number, flags: number): Promise<number> {
  const s = sockOf(t, fd);
  if (typeof s === 'number') return s;
  // UIO_MAXIOV is also the most messages one call handles (net/socket.c clamps vlen to it).
  const n = Math.min(vlen >>> 0, UIO_MAXIOV);
  let sent = 0;
  for (; sent < n; sent++) {
    const p = vec + sent * MMSGHDR;
    const r = await sendmsg(t, fd, p, flags);
    if (r < 0) return sent > 0 ? sent : r;
    if (!putU32(t, p + 28, r)) return sent > 0 ? sent : -EFAULT;
  }
  return sent;
}

/**
 * recvmmsg(2) as net/socket.c do_recvmmsg: recvmsg for each message, msg_len set; with
 * MSG_WAITFORONE only the first may wait. The timeout is checked after each message (the man
 * page's BUGS: it does not bound the wait for the first) and the time left is written back.
 * An error after some messages ends the batch and the count is returned (Linux keeps that
 * error for the next call; here it is not kept: the next call meets its cause again).
 */
async function recvmmsg(t: Task, fd: number, vec: number, vlen: number, flags: number, tsp: number, time64: boolean): Promise<number> {
  const s = sockOf(t, fd);
  if (typeof s === 'number') return s;
  let endNs: bigint | null = null;
  if (tsp) {
    const dv = getStruct(t, tsp, time64 ? 16 : 8);
    if (!dv) return -EFAULT;
    const sec = time64 ? dv.getBigInt64(0, true) : BigInt(dv.getInt32(0, true));
    const nsec = time64 ? dv.getInt32(8, true) : dv.getInt32(4, true);
    if (sec < 0n || nsec < 0 || nsec >= 1e9) return -EINVAL;
    endNs = monotonicNs(t.kernel) + sec * 1_000_000_000n + BigInt(nsec);
  }
  const n = Math.min(vlen >>> 0, UIO_MAXIOV);
  let got = 0;
  let fl = flags & ~MSG_WAITFORONE;
  let err = 0;
  while (got < n) {
    const p = vec + got * MMSGHDR;
    const r = await recvmsg(t, fd, p, fl);
    if (r < 0) { err = r; break; }
    if (!putU32(t, p + 28, r)) { err = -EFAULT; break; }
    got++;
    if (flags & MSG_WAITFORONE) fl |= MSG_DONTWAIT;
    if (endNs !== null && monotonicNs(t.kernel) >= endNs) break;
  }
  if (got === 0) return err;
  if (endNs !== null) {
    const left = endNs - monotonicNs(t.kernel);
    const l = left > 0n ? left : 0n;
    const dv = new DataView(new ArrayBuffer(time64 ? 16 : 8));
    if (time64) { dv.setBigInt64(0, l / 1_000_000_000n, true); dv.setInt32(8, Number(l % 1_000_000_000n), true); }
    else { dv.setInt32(0, Number(l / 1_000_000_000n), true); dv.setInt32(4, Number(l % 1_000_000_000n), true); }
    if (!copyOut(t, tsp, new Uint8Array(dv.buffer))) return -EFAULT;
  }
  return got;
}

// ---- the multiplexer ----

/** socketcall(2) call numbers (linux/net.h) and their argument counts. */
const SOCKETCALL_ARGS = [0, 3, 3, 3, 2, 3, 3, 3, 4, 4, 4, 6, 6, 2, 5, 5, 3, 3, 4, 5, 4];

function socketcall(t: Task, call: number, args: number): number | Promise<number> {
  if (call < 1 || call >= SOCKETCALL_ARGS.length) return -EINVAL;
  const dv = getStruct(t, args, SOCKETCALL_ARGS[call] * 4);
  if (!dv) return -EFAULT;
  const a = (i: number) => (i < SOCKETCALL_ARGS[call] ? dv.getInt32(i * 4, true) : 0);
  switch (call) {
    case 1: return socket(t, a(0), a(1), a(2));
    case 2: return bind(t, a(0), a(1), a(2));
    case 3: return connect(t, a(0), a(1), a(2));
    case 4: return listen(t, a(0), a(1));
    case 5: return accept(t, a(0), a(1), a(2), 0);
    case 6: return getname(t, a(0), a(1), a(2), false);
    case 7: return getname(t, a(0), a(1), a(2), true);
    case 8: return socketpair(t, a(0), a(1), a(2), a(3));
    case 9: return sendto(t, a(0), a(1), a(2), a(3), 0, 0);
    case 10: return recvfrom(t, a(0), a(1), a(2), a(3), 0, 0);
    case 11: return sendto(t, a(0), a(1), a(2), a(3), a(4), a(5));
    case 12: return recvfrom(t, a(0), a(1), a(2), a(3), a(4), a(5));
    case 13: return shutdown(t, a(0), a(1));
    case 14: return setsockopt(t, a(0), a(1), a(2), a(3), a(4));
    case 15: return getsockopt(t, a(0), a(1), a(2), a(3), a(4));
    case 16: return sendmsg(t, a(0), a(1), a(2));
    case 17: return recvmsg(t, a(0), a(1), a(2));
    case 18: return accept(t, a(0), a(1), a(2), a(3));
    case 19: return recvmmsg(t, a(0), a(1), a(2), a(3), a(4), false);
    case 20: return sendmmsg(t, a(0), a(1), a(2), a(3));
  }
  return -EINVAL;
}

/** This module's rows of the system call table (syscalls/index.ts). */
export const socketSyscalls = syscallTable({
  socketcall,
  socket: (t, d, ty, p) => socket(t, d, ty, p),
  socketpair: (t, d, ty, p, sv) => socketpair(t, d, ty, p, sv),
  bind: (t, fd, p, len) => bind(t, fd, p, len),
  connect: (t, fd, p, len) => connect(t, fd, p, len),
  listen: (t, fd, n) => listen(t, fd, n),
  accept4: (t, fd, p, lenp, flags) => accept(t, fd, p, lenp, flags),
  getsockname: (t, fd, p, lenp) => getname(t, fd, p, lenp, false),
  getpeername: (t, fd, p, lenp) => getname(t, fd, p, lenp, true),
  sendto: (t, fd, b, len, fl, to, tl) => sendto(t, fd, b, len, fl, to, tl),
  recvfrom: (t, fd, b, len, fl, fr, fl2) => recvfrom(t, fd, b, len, fl, fr, fl2),
  sendmsg: (t, fd, m, fl) => sendmsg(t, fd, m, fl),
  recvmsg: (t, fd, m, fl) => recvmsg(t, fd, m, fl),
  sendmmsg: (t, fd, v, n, fl) => sendmmsg(t, fd, v, n, fl),
  recvmmsg: (t, fd, v, n, fl, ts) => recvmmsg(t, fd, v, n, fl, ts, false),
  recvmmsg_time64: (t, fd, v, n, fl, ts) => recvmmsg(t, fd, v, n, fl, ts, true),
  shutdown: (t, fd, how) => shutdown(t, fd, how),
  setsockopt: (t, fd, l, n, p, len) => setsockopt(t, fd, l, n, p, len),
  getsockopt: (t, fd, l, n, p, lenp) => getsockopt(t, fd, l, n, p, lenp),
});
