/**
 * The `host` network backend (Node CLI, `webx86 run --net host`): guest sockets become the
 * host's sockets, as qemu-user does. A guest TCP connection is a Node `net.Socket`, a guest
 * listener a `net.Server`, a guest UDP socket a `dgram.Socket`. Loopback addresses are the
 * host's loopback too (`handlesLoopback`), so a server in the guest is reachable from the
 * host and the other way round.
 *
 * What differs from a kernel socket, and why:
 * - bind() of a TCP port listens on the host at once (Node cannot reserve a port without
 *   listening); a client that connects between the guest's bind() and listen() is held
 *   until accept() instead of being refused.
 * - SO_REUSEPORT is not passed on (Node 20 has no such option); SO_REUSEADDR is what libuv
 *   always sets on listening sockets.
 * - ICMP echo: Node has no ICMP sockets (an unprivileged ping socket needs
 *   net.ipv4.ping_group_range and a raw socket needs CAP_NET_RAW, neither reachable from
 *   Node). An echo request to a loopback address is answered here, as the host's kernel
 *   would answer it; to any other address send() fails with ENETUNREACH, so `ping HOST`
 *   says "Network is unreachable" at once instead of waiting for replies that cannot come.
 * - Interfaces come from os.networkInterfaces(): names, addresses, MACs; Node reports no
 *   interface index, MTU or gateway, so lo is index 1, the others follow in Node's order,
 *   the MTU is 1500 (65536 for loopback), and routes are the connected prefixes.
 */
import * as net from 'node:net';
import * as dgram from 'node:dgram';
import { networkInterfaces } from 'node:os';
import {
  EACCES, EADDRINUSE, EADDRNOTAVAIL, EAFNOSUPPORT, EAGAIN, ECONNABORTED, ECONNREFUSED, ECONNRESET, EHOSTUNREACH, EINVAL, EIO,
  EISCONN, EMSGSIZE, ENETUNREACH, ENOBUFS, EPERM, EPIPE, ETIMEDOUT,
} from '../../engine/linux/errno.js';
import { AF_INET, addrText, isLoopback, isV4Mapped, isWildcard, loopbackAddr, parseAddr } from '../../engine/net/addr.js';
import { checkEchoRequest, DGRAM_BUF, echoReply, TCP_RCVBUF, TCP_SNDBUF } from '../../engine/net/loopback.js';
import { ByteQueue, DatagramQueue } from '../../engine/net/byte-queue.js';
import type {
  BoundPort, DatagramSocket, InetAddr, InetFamily, NetInterface, NetStack, Route, SockOpts, StreamConn, StreamListener,
} from '../../engine/net/stack.js';

/** Node's error codes (libuv's names for errno values) → Linux errno. */
const ERRNO: Record<string, number> = {
  ECONNREFUSED, ECONNRESET, EPIPE, ETIMEDOUT, EHOSTUNREACH, ENETUNREACH, EADDRINUSE, EADDRNOTAVAIL, EACCES, EPERM, ECONNABORTED,
  EAFNOSUPPORT, EINVAL, EMSGSIZE, ENOBUFS,
};
const errnoOf = (e: unknown): number => ERRNO[(e as NodeJS.ErrnoException).code ?? ''] ?? EIO;

const IFF_UP = 0x1, IFF_BROADCAST = 0x2, IFF_LOOPBACK = 0x8, IFF_RUNNING = 0x40, IFF_MULTICAST = 0x1000, IFF_LOWER_UP = 0x10000;
/** The largest UDP payload over IPv4 (65535 - 20 - 8). */
const UDP_MAX = 65507;

/** Text for Node of an address that a socket of `family` sends to (IPv4 from an IPv6 socket is v4-mapped). */
function hostText(a: InetAddr, socketFamily: InetFamily): string {
  if (a.family === AF_INET && socketFamily !== AF_INET) return `::ffff:${addrText(AF_INET, a.addr)}`;
  return addrText(a.family, a.addr);
}

/** Node's address text and port → an InetAddr (v4-mapped becomes IPv4, as the contract wants). */
function fromHost(address: string | undefined, port: number | undefined, fallback: InetAddr): InetAddr {
  const p = address ? parseAddr(address) : null;
  if (!p) return fallback;
  if (p.family !== AF_INET && isV4Mapped(p.addr)) return { family: AF_INET, addr: p.addr.slice(12), port: port ?? 0 };
  return { family: p.family, addr: p.addr, port: port ?? 0 };
}

const later = (fn: () => void): void => queueMicrotask(fn);

