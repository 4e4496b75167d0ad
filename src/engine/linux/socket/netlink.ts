/**
 * AF_NETLINK sockets (netlink(7), rtnetlink(7)): NETLINK_ROUTE answers the dumps that
 * glibc's getifaddrs/if_nameindex and iproute2 (`ip link`, `ip addr`, `ip route`) make —
 * RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE — from the machine's NetStack interfaces and
 * routes. Requests that would change the configuration answer EPERM (the VM's network is
 * configured by its backend, not by the guest); other dumps answer empty. Read-only is the
 * documented limit. NETLINK_KOBJECT_UEVENT sockets (udev, Xorg) can be made and bound; they
 * hear the machine's device events (broadcastUevent: the display card's hotplug when the
 * host display is resized) and nothing else. Other netlink protocols: EPROTONOSUPPORT, as a kernel
 * built without them.
 *
 * Layouts (linux/netlink.h, linux/rtnetlink.h, linux/if_link.h, linux/if_addr.h): every
 * message is a 16-byte nlmsghdr {len, type, flags, seq, pid} then a family header then
 * rtattr {u16 len, u16 type} attributes, each padded to 4 bytes.
 */
import type { Task } from '../task.js';
import type { Kernel } from '../kernel.js';
import { File, O_NONBLOCK, O_RDWR, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, S_IFSOCK, type Stat } from '../../fs/types.js';
import { allocAnonDev, nowTimespec } from '../../fs/tmpfs.js';
import { EADDRINUSE, EAGAIN, EFAULT, EINVAL, ENODEV, ENOPROTOOPT, EOPNOTSUPP, EPERM, EPROTONOSUPPORT, ERESTARTSYS, ESOCKTNOSUPPORT } from '../errno.js';
import { INTERRUPTED, waitAny } from '../wait.js';
import { putU32 } from '../uaccess.js';
import { ifIoctl } from './ifreq.js';
import { AF_INET, AF_INET6 } from '../../net/addr.js';
import type { NetInterface, Route } from '../../net/stack.js';
import { MSG_DONTWAIT, MSG_PEEK } from './unix.js';

export const AF_NETLINK = 16;
const NETLINK_ROUTE = 0, NETLINK_KOBJECT_UEVENT = 15;
const SOCK_DGRAM = 2, SOCK_RAW = 3;
const SOL_SOCKET = 1, SOL_NETLINK = 270;
const SO_TYPE = 3, SO_ERROR = 4, SO_SNDBUF = 7, SO_RCVBUF = 8, SO_PASSCRED = 16, SO_RCVBUFFORCE = 33, SO_SNDBUFFORCE = 32, SO_PROTOCOL = 38, SO_DOMAIN = 39;
const SO_TIMESTAMP_OLD = 29, SO_ATTACH_FILTER = 26;
/** SOL_NETLINK options programs set (iproute2: NETLINK_EXT_ACK, NETLINK_GET_STRICT_CHK). */
const NETLINK_ADD_MEMBERSHIP = 1, NETLINK_DROP_MEMBERSHIP = 2, NETLINK_PKTINFO = 3, NETLINK_NO_ENOBUFS = 5, NETLINK_LISTEN_ALL_NSID = 8;
const NETLINK_CAP_ACK = 10, NETLINK_EXT_ACK = 11, NETLINK_GET_STRICT_CHK = 12;
const FIONREAD = 0x541b;

