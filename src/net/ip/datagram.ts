/**
 * Datagram sockets: UDP (RFC 768) and ICMP echo ("ping") sockets as Linux's
 * net/ipv4/ping.c has them: the application writes an ICMP echo request header and payload,
 * the stack puts the socket's port in the identifier field and computes the checksum, and
 * echo replies whose identifier is that port come back, header included.
 */
import type { DatagramSocket, InetAddr, SockOpts, Watched } from '../../engine/net/stack.js';
import { EAGAIN } from '../../engine/linux/errno.js';
import type { Binding } from './endpoint.js';
import { view } from './endpoint.js';

/** What a datagram socket needs from its stack. */
export interface DatagramHost {
  /** Send one datagram from `s` (bytes sent or -errno). */
  sendDatagram(s: Dgram, data: Uint8Array, to: InetAddr): number;
  /** Validate a connect() target and pick the local address: 0 or -errno. */
  connectDatagram(s: Dgram, to: InetAddr): number;
  releaseDatagram(s: Dgram): void;
  wake(w: Watched): void;
}

/** Linux's net.core.rmem_default: 212992 bytes of queued datagrams. */
const RCVBUF_DEFAULT = 212_992;

export class Dgram implements DatagramSocket {
  onChange: (() => void) | null = null;
  remote: InetAddr | null = null;
  /** The remote in wire form while connected (for demultiplexing). */
  remoteWire: { addr: Uint8Array; port: number } | null = null;
  private queue: { data: Uint8Array; from: InetAddr }[] = [];
  private queued = 0;
  private rcvBuf: number;
  private error = 0;
  ttl: number | null = null;
  broadcast = false;
  closed = false;
  /** Datagrams dropped because the queue was full (for diagnostics). */
  drops = 0;

  constructor(private readonly host: DatagramHost, readonly protocol: 'udp' | 'icmp', readonly binding: Binding, public local: InetAddr, opts: SockOpts) {
    this.rcvBuf = opts.rcvBuf ?? RCVBUF_DEFAULT;
    this.setOptions(opts);
  }

  connect(remote: InetAddr | null): number {
    if (remote === null) { this.remote = null; this.remoteWire = null; return 0; }
    const r = this.host.connectDatagram(this, remote);
    if (r < 0) return r;
    this.remote = remote;
    return 0;
  }

  nextSize(): number { return this.queue.length ? this.queue[0].data.length : -EAGAIN; }

  send(data: Uint8Array, to: InetAddr | null): number {
    const dst = to ?? this.remote;
    if (!dst) return -89; // EDESTADDRREQ
    return this.host.sendDatagram(this, data, dst);
  }

  recv(peek = false): { data: Uint8Array; from: InetAddr } | null {
    const d = this.queue[0];
    if (!d) return null;
    if (!peek) { this.queue.shift(); this.queued -= d.data.length; }
    return d;
  }

  takeError(): number { const e = this.error; this.error = 0; return e; }

  setOptions(o: SockOpts): void {
    if (o.rcvBuf) this.rcvBuf = o.rcvBuf;
    if (o.ttl !== undefined) this.ttl = o.ttl;
    if (o.broadcast !== undefined) this.broadcast = o.broadcast;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onChange = null;
    this.queue = [];
    this.host.releaseDatagram(this);
  }

  /** A datagram for this socket, from the wire (`from` in wire form). */
  deliver(data: Uint8Array, fromAddr: Uint8Array, fromPort: number): void {
    if (this.queued + data.length > this.rcvBuf && this.queue.length > 0) { this.drops++; return; }
    this.queue.push({ data, from: view(this.local.family, fromAddr, fromPort) });
    this.queued += data.length;
    this.host.wake(this);
  }

  /** An ICMP error about a datagram this socket sent (connected sockets only, as Linux without IP_RECVERR). */
  icmpError(errno: number): void {
    this.error = errno;
    this.host.wake(this);
  }
}