/** A guest TCP connection carried by a host socket. */
class HostConn implements StreamConn {
  onChange: (() => void) | null = null;
  state: 'connecting' | 'connected' | 'closed';
  private readonly rx = new ByteQueue();
  private get queued(): number { return this.rx.length; }
  private fin = false;
  private err = 0;
  private shutWr = false;
  private released = false;
  private rcvBuf: number;
  private sndBuf: number;

  constructor(private readonly sock: net.Socket, connecting: boolean, private readonly want: InetAddr, opts: SockOpts) {
    this.state = connecting ? 'connecting' : 'connected';
    this.rcvBuf = opts.rcvBuf ?? TCP_RCVBUF;
    this.sndBuf = opts.sndBuf ?? TCP_SNDBUF;
    sock.setNoDelay(!!opts.noDelay);
    if (opts.keepAlive) sock.setKeepAlive(true);
    sock.on('connect', () => { if (this.state === 'connecting') this.state = 'connected'; this.changed(); });
    sock.on('data', (b: Buffer) => {
      // Data for a socket the guest closed: Linux answers with RST.
      if (this.released) { sock.resetAndDestroy(); return; }
      this.rx.push(new Uint8Array(b.buffer, b.byteOffset, b.length));
      if (this.queued >= this.rcvBuf) sock.pause();
      this.changed();
    });
    sock.on('end', () => {
      this.fin = true;
      if (this.released) sock.destroy();
      this.changed();
    });
    sock.on('error', (e) => {
      if (!this.err) this.err = errnoOf(e);
      this.state = 'closed';
      this.changed();
    });
    sock.on('close', () => { this.state = 'closed'; this.changed(); });
    sock.on('drain', () => this.changed());
  }

  private changed(): void { this.onChange?.(); }

  get local(): InetAddr {
    return fromHost(this.sock.localAddress, this.sock.localPort, { family: this.want.family, addr: new Uint8Array(this.want.family === AF_INET ? 4 : 16), port: 0 });
  }
  get remote(): InetAddr { return fromHost(this.sock.remoteAddress, this.sock.remotePort, this.want); }

  readable(): number { return this.queued; }
  get eof(): boolean { return this.fin && this.queued === 0; }

  read(buf: Uint8Array, peek = false): number {
    if (this.queued === 0) return this.fin || this.state === 'closed' ? 0 : -EAGAIN;
    const n = this.rx.read(buf, peek);
    if (!peek) {
      if (this.queued < this.rcvBuf && this.sock.isPaused()) this.sock.resume();
    }
    return n;
  }

  writable(): number {
    if (this.state !== 'connected' || this.shutWr) return 0;
    return Math.max(0, this.sndBuf - this.sock.writableLength);
  }

  write(data: Uint8Array): number {
    if (this.err) { const e = this.err; this.err = 0; return -e; }
    if (this.shutWr) return -EPIPE;
    if (this.state === 'connecting') return -EAGAIN;
    if (this.state === 'closed') return -EPIPE;
    const n = Math.min(data.length, this.sndBuf - this.sock.writableLength);
    if (n <= 0) return -EAGAIN;
    if (this.fin) return this.writeAfterFin(data, n);
    this.sock.write(data.slice(0, n));
    return n;
  }

  /** The write in flight after the peer's FIN, and its outcome once Node reports it. */
  private finWrite: { n: number; result: number | null } | null = null;

  /**
   * After the peer's FIN the peer may be gone, and then the host kernel answers a write with
   * EPIPE — but Node says so only in the write's callback. So such a write completes when
   * the callback comes (-EAGAIN until then: the socket layer waits), and the guest sees
   * EPIPE on the same write as on Linux instead of one write later.
   */
  private writeAfterFin(data: Uint8Array, n: number): number {
    const w = this.finWrite;
    if (!w) {
      const cur = this.finWrite = { n, result: null as number | null };
      this.sock.write(data.slice(0, n), (e) => { cur.result = e ? -errnoOf(e) : cur.n; this.changed(); });
      return -EAGAIN;
    }
    if (w.result === null) return -EAGAIN;
    this.finWrite = null;
    if (w.result < 0 && this.err === -w.result) this.err = 0;
    return w.result;
  }

  shutdown(how: 0 | 1 | 2): void {
    if (how === 0 || this.shutWr) return;
    this.shutWr = true;
    if (this.state !== 'closed') this.sock.end();
  }

  close(lingerZero = false): void {
    if (this.released) return;
    this.released = true;
    if (this.state === 'connecting' || lingerZero || this.queued > 0) {
      // tcp_close: unread data (or SO_LINGER 0) resets the connection.
      if (!this.sock.destroyed) this.sock.resetAndDestroy();
    } else if (this.fin) {
      this.sock.end(() => this.sock.destroy());
    } else if (!this.shutWr) {
      this.sock.end();
    }
    this.rx.clear();
  }

