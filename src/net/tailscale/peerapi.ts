/**
 * The node's peerapi, as much of it as a peer's `tailscale ping --peerapi` needs: an HTTP
 * server on the node's tailnet address (one port, IPv4 and IPv6, as Go's peerapi4/peerapi6)
 * advertised in Hostinfo.Services, answering HEAD or GET of "/" with 200 (ipnlocal
 * pingPeerAPI wants a 200 for a HEAD of the base URL). Every other request gets 404: we offer
 * none of Go's peerapi services (Taildrop, DoH for exit-node clients, ...).
 */
import type { NetStack, StreamConn, StreamListener } from '../../engine/net/stack.js';

/** Requests larger than this (the header block) are refused. */
const MAX_HEADER = 8192;

export class PeerApi {
  private readonly listeners: StreamListener[] = [];
  /** The port, the same on each address (0 until listening). */
  port = 0;
  requests = 0;

  constructor(private readonly stack: NetStack, private readonly log: (m: string) => void) {}

  /** Listen on these addresses (the node's, without prefix length), keeping one port for all. */
  listen(addrs: Uint8Array[]): void {
    if (this.listeners.length) return;
    for (const addr of addrs) {
      const l = this.stack.listen({ family: addr.length === 16 ? 10 : 2, addr, port: this.port }, 16, {});
      if (typeof l === 'number' || l instanceof Promise) { this.log(`peerapi: cannot listen (${typeof l === 'number' ? `errno ${-l}` : 'asynchronous stack'})`); continue; }
      this.port = l.local.port;
      l.onChange = () => { for (let c; (c = l.accept()); ) this.serve(c); };
      this.listeners.push(l);
    }
  }

  /** Hostinfo.Services entries (tailcfg.PeerAPI4 / PeerAPI6). */
  services(): { Proto: string; Port: number }[] {
    if (!this.port) return [];
    return this.listeners.map((l) => ({ Proto: l.local.family === 10 ? 'peerapi6' : 'peerapi4', Port: this.port }));
  }

  close(): void {
    for (const l of this.listeners.splice(0)) l.close();
  }

  private serve(c: StreamConn): void {
    let head = '';
    const buf = new Uint8Array(4096);
    c.onChange = () => {
      for (;;) {
        const n = c.read(buf);
        if (n === 0 || (n < 0 && n !== -11)) { c.close(); return; }
        if (n < 0) return;
        head += new TextDecoder().decode(buf.subarray(0, n));
        if (head.length > MAX_HEADER) { this.answer(c, 431, 'Request Header Fields Too Large', false); return; }
        if (!head.includes('\r\n\r\n')) continue;
        const [method, path] = head.split('\r\n')[0].split(' ');
        this.requests++;
        const root = path === '/' && (method === 'HEAD' || method === 'GET');
        this.answer(c, root ? 200 : 404, root ? 'OK' : 'Not Found', method === 'HEAD');
        return;
      }
    };
  }

  private answer(c: StreamConn, status: number, reason: string, head: boolean): void {
    const body = status === 200 ? 'webx86 peerapi\n' : `${reason}\n`;
    c.write(new TextEncoder().encode(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${head ? '' : body}`));
    c.shutdown(1);
    c.onChange = () => { if (c.read(new Uint8Array(512)) === 0 || c.state === 'closed') c.close(); };
  }
}
