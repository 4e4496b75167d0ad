/**
 * The `relay` network backend: every guest TCP connection and UDP flow to a non-loopback
 * address becomes a stream on one WebSocket to a relay that the page's owner runs
 * (`webx86 relay`, src/host/node/relay.ts; the protocol is in docs/NETWORK.md, "Relay").
 * Loopback stays inside the VM (RoutedStack). No DOM and no Node API: it runs in the engine's
 * worker and in Node alike; the WebSocket comes from ./websocket.ts.
 *
 * The VM's side of the relay looks like qemu's user-mode network (slirp), which guests and
 * users know: one interface `relay0` with 10.0.2.15/24 and a default route via 10.0.2.2; the
 * local address of every connection is 10.0.2.15.
 *
 * Errors a guest sees (connect(2) and SO_ERROR):
 * - the relay's answer: refused → ECONNREFUSED, host unreachable or unknown name →
 *   EHOSTUNREACH, network unreachable → ENETUNREACH, timed out → ETIMEDOUT;
 * - the allow-list refuses the destination → EACCES ("Permission denied"): connect(2) lists
 *   EACCES for "a local firewall rule", which is what the allow-list is, and programs print it
 *   as a refusal rather than retrying as they would on EAGAIN or ETIMEDOUT;
 * - the relay cannot be reached (not running, refused the WebSocket, no answer to the hello
 *   within 10 s) → ENETUNREACH ("Network is unreachable"), at once for every waiting connect;
 * - the WebSocket drops: established streams fail with ECONNRESET; the next connect opens a
 *   new WebSocket.
 * listen() binds nothing at the relay (nobody outside can connect in through it): a wildcard
 * listener is a loopback listener (RoutedStack pairs it with the loopback stack's), a
 * listener on 10.0.2.15 or another address answers EADDRNOTAVAIL.
 */
import {
  EACCES, EADDRNOTAVAIL, EAGAIN, ECONNREFUSED, ECONNRESET, EHOSTUNREACH, EINVAL, EMSGSIZE, ENETUNREACH, EPIPE, ETIMEDOUT,
} from '../../engine/abi/errno.js';
import { AF_INET, addrText, isWildcard, sameAddr } from '../../engine/net/addr.js';
import { DGRAM_BUF, TCP_SNDBUF } from '../../engine/net/loopback.js';
import type {
  DatagramSocket, InetAddr, NetInterface, NetStack, Route, SockOpts, StreamConn, StreamListener,
} from '../../engine/net/stack.js';
import {
  CLOSE_NORMAL, CLOSE_PROTOCOL, CLOSE_UNSUPPORTED, CODE_NAMES, Code, DEFAULT_WINDOW, encodeAddr, frame, HELLO_MAGIC, MAX_DATA,
  parseFrame, readAddr, Reader, RELAY_SUBPROTOCOL, RELAY_VERSION, T, text, u16, u32, type Frame,
} from './frames.js';
import { bytesOf, platformSocketFactory, type RelaySocket, type RelaySocketFactory } from './websocket.js';
import { ByteQueue, DatagramQueue } from '../../engine/net/byte-queue.js';

/** The VM's address behind the relay and the gateway (qemu's slirp defaults). */
export const RELAY_ADDR = Uint8Array.of(10, 0, 2, 15);
const RELAY_GW = Uint8Array.of(10, 0, 2, 2);
const RELAY_IFINDEX = 2;
/** How long the WebSocket and the hello may take before waiting connects fail. */
const OPEN_TIMEOUT_MS = 10_000;
/** Keepalive: a PING after this much silence, and the link is dead after three times it. */
const PING_MS = 15_000;
const UDP_MAX = 65507;
/** Datagrams held while a UDP flow opens. */
const UDP_PENDING = 64;

/** The relay's failure codes → Linux errno (see the module comment). */
const CODE_ERRNO: Record<number, number> = {
  [Code.REFUSED]: ECONNREFUSED, [Code.HOST_UNREACHABLE]: EHOSTUNREACH, [Code.NET_UNREACHABLE]: ENETUNREACH,
  [Code.TIMED_OUT]: ETIMEDOUT, [Code.NOT_ALLOWED]: EACCES, [Code.NO_SUCH_NAME]: EHOSTUNREACH, [Code.LIMIT]: EAGAIN,
  [Code.RESET_BY_PEER]: ECONNRESET, [Code.PROTOCOL]: ECONNRESET, [Code.OTHER]: ECONNRESET,
};
const errnoOf = (code: number): number => CODE_ERRNO[code] ?? ECONNRESET;