  takeError(): number { const e = this.err; this.err = 0; return e; }

  setOptions(o: SockOpts): void {
    if (o.rcvBuf !== undefined) this.rcvBuf = o.rcvBuf;
    if (o.sndBuf !== undefined) this.sndBuf = o.sndBuf;
    if (o.noDelay !== undefined) this.sock.setNoDelay(o.noDelay);
    if (o.keepAlive !== undefined) this.sock.setKeepAlive(o.keepAlive);
  }
}

/** A guest listener: a host server; connections wait in `queue` for accept(). */
class HostListener implements StreamListener {
  onChange: (() => void) | null = null;
  private readonly queue: net.Socket[] = [];
  private closed = false;
  opts: SockOpts;

  constructor(private readonly server: net.Server, readonly local: InetAddr, opts: SockOpts, track: (s: net.Socket) => void) {
    this.opts = opts;
    server.on('connection', (s) => {
      if (this.closed) { s.resetAndDestroy(); return; }
      track(s);
      this.queue.push(s);
      this.onChange?.();
    });
  }

  pending(): number { return this.queue.length; }

  accept(): StreamConn | null {
    const s = this.queue.shift();
    return s ? new HostConn(s, false, this.local, this.opts) : null;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.server.close();
    for (const s of this.queue.splice(0)) s.resetAndDestroy();
  }
}

/** Where the guest's DNS queries to the loopback go when its /etc/resolv.conf names no server (see HostStack.dnsServers). */
interface DnsForward { to: InetAddr; asked: InetAddr | null }

const isDnsToLoopback = (a: InetAddr): boolean => a.port === 53 && isLoopback(a.family, a.addr);
const sameInet = (a: InetAddr, b: InetAddr): boolean => a.port === b.port && addrText(a.family, a.addr) === addrText(b.family, b.addr);

/** A guest UDP socket on a host dgram socket. */
class HostDatagram implements DatagramSocket {
  onChange: (() => void) | null = null;
  remote: InetAddr | null = null;
  private readonly rxq = new DatagramQueue<InetAddr>();
  private err = 0;
  private rcvBuf: number;

  constructor(private readonly sock: dgram.Socket, private readonly family: InetFamily, readonly local: InetAddr, opts: SockOpts, private readonly dns: DnsForward | null) {
    this.rcvBuf = opts.rcvBuf ?? DGRAM_BUF;
    sock.on('message', (msg, rinfo) => {
      let from = fromHost(rinfo.address, rinfo.port, local);
      // An answer from the forwarded-to server appears to come from where the guest sent the query.
      if (dns?.asked && sameInet(from, dns.to)) from = dns.asked;
      if (this.rxq.offer(new Uint8Array(msg), from, this.rcvBuf)) this.onChange?.();
    });
    sock.on('error', (e) => { this.err = errnoOf(e); this.onChange?.(); });
  }

  /** Datagrams sent while Node's connect() is still under way (it resolves the address asynchronously). */
  private pending: Uint8Array[] | null = null;

  /** The real destination of a datagram for `a`: the forwarded DNS server for a query to the loopback's port 53. */
  private route(a: InetAddr): InetAddr {
    if (!this.dns || !isDnsToLoopback(a)) return a;
    this.dns.asked = { ...a, addr: a.addr.slice() };
    return this.dns.to;
  }

  connect(remote: InetAddr | null): number {
    if (this.remote) { try { this.sock.disconnect(); } catch { /* not connected yet */ } }
    this.remote = remote;
    if (remote) {
      const pending: Uint8Array[] = this.pending = [];
      const to = this.route(remote);
      this.sock.connect(to.port, hostText(to, this.family), () => {
        if (this.pending !== pending) return;
        this.pending = null;
        for (const d of pending) this.sock.send(d, this.sent);
      });
    }
    return 0;
  }

  private readonly sent = (e: Error | null): void => { if (e) { this.err = errnoOf(e); this.onChange?.(); } };

  nextSize(): number { const n = this.rxq.nextSize(); return n < 0 ? -EAGAIN : n; }