const NLMSG_ERROR = 2, NLMSG_DONE = 3;
const NLM_F_REQUEST = 0x1, NLM_F_MULTI = 0x2, NLM_F_ACK = 0x4, NLM_F_DUMP = 0x300;
const RTM_NEWLINK = 16, RTM_GETLINK = 18, RTM_NEWADDR = 20, RTM_GETADDR = 22, RTM_NEWROUTE = 24, RTM_GETROUTE = 26;
const IFLA_ADDRESS = 1, IFLA_BROADCAST = 2, IFLA_IFNAME = 3, IFLA_MTU = 4, IFLA_QDISC = 6, IFLA_STATS = 7, IFLA_TXQLEN = 13;
const IFLA_OPERSTATE = 16, IFLA_LINKMODE = 17, IFLA_GROUP = 27, IFLA_PROMISCUITY = 30, IFLA_NUM_TX_QUEUES = 31, IFLA_NUM_RX_QUEUES = 32;
const IFLA_CARRIER = 33, IFLA_MIN_MTU = 50, IFLA_MAX_MTU = 51;
const IFA_ADDRESS = 1, IFA_LOCAL = 2, IFA_LABEL = 3, IFA_BROADCAST = 4, IFA_CACHEINFO = 6, IFA_FLAGS = 8;
const RTA_DST = 1, RTA_OIF = 4, RTA_GATEWAY = 5, RTA_PRIORITY = 6, RTA_PREFSRC = 7, RTA_TABLE = 15, RTA_PREF = 20;
/** ICMPV6_ROUTER_PREF_MEDIUM: what every kernel-made IPv6 route carries. */
const PREF_MEDIUM = 0;
const ARPHRD_ETHER = 1, ARPHRD_LOOPBACK = 772, ARPHRD_NONE = 0xfffe;
const IFF_UP = 0x1, IFF_LOOPBACK = 0x8, IFF_RUNNING = 0x40, IFF_LOWER_UP = 0x10000;
/** IF_OPER_UNKNOWN (lo and tun report it), IF_OPER_UP. */
const IF_OPER_UNKNOWN = 0, IF_OPER_UP = 6;
const IFA_F_NODAD = 0x02, IFA_F_PERMANENT = 0x80;
const RT_SCOPE_UNIVERSE = 0, RT_SCOPE_LINK = 253, RT_SCOPE_HOST = 254;
const RT_TABLE_MAIN = 254, RT_TABLE_LOCAL = 255;
const RTPROT_KERNEL = 2, RTPROT_BOOT = 3;
const RTN_UNICAST = 1, RTN_LOCAL = 2;
/** net.core.rmem_default, as for other sockets. */
const DEFAULT_BUF = 212992;

const sockDev = allocAnonDev();
let nextIno = 1;

/** Port ids in use per kernel (netlink_autobind: the process id first, then negative numbers). */
const portIds = new WeakMap<Kernel, Set<number>>();
/** NETLINK_KOBJECT_UEVENT sockets per kernel, for broadcastUevent. */
const ueventSockets = new WeakMap<Kernel, Set<NetlinkSocket>>();
/** uevent multicast groups: the kernel's (1) and udevd's re-broadcast (2, libudev's "udev" monitors). */
const UEVENT_GROUP_KERNEL = 1, UEVENT_GROUP_UDEV = 2;

/** Who sent a queued message, when it was not the kernel answering a request: recvmsg reports it. */
interface MsgMeta { groups: number; cred: { pid: number; uid: number; gid: number } }
const metaOf = new WeakMap<Uint8Array, MsgMeta>();

/**
 * A kernel uevent (kobject_uevent_env): "ACTION@DEVPATH" then KEY=VALUE strings, each NUL
 * terminated, multicast to group 1. No udevd runs in the machine, so the machine also does
 * its part: the same event goes to group-2 subscribers (libudev's "udev" monitors, which
 * Xorg's modesetting driver opens for hotplug), in the kernel's format, which libudev
 * accepts from any group when it carries root's credentials (sd-device device-monitor.c).
 */
export function broadcastUevent(k: Kernel, action: string, devpath: string, props: Record<string, string>): void {
  const text = [`${action}@${devpath}`, `ACTION=${action}`, `DEVPATH=${devpath}`, ...Object.entries(props).map(([a, b]) => `${a}=${b}`)];
  const msg = new TextEncoder().encode(text.join('\0') + '\0');
  for (const s of ueventSockets.get(k) ?? []) {
    for (const g of [UEVENT_GROUP_KERNEL, UEVENT_GROUP_UDEV]) if (s.hasGroup(g)) s.deliver(msg.slice(), g);
  }
}

