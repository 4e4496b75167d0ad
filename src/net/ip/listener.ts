/** A listening TCP socket: the SYN queue and the accept queue (Linux's listen(2) backlog semantics). */
import type { InetAddr, SockOpts, StreamConn, StreamListener } from '../../engine/net/stack.js';
import type { Binding } from './endpoint.js';
import type { TcpConn } from './tcp.js';

export interface ListenerHost {
  closeListener(l: TcpListener): void;
}

export class TcpListener implements StreamListener {
  onChange: (() => void) | null = null;
  /** Connections in SYN-RECEIVED. */
  readonly synQueue = new Set<TcpConn>();
  /** Connections that completed the handshake, oldest first. */
  readonly acceptQueue: TcpConn[] = [];
  closed = false;

  constructor(private readonly host: ListenerHost, readonly binding: Binding, readonly local: InetAddr, public backlog: number, readonly opts: SockOpts) {}

  pending(): number { return this.acceptQueue.length; }

  /** Linux (sk_acceptq_is_full): a new SYN is dropped while more than `backlog` connections wait for accept(); the SYN queue is bounded too. */
  get full(): boolean { return this.acceptQueue.length > this.backlog || this.synQueue.size >= Math.max(this.backlog, 128) * 2; }

  accept(): StreamConn | null {
    const c = this.acceptQueue.shift();
    if (!c) return null;
    c.listener = null;
    return c;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onChange = null;
    this.host.closeListener(this);
  }
}