export interface RelayOptions {
  /** ws:// or wss:// URL of the relay. */
  url: string;
  /** A WebSocket factory (tests); default: the platform's. */
  webSocket?: RelaySocketFactory;
  /** Called with a line for each link event (connected, closed and why). */
  log?: (msg: string) => void;
}

/** One stream on the link (a TCP connection or a UDP flow). */
interface Stream {
  /** Send the open frame (the link is up). */
  start(id: number): void;
  /** A frame for this stream; a string when it is malformed (the link closes with it). */
  onFrame(f: Frame): string | null;
  /** The link went down or never came up. */
  linkDown(neverUp: boolean): void;
}

/** The WebSocket to the relay, its hello, keepalive and the streams on it. */
class RelayLink {
  private ws: RelaySocket | null = null;
  private up = false;
  private readonly waiting: Stream[] = [];
  private readonly streams = new Map<number, Stream>();
  private nextId = 1;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastHeard = 0;
  /** Why the link last went down (for messages). */
  lastError = '';

  constructor(private readonly opts: RelayOptions) {}

  /** Run `s.start(id)` once the link is up (now, if it is), or `s.linkDown(true)` if it cannot come up. */
  open(s: Stream): void {
    if (this.up) { this.startStream(s); return; }
    this.waiting.push(s);
    if (!this.ws) void this.dial();
  }

  forget(s: Stream): void {
    const i = this.waiting.indexOf(s);
    if (i >= 0) this.waiting.splice(i, 1);
    for (const [id, x] of this.streams) if (x === s) this.streams.delete(id);
  }

  send(f: Uint8Array): void {
    if (this.up && this.ws) this.ws.send(f);
  }

  private startStream(s: Stream): void {
    const id = this.nextId;
    this.nextId = this.nextId >= 0xffffffff ? 1 : this.nextId + 1;
    this.streams.set(id, s);
    s.start(id);
  }

  private log(msg: string): void { this.opts.log?.(msg); }