  send(data: Uint8Array, to: InetAddr | null): number {
    if (data.length > UDP_MAX) return -EMSGSIZE;
    if (to && (!this.remote || to.port !== this.remote.port || addrText(to.family, to.addr) !== addrText(this.remote.family, this.remote.addr))) {
      // Node refuses another destination on a connected socket (ERR_SOCKET_DGRAM_IS_CONNECTED); Linux sends there. Rare: refused.
      if (this.remote) return -EISCONN;
      const dest = this.route(to);
      this.sock.send(data, dest.port, hostText(dest, this.family), this.sent);
    } else if (this.pending) this.pending.push(data.slice());
    else this.sock.send(data, this.sent);
    return data.length;
  }

  recv(peek = false): { data: Uint8Array; from: InetAddr } | null { return this.rxq.take(peek); }

  takeError(): number { const e = this.err; this.err = 0; return e; }
  setOptions(o: SockOpts): void { if (o.rcvBuf !== undefined) this.rcvBuf = o.rcvBuf; }
  close(): void { this.sock.close(); }
}

/** An ICMP echo socket: loopback echo is answered here; see the module comment for other destinations. */
class HostPing implements DatagramSocket {
  onChange: (() => void) | null = null;
  remote: InetAddr | null = null;
  private readonly queue: { data: Uint8Array; from: InetAddr }[] = [];
  private closed = false;

  constructor(readonly local: InetAddr) {}

  connect(remote: InetAddr | null): number { this.remote = remote; return 0; }
  nextSize(): number { return this.queue.length ? this.queue[0].data.length : -EAGAIN; }

  send(data: Uint8Array, to: InetAddr | null): number {
    const dest = to ?? this.remote;
    if (!dest) return -EINVAL;
    const e = checkEchoRequest(dest.family, data);
    if (e < 0) return e;
    if (!isLoopback(dest.family, dest.addr)) return -ENETUNREACH;
    const req = data.slice();
    req[4] = this.local.port >> 8; req[5] = this.local.port & 0xff;
    const from = { family: dest.family, addr: dest.addr.slice(), port: 0 };
    const reply = echoReply(req, from, { family: dest.family, addr: loopbackAddr(dest.family), port: 0 });
    later(() => { if (!this.closed) { this.queue.push({ data: reply, from }); this.onChange?.(); } });
    return data.length;
  }

  recv(peek = false): { data: Uint8Array; from: InetAddr } | null {
    const m = this.queue[0];
    if (m && !peek) this.queue.shift();
    return m ?? null;
  }

  takeError(): number { return 0; }
  setOptions(): void {}
  close(): void { this.closed = true; }
}

export class HostStack implements NetStack {
  readonly name = 'host';
  readonly handlesLoopback = true;
  /**
   * DNS servers ("ADDR" or "ADDR:PORT") that take the queries a guest sends to port 53 of a
   * loopback address — where glibc sends them when /etc/resolv.conf names no server
   * (resolv.conf(5): "the default is to use the name server on the local machine"). The
   * CLI sets the host's servers when the guest's /etc/resolv.conf is missing or names none,
   * so names resolve in the guest as on the host; empty: no forwarding.
   */
  dnsServers: string[] = [];
  private readonly live = new Set<{ close(): void }>();
  private nextPingId = 1 + Math.floor(Math.random() * 0xfffe);

  interfaces(): NetInterface[] {
    const out: NetInterface[] = [];
    const all = Object.entries(networkInterfaces());
    // lo first, as index 1.
    all.sort(([, a], [, b]) => Number(!!b?.[0]?.internal) - Number(!!a?.[0]?.internal));
    for (const [name, addrs] of all) {
      if (!addrs) continue;
      const internal = addrs.some((a) => a.internal);
      const mac = addrs[0]?.mac ? Uint8Array.from(addrs[0].mac.split(':').map((h) => parseInt(h, 16))) : new Uint8Array(6);
      out.push({
        name, index: out.length + 1, mtu: internal ? 65536 : 1500, mac,
        flags: IFF_UP | IFF_RUNNING | IFF_LOWER_UP | (internal ? IFF_LOOPBACK : IFF_BROADCAST | IFF_MULTICAST),
        addresses: addrs.flatMap((a) => {
          const p = parseAddr(a.address);
          const len = a.cidr ? Number(a.cidr.slice(a.cidr.lastIndexOf('/') + 1)) : p?.family === AF_INET ? 32 : 128;
          return p ? [{ family: p.family, addr: p.addr, prefixLen: len }] : [];
        }),
      });
    }
    return out;
  }

  routes(): Route[] {
    const out: Route[] = [];
    for (const i of this.interfaces()) {
      for (const a of i.addresses) {
        const dst = a.addr.slice();
        for (let b = 0; b < dst.length; b++) {
          const keep = Math.max(0, Math.min(8, a.prefixLen - b * 8));
          dst[b] &= (0xff00 >> keep) & 0xff;
        }
        out.push({ family: a.family, dst, prefixLen: a.prefixLen, gateway: null, ifIndex: i.index });
      }
    }
    return out;
  }

