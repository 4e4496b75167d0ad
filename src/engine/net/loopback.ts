/**
 * The loopback stack: TCP, UDP and ICMP echo between sockets of one VM on 127.0.0.0/8 and
 * ::1, with no packets at all — a connection is two endpoints whose bytes move straight
 * into each other's receive queues. It keeps the behaviour programs see on Linux's `lo`:
 *
 * - buffering: a writer may have (peer's SO_RCVBUF + own SO_SNDBUF) / 2 bytes in flight
 *   (defaults 131072 / 16384, net.ipv4.tcp_rmem / tcp_wmem), then write() says EAGAIN;
 * - connect() completes a moment later (Linux handles the SYN-ACK in softirq after the
 *   call returns, so a non-blocking connect always says EINPROGRESS); a closed port
 *   answers RST → ECONNREFUSED; a full accept backlog leaves the client connecting until
 *   accept() makes room (Linux drops the SYN and the client retransmits);
 * - close() with unread data resets the peer (tcp_close → tcp_send_active_reset): the peer's
 *   next call gets ECONNRESET; writing to a fully closed peer is answered with RST, which in
 *   CLOSE_WAIT gives EPIPE on the next write (tcp_reset);
 * - ports: bind conflicts with SO_REUSEADDR/SO_REUSEPORT as inet_csk_bind_conflict decides
 *   (simplified: no TIME_WAIT), ephemeral ports from net.ipv4.ip_local_port_range 32768-60999;
 * - UDP: a datagram to a port nobody has bound is answered by ICMP port unreachable, which
 *   a connected sender sees as ECONNREFUSED (udp_err); a full receive queue drops;
 * - ICMP echo ("ping" sockets, net.ipv4.ping_group_range allowing everyone): the echo
 *   request comes back as the reply with the socket's identifier, as the kernel answers
 *   itself on `lo`.
 */
import {
  EADDRINUSE, EADDRNOTAVAIL, EAGAIN, ECONNREFUSED, ECONNRESET, EINVAL, EMSGSIZE, ENETUNREACH, EPIPE,
} from '../abi/errno.js';
import { AF_INET, isLoopback, isWildcard, loopbackAddr, sameAddr } from './addr.js';
import { ByteQueue, DatagramQueue } from './byte-queue.js';
import type {
  BoundPort, DatagramSocket, InetAddr, NetInterface, NetStack, Route, SockOpts, StreamConn, StreamListener,
} from './stack.js';

/** net.ipv4.tcp_rmem[1] / tcp_wmem[1]: what SO_RCVBUF / SO_SNDBUF report on a new TCP socket. */
export const TCP_RCVBUF = 131072, TCP_SNDBUF = 16384;
/** net.core.rmem_default / wmem_default: UDP and ICMP sockets. */
export const DGRAM_BUF = 212992;
/** ip_local_port_range. */
export const EPHEMERAL_LOW = 32768, EPHEMERAL_HIGH = 60999;
/** The largest UDP payload: 65535 - IP header - UDP header (IPv6 has no IP header in its payload length). */
const UDP_MAX = { 2: 65535 - 20 - 8, 10: 65535 - 8 } as const;

const IFF_UP = 0x1, IFF_LOOPBACK = 0x8, IFF_RUNNING = 0x40, IFF_LOWER_UP = 0x10000;
/** lo's MTU since Linux 3.12. */
const LO_MTU = 65536;

type Proto = 'tcp' | 'udp' | 'icmp';

/** One address:port in use, with the options that decide conflicts. */
interface Binding {
  family: InetAddr['family'];
  addr: Uint8Array;
  v6only: boolean;
  reuseAddr: boolean;
  reusePort: boolean;
  listener: LoListener | null;
  dgram: LoDatagram | null;
}

const later = (fn: () => void): void => queueMicrotask(fn);

/** Does a binding cover (receive for) this destination address? */
function covers(b: Binding, family: InetAddr['family'], addr: Uint8Array): boolean {
  if (isWildcard(b.addr)) return b.family === family || (b.family === 10 && family === AF_INET && !b.v6only);
  return b.family === family && sameAddr(b.addr, addr);
}

function overlaps(a: Binding, b: Binding): boolean {
  if (isWildcard(a.addr) || isWildcard(b.addr)) {
    if (a.family === b.family) return true;
    const v6 = a.family === 10 ? a : b;
    return !v6.v6only && isWildcard(v6.addr);
  }
  return a.family === b.family && sameAddr(a.addr, b.addr);
}