  private async dial(): Promise<void> {
    let ws: RelaySocket;
    try {
      const factory = this.opts.webSocket ?? await platformSocketFactory();
      ws = factory(this.opts.url, RELAY_SUBPROTOCOL);
    } catch (e) {
      this.down(`cannot open a WebSocket to ${this.opts.url}: ${(e as Error).message}`, true);
      return;
    }
    this.ws = ws;
    ws.binaryType = 'arraybuffer';
    this.lastHeard = Date.now();
    this.timer = setTimeout(() => this.down(`no answer from the relay at ${this.opts.url} within ${OPEN_TIMEOUT_MS / 1000} s`, true), OPEN_TIMEOUT_MS);
    ws.onopen = () => ws.send(frame(T.HELLO, 0, text(HELLO_MAGIC), [RELAY_VERSION]));
    ws.onerror = () => { /* onclose follows with the code */ };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      const why = ev.reason ? `${ev.code ?? ''} ${ev.reason}` : `code ${ev.code ?? 'none'}`;
      this.down(this.up ? `the relay closed the connection (${why})` : `cannot reach the relay at ${this.opts.url} (${why})`, !this.up);
    };
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      this.lastHeard = Date.now();
      const b = bytesOf(ev.data);
      const bad = b ? this.onMessage(b) : 'text message (the relay protocol is binary)';
      if (bad) {
        this.log(`relay: closing: ${bad}`);
        ws.close(b ? CLOSE_PROTOCOL : CLOSE_UNSUPPORTED, bad.slice(0, 120));
        this.down(`protocol error from the relay: ${bad}`, !this.up);
      }
    };
  }

  private onMessage(b: Uint8Array): string | null {
    const f = parseFrame(b);
    if (typeof f === 'string') return f;
    if (f.stream === 0) {
      const r = new Reader(f.body, `frame type ${f.type} on stream 0`);
      switch (f.type) {
        case T.HELLO_OK: {
          if (this.up) return 'a second HELLO_OK';
          const v = r.u8(); r.u16(); r.u32(); r.end();
          if (r.bad) return r.bad;
          if (v !== RELAY_VERSION) return `the relay speaks version ${v}, this client ${RELAY_VERSION}`;
          this.up = true;
          this.log(`relay: connected to ${this.opts.url}`);
          this.keepalive();
          for (const s of this.waiting.splice(0)) this.startStream(s);
          return null;
        }
        case T.PING: this.send(frame(T.PONG, 0, f.body)); return null;
        case T.PONG: return null;
        default: return `frame type ${f.type} on stream 0`;
      }
    }
    if (!this.up) return `frame type ${f.type} for stream ${f.stream} before HELLO_OK`;
    const s = this.streams.get(f.stream);
    if (!s) {
      // A frame that crossed our RESET or close is normal; one for a stream never opened is not.
      return f.stream < this.nextId ? null : `frame type ${f.type} for stream ${f.stream}, which was never opened`;
    }
    return s.onFrame(f);
  }

  private keepalive(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (Date.now() - this.lastHeard > 3 * PING_MS) { this.ws?.close(CLOSE_NORMAL, 'no answer to keepalive'); this.down('the relay stopped answering keepalives', false); return; }
      this.send(frame(T.PING, 0, u32(Date.now() >>> 0), u32(0)));
      this.keepalive();
    }, PING_MS);
  }

  private down(why: string, neverUp: boolean): void {
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    const ws = this.ws;
    this.ws = null;
    this.up = false;
    this.lastError = why;
    this.log(`relay: ${why}`);
    if (ws) { ws.onmessage = ws.onclose = ws.onopen = null; try { ws.close(); } catch { /* already closed */ } }
    const all = [...this.waiting.splice(0), ...this.streams.values()];
    this.streams.clear();
    this.nextId = 1;
    for (const s of all) s.linkDown(neverUp);
  }

  close(): void {
    if (this.ws) { this.ws.close(CLOSE_NORMAL, 'machine shut down'); }
    this.down('closed', false);
  }
}

/** A guest TCP connection carried as a relay stream. */
class RelayConn implements StreamConn {
  onChange: (() => void) | null = null;
  state: 'connecting' | 'connected' | 'closed' = 'connecting';
  private id = 0;
  private readonly rx = new ByteQueue();
  private get queued(): number { return this.rx.length; }
  private fin = false;
  private finSent = false;
  private shutWr = false;
  private released = false;
  private err = 0;
  /** Bytes we may still send (the relay's grants). */
  private credit = 0;
  /** Bytes the relay may still send us. */
  private window = DEFAULT_WINDOW;
  /** Bytes read by the guest and not yet granted back. */
  private consumed = 0;
  private sndBuf: number;

  constructor(private readonly link: RelayLink, readonly remote: InetAddr, readonly local: InetAddr, opts: SockOpts) {
    this.sndBuf = opts.sndBuf ?? TCP_SNDBUF;
    link.open(this);
  }

  private changed(): void { this.onChange?.(); }

  start(id: number): void {
    this.id = id;
    this.link.send(frame(T.OPEN_TCP, id, u32(DEFAULT_WINDOW), u16(this.remote.port), text(addrText(this.remote.family, this.remote.addr))));
  }

