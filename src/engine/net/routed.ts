/**
 * A machine's network: loopback addresses go to the loopback stack, everything else to
 * the backend (host, tailscale, relay), and a bind to the wildcard address takes the same
 * port on both so a server is reachable from inside and outside the VM. With no backend,
 * a non-loopback destination is unreachable (ENETUNREACH, "Network is unreachable") and
 * a non-loopback local address is not ours (EADDRNOTAVAIL). A backend that carries
 * loopback itself (`handlesLoopback`, the host stack) gets everything.
 */
import { EADDRINUSE, EADDRNOTAVAIL, EAGAIN, ENETUNREACH } from '../linux/errno.js';
import { isLoopback, isWildcard } from './addr.js';
import type { LoopbackStack } from './loopback.js';
import type {
  BoundPort, DatagramSocket, InetAddr, NetInterface, NetStack, Route, SockOpts, StreamConn, StreamListener,
} from './stack.js';

const IFF_LOOPBACK = 0x8;
/** Attempts at finding a port free on both stacks for a wildcard bind to port 0. */
const DUAL_TRIES = 16;

export class RoutedStack implements NetStack {
  readonly name: string;

  constructor(readonly loopback: LoopbackStack, readonly backend: NetStack | null) {
    this.name = backend?.name ?? loopback.name;
  }

  private get whole(): NetStack | null { return this.backend?.handlesLoopback ? this.backend : null; }

  interfaces(): NetInterface[] {
    if (this.whole) return this.whole.interfaces();
    return [...this.loopback.interfaces(), ...(this.backend?.interfaces().filter((i) => !(i.flags & IFF_LOOPBACK)) ?? [])];
  }

  routes(): Route[] {
    if (this.whole) return this.whole.routes();
    return [...(this.backend?.routes().filter((r) => r.ifIndex !== 1) ?? []), ...this.loopback.routes()];
  }

  /** The stack that carries traffic to `remote`, or -ENETUNREACH. */
  private route(remote: InetAddr): NetStack | number {
    if (this.whole) return this.whole;
    if (isLoopback(remote.family, remote.addr)) return this.loopback;
    return this.backend ?? -ENETUNREACH;
  }

  /** Where a bind to `local` goes: one stack, both (the wildcard), or -EADDRNOTAVAIL. */
  private place(local: InetAddr): NetStack | 'both' | number {
    if (this.whole) return this.whole;
    if (isLoopback(local.family, local.addr)) return this.loopback;
    if (isWildcard(local.addr)) return this.backend ? 'both' : this.loopback;
    return this.backend ?? -EADDRNOTAVAIL;
  }

  connect(remote: InetAddr, local: InetAddr | null, opts: SockOpts): StreamConn | number {
    const s = this.route(remote);
    return typeof s === 'number' ? s : s.connect(remote, local, opts);
  }

  /** The same port on both stacks: the backend picks, the loopback stack follows (retrying for port 0). */
  private async dual<T extends { local: InetAddr }>(local: InetAddr, take: (s: NetStack, at: InetAddr) => T | number | Promise<T | number>, drop: (x: T) => void): Promise<[T, T] | number> {
    const be = this.backend!;
    for (let i = 0; i < DUAL_TRIES; i++) {
      const a = await take(be, local);
      if (typeof a === 'number') return a;
      const b = await take(this.loopback, { ...local, port: a.local.port });
      if (typeof b !== 'number') return [a, b];
      drop(a);
      if (local.port !== 0 || b !== -EADDRINUSE) return b;
    }
    return -EADDRINUSE;
  }

  async bind(local: InetAddr, opts: SockOpts): Promise<BoundPort | number> {
    const p = this.place(local);
    if (typeof p === 'number') return p;
    if (p !== 'both') return p.bind ? p.bind(local, opts) : lateBind(p, local, opts);
    const pair = await this.dual(local, (s, at) => (s.bind ? s.bind(at, opts) : lateBind(s, at, opts)), (x) => x.release());
    if (typeof pair === 'number') return pair;
    const [be, lo] = pair;
    return {
      local: be.local,
      listen: (backlog, o) => {
        const a = be.listen(backlog, o);
        if (typeof a === 'number') { lo.release(); return a; }
        const b = lo.listen(backlog, o);
        if (typeof b === 'number') { a.close(); return b; }
        return new DualListener(a, b);
      },
      connect: (remote, o) => {
        const s = this.route(remote);
        if (typeof s === 'number') { be.release(); lo.release(); return s; }
        const [use, other] = s === this.loopback ? [lo, be] : [be, lo];
        other.release();
        return use.connect(remote, o);
      },
      release: () => { be.release(); lo.release(); },
    };
  }

