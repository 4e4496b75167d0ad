/**
 * WireGuard over UDP for Node (the wireguard-go interop test and direct paths from the CLI):
 * one dgram socket; messages from any address reach the device, which learns a peer's
 * endpoint from authenticated messages (roaming, paper §2.1).
 */
import dgram from 'node:dgram';
import { parseIP } from './allowedips.js';
import type { Bind, Device } from './device.js';

export interface UdpEndpoint {
  address: string;
  port: number;
}

export class UdpBind implements Bind<UdpEndpoint> {
  private device: Device<UdpEndpoint> | null = null;
  private constructor(private readonly socket: dgram.Socket) {}

  /** Bind a UDP socket (port 0 = ephemeral) on `address`. */
  static async listen(port = 0, address = '127.0.0.1'): Promise<UdpBind> {
    const socket = dgram.createSocket(address.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, address, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    const b = new UdpBind(socket);
    socket.on('message', (msg, rinfo) => {
      b.device?.receive(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), { address: rinfo.address, port: rinfo.port });
    });
    socket.on('error', () => {});
    return b;
  }

  attach(device: Device<UdpEndpoint>): void {
    this.device = device;
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(msg: Uint8Array, ep: UdpEndpoint): void {
    this.socket.send(msg, ep.port, ep.address);
  }

  endpointBytes(ep: UdpEndpoint): Uint8Array {
    const ip = parseIP(ep.address);
    const out = new Uint8Array(ip.length + 2);
    out.set(ip);
    out[ip.length] = ep.port >> 8;
    out[ip.length + 1] = ep.port & 0xff;
    return out;
  }

  close(): void {
    this.device = null;
    try {
      this.socket.close();
    } catch {
      /* already closed */
    }
  }
}