  private track<T extends { close(): void }>(x: T): T {
    this.live.add(x);
    return x;
  }

  /** A host socket is forgotten when it closes, destroyed by close() otherwise (the CLI exits with the guest). */
  private trackSocket(sock: net.Socket): void {
    const h = { close: () => sock.destroy() };
    this.live.add(h);
    sock.once('close', () => this.live.delete(h));
  }

  connect(remote: InetAddr, local: InetAddr | null, opts: SockOpts): StreamConn | number {
    const family = remote.family;
    const sock = net.connect({
      host: addrText(family, remote.addr), port: remote.port, family: family === AF_INET ? 4 : 6, allowHalfOpen: true,
      localAddress: local && !isWildcard(local.addr) ? addrText(local.family, local.addr) : undefined,
      localPort: local?.port || undefined,
    });
    this.trackSocket(sock);
    return new HostConn(sock, true, remote, opts);
  }

  /** Listen on the host now, so the port is known and taken (see the module comment). */
  async bind(local: InetAddr, opts: SockOpts): Promise<BoundPort | number> {
    const server = net.createServer({ allowHalfOpen: true });
    const e = await new Promise<number>((resolve) => {
      server.once('error', (err) => resolve(-errnoOf(err)));
      server.listen({ host: addrText(local.family, local.addr), port: local.port, ipv6Only: local.family !== AF_INET && !!opts.v6only, exclusive: true, backlog: 511 }, () => resolve(0));
    });
    if (e < 0) return e;
    this.track(server);
    const a = server.address() as net.AddressInfo;
    const at = fromHost(a.address, a.port, local);
    const bound: InetAddr = { ...local, port: at.port };
    const listener = new HostListener(server, bound, opts, (s) => this.trackSocket(s));
    let used = false;
    return {
      local: bound,
      listen: (_backlog, o) => { used = true; listener.opts = o; return listener; },
      connect: (remote, o) => {
        used = true;
        listener.close();
        return this.connect(remote, local.port ? bound : { ...bound, port: 0 }, o);
      },
      release: () => { if (!used) listener.close(); },
    };
  }

  listen(local: InetAddr, _backlog: number, opts: SockOpts): StreamListener | number {
    // Synchronous form: the port is the one asked for (the socket layer uses bind(), which learns an ephemeral port).
    const server = net.createServer({ allowHalfOpen: true });
    server.listen({ host: addrText(local.family, local.addr), port: local.port, ipv6Only: local.family !== AF_INET && !!opts.v6only });
    return new HostListener(this.track(server), local, opts, (s) => this.trackSocket(s));
  }

  async datagram(protocol: 'udp' | 'icmp', local: InetAddr, opts: SockOpts): Promise<DatagramSocket | number> {
    if (protocol === 'icmp') {
      const id = local.port || this.nextPingId++ % 0xffff || 1;
      return new HostPing({ ...local, port: id });
    }
    const sock = dgram.createSocket({ type: local.family === AF_INET ? 'udp4' : 'udp6', ipv6Only: local.family !== AF_INET && !!opts.v6only, reuseAddr: !!opts.reuseAddr });
    const e = await new Promise<number>((resolve) => {
      sock.once('error', (err) => resolve(-errnoOf(err)));
      sock.bind({ port: local.port, address: addrText(local.family, local.addr), exclusive: true }, () => resolve(0));
    });
    if (e < 0) { try { sock.close(); } catch { /* never bound */ } return e; }
    sock.removeAllListeners('error');
    this.track({ close: () => { try { sock.close(); } catch { /* already closed */ } } });
    const a = sock.address();
    return new HostDatagram(sock, local.family, fromHost(a.address, a.port, local), opts, this.dnsFor(local.family));
  }

  /** The first configured DNS server a socket of `family` can reach (an IPv4 socket cannot send to IPv6). */
  private dnsFor(family: InetFamily): DnsForward | null {
    for (const s of this.dnsServers) {
      const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(s.includes('.') || s.startsWith('[') ? s : `[${s}]`);
      const p = m ? parseAddr(m[1]) : null;
      if (!p || (family === AF_INET && p.family !== AF_INET)) continue;
      return { to: { family: p.family, addr: p.addr, port: m?.[2] ? Number(m[2]) : 53 }, asked: null };
    }
    return null;
  }

  close(): void {
    for (const x of this.live) { try { x.close(); } catch { /* already closed */ } }
    this.live.clear();
  }
}
