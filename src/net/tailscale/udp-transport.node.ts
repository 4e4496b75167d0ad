/**
 * The UDP socket for Tailscale's direct paths in Node (magicsock.ts's UdpTransport): one dgram
 * socket, as magicsock has one per family. Bound to a given address (loopback in tests), its
 * endpoint is that address; bound to the wildcard, its endpoints are the machine's interface
 * addresses (magicsock's "local" endpoints, netmon.LocalAddresses: loopback only when there is
 * nothing else), all with the socket's port.
 */
import dgram from 'node:dgram';
import { networkInterfaces } from 'node:os';
import type { UdpTransport } from './magicsock.js';

/** magicsock.go socketBufferSize. */
const SOCKET_BUFFER = 7 << 20;

export class NodeUdpTransport implements UdpTransport {
  onMessage: ((msg: Uint8Array, ip: string, port: number) => void) | null = null;
  private closed = false;
  private constructor(private readonly socket: dgram.Socket, private readonly address: string) {
    socket.on('message', (m, r) => this.onMessage?.(new Uint8Array(m.buffer, m.byteOffset, m.byteLength), r.address, r.port));
    // ICMP errors (port unreachable on loopback) arrive as socket errors: a path that fails, not a crash.
    socket.on('error', () => {});
  }

  /** Bind on `address` (default all IPv4 interfaces), port 0 = ephemeral. Rejects with the OS's reason (EADDRINUSE, EADDRNOTAVAIL). */
  static listen(address = '0.0.0.0', port = 0): Promise<NodeUdpTransport> {
    // magicsock asks for 7 MiB socket buffers (socketBufferSize): a peer sending at loopback speed
    // overflows Linux's default 208 KiB between two of our event-loop turns (the kernel caps the
    // request at net.core.rmem_max).
    const socket = dgram.createSocket({ type: address.includes(':') ? 'udp6' : 'udp4', recvBufferSize: SOCKET_BUFFER, sendBufferSize: SOCKET_BUFFER });
    return new Promise((resolve, reject) => {
      socket.once('error', (e) => reject(new Error(`cannot bind the Tailscale UDP socket on ${address}:${port}: ${e.message}`)));
      socket.bind(port, address, () => { socket.removeAllListeners('error'); resolve(new NodeUdpTransport(socket, address)); });
    });
  }

  get port(): number { return this.socket.address().port; }

  send(msg: Uint8Array, ip: string, port: number): void {
    if (this.closed) return;
    try { this.socket.send(msg, port, ip); } catch { /* best effort: a bad address is a path that fails */ }
  }

  endpoints(): string[] {
    const port = this.port;
    const fmt = (ip: string) => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);
    if (this.address !== '0.0.0.0' && this.address !== '::') return [fmt(this.address)];
    const v6 = this.address === '::';
    const all = Object.values(networkInterfaces()).flatMap((l) => l ?? []).filter((a) => (a.family === 'IPv4' || v6) && !/^fe80:/i.test(a.address));
    const regular = all.filter((a) => !a.internal);
    return (regular.length ? regular : all).map((a) => fmt(a.address));
  }

  reaches(ip: string): boolean {
    const v6 = ip.includes(':');
    if (this.address === '127.0.0.1' || this.address.startsWith('127.')) return !v6 && ip.startsWith('127.');
    if (this.address === '::1') return ip === '::1';
    if (this.address === '0.0.0.0') return !v6;
    return this.address === '::' || v6 === this.address.includes(':');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try { this.socket.close(); } catch { /* already closed */ }
  }
}
