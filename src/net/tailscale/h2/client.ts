/**
 * A minimal HTTP/2 client (RFC 9113) for one connection with prior knowledge (h2c), the way
 * Tailscale's control client talks to its server inside the ts2021 Noise channel
 * (control/ts2021 sets `Protocols.SetUnencryptedHTTP2`). What it does: the preface and
 * SETTINGS (HEADER_TABLE_SIZE=0 so the server keeps no dynamic table for us, ENABLE_PUSH=0),
 * requests on concurrent streams (register, the map long-poll, light map updates),
 * HEADERS/CONTINUATION, DATA in both directions under flow control, WINDOW_UPDATE as the
 * caller consumes response bodies, PING answers, GOAWAY and RST_STREAM. No push, no
 * priorities, no trailers beyond reading and dropping them.
 *
 * It is sans-I/O: `send` writes bytes to the transport, the owner feeds received bytes to
 * `receive()` and calls `transportClosed()` when the transport ends.
 */
import { HpackDecoder, HpackError, hpackEncode, type Header } from './hpack.js';

/** RFC 9113 §3.4. */
const PREFACE = new TextEncoder().encode('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

/** RFC 9113 §6 frame types. */
const enum Frame { DATA = 0, HEADERS = 1, PRIORITY = 2, RST_STREAM = 3, SETTINGS = 4, PUSH_PROMISE = 5, PING = 6, GOAWAY = 7, WINDOW_UPDATE = 8, CONTINUATION = 9 }
const END_STREAM = 0x1, ACK = 0x1, END_HEADERS = 0x4, PADDED = 0x8, PRIORITY_FLAG = 0x20;
/** RFC 9113 §6.5.2 setting identifiers. */
const enum Setting { HEADER_TABLE_SIZE = 1, ENABLE_PUSH = 2, MAX_CONCURRENT_STREAMS = 3, INITIAL_WINDOW_SIZE = 4, MAX_FRAME_SIZE = 5, MAX_HEADER_LIST_SIZE = 6 }
/** RFC 9113 §7 error codes used here. */
const NO_ERROR = 0, PROTOCOL_ERROR = 1, FLOW_CONTROL_ERROR = 3, FRAME_SIZE_ERROR = 6, CANCEL = 8, COMPRESSION_ERROR = 9;
const ERROR_NAMES = ['NO_ERROR', 'PROTOCOL_ERROR', 'INTERNAL_ERROR', 'FLOW_CONTROL_ERROR', 'SETTINGS_TIMEOUT', 'STREAM_CLOSED', 'FRAME_SIZE_ERROR', 'REFUSED_STREAM', 'CANCEL', 'COMPRESSION_ERROR', 'CONNECT_ERROR', 'ENHANCE_YOUR_CALM', 'INADEQUATE_SECURITY', 'HTTP_1_1_REQUIRED'];
const errorName = (c: number) => ERROR_NAMES[c] ?? `error ${c}`;

/** RFC 9113 §6.9.2: both windows start at 65,535. */
const DEFAULT_WINDOW = 65535;
/** Our receive window per stream: the map stream carries full netmaps (hundreds of KB on big tailnets). */
const OUR_STREAM_WINDOW = 4 << 20;
const OUR_CONN_WINDOW = 16 << 20;
/** A response header list larger than this is refused (Go's default MaxHeaderListSize is 10 MB; ours are tiny). */
const MAX_HEADER_BLOCK = 256 << 10;

export class H2Error extends Error {}

export interface H2Request {
  method: string;
  path: string;
  authority: string;
  scheme?: string;
  headers?: Header[];
  body?: Uint8Array;
}

/** A response body as a pull queue: read() resolves with the next chunk, or null at the end. */
export class BodyReader {
  private chunks: Uint8Array[] = [];
  private waiter: ((v: void) => void) | null = null;
  private ended = false;
  private error: Error | null = null;
  constructor(private readonly consumed: (n: number) => void) {}

  /** @internal */ push(b: Uint8Array): void { this.chunks.push(b); this.wake(); }
  /** @internal */ end(): void { this.ended = true; this.wake(); }
  /** @internal */ fail(e: Error): void { if (!this.ended) { this.error = e; this.wake(); } }
  private wake(): void { const w = this.waiter; this.waiter = null; w?.(); }

  async read(): Promise<Uint8Array | null> {
    for (;;) {
      const c = this.chunks.shift();
      if (c) { this.consumed(c.length); return c; }
      if (this.error) throw this.error;
      if (this.ended) return null;
      await new Promise<void>((r) => { this.waiter = r; });
    }
  }

  /** The whole body (for short responses). */
  async all(limit = 16 << 20): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let n = 0;
    for (let c; (c = await this.read()); ) {
      n += c.length;
      if (n > limit) throw new H2Error(`response body larger than ${limit} bytes`);
      parts.push(c);
    }
    return concat(parts, n);
  }
}