/** Builds netlink messages: nlmsghdr, a fixed header, attributes. */
class MsgBuilder {
  private readonly parts: number[] = [];
  constructor(type: number, flags: number, seq: number, pid: number, header: Uint8Array) {
    this.u32(0); this.u16(type); this.u16(flags); this.u32(seq); this.u32(pid);
    this.bytes(header);
  }
  private u16(v: number) { this.parts.push(v & 0xff, (v >> 8) & 0xff); }
  private u32(v: number) { this.u16(v & 0xffff); this.u16(v >>> 16); }
  private bytes(b: Uint8Array) { for (const x of b) this.parts.push(x); while (this.parts.length & 3) this.parts.push(0); }
  attr(type: number, data: Uint8Array): this {
    this.u16(4 + data.length); this.u16(type);
    this.bytes(data);
    return this;
  }
  attrU32(type: number, v: number): this { return this.attr(type, le32(v)); }
  attrU8(type: number, v: number): this { return this.attr(type, Uint8Array.of(v)); }
  attrStr(type: number, s: string): this { return this.attr(type, new TextEncoder().encode(s + '\0')); }
  done(): Uint8Array {
    const b = Uint8Array.from(this.parts);
    new DataView(b.buffer).setUint32(0, b.length, true);
    return b;
  }
}

function le32(...vs: number[]): Uint8Array {
  const b = new Uint8Array(vs.length * 4);
  const dv = new DataView(b.buffer);
  vs.forEach((v, i) => dv.setUint32(i * 4, v >>> 0, true));
  return b;
}

function arphrd(i: NetInterface): number {
  return i.flags & IFF_LOOPBACK ? ARPHRD_LOOPBACK : i.mac.length === 6 ? ARPHRD_ETHER : ARPHRD_NONE;
}

export class NetlinkSocket extends File {
  readonly ino = nextIno++;
  readonly ctime = nowTimespec();
  private readonly queue: Uint8Array[] = [];
  private portId = 0;
  private groups = 0;
  private rcvBuf = DEFAULT_BUF;
  private sndBuf = DEFAULT_BUF;
  private readonly flagsOpt = new Map<number, number>();
  /** SO_PASSCRED: recvmsg adds the sender's SCM_CREDENTIALS. */
  passcred = false;

  private constructor(private readonly kernel: Kernel, readonly type: number, readonly protocol: number, nonblock: boolean) {
    super(O_RDWR | (nonblock ? O_NONBLOCK : 0), '');
    this.path = `socket:[${this.ino}]`;
  }

  static create(kernel: Kernel, type: number, protocol: number, nonblock: boolean): NetlinkSocket | number {
    if (type !== SOCK_RAW && type !== SOCK_DGRAM) return -ESOCKTNOSUPPORT;
    if (protocol !== NETLINK_ROUTE && protocol !== NETLINK_KOBJECT_UEVENT) return -EPROTONOSUPPORT;
    const s = new NetlinkSocket(kernel, type, protocol, nonblock);
    if (protocol === NETLINK_KOBJECT_UEVENT) {
      let set = ueventSockets.get(kernel);
      if (!set) ueventSockets.set(kernel, set = new Set());
      set.add(s);
    }
    return s;
  }

  /** Is the socket subscribed to multicast group `g` (bind's nl_groups bit g-1, or NETLINK_ADD_MEMBERSHIP)? */
  hasGroup(g: number): boolean {
    return ((this.groups >>> (g - 1)) & 1) === 1 || this.memberships.has(g);
  }
  private readonly memberships = new Set<number>();

  /** A multicast message from the kernel (port 0) to group `g`, dropped when the receive buffer is full (ENOBUFS on Linux). */
  deliver(msg: Uint8Array, g: number): void {
    const queued = this.queue.reduce((n, m) => n + m.length, 0);
    if (queued + msg.length > this.rcvBuf) return;
    metaOf.set(msg, { groups: 1 << (g - 1), cred: { pid: 0, uid: 0, gid: 0 } });
    this.queue.push(msg);
    this.waitq.wake();
  }

  stat(): Stat {
    return {
      dev: sockDev, ino: this.ino, mode: S_IFSOCK | 0o777, nlink: 1, uid: 0, gid: 0, rdev: 0,
      size: 0, blksize: 4096, blocks: 0, atime: this.ctime, mtime: this.ctime, ctime: this.ctime,
    };
  }

