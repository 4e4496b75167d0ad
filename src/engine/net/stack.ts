/**
 * The kernel's view of a network: what the AF_INET/AF_INET6 socket layer
 * (linux/socket/inet.ts) needs from whatever carries its traffic. Three kinds implement it:
 *
 * - the loopback stack (engine/net/loopback.ts): 127.0.0.0/8 and ::1 inside one VM, always
 *   present, no dependencies, so a server and a client in one VM work with no backend;
 * - the host stack (host/node/net-host.ts, CLI only): guest sockets become the host's
 *   sockets, as qemu-user does (`webx86 run --net host`);
 * - the IP stack (net/ip/): TCP/UDP/ICMP over IP packets, fed by a link (WireGuard over
 *   DERP for Tailscale; anything that moves raw IP packets).
 *
 * A machine has one `NetStack`: `RoutedStack` (engine/net/routed.ts) sends loopback
 * addresses to the loopback stack and everything else to the backend, and a bind to the
 * wildcard address listens on both.
 *
 * Everything here is non-blocking and synchronous: the socket layer owns blocking (wait
 * queues, O_NONBLOCK, SO_RCVTIMEO, signals). An implementation calls `onChange` whenever
 * readiness may have changed (data arrived, room freed, connection established or failed,
 * peer closed); the socket layer then re-checks with the accessors. Errors are negative
 * errno values (engine/linux/errno.ts), as everywhere in the kernel.
 */

/** AF_INET = 2, AF_INET6 = 10 (linux/socket.h). */
export type InetFamily = 2 | 10;

/** A socket address: 4 bytes for IPv4, 16 for IPv6 (network order), port in host order. */
export interface InetAddr {
  family: InetFamily;
  addr: Uint8Array;
  port: number;
  flowinfo?: number;
  scopeId?: number;
}

/** Options the socket layer passes down; each stack honours what applies to it. */
export interface SockOpts {
  reuseAddr?: boolean;
  reusePort?: boolean;
  /** IPV6_V6ONLY on an AF_INET6 socket (default off, as net.ipv6.bindv6only = 0). */
  v6only?: boolean;
  noDelay?: boolean;
  keepAlive?: boolean;
  /** SO_RCVBUF / SO_SNDBUF in bytes as Linux reports them (already doubled). */
  rcvBuf?: number;
  sndBuf?: number;
  ttl?: number;
  /** SO_BROADCAST on datagram sockets. */
  broadcast?: boolean;
}

/** Something whose readiness the socket layer watches. */
export interface Watched {
  /** Set by the socket layer; called by the stack when readiness may have changed. */
  onChange: (() => void) | null;
}

/** A TCP connection (SOCK_STREAM), from connect() or accept(). */
export interface StreamConn extends Watched {
  /** 'connecting' until the handshake ends; 'closed' after reset, failure or full close. */
  readonly state: 'connecting' | 'connected' | 'closed';
  readonly local: InetAddr;
  readonly remote: InetAddr;
  /** Bytes that read() would return now. */
  readable(): number;
  /** The peer sent FIN and every byte before it has been read (read() returns 0). */
  readonly eof: boolean;
  /** Copy up to buf.length bytes; peek leaves them queued. 0 at EOF, -EAGAIN when empty. */
  read(buf: Uint8Array, peek?: boolean): number;
  /** Free send-buffer space: write() of up to this many bytes accepts them all. */
  writable(): number;
  /** Bytes accepted (possibly fewer than given), -EAGAIN when full, -EPIPE after shutdown(SHUT_WR), -ECONNRESET. */
  write(data: Uint8Array): number;
  /** SHUT_RD = 0, SHUT_WR = 1 (sends FIN after queued data), SHUT_RDWR = 2. */
  shutdown(how: 0 | 1 | 2): void;
  /** Last close: graceful (FIN after queued data) unless lingerZero, which resets. */
  close(lingerZero?: boolean): void;
  /** The pending error (SO_ERROR: ECONNREFUSED, ETIMEDOUT, ECONNRESET, EHOSTUNREACH…), as a positive errno, cleared by reading. */
  takeError(): number;
  setOptions(o: SockOpts): void;
}