export interface H2Response {
  status: number;
  headers: Header[];
  body: BodyReader;
}

interface Stream {
  id: number;
  /** How much more we may send (peer's window for this stream). */
  sendWindow: number;
  /** How much more the peer may send before we update. */
  recvWindow: number;
  /** Request body bytes not sent yet, and whether END_STREAM is still to send. */
  pendingBody: Uint8Array;
  bodyEndPending: boolean;
  headerBlock: Uint8Array[] | null;
  headerEndsStream: boolean;
  gotHeaders: boolean;
  resolve: (r: H2Response) => void;
  reject: (e: Error) => void;
  body: BodyReader;
  remoteClosed: boolean;
}

export class H2Client {
  private readonly streams = new Map<number, Stream>();
  private nextId = 1;
  private readonly decoder = new HpackDecoder(4096);
  private peerInitialWindow = DEFAULT_WINDOW;
  private peerMaxFrame = 16384;
  private connSendWindow = DEFAULT_WINDOW;
  private connRecvWindow = OUR_CONN_WINDOW;
  private connUnacked = 0;
  private buf: Uint8Array = new Uint8Array(0);
  private dead: Error | null = null;
  /** Streams above this id will not be processed (from GOAWAY). */
  private goawayLast = Infinity;
  /** A header block continues on this stream (CONTINUATION must follow, RFC 9113 §6.10). */
  private continuing = 0;
  private settingsAcked = false;
  /** Called when the connection can no longer carry requests (GOAWAY, protocol error, transport end). */
  onClose: ((e: Error) => void) | null = null;

  constructor(private readonly send: (b: Uint8Array) => void) {
    const settings = settingsPayload([
      [Setting.HEADER_TABLE_SIZE, 0],
      [Setting.ENABLE_PUSH, 0],
      [Setting.INITIAL_WINDOW_SIZE, OUR_STREAM_WINDOW],
      [Setting.MAX_HEADER_LIST_SIZE, MAX_HEADER_BLOCK],
    ]);
    this.send(concat([PREFACE, frame(Frame.SETTINGS, 0, 0, settings), frame(Frame.WINDOW_UPDATE, 0, 0, u32(OUR_CONN_WINDOW - DEFAULT_WINDOW))]));
  }

  get closed(): Error | null { return this.dead; }
  get openStreams(): number { return this.streams.size; }

  request(req: H2Request): Promise<H2Response> {
    if (this.dead) return Promise.reject(this.dead);
    if (this.goawayLast !== Infinity) return Promise.reject(new H2Error('the server is closing the connection (GOAWAY): no new requests'));
    const id = this.nextId;
    this.nextId += 2;
    const headers: Header[] = [
      [':method', req.method], [':scheme', req.scheme ?? 'https'], [':authority', req.authority], [':path', req.path],
      ...(req.headers ?? []).map(([n, v]) => [n.toLowerCase(), v] as Header),
    ];
    const body = req.body ?? new Uint8Array(0);
    if (req.body) headers.push(['content-length', String(body.length)]);
    return new Promise<H2Response>((resolve, reject) => {
      const s: Stream = {
        id, sendWindow: this.peerInitialWindow, recvWindow: OUR_STREAM_WINDOW, pendingBody: body, bodyEndPending: body.length > 0,
        headerBlock: null, headerEndsStream: false, gotHeaders: false, resolve, reject, remoteClosed: false,
        body: new BodyReader((n) => this.consumed(s, n)),
      };
      this.streams.set(id, s);
      this.writeHeaders(id, hpackEncode(headers), body.length === 0);
      this.flushBody(s);
    });
  }