  onFrame(f: Frame): string | null {
    const r = new Reader(f.body, `stream ${f.stream} frame type ${f.type}`);
    switch (f.type) {
      case T.OPENED: {
        const w = r.u32(); r.end();
        if (r.bad) return r.bad;
        if (this.state !== 'connecting') return `stream ${f.stream}: OPENED twice`;
        this.credit = w;
        this.state = 'connected';
        if (this.released) this.finish();
        break;
      }
      case T.FAIL: {
        const code = r.u8(); r.str();
        if (r.bad) return r.bad;
        if (this.state !== 'connecting') return `stream ${f.stream}: FAIL after OPENED`;
        this.err = errnoOf(code);
        this.end();
        break;
      }
      case T.DATA: {
        if (this.state !== 'connected' || this.fin) return `stream ${f.stream}: DATA ${this.fin ? 'after FIN' : 'before OPENED'}`;
        if (f.body.length > this.window) return `stream ${f.stream}: ${f.body.length} bytes of DATA beyond the window of ${this.window}`;
        this.window -= f.body.length;
        if (this.released) { this.reset(Code.RESET_BY_PEER, 'data for a closed socket'); break; }
        this.rx.push(f.body.slice());
        break;
      }
      case T.WINDOW: {
        const n = r.u32(); r.end();
        if (r.bad) return r.bad;
        if (this.credit + n > 0xffffffff) return `stream ${f.stream}: window grows past 2^32`;
        this.credit += n;
        break;
      }
      case T.FIN:
        r.end();
        if (r.bad) return r.bad;
        if (this.state !== 'connected' || this.fin) return `stream ${f.stream}: unexpected FIN`;
        this.fin = true;
        if (this.released && this.finSent) this.end();
        break;
      case T.RESET: {
        const code = r.u8(); r.str();
        if (r.bad) return r.bad;
        this.err = this.state === 'connecting' ? errnoOf(code) : ECONNRESET;
        this.end();
        break;
      }
      default:
        return `stream ${f.stream}: frame type ${f.type} is not a TCP frame`;
    }
    this.changed();
    return null;
  }

  linkDown(neverUp: boolean): void {
    if (this.state === 'closed') return;
    this.err = this.state === 'connecting' || neverUp ? ENETUNREACH : ECONNRESET;
    this.state = 'closed';
    this.changed();
  }

  /** The stream is over at both ends. */
  private end(): void {
    this.state = 'closed';
    this.link.forget(this);
  }

  private reset(code: Code, why: string): void {
    if (this.id && this.state !== 'closed') this.link.send(frame(T.RESET, this.id, [code], text(why)));
    this.end();
  }

  readable(): number { return this.queued; }
  get eof(): boolean { return this.fin && this.queued === 0; }

  read(buf: Uint8Array, peek = false): number {
    if (this.queued === 0) return this.fin || this.state === 'closed' ? 0 : -EAGAIN;
    const n = this.rx.read(buf, peek);
    if (!peek) {
      this.consumed += n;
      // Grant back in batches of half a window: fewer WINDOW frames, and the relay never stalls on a full window.
      if (this.consumed >= DEFAULT_WINDOW / 2 && this.state === 'connected') {
        this.link.send(frame(T.WINDOW, this.id, u32(this.consumed)));
        this.window += this.consumed;
        this.consumed = 0;
      }
    }
    return n;
  }

  writable(): number {
    if (this.state !== 'connected' || this.shutWr) return 0;
    return Math.min(this.credit, this.sndBuf);
  }

  write(data: Uint8Array): number {
    if (this.err) { const e = this.err; this.err = 0; return -e; }
    if (this.shutWr) return -EPIPE;
    if (this.state === 'connecting') return -EAGAIN;
    if (this.state === 'closed') return -EPIPE;
    const n = Math.min(data.length, this.credit, this.sndBuf);
    if (n <= 0) return -EAGAIN;
    for (let o = 0; o < n; o += MAX_DATA) this.link.send(frame(T.DATA, this.id, data.subarray(o, Math.min(n, o + MAX_DATA))));
    this.credit -= n;
    return n;
  }

  shutdown(how: 0 | 1 | 2): void {
    if (how === 0 || this.shutWr) return;
    this.shutWr = true;
    this.sendFin();
  }

  private sendFin(): void {
    if (this.finSent || this.state !== 'connected') return;
    this.finSent = true;
    this.link.send(frame(T.FIN, this.id));
  }

  close(lingerZero = false): void {
    if (this.released) return;
    this.released = true;
    if (this.state === 'connecting') {
      if (this.id) this.reset(Code.RESET_BY_PEER, 'closed while connecting'); else { this.link.forget(this); this.state = 'closed'; }
    } else if (this.state === 'connected') {
      // tcp_close: unread data (or SO_LINGER 0) resets the connection.
      if (lingerZero || this.queued > 0) this.reset(Code.RESET_BY_PEER, lingerZero ? 'SO_LINGER 0' : 'closed with unread data');
      else this.finish();
    }
    this.rx.clear();
  }