export class LoopbackStack implements NetStack {
  readonly name = 'loopback';
  private readonly ports: Record<Proto, Map<number, Binding[]>> = { tcp: new Map(), udp: new Map(), icmp: new Map() };
  private nextEphemeral = EPHEMERAL_LOW + Math.floor(Math.random() * (EPHEMERAL_HIGH - EPHEMERAL_LOW));

  interfaces(): NetInterface[] {
    return [{
      name: 'lo', index: 1, flags: IFF_UP | IFF_LOOPBACK | IFF_RUNNING | IFF_LOWER_UP, mtu: LO_MTU, mac: new Uint8Array(6),
      addresses: [{ family: 2, addr: loopbackAddr(2), prefixLen: 8 }, { family: 10, addr: loopbackAddr(10), prefixLen: 128 }],
    }];
  }

  routes(): Route[] {
    return [
      { family: 2, dst: Uint8Array.of(127, 0, 0, 0), prefixLen: 8, gateway: null, ifIndex: 1 },
      { family: 10, dst: loopbackAddr(10), prefixLen: 128, gateway: null, ifIndex: 1 },
    ];
  }

  /** Is `local` an address of this stack (or the wildcard)? */
  private ownAddr(local: InetAddr): boolean {
    return isWildcard(local.addr) || isLoopback(local.family, local.addr);
  }

  /** Take `local` (port 0: an ephemeral port) for `proto`; the binding or -errno. */
  reserve(proto: Proto, local: InetAddr, opts: SockOpts): { b: Binding; port: number } | number {
    if (!this.ownAddr(local)) return -EADDRNOTAVAIL;
    const b: Binding = {
      family: local.family, addr: local.addr.slice(), v6only: !!opts.v6only, reuseAddr: !!opts.reuseAddr, reusePort: !!opts.reusePort,
      listener: null, dgram: null,
    };
    const table = this.ports[proto];
    const free = (port: number) => !(table.get(port) ?? []).some((o) => overlaps(o, b) && !this.compatible(proto, o, b));
    let port = local.port;
    if (port === 0) {
      const span = EPHEMERAL_HIGH - EPHEMERAL_LOW + 1;
      let i = 0;
      for (; i < span; i++) {
        const p = EPHEMERAL_LOW + ((this.nextEphemeral - EPHEMERAL_LOW + i) % span);
        if (!table.has(p)) { port = p; break; }
      }
      if (i === span) return -EADDRINUSE;
      this.nextEphemeral = port + 1;
    } else if (!free(port)) return -EADDRINUSE;
    let list = table.get(port);
    if (!list) table.set(port, list = []);
    list.push(b);
    return { b, port };
  }

  /** inet_csk_bind_conflict, without TIME_WAIT: both SO_REUSEPORT, or both SO_REUSEADDR and the old one not listening. */
  private compatible(proto: Proto, old: Binding, b: Binding): boolean {
    if (old.reusePort && b.reusePort) return true;
    if (proto === 'tcp') return old.reuseAddr && b.reuseAddr && !old.listener;
    return old.reuseAddr && b.reuseAddr;
  }

  unreserve(proto: Proto, port: number, b: Binding): void {
    const list = this.ports[proto].get(port);
    if (!list) return;
    const i = list.indexOf(b);
    if (i >= 0) list.splice(i, 1);
    if (!list.length) this.ports[proto].delete(port);
  }

  /** The listener for a connection to `to`: an exact address beats the wildcard. */
  findListener(to: InetAddr): LoListener | null {
    const list = this.ports.tcp.get(to.port) ?? [];
    let best: LoListener | null = null;
    for (const b of list) {
      if (!b.listener || !covers(b, to.family, to.addr)) continue;
      if (!isWildcard(b.addr)) return b.listener;
      best ??= b.listener;
    }
    return best;
  }

  findDatagram(proto: Proto, to: InetAddr, from: InetAddr): LoDatagram | null {
    const list = this.ports[proto].get(to.port) ?? [];
    let best: LoDatagram | null = null;
    for (const b of list) {
      const d = b.dgram;
      if (!d || !covers(b, to.family, to.addr)) continue;
      if (d.remote && !(d.remote.port === from.port && sameAddr(d.remote.addr, from.addr))) continue;
      if (!isWildcard(b.addr)) return d;
      best ??= d;
    }
    return best;
  }