  /** Listen without a bind() first (the socket layer binds first; this is for callers outside it). */
  listen(local: InetAddr, backlog: number, opts: SockOpts): StreamListener | number {
    const p = this.place(local);
    if (typeof p === 'number') return p;
    if (p !== 'both') return p.listen(local, backlog, opts);
    const a = this.backend!.listen(local, backlog, opts);
    if (typeof a === 'number') return a;
    const l = this.loopback.listen({ ...local, port: a.local.port }, backlog, opts);
    if (typeof l === 'number') { a.close(); return l; }
    return new DualListener(a, l);
  }

  async datagram(protocol: 'udp' | 'icmp', local: InetAddr, opts: SockOpts): Promise<DatagramSocket | number> {
    const p = this.place(local);
    if (typeof p === 'number') return p;
    if (p !== 'both') return p.datagram(protocol, local, opts);
    const pair = await this.dual(local, (s, at) => s.datagram(protocol, at, opts), (x) => x.close());
    if (typeof pair === 'number') return pair;
    return new DualDatagram(pair[0], pair[1], (to) => this.route(to));
  }

  close(): void {
    this.backend?.close?.();
  }
}

/** A stack without bind(): the address is only remembered until listen() or connect(). */
function lateBind(s: NetStack, local: InetAddr, opts: SockOpts): BoundPort {
  return {
    local,
    listen: (backlog, o) => s.listen(local, backlog, { ...opts, ...o }),
    connect: (remote, o) => s.connect(remote, local, { ...opts, ...o }),
    release: () => {},
  };
}

/** A wildcard listener on both stacks: connections from either, in arrival order per stack. */
class DualListener implements StreamListener {
  private cb: (() => void) | null = null;

  constructor(private readonly a: StreamListener, private readonly b: StreamListener) {}

  get onChange(): (() => void) | null { return this.cb; }
  set onChange(f: (() => void) | null) { this.cb = f; this.a.onChange = f; this.b.onChange = f; }
  get local(): InetAddr { return this.a.local; }
  pending(): number { return this.a.pending() + this.b.pending(); }
  accept(): StreamConn | null { return this.b.accept() ?? this.a.accept(); }
  close(): void { this.a.close(); this.b.close(); }
}

/** A wildcard datagram socket on both stacks: sends by route, receives from either. */
class DualDatagram implements DatagramSocket {
  private cb: (() => void) | null = null;
  remote: InetAddr | null = null;

  constructor(private readonly a: DatagramSocket, private readonly b: DatagramSocket, private readonly route: (to: InetAddr) => NetStack | number) {}

  get onChange(): (() => void) | null { return this.cb; }
  set onChange(f: (() => void) | null) { this.cb = f; this.a.onChange = f; this.b.onChange = f; }
  get local(): InetAddr { return this.a.local; }

  private pick(to: InetAddr): DatagramSocket | number {
    const s = this.route(to);
    return typeof s === 'number' ? s : isLoopback(to.family, to.addr) ? this.b : this.a;
  }

  connect(remote: InetAddr | null): number {
    if (!remote) { this.remote = null; this.a.connect(null); this.b.connect(null); return 0; }
    const s = this.pick(remote);
    if (typeof s === 'number') return s;
    const e = s.connect(remote);
    if (e === 0) this.remote = remote;
    return e;
  }

  nextSize(): number {
    const n = this.b.nextSize();
    return n !== -EAGAIN ? n : this.a.nextSize();
  }

  send(data: Uint8Array, to: InetAddr | null): number {
    const dest = to ?? this.remote;
    if (!dest) return this.a.send(data, null);
    const s = this.pick(dest);
    return typeof s === 'number' ? s : s.send(data, to);
  }

  recv(peek?: boolean): { data: Uint8Array; from: InetAddr } | null {
    return this.b.recv(peek) ?? this.a.recv(peek);
  }

  takeError(): number { return this.b.takeError() || this.a.takeError(); }
  setOptions(o: SockOpts): void { this.a.setOptions(o); this.b.setOptions(o); }
  close(): void { this.a.close(); this.b.close(); }
}