  /** Graceful close: our FIN; the stream ends when the relay's FIN has come too. */
  private finish(): void {
    this.sendFin();
    if (this.fin) this.end();
  }

  takeError(): number { const e = this.err; this.err = 0; return e; }
  setOptions(o: SockOpts): void { if (o.sndBuf !== undefined) this.sndBuf = o.sndBuf; }
}

/** A guest UDP socket: one relay flow (one UDP socket at the relay), opened at the first send. */
class RelayDatagram implements DatagramSocket {
  onChange: (() => void) | null = null;
  remote: InetAddr | null = null;
  private id = 0;
  private flow: 'none' | 'opening' | 'open' | 'failed' = 'none';
  private readonly pending: Uint8Array[] = [];
  private readonly rxq = new DatagramQueue<InetAddr>();
  private err = 0;
  private rcvBuf: number;
  private closed = false;

  constructor(private readonly link: RelayLink, readonly local: InetAddr, opts: SockOpts) {
    this.rcvBuf = opts.rcvBuf ?? DGRAM_BUF;
  }

  start(id: number): void {
    this.id = id;
    this.link.send(frame(T.OPEN_UDP, id, [this.local.family === AF_INET ? 4 : 6]));
  }

  onFrame(f: Frame): string | null {
    const r = new Reader(f.body, `stream ${f.stream} frame type ${f.type}`);
    switch (f.type) {
      case T.OPENED:
        r.u32(); r.end();
        if (r.bad) return r.bad;
        this.flow = 'open';
        for (const d of this.pending.splice(0)) this.link.send(frame(T.DATAGRAM, this.id, d));
        return null;
      case T.FAIL: {
        // Before OPENED: the flow failed. After: one datagram was refused (allow-list, unreachable); the flow stays.
        const code = r.u8(); r.str();
        if (r.bad) return r.bad;
        if (this.flow === 'opening') { this.flow = 'failed'; this.pending.length = 0; this.link.forget(this); }
        this.err = errnoOf(code);
        break;
      }
      case T.RESET:
        this.flow = 'failed';
        this.link.forget(this);
        this.err = errnoOf(r.u8());
        break;
      case T.DATAGRAM: {
        const a = readAddr(r);
        const data = r.rest();
        if (!a) return r.bad;
        const from: InetAddr = a.family === 4 ? { family: AF_INET, addr: a.addr, port: a.port } : { family: 10, addr: a.addr, port: a.port };
        // A connected socket hears only its peer (udp4_lib_lookup's match).
        if (this.remote && (this.remote.port !== from.port || !sameAddr(this.remote.addr, from.addr))) return null;
        if (!this.rxq.offer(data.slice(), from, this.rcvBuf)) return null;
        break;
      }
      default:
        return `stream ${f.stream}: frame type ${f.type} is not a UDP frame`;
    }
    this.onChange?.();
    return null;
  }

  linkDown(): void {
    if (this.flow === 'none') return;
    this.flow = 'none';
    this.pending.length = 0;
    this.err = ENETUNREACH;
    this.onChange?.();
  }

  connect(remote: InetAddr | null): number { this.remote = remote; return 0; }
  nextSize(): number { const n = this.rxq.nextSize(); return n < 0 ? -EAGAIN : n; }

  send(data: Uint8Array, to: InetAddr | null): number {
    if (this.err) { const e = this.err; this.err = 0; return -e; }
    const dest = to ?? this.remote;
    if (!dest) return -EINVAL;
    if (data.length > UDP_MAX) return -EMSGSIZE;
    const d = Uint8Array.from([...encodeAddr(dest.family === AF_INET ? 4 : 6, dest.addr, dest.port)]);
    const body = new Uint8Array(d.length + data.length);
    body.set(d); body.set(data, d.length);
    if (this.flow === 'open') this.link.send(frame(T.DATAGRAM, this.id, body));
    else {
      // UDP may drop: beyond UDP_PENDING datagrams waiting for the flow, the newest is lost.
      if (this.pending.length < UDP_PENDING) this.pending.push(body);
      if (this.flow === 'none' || this.flow === 'failed') { this.flow = 'opening'; this.link.open(this); }
    }
    return data.length;
  }