  /** Abandon a request (e.g. the map poll on shutdown): RST_STREAM CANCEL. */
  cancel(res: H2Response | BodyReader): void {
    const reader = res instanceof BodyReader ? res : res.body;
    for (const s of this.streams.values()) {
      if (s.body !== reader) continue;
      this.streams.delete(s.id);
      if (!this.dead) this.send(frame(Frame.RST_STREAM, 0, s.id, u32(CANCEL)));
      s.body.fail(new H2Error('request cancelled'));
    }
  }

  /** Feed bytes from the transport. */
  receive(data: Uint8Array): void {
    if (this.dead) return;
    this.buf = this.buf.length ? concat([this.buf, data]) : data;
    try {
      while (this.buf.length >= 9) {
        const len = (this.buf[0] << 16) | (this.buf[1] << 8) | this.buf[2];
        // We never raise SETTINGS_MAX_FRAME_SIZE, so the peer must keep to 16,384 (§4.2).
        if (len > 16384) throw new ConnError(FRAME_SIZE_ERROR, `frame of ${len} bytes exceeds the 16384-byte maximum`);
        if (this.buf.length < 9 + len) break;
        const type = this.buf[3], flags = this.buf[4];
        const id = ((this.buf[5] & 0x7f) << 24) | (this.buf[6] << 16) | (this.buf[7] << 8) | this.buf[8];
        const payload = this.buf.slice(9, 9 + len);
        this.buf = this.buf.subarray(9 + len);
        this.onFrame(type, flags, id >>> 0, payload);
        if (this.dead) return;
      }
    } catch (e) {
      if (e instanceof ConnError) this.fail(e.code, e.message);
      else if (e instanceof HpackError) this.fail(COMPRESSION_ERROR, e.message);
      else throw e;
    }
  }

  /** The transport ended (or broke): every open request fails with `reason`. */
  transportClosed(reason = 'the connection closed'): void {
    this.shutdown(new H2Error(reason));
  }

  /** Close politely: GOAWAY(NO_ERROR), then fail what is open. */
  close(): void {
    if (this.dead) return;
    this.send(frame(Frame.GOAWAY, 0, 0, concat([u32(0), u32(NO_ERROR)])));
    this.shutdown(new H2Error('HTTP/2 connection closed by the client'));
  }

  private fail(code: number, message: string): void {
    if (this.dead) return;
    this.send(frame(Frame.GOAWAY, 0, 0, concat([u32(0), u32(code)])));
    this.shutdown(new H2Error(`HTTP/2 ${errorName(code)} from the server's data: ${message}`));
  }

  private shutdown(e: Error): void {
    if (this.dead) return;
    this.dead = e;
    for (const s of this.streams.values()) { s.reject(e); s.body.fail(e); }
    this.streams.clear();
    this.onClose?.(e);
  }

  private onFrame(type: number, flags: number, id: number, p: Uint8Array): void {
    if (this.continuing && (type !== Frame.CONTINUATION || id !== this.continuing)) throw new ConnError(PROTOCOL_ERROR, 'a header block was interrupted by another frame');
    switch (type) {
      case Frame.SETTINGS: return this.onSettings(flags, id, p);
      case Frame.PING:
        if (p.length !== 8) throw new ConnError(FRAME_SIZE_ERROR, 'PING payload is not 8 bytes');
        if (!(flags & ACK)) this.send(frame(Frame.PING, ACK, 0, p));
        return;
      case Frame.GOAWAY: return this.onGoaway(p);
      case Frame.WINDOW_UPDATE: return this.onWindowUpdate(id, p);
      case Frame.HEADERS: return this.onHeaders(flags, id, p);
      case Frame.CONTINUATION: return this.onContinuation(flags, id, p);
      case Frame.DATA: return this.onData(flags, id, p);
      case Frame.RST_STREAM: {
        if (p.length !== 4) throw new ConnError(FRAME_SIZE_ERROR, 'RST_STREAM payload is not 4 bytes');
        const s = this.streams.get(id);
        if (!s) return;
        this.streams.delete(id);
        const e = new H2Error(`the server reset the request (${errorName(readU32(p, 0))})`);
        s.reject(e);
        s.body.fail(e);
        return;
      }
      case Frame.PUSH_PROMISE: throw new ConnError(PROTOCOL_ERROR, 'PUSH_PROMISE although we disabled push');
      // PRIORITY and unknown types are ignored (§5.5).
      default: return;
    }
  }