  bind(local: InetAddr, opts: SockOpts): BoundPort | number {
    const r = this.reserve('tcp', local, opts);
    if (typeof r === 'number') return r;
    const at: InetAddr = { ...local, addr: local.addr.slice(), port: r.port };
    let done = false;
    const end = () => { if (done) throw new Error('loopback: bound port used twice'); done = true; };
    return {
      local: at,
      listen: (backlog, o) => { end(); return this.listenOn(r.b, at, backlog, o); },
      connect: (remote, o) => { end(); return this.connectFrom(r.b, at, remote, o); },
      release: () => { if (!done) { done = true; this.unreserve('tcp', at.port, r.b); } },
    };
  }

  listen(local: InetAddr, backlog: number, opts: SockOpts): StreamListener | number {
    const b = this.bind(local, opts);
    return typeof b === 'number' ? b : b.listen(backlog, opts);
  }

  connect(remote: InetAddr, local: InetAddr | null, opts: SockOpts): StreamConn | number {
    if (!isLoopback(remote.family, remote.addr)) return -ENETUNREACH;
    const b = this.bind(local ?? { family: remote.family, addr: new Uint8Array(remote.family === AF_INET ? 4 : 16), port: 0 }, opts);
    return typeof b === 'number' ? b : b.connect(remote, opts);
  }

  private listenOn(b: Binding, local: InetAddr, backlog: number, opts: SockOpts): StreamListener {
    const l = new LoListener(this, b, local, backlog, opts);
    b.listener = l;
    return l;
  }

  private connectFrom(b: Binding, local: InetAddr, remote: InetAddr, opts: SockOpts): StreamConn | number {
    if (!isLoopback(remote.family, remote.addr)) { this.unreserve('tcp', local.port, b); return -ENETUNREACH; }
    const src = isWildcard(local.addr) ? { ...local, family: remote.family, addr: loopbackAddr(remote.family) } : local;
    const c = new LoConn(this, b, src, { ...remote, addr: remote.addr.slice() }, opts);
    c.state = 'connecting';
    later(() => c.handshake());
    return c;
  }

  datagram(protocol: 'udp' | 'icmp', local: InetAddr, opts: SockOpts): DatagramSocket | number {
    const r = this.reserve(protocol, local, opts);
    if (typeof r === 'number') return r;
    const d = new LoDatagram(this, protocol, r.b, { ...local, addr: local.addr.slice(), port: r.port }, opts);
    r.b.dgram = d;
    return d;
  }
}

/** A listening socket: completed connections wait in `queue`; clients beyond the backlog wait in `syns`. */
class LoListener implements StreamListener {
  onChange: (() => void) | null = null;
  readonly queue: LoConn[] = [];
  readonly syns: LoConn[] = [];
  closed = false;

  constructor(readonly stack: LoopbackStack, private readonly b: Binding, readonly local: InetAddr, private backlog: number, readonly opts: SockOpts) {}

  /** sk_acceptq_is_full: more than `backlog` waiting. */
  get full(): boolean { return this.queue.length > this.backlog; }

  pending(): number { return this.queue.length; }

  accept(): StreamConn | null {
    const c = this.queue.shift() ?? null;
    // Room again: a client that was held back completes now.
    const s = this.syns.shift();
    if (s) later(() => s.handshake());
    return c;
  }

  setBacklog(n: number): void { this.backlog = n; }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.b.listener = null;
    this.stack.unreserve('tcp', this.local.port, this.b);
    for (const c of this.queue.splice(0)) c.close(true);
    for (const c of this.syns.splice(0)) c.refused();
  }
}

/** One end of a loopback TCP connection. */
class LoConn implements StreamConn {
  onChange: (() => void) | null = null;
  state: 'connecting' | 'connected' | 'closed' = 'connected';
  peer: LoConn | null = null;
  /** Received bytes not yet read (the peer pushes into it). */
  readonly rx = new ByteQueue();
  get queued(): number { return this.rx.length; }
  /** The peer sent FIN. */
  fin = false;
  private shutWr = false;
  private err = 0;
  released = false;
  private bindingHeld = true;
  rcvBuf: number;
  sndBuf: number;

  constructor(private readonly stack: LoopbackStack, private readonly b: Binding, public local: InetAddr, readonly remote: InetAddr, opts: SockOpts) {
    this.rcvBuf = opts.rcvBuf ?? TCP_RCVBUF;
    this.sndBuf = opts.sndBuf ?? TCP_SNDBUF;
  }

  private changed(): void { this.onChange?.(); }