  private autobind(t: Task | null): void {
    if (this.portId) return;
    let used = portIds.get(this.kernel);
    if (!used) portIds.set(this.kernel, used = new Set());
    let id = t && !used.has(t.proc.pid) ? t.proc.pid : -4097;
    while (used.has(id)) id--;
    used.add(id);
    this.portId = id;
  }

  /** bind(sockaddr_nl): nl_pid 0 lets the kernel choose; nl_groups are accepted (no events are ever sent). */
  bind(b: Uint8Array | null, len: number): number {
    if (!b) return -EFAULT;
    if (len < 12) return -EINVAL;
    const dv = new DataView(b.buffer, b.byteOffset, b.length);
    if (dv.getUint16(0, true) !== AF_NETLINK) return -EINVAL;
    const pid = dv.getInt32(4, true), groups = dv.getUint32(8, true);
    const used = portIds.get(this.kernel) ?? new Set<number>();
    portIds.set(this.kernel, used);
    if (pid !== 0) {
      if (this.portId && this.portId !== pid) return -EINVAL;
      if (!this.portId) {
        if (used.has(pid)) return -EADDRINUSE;
        used.add(pid);
        this.portId = pid;
      }
    } else this.autobind(this.kernel.current);
    this.groups = groups;
    return 0;
  }

  sockName(): Uint8Array {
    const b = new Uint8Array(12);
    const dv = new DataView(b.buffer);
    dv.setUint16(0, AF_NETLINK, true);
    dv.setInt32(4, this.portId, true);
    dv.setUint32(8, this.groups, true);
    return b;
  }

  /** The kernel's address (port 0): what recvfrom reports and getpeername gives. */
  peerName(): Uint8Array {
    const b = new Uint8Array(12);
    new DataView(b.buffer).setUint16(0, AF_NETLINK, true);
    return b;
  }

  poll(): number {
    return (this.queue.length ? POLLIN | POLLRDNORM : 0) | POLLOUT | POLLWRNORM;
  }

  ioctl(t: Task, req: number, arg: number): number {
    if (req === FIONREAD) return putU32(t, arg, this.queue[0]?.length ?? 0) ? 0 : -EFAULT;
    return ifIoctl(t, this.kernel.net.interfaces(), req, arg);
  }

  setOpt(level: number, name: number, v: Uint8Array, privileged: boolean): number {
    if (v.length < 4 && name !== SO_ATTACH_FILTER) return -EINVAL;
    const x = v.length >= 4 ? new DataView(v.buffer, v.byteOffset, 4).getInt32(0, true) : 0;
    if (level === SOL_SOCKET) {
      switch (name) {
        case SO_RCVBUF: case SO_RCVBUFFORCE:
          if (name === SO_RCVBUFFORCE && !privileged) return -EPERM;
          this.rcvBuf = Math.max(2304, 2 * Math.min(x >>> 0, name === SO_RCVBUFFORCE ? 0x3fffffff : DEFAULT_BUF)); return 0;
        case SO_SNDBUF: case SO_SNDBUFFORCE:
          if (name === SO_SNDBUFFORCE && !privileged) return -EPERM;
          this.sndBuf = Math.max(4608, 2 * Math.min(x >>> 0, name === SO_SNDBUFFORCE ? 0x3fffffff : DEFAULT_BUF)); return 0;
        case SO_PASSCRED: this.passcred = x !== 0; return 0;
        case SO_TIMESTAMP_OLD: case SO_ATTACH_FILTER: return 0;
      }
      return -ENOPROTOOPT;
    }
    if (level === SOL_NETLINK) {
      switch (name) {
        case NETLINK_ADD_MEMBERSHIP: this.memberships.add(x); return 0;
        case NETLINK_DROP_MEMBERSHIP: this.memberships.delete(x); return 0;
        case NETLINK_PKTINFO: case NETLINK_NO_ENOBUFS:
        case NETLINK_LISTEN_ALL_NSID: case NETLINK_CAP_ACK: case NETLINK_EXT_ACK: case NETLINK_GET_STRICT_CHK:
          this.flagsOpt.set(name, x); return 0;
      }
      return -ENOPROTOOPT;
    }
    return -ENOPROTOOPT;
  }