  private onSettings(flags: number, id: number, p: Uint8Array): void {
    if (id !== 0) throw new ConnError(PROTOCOL_ERROR, 'SETTINGS on a stream');
    if (flags & ACK) {
      // The peer now applies HEADER_TABLE_SIZE=0: its encoder will shrink its table (§6.5.3).
      if (!this.settingsAcked) { this.settingsAcked = true; this.decoder.setLimit(0); }
      return;
    }
    if (p.length % 6) throw new ConnError(FRAME_SIZE_ERROR, 'SETTINGS payload is not a multiple of 6');
    for (let i = 0; i < p.length; i += 6) {
      const key = (p[i] << 8) | p[i + 1], v = readU32(p, i + 2);
      if (key === Setting.INITIAL_WINDOW_SIZE) {
        if (v > 0x7fffffff) throw new ConnError(FLOW_CONTROL_ERROR, 'INITIAL_WINDOW_SIZE above 2^31-1');
        // §6.9.2: the change applies to every open stream's window.
        for (const s of this.streams.values()) s.sendWindow += v - this.peerInitialWindow;
        this.peerInitialWindow = v;
      } else if (key === Setting.MAX_FRAME_SIZE) {
        if (v < 16384 || v > 16777215) throw new ConnError(PROTOCOL_ERROR, `MAX_FRAME_SIZE ${v} out of range`);
        this.peerMaxFrame = v;
      }
    }
    this.send(frame(Frame.SETTINGS, ACK, 0, new Uint8Array(0)));
    for (const s of this.streams.values()) this.flushBody(s);
  }

  private onGoaway(p: Uint8Array): void {
    if (p.length < 8) throw new ConnError(FRAME_SIZE_ERROR, 'GOAWAY payload shorter than 8 bytes');
    const last = readU32(p, 0) & 0x7fffffff, code = readU32(p, 4);
    const debug = new TextDecoder().decode(p.subarray(8));
    this.goawayLast = last;
    const e = new H2Error(`the server closed the connection (GOAWAY ${errorName(code)}${debug ? `: ${debug}` : ''})`);
    for (const [id, s] of this.streams) {
      if (id <= last) continue;
      this.streams.delete(id);
      s.reject(e);
      s.body.fail(e);
    }
    if (code !== NO_ERROR || this.streams.size === 0) this.shutdown(e);
    else this.onClose?.(e);
  }

  private onWindowUpdate(id: number, p: Uint8Array): void {
    if (p.length !== 4) throw new ConnError(FRAME_SIZE_ERROR, 'WINDOW_UPDATE payload is not 4 bytes');
    const inc = readU32(p, 0) & 0x7fffffff;
    if (inc === 0) throw new ConnError(PROTOCOL_ERROR, 'WINDOW_UPDATE of 0');
    if (id === 0) {
      this.connSendWindow += inc;
      if (this.connSendWindow > 0x7fffffff) throw new ConnError(FLOW_CONTROL_ERROR, 'connection window above 2^31-1');
      for (const s of this.streams.values()) this.flushBody(s);
    } else {
      const s = this.streams.get(id);
      if (!s) return;
      s.sendWindow += inc;
      this.flushBody(s);
    }
  }