  /** The SYN reaches the listener (or not). */
  handshake(): void {
    if (this.state !== 'connecting') return;
    const l = this.stack.findListener(this.remote);
    if (!l) { this.refused(); return; }
    if (l.full) { l.syns.push(this); return; }
    // The server end: its local address is the one the client connected to.
    const sb: Binding = { family: this.remote.family, addr: this.remote.addr, v6only: false, reuseAddr: true, reusePort: true, listener: null, dgram: null };
    const srv = new LoConn(this.stack, sb, { ...this.remote }, { ...this.local }, l.opts);
    srv.bindingHeld = false;
    srv.peer = this;
    this.peer = srv;
    this.state = 'connected';
    l.queue.push(srv);
    l.onChange?.();
    this.changed();
  }

  refused(): void {
    this.state = 'closed';
    this.err = ECONNREFUSED;
    this.dropBinding();
    this.changed();
  }

  private dropBinding(): void {
    if (this.bindingHeld) { this.bindingHeld = false; this.stack.unreserve('tcp', this.local.port, this.b); }
  }

  readable(): number { return this.queued; }
  get eof(): boolean { return this.fin && this.queued === 0; }

  read(buf: Uint8Array, peek = false): number {
    if (this.queued === 0) return this.fin || this.state === 'closed' ? 0 : -EAGAIN;
    const n = this.rx.read(buf, peek);
    if (!peek) {
      // Room freed in our receive queue: the peer may write again.
      this.peer?.changed();
    }
    return n;
  }

  /** Bytes the peer may still queue here. */
  private room(from: LoConn): number {
    return Math.max(0, ((this.rcvBuf + from.sndBuf) >> 1) - this.queued);
  }

  writable(): number {
    if (this.state !== 'connected' || this.shutWr || !this.peer) return 0;
    return this.peer.released ? 1 : this.peer.room(this);
  }

  write(data: Uint8Array): number {
    if (this.err) { const e = this.err; this.err = 0; return -e; }
    if (this.shutWr) return -EPIPE;
    if (this.state === 'connecting') return -EAGAIN;
    const p = this.peer;
    if (this.state === 'closed' || !p) return -EPIPE;
    if (p.released) {
      // The peer's socket is gone: it answers with RST (in CLOSE_WAIT, tcp_reset sets EPIPE).
      const e = this.fin ? EPIPE : ECONNRESET;
      later(() => this.reset(e));
      return data.length;
    }
    const n = Math.min(data.length, p.room(this));
    if (n === 0) return -EAGAIN;
    p.rx.push(data.slice(0, n));
    p.changed();
    return n;
  }

  /** An RST arrived. */
  reset(err: number): void {
    if (this.state === 'closed') return;
    this.err = err;
    this.state = 'closed';
    this.peer = null;
    this.changed();
  }

  shutdown(how: 0 | 1 | 2): void {
    if (how === 0) return; // SHUT_RD is the socket layer's: reads return 0, arriving data is still taken
    if (this.shutWr || this.state !== 'connected') { this.shutWr = true; return; }
    this.shutWr = true;
    const p = this.peer;
    if (p) { p.fin = true; p.changed(); }
    this.changed();
  }

  close(lingerZero = false): void {
    if (this.released) return;
    this.released = true;
    const p = this.peer;
    if (this.state === 'connecting') {
      this.state = 'closed';
    } else if (p && (lingerZero || this.queued > 0)) {
      // tcp_close: unread data (or SO_LINGER 0) sends RST instead of FIN.
      p.reset(p.fin ? EPIPE : ECONNRESET);
    } else if (p && !this.shutWr) {
      this.shutWr = true;
      p.fin = true;
      p.changed();
    }
    this.rx.clear();
    this.state = 'closed';
    this.dropBinding();
  }

  takeError(): number { const e = this.err; this.err = 0; return e; }

  setOptions(o: SockOpts): void {
    if (o.rcvBuf !== undefined) this.rcvBuf = o.rcvBuf;
    if (o.sndBuf !== undefined) this.sndBuf = o.sndBuf;
    this.peer?.changed();
  }
}

const ICMP_ECHO_REQUEST = 8, ICMP_ECHO_REPLY = 0, ICMPV6_ECHO_REQUEST = 128, ICMPV6_ECHO_REPLY = 129;