  getOpt(level: number, name: number): Uint8Array | number {
    if (level === SOL_SOCKET) {
      switch (name) {
        case SO_TYPE: return le32(this.type);
        case SO_PROTOCOL: return le32(this.protocol);
        case SO_DOMAIN: return le32(AF_NETLINK);
        case SO_ERROR: return le32(0);
        case SO_RCVBUF: return le32(this.rcvBuf);
        case SO_SNDBUF: return le32(this.sndBuf);
      }
      return -ENOPROTOOPT;
    }
    if (level === SOL_NETLINK) return le32(this.flagsOpt.get(name) ?? 0);
    return -ENOPROTOOPT;
  }

  /** A request from the guest: every message in it is answered now (the kernel's rtnetlink_rcv is synchronous too). */
  send(t: Task, data: Uint8Array, _flags: number): number {
    this.autobind(t);
    if (this.protocol !== NETLINK_ROUTE) return data.length;
    const dv = new DataView(data.buffer, data.byteOffset, data.length);
    for (let o = 0; o + 16 <= data.length;) {
      const len = dv.getUint32(o, true);
      if (len < 16 || o + len > data.length) break;
      this.handle(data.subarray(o, o + len));
      o += (len + 3) & ~3;
    }
    this.waitq.wake();
    return data.length;
  }

  private handle(msg: Uint8Array): void {
    const dv = new DataView(msg.buffer, msg.byteOffset, msg.length);
    const type = dv.getUint16(4, true), flags = dv.getUint16(6, true), seq = dv.getUint32(8, true);
    if (!(flags & NLM_F_REQUEST)) return;
    const dump = (flags & NLM_F_DUMP) === NLM_F_DUMP;
    const body = msg.subarray(16);
    const family = body.length ? body[0] : 0;
    const net = this.kernel.net;
    let err = 0;
    if (type === RTM_GETLINK) {
      const links = net.interfaces();
      if (dump) this.dump(seq, links.map((i) => this.link(i, seq, NLM_F_MULTI)));
      else {
        const want = body.length >= 8 ? new DataView(body.buffer, body.byteOffset + 4, 4).getInt32(0, true) : 0;
        const name = attrString(body.subarray(16), IFLA_IFNAME);
        const i = links.find((x) => (want && x.index === want) || (!want && name !== null && x.name === name));
        if (i) this.queue.push(this.link(i, seq, 0)); else err = -ENODEV;
      }
    } else if (type === RTM_GETADDR && dump) {
      const out: Uint8Array[] = [];
      for (const i of net.interfaces()) for (const a of i.addresses) {
        if (family && family !== a.family) continue;
        out.push(this.addr(i, a, seq));
      }
      this.dump(seq, out);
    } else if (type === RTM_GETROUTE && dump) {
      this.dump(seq, net.routes().filter((r) => !family || family === r.family).map((r) => this.route(r, seq)));
    } else if (dump && (type & 3) === 2) {
      // Other RTM_GET* dumps (neighbours, rules, qdiscs...): nothing to show.
      this.dump(seq, []);
    } else if ((type & 3) === 2) {
      err = -EOPNOTSUPP;
    } else {
      err = -EPERM;
    }
    if (err || flags & NLM_F_ACK) this.queue.push(this.error(err, msg, seq));
  }

  private dump(seq: number, msgs: Uint8Array[]): void {
    if (msgs.length) this.queue.push(concat(msgs));
    this.queue.push(new MsgBuilder(NLMSG_DONE, NLM_F_MULTI, seq, this.portId, le32(0)).done());
  }

  private error(err: number, req: Uint8Array, seq: number): Uint8Array {
    const payload = new Uint8Array(4 + 16);
    new DataView(payload.buffer).setInt32(0, err, true);
    payload.set(req.subarray(0, 16), 4);
    return new MsgBuilder(NLMSG_ERROR, 0, seq, this.portId, payload).done();
  }