  private onHeaders(flags: number, id: number, p: Uint8Array): void {
    if (id === 0) throw new ConnError(PROTOCOL_ERROR, 'HEADERS on stream 0');
    let off = 0, end = p.length;
    if (flags & PADDED) { const pad = p[0]; off = 1; end -= pad; }
    if (flags & PRIORITY_FLAG) off += 5;
    if (off > end) throw new ConnError(PROTOCOL_ERROR, 'HEADERS padding longer than the frame');
    const s = this.streams.get(id);
    const block = p.slice(off, end);
    if (!s) {
      // A stream we reset or never opened: the block must still go through the decoder to keep its state (§4.3).
      if (id % 2 === 0 || id >= this.nextId) throw new ConnError(PROTOCOL_ERROR, `HEADERS on stream ${id} that we never opened`);
    }
    const st = s ?? this.orphan(id);
    if (!s) this.orphanBlocks.set(id, st);
    st.headerBlock = [block];
    st.headerEndsStream = (flags & END_STREAM) !== 0;
    if (flags & END_HEADERS) this.headersDone(st); else this.continuing = id;
  }

  /** Placeholder for a header block on a stream we already dropped. */
  private orphan(id: number): Stream {
    const noop = () => {};
    return { id, sendWindow: 0, recvWindow: 0, pendingBody: new Uint8Array(0), bodyEndPending: false, headerBlock: null, headerEndsStream: false, gotHeaders: true, resolve: noop, reject: noop, body: new BodyReader(noop), remoteClosed: true };
  }

  private onContinuation(flags: number, id: number, p: Uint8Array): void {
    if (!this.continuing || id !== this.continuing) throw new ConnError(PROTOCOL_ERROR, 'CONTINUATION without a header block');
    const s = this.streams.get(id) ?? this.orphanBlocks.get(id);
    if (!s?.headerBlock) throw new ConnError(PROTOCOL_ERROR, 'CONTINUATION on an unknown stream');
    s.headerBlock.push(p);
    if (s.headerBlock.reduce((a, b) => a + b.length, 0) > MAX_HEADER_BLOCK) throw new ConnError(PROTOCOL_ERROR, 'response header block too large');
    if (flags & END_HEADERS) { this.continuing = 0; this.headersDone(s); }
  }
  private readonly orphanBlocks = new Map<number, Stream>();

  private headersDone(s: Stream): void {
    const block = concat(s.headerBlock!);
    s.headerBlock = null;
    this.orphanBlocks.delete(s.id);
    const headers = this.decoder.decode(block);
    if (!this.streams.has(s.id)) return;
    if (s.gotHeaders) {
      // Trailers (or a second block): nothing we need; END_STREAM still counts.
      if (s.headerEndsStream) this.remoteEnd(s);
      return;
    }
    const status = Number(headers.find(([n]) => n === ':status')?.[1]);
    if (!Number.isInteger(status)) { this.resetStream(s, PROTOCOL_ERROR, 'response without :status'); return; }
    // 1xx responses are informational: the real one follows (§8.1).
    if (status >= 100 && status < 200) return;
    s.gotHeaders = true;
    s.resolve({ status, headers: headers.filter(([n]) => !n.startsWith(':')), body: s.body });
    if (s.headerEndsStream) this.remoteEnd(s);
  }

  private onData(flags: number, id: number, p: Uint8Array): void {
    if (id === 0) throw new ConnError(PROTOCOL_ERROR, 'DATA on stream 0');
    // Flow control counts the whole payload, padding included (§6.9.1).
    this.connRecvWindow -= p.length;
    if (this.connRecvWindow < 0) throw new ConnError(FLOW_CONTROL_ERROR, 'the server overran the connection window');
    let off = 0, end = p.length;
    if (flags & PADDED) { off = 1; end -= p[0]; if (end < off) throw new ConnError(PROTOCOL_ERROR, 'DATA padding longer than the frame'); }
    const s = this.streams.get(id);
    if (!s) { this.connUnacked += p.length; this.ackConn(); return; }
    if (!s.gotHeaders) { this.resetStream(s, PROTOCOL_ERROR, 'DATA before the response headers'); return; }
    s.recvWindow -= p.length;
    if (s.recvWindow < 0) { this.resetStream(s, FLOW_CONTROL_ERROR, 'the server overran the stream window'); return; }
    // Padding is credited back at once; the data when the caller reads it.
    this.connUnacked += p.length - (end - off);
    if (end > off) s.body.push(p.slice(off, end));
    if (flags & END_STREAM) this.remoteEnd(s);
  }