/** The Internet checksum (RFC 1071) of `parts`, each padded as one stream. */
export function inetChecksum(...parts: Uint8Array[]): number {
  let sum = 0, odd = false, hi = 0;
  for (const p of parts) {
    for (const byte of p) {
      if (odd) sum += (hi << 8) | byte; else hi = byte;
      odd = !odd;
    }
  }
  if (odd) sum += hi << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** The echo reply the kernel would send for an echo request from `from` to `to` (RFC 792; RFC 4443 §4.2 with the pseudo-header). */
export function echoReply(req: Uint8Array, from: InetAddr, to: InetAddr): Uint8Array {
  const r = req.slice();
  r[0] = from.family === AF_INET ? ICMP_ECHO_REPLY : ICMPV6_ECHO_REPLY;
  r[2] = r[3] = 0;
  let c: number;
  if (from.family === AF_INET) c = inetChecksum(r);
  else {
    const pseudo = new Uint8Array(40);
    pseudo.set(to.addr, 0); pseudo.set(from.addr, 16);
    new DataView(pseudo.buffer).setUint32(32, r.length);
    pseudo[39] = 58;
    c = inetChecksum(pseudo, r);
  }
  r[2] = c >> 8; r[3] = c & 0xff;
  return r;
}

/** Check an echo request given to a ping socket (ping_common_sendmsg: only echo requests, code 0). */
export function checkEchoRequest(family: InetAddr['family'], data: Uint8Array): number {
  if (data.length < 8) return -EINVAL;
  if (data[0] !== (family === AF_INET ? ICMP_ECHO_REQUEST : ICMPV6_ECHO_REQUEST) || data[1] !== 0) return -EINVAL;
  return 0;
}

/** A UDP or ICMP echo socket on the loopback stack. */
class LoDatagram implements DatagramSocket {
  onChange: (() => void) | null = null;
  remote: InetAddr | null = null;
  private readonly rxq = new DatagramQueue<InetAddr>();
  private err = 0;
  private closed = false;
  private rcvBuf: number;

  constructor(private readonly stack: LoopbackStack, private readonly proto: 'udp' | 'icmp', private readonly b: Binding, readonly local: InetAddr, opts: SockOpts) {
    this.rcvBuf = opts.rcvBuf ?? DGRAM_BUF;
  }

  connect(remote: InetAddr | null): number {
    if (remote && !isLoopback(remote.family, remote.addr)) return -ENETUNREACH;
    this.remote = remote ? { ...remote, addr: remote.addr.slice() } : null;
    return 0;
  }

  nextSize(): number { const n = this.rxq.nextSize(); return n < 0 ? -EAGAIN : n; }

  /** Where a datagram from this socket appears to come from. */
  private source(to: InetAddr): InetAddr {
    return isWildcard(this.local.addr) || this.local.family !== to.family
      ? { family: to.family, addr: loopbackAddr(to.family), port: this.local.port }
      : this.local;
  }

  send(data: Uint8Array, to: InetAddr | null): number {
    const dest = to ?? this.remote;
    if (!dest) return -EINVAL;
    if (!isLoopback(dest.family, dest.addr)) return -ENETUNREACH;
    const from = this.source(dest);
    if (this.proto === 'icmp') {
      const e = checkEchoRequest(dest.family, data);
      if (e < 0) return e;
      // The kernel puts the socket's identifier in the request (ping_v4_sendmsg); the reply carries it back.
      const req = data.slice();
      req[4] = this.local.port >> 8; req[5] = this.local.port & 0xff;
      const reply = echoReply(req, { ...dest, port: 0 }, from);
      later(() => this.deliver(reply, { ...dest, addr: dest.addr.slice(), port: 0 }));
      return data.length;
    }
    if (data.length > UDP_MAX[dest.family]) return -EMSGSIZE;
    const target = this.stack.findDatagram('udp', dest, from);
    if (!target) {
      // ICMP port unreachable: only a connected socket hears of it (udp_err, without IP_RECVERR).
      if (this.remote) later(() => { this.err = ECONNREFUSED; this.onChange?.(); });
      return data.length;
    }
    target.deliver(data.slice(), from);
    return data.length;
  }

  private deliver(data: Uint8Array, from: InetAddr): void {
    if (this.closed) return;
    // __udp_enqueue_schedule_skb: a datagram that would overfill the queue is dropped.
    if (this.rxq.offer(data, from, this.rcvBuf)) this.onChange?.();
  }

  recv(peek = false): { data: Uint8Array; from: InetAddr } | null { return this.rxq.take(peek); }

  takeError(): number { const e = this.err; this.err = 0; return e; }

  setOptions(o: SockOpts): void {
    if (o.rcvBuf !== undefined) this.rcvBuf = o.rcvBuf;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.b.dgram = null;
    this.stack.unreserve(this.proto, this.local.port, this.b);
    this.rxq.clear();
  }
}