  /** RTM_NEWLINK for one interface (rtnl_fill_ifinfo). */
  private link(i: NetInterface, seq: number, flags: number): Uint8Array {
    const hdr = new Uint8Array(16);
    const dv = new DataView(hdr.buffer);
    dv.setUint16(2, arphrd(i), true);
    dv.setInt32(4, i.index, true);
    dv.setUint32(8, i.flags, true);
    const up = (i.flags & (IFF_UP | IFF_RUNNING)) === (IFF_UP | IFF_RUNNING);
    const m = new MsgBuilder(RTM_NEWLINK, flags, seq, this.portId, hdr)
      .attrStr(IFLA_IFNAME, i.name)
      .attrU32(IFLA_TXQLEN, i.flags & IFF_LOOPBACK ? 1000 : 500)
      .attrU8(IFLA_OPERSTATE, i.flags & IFF_LOOPBACK || i.mac.length !== 6 ? IF_OPER_UNKNOWN : up ? IF_OPER_UP : 2)
      .attrU8(IFLA_LINKMODE, 0)
      .attrU32(IFLA_MTU, i.mtu)
      .attrU32(IFLA_MIN_MTU, i.flags & IFF_LOOPBACK ? 0 : 68)
      .attrU32(IFLA_MAX_MTU, i.flags & IFF_LOOPBACK ? 0 : 65535)
      .attrU32(IFLA_GROUP, 0)
      .attrU32(IFLA_PROMISCUITY, 0)
      .attrU32(IFLA_NUM_TX_QUEUES, 1)
      .attrU32(IFLA_NUM_RX_QUEUES, 1)
      .attrU8(IFLA_CARRIER, i.flags & IFF_LOWER_UP ? 1 : 0)
      .attrStr(IFLA_QDISC, i.flags & IFF_LOOPBACK ? 'noqueue' : 'fq_codel');
    if (i.mac.length) {
      m.attr(IFLA_ADDRESS, i.mac);
      m.attr(IFLA_BROADCAST, i.flags & IFF_LOOPBACK ? new Uint8Array(i.mac.length) : new Uint8Array(i.mac.length).fill(0xff));
    }
    // struct rtnl_link_stats (23 u32 counters): glibc's getifaddrs copies it to ifa_data.
    m.attr(IFLA_STATS, new Uint8Array(23 * 4));
    return m.done();
  }

  /** RTM_NEWADDR (inet_fill_ifaddr / inet6_fill_ifaddr). */
  private addr(i: NetInterface, a: NetInterface['addresses'][number], seq: number): Uint8Array {
    const lo = (i.flags & IFF_LOOPBACK) !== 0;
    const hdr = new Uint8Array(8);
    hdr[0] = a.family; hdr[1] = a.prefixLen;
    hdr[2] = a.family === AF_INET6 ? IFA_F_PERMANENT | (lo ? 0 : IFA_F_NODAD) : IFA_F_PERMANENT;
    hdr[3] = lo ? RT_SCOPE_HOST : isLinkLocal(a.family, a.addr) ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
    new DataView(hdr.buffer).setInt32(4, i.index, true);
    const m = new MsgBuilder(RTM_NEWADDR, NLM_F_MULTI, seq, this.portId, hdr);
    if (a.family === AF_INET) {
      m.attr(IFA_ADDRESS, a.addr).attr(IFA_LOCAL, a.addr);
      if (!lo && a.prefixLen < 31) {
        const bc = a.addr.slice();
        for (let k = 0; k < 4; k++) { const bits = Math.max(0, Math.min(8, a.prefixLen - k * 8)); bc[k] |= (0xff >> bits); }
        m.attr(IFA_BROADCAST, bc);
      }
      m.attrStr(IFA_LABEL, i.name);
    } else {
      m.attr(IFA_ADDRESS, a.addr);
    }
    m.attrU32(IFA_FLAGS, hdr[2]);
    // struct ifa_cacheinfo {preferred, valid, cstamp, tstamp}: forever.
    m.attr(IFA_CACHEINFO, le32(0xffffffff, 0xffffffff, 0, 0));
    return m.done();
  }