  private consumed(s: Stream, n: number): void {
    if (this.dead) return;
    this.connUnacked += n;
    this.ackConn();
    if (!this.streams.has(s.id) || s.remoteClosed) return;
    const used = OUR_STREAM_WINDOW - s.recvWindow;
    // Update when half the window is used, as most implementations do: fewer frames, no stalls.
    if (used >= OUR_STREAM_WINDOW / 2) {
      s.recvWindow += used;
      this.send(frame(Frame.WINDOW_UPDATE, 0, s.id, u32(used)));
    }
  }

  private ackConn(): void {
    if (this.connUnacked >= OUR_CONN_WINDOW / 4) {
      this.connRecvWindow += this.connUnacked;
      this.send(frame(Frame.WINDOW_UPDATE, 0, 0, u32(this.connUnacked)));
      this.connUnacked = 0;
    }
  }

  private remoteEnd(s: Stream): void {
    s.remoteClosed = true;
    s.body.end();
    if (!s.bodyEndPending) this.streams.delete(s.id);
  }

  private resetStream(s: Stream, code: number, why: string): void {
    this.streams.delete(s.id);
    this.send(frame(Frame.RST_STREAM, 0, s.id, u32(code)));
    const e = new H2Error(`bad response from the server: ${why}`);
    s.reject(e);
    s.body.fail(e);
  }

  private writeHeaders(id: number, block: Uint8Array, endStream: boolean): void {
    const max = this.peerMaxFrame;
    const es = endStream ? END_STREAM : 0;
    if (block.length <= max) { this.send(frame(Frame.HEADERS, END_HEADERS | es, id, block)); return; }
    const parts: Uint8Array[] = [frame(Frame.HEADERS, es, id, block.subarray(0, max))];
    for (let o = max; o < block.length; o += max) {
      const last = o + max >= block.length;
      parts.push(frame(Frame.CONTINUATION, last ? END_HEADERS : 0, id, block.subarray(o, o + max)));
    }
    this.send(concat(parts));
  }

  private flushBody(s: Stream): void {
    while (s.bodyEndPending && !this.dead) {
      const n = Math.min(s.pendingBody.length, s.sendWindow, this.connSendWindow, this.peerMaxFrame);
      if (n <= 0 && s.pendingBody.length > 0) return;
      const chunk = s.pendingBody.subarray(0, n);
      s.pendingBody = s.pendingBody.subarray(n);
      s.sendWindow -= n;
      this.connSendWindow -= n;
      const last = s.pendingBody.length === 0;
      this.send(frame(Frame.DATA, last ? END_STREAM : 0, s.id, chunk));
      if (last) {
        s.bodyEndPending = false;
        if (s.remoteClosed) this.streams.delete(s.id);
      }
    }
  }
}

class ConnError extends Error {
  constructor(readonly code: number, message: string) { super(message); }
}

function frame(type: number, flags: number, id: number, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(9 + payload.length);
  f[0] = payload.length >>> 16; f[1] = payload.length >>> 8; f[2] = payload.length;
  f[3] = type; f[4] = flags;
  f[5] = (id >>> 24) & 0x7f; f[6] = id >>> 16; f[7] = id >>> 8; f[8] = id;
  f.set(payload, 9);
  return f;
}

function settingsPayload(list: [number, number][]): Uint8Array {
  const p = new Uint8Array(6 * list.length);
  list.forEach(([k, v], i) => { p[6 * i] = k >> 8; p[6 * i + 1] = k; p.set(u32(v), 6 * i + 2); });
  return p;
}

function u32(v: number): Uint8Array {
  return Uint8Array.of(v >>> 24, v >>> 16, v >>> 8, v);
}

function readU32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

export function concat(parts: Uint8Array[], total = parts.reduce((a, p) => a + p.length, 0)): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