  recv(peek = false): { data: Uint8Array; from: InetAddr } | null { return this.rxq.take(peek); }

  takeError(): number { const e = this.err; this.err = 0; return e; }
  setOptions(o: SockOpts): void { if (o.rcvBuf !== undefined) this.rcvBuf = o.rcvBuf; }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.id && this.flow === 'open') this.link.send(frame(T.RESET, this.id, [Code.RESET_BY_PEER], text('closed')));
    this.link.forget(this);
  }
}

/** ICMP echo has no way through the relay: sends fail with ENETUNREACH, so `ping HOST` says so at once. */
class NoPing implements DatagramSocket {
  onChange: (() => void) | null = null;
  remote: InetAddr | null = null;
  constructor(readonly local: InetAddr) {}
  connect(remote: InetAddr | null): number { this.remote = remote; return 0; }
  nextSize(): number { return -EAGAIN; }
  send(): number { return -ENETUNREACH; }
  recv(): null { return null; }
  takeError(): number { return 0; }
  setOptions(): void {}
  close(): void {}
}

/** A wildcard listener's relay half: nothing arrives through the relay (see the module comment). */
class NoListener implements StreamListener {
  onChange: (() => void) | null = null;
  constructor(readonly local: InetAddr) {}
  pending(): number { return 0; }
  accept(): null { return null; }
  close(): void {}
}

export class RelayStack implements NetStack {
  readonly name = 'relay';
  private readonly link: RelayLink;
  /** Ephemeral ports for local addresses (32768–60999, ip_local_port_range). */
  private nextPort = 32768 + Math.floor(Math.random() * 28232);

  constructor(readonly options: RelayOptions) {
    if (!/^wss?:\/\//i.test(options.url)) throw new Error(`the relay URL must start with ws:// or wss://, got ${JSON.stringify(options.url)}`);
    this.link = new RelayLink(options);
  }

  /** Why the WebSocket last went down ('' if it never did). */
  get lastError(): string { return this.link.lastError; }

  interfaces(): NetInterface[] {
    return [{
      name: 'relay0', index: RELAY_IFINDEX, flags: 0x1 | 0x10 | 0x40 | 0x80 /* UP, POINTOPOINT, RUNNING, NOARP */, mtu: 65520,
      mac: new Uint8Array(0), addresses: [{ family: AF_INET, addr: RELAY_ADDR.slice(), prefixLen: 24 }],
    }];
  }

  routes(): Route[] {
    return [
      { family: AF_INET, dst: new Uint8Array(4), prefixLen: 0, gateway: RELAY_GW.slice(), ifIndex: RELAY_IFINDEX },
      { family: AF_INET, dst: Uint8Array.of(10, 0, 2, 0), prefixLen: 24, gateway: null, ifIndex: RELAY_IFINDEX },
    ];
  }

  private port(): number {
    const p = this.nextPort;
    this.nextPort = p >= 60999 ? 32768 : p + 1;
    return p;
  }

  private localFor(family: InetAddr['family'], local: InetAddr | null): InetAddr | number {
    if (local && !isWildcard(local.addr) && !(local.family === AF_INET && sameAddr(local.addr, RELAY_ADDR))) return -EADDRNOTAVAIL;
    const addr = family === AF_INET ? RELAY_ADDR.slice() : new Uint8Array(16);
    return { family, addr, port: local?.port || this.port() };
  }

  connect(remote: InetAddr, local: InetAddr | null, opts: SockOpts): StreamConn | number {
    const l = this.localFor(remote.family, local);
    return typeof l === 'number' ? l : new RelayConn(this.link, remote, l, opts);
  }

  listen(local: InetAddr): StreamListener | number {
    if (!isWildcard(local.addr)) return -EADDRNOTAVAIL;
    return new NoListener({ ...local, port: local.port || this.port() });
  }

  datagram(protocol: 'udp' | 'icmp', local: InetAddr, opts: SockOpts): DatagramSocket | number {
    const l = this.localFor(local.family, local);
    if (typeof l === 'number') return l;
    return protocol === 'icmp' ? new NoPing(l) : new RelayDatagram(this.link, l, opts);
  }

  close(): void { this.link.close(); }
}

export { CODE_NAMES };