  /** RTM_NEWROUTE: loopback routes live in the local table (`local 127.0.0.0/8 dev lo`, `local ::1 dev lo` on Linux 6.x), the rest in main. */
  private route(r: Route, seq: number): Uint8Array {
    const loV4 = r.ifIndex === 1 && (r.family === AF_INET || r.prefixLen === 128);
    const hdr = new Uint8Array(12);
    hdr[0] = r.family; hdr[1] = r.prefixLen;
    hdr[4] = loV4 ? RT_TABLE_LOCAL : RT_TABLE_MAIN;
    hdr[5] = loV4 || r.family === AF_INET6 || !r.gateway ? RTPROT_KERNEL : RTPROT_BOOT;
    hdr[6] = loV4 && r.family === AF_INET ? RT_SCOPE_HOST : r.gateway || r.family === AF_INET6 ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
    hdr[7] = loV4 ? RTN_LOCAL : RTN_UNICAST;
    const m = new MsgBuilder(RTM_NEWROUTE, NLM_F_MULTI, seq, this.portId, hdr).attrU32(RTA_TABLE, hdr[4]);
    if (r.prefixLen) m.attr(RTA_DST, r.dst);
    if (r.family === AF_INET6) m.attrU32(RTA_PRIORITY, loV4 ? 0 : 256);
    if (loV4 && r.family === AF_INET) m.attr(RTA_PREFSRC, Uint8Array.of(127, 0, 0, 1));
    if (r.gateway) m.attr(RTA_GATEWAY, r.gateway);
    m.attrU32(RTA_OIF, r.ifIndex);
    if (r.family === AF_INET6) m.attrU8(RTA_PREF, PREF_MEDIUM);
    return m.done();
  }

  async recv(t: Task, len: number, flags: number): Promise<{ data: Uint8Array; full: number; name: Uint8Array; cred?: MsgMeta['cred'] } | number> {
    for (;;) {
      const m = this.queue[0];
      if (m) {
        if (!(flags & MSG_PEEK)) this.queue.shift();
        const meta = metaOf.get(m);
        const name = this.peerName();
        if (meta) new DataView(name.buffer).setUint32(8, meta.groups, true);
        return { data: m.subarray(0, len), full: m.length, name, cred: this.passcred ? meta?.cred ?? { pid: 0, uid: 0, gid: 0 } : undefined };
      }
      if (this.nonblock || flags & MSG_DONTWAIT) return -EAGAIN;
      if ((await waitAny([this.waitq], t.interrupt)) === INTERRUPTED) return -ERESTARTSYS;
    }
  }

  read(t: Task, buf: Uint8Array): Promise<number> {
    return this.recv(t, buf.length, 0).then((r) => {
      if (typeof r === 'number') return r;
      buf.set(r.data);
      return r.data.length;
    });
  }

  write(t: Task, data: Uint8Array): number { return this.send(t, data, 0); }

  release(): void {
    ueventSockets.get(this.kernel)?.delete(this);
    if (this.portId) portIds.get(this.kernel)?.delete(this.portId);
  }
}

function isLinkLocal(family: number, a: Uint8Array): boolean {
  return family === AF_INET6 ? a[0] === 0xfe && (a[1] & 0xc0) === 0x80 : a[0] === 169 && a[1] === 254;
}

/** The string value of attribute `type` in an rtattr list, or null. */
function attrString(attrs: Uint8Array, type: number): string | null {
  const dv = new DataView(attrs.buffer, attrs.byteOffset, attrs.length);
  for (let o = 0; o + 4 <= attrs.length;) {
    const len = dv.getUint16(o, true), ty = dv.getUint16(o + 2, true);
    if (len < 4 || o + len > attrs.length) break;
    if (ty === type) {
      const v = attrs.subarray(o + 4, o + len);
      const nul = v.indexOf(0);
      return new TextDecoder().decode(nul >= 0 ? v.subarray(0, nul) : v);
    }
    o += (len + 3) & ~3;
  }
  return null;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