/** A listening TCP socket. */
export interface StreamListener extends Watched {
  readonly local: InetAddr;
  /** Connections that completed the handshake and wait for accept(). */
  pending(): number;
  accept(): StreamConn | null;
  close(): void;
}

/** A UDP socket, or an ICMP echo ("ping") socket, SOCK_DGRAM either way. */
export interface DatagramSocket extends Watched {
  readonly local: InetAddr;
  /** The connected peer, or null. */
  readonly remote: InetAddr | null;
  /** connect(); null disconnects (AF_UNSPEC). */
  connect(remote: InetAddr | null): number;
  /** Size of the next datagram (FIONREAD), -EAGAIN when none is queued. */
  nextSize(): number;
  /** Send one datagram (to the connected peer when `to` is null): bytes sent or -errno. For ICMP, data is the ICMP header and payload. */
  send(data: Uint8Array, to: InetAddr | null): number;
  /** Receive one datagram, or null when none is queued. */
  recv(peek?: boolean): { data: Uint8Array; from: InetAddr } | null;
  /** Pending asynchronous error (ICMP port unreachable on a connected socket): positive errno, cleared by reading. */
  takeError(): number;
  setOptions(o: SockOpts): void;
  close(): void;
}

/** An interface as SIOCGIFCONF / getifaddrs / `ip addr` show it. */
export interface NetInterface {
  name: string;
  index: number;
  /** IFF_* bits (IFF_UP 0x1, IFF_LOOPBACK 0x8, IFF_RUNNING 0x40, IFF_POINTOPOINT 0x10, IFF_NOARP 0x80). */
  flags: number;
  mtu: number;
  /** 6 bytes, or empty for links without one (loopback shows all zeros, tun none). */
  mac: Uint8Array;
  addresses: { family: InetFamily; addr: Uint8Array; prefixLen: number }[];
}

export interface Route {
  family: InetFamily;
  dst: Uint8Array;
  prefixLen: number;
  gateway: Uint8Array | null;
  ifIndex: number;
}

/**
 * A TCP port taken by bind() before listen() or connect() (optional in a stack): so
 * getsockname() after bind(port 0) shows the port, and a second bind gets EADDRINUSE at
 * bind time, as on Linux. Exactly one of listen/connect/release ends it.
 */
export interface BoundPort {
  readonly local: InetAddr;
  listen(backlog: number, opts: SockOpts): StreamListener | number;
  connect(remote: InetAddr, opts: SockOpts): StreamConn | number;
  release(): void;
}

export interface NetStack {
  /** For messages and /proc: 'loopback', 'host', 'tailscale', 'relay'. */
  readonly name: string;
  /**
   * True when this stack carries loopback addresses itself (the host stack: a guest server
   * on 127.0.0.1 is the host's 127.0.0.1); RoutedStack then sends it everything.
   */
  readonly handlesLoopback?: boolean;
  /**
   * Reserve a TCP port at bind() time (see BoundPort); without it the socket layer binds at
   * listen()/connect(). May answer later (a promise): the host stack must ask the host's
   * kernel, which Node does asynchronously; bind() in the guest waits for it.
   */
  bind?(local: InetAddr, opts: SockOpts): BoundPort | number | Promise<BoundPort | number>;
  interfaces(): NetInterface[];
  routes(): Route[];
  /** Start a connection; the result is usually 'connecting'. -ENETUNREACH when no route. */
  connect(remote: InetAddr, local: InetAddr | null, opts: SockOpts): StreamConn | number;
  /** Bind and listen (port 0 picks an ephemeral port). -EADDRINUSE, -EADDRNOTAVAIL, -EACCES. */
  listen(local: InetAddr, backlog: number, opts: SockOpts): StreamListener | number;
  /** A UDP socket (protocol 'udp') or an ICMP echo socket ('icmp'), bound to `local` (port 0 = ephemeral); may answer later, as bind(). */
  datagram(protocol: 'udp' | 'icmp', local: InetAddr, opts: SockOpts): DatagramSocket | number | Promise<DatagramSocket | number>;
  /** Release everything (machine shutdown). */
  close?(): void;
}
