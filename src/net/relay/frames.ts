/**
 * The relay protocol's frames (docs/NETWORK.md, "Relay"): one WebSocket per machine, one
 * binary message per frame, every frame `type u8 | stream u32 | body`, integers big-endian.
 * Shared by the client (src/net/relay/stack.ts, in the engine's worker) and the server
 * (src/host/node/relay.ts). Decoding never throws: a malformed frame is a string naming
 * what is wrong, and the receiver closes the WebSocket with it as the reason.
 */

export const RELAY_VERSION = 1;
/** The WebSocket subprotocol; the server refuses a client that does not offer it. */
export const RELAY_SUBPROTOCOL = 'webx86-relay';
/** First bytes of HELLO: a client of something else fails at once with a clear reason. */
export const HELLO_MAGIC = 'webx86-relay';

/** Frame types, one table. */
export enum T {
  /** client → server, stream 0: magic, version u8. */
  HELLO = 0x01,
  /** server → client, stream 0: version u8, max streams u16, initial window u32. */
  HELLO_OK = 0x02,
  /** client → server: window u32 (what the server may send before a WINDOW), port u16, host (UTF-8: an address or a name). */
  OPEN_TCP = 0x03,
  /** client → server: family u8 (4 or 6). */
  OPEN_UDP = 0x04,
  /** server → client: the open succeeded; window u32 (TCP; 0 for UDP). */
  OPENED = 0x05,
  /** server → client: the open failed; code u8, reason (UTF-8). The stream id is free again. */
  FAIL = 0x06,
  /** either way, TCP: bytes; never more than the receiver's window. */
  DATA = 0x07,
  /** either way, TCP: the sender of this frame read (or passed on) n more bytes; increment u32. */
  WINDOW = 0x08,
  /** either way, TCP: the sender's direction ends (half-close). Both FINs end the stream. */
  FIN = 0x09,
  /** either way: the stream ends at once; code u8, reason (UTF-8). */
  RESET = 0x0a,
  /** either way, UDP: family u8, address (4 or 16 bytes), port u16, payload. Client → server: the destination; server → client: the source. */
  DATAGRAM = 0x0b,
  /** either way, stream 0: 8 opaque bytes, answered by PONG with the same bytes. */
  PING = 0x0c,
  PONG = 0x0d,
}

/** Why an open failed or a stream was reset, on the wire (u8), with the errno the client gives the guest. */
export enum Code {
  REFUSED = 1,
  HOST_UNREACHABLE = 2,
  NET_UNREACHABLE = 3,
  TIMED_OUT = 4,
  NOT_ALLOWED = 5,
  NO_SUCH_NAME = 6,
  LIMIT = 7,
  RESET_BY_PEER = 8,
  PROTOCOL = 9,
  OTHER = 10,
}

export const CODE_NAMES: Record<number, string> = {
  1: 'refused', 2: 'host unreachable', 3: 'network unreachable', 4: 'timed out', 5: 'not allowed by the relay',
  6: 'no such name', 7: 'limit reached', 8: 'reset by peer', 9: 'protocol error', 10: 'error',
};

/** WebSocket close codes the relay uses (RFC 6455 §7.4.1). */
export const CLOSE_NORMAL = 1000, CLOSE_PROTOCOL = 1002, CLOSE_UNSUPPORTED = 1003, CLOSE_POLICY = 1008, CLOSE_TRY_LATER = 1013;

/** Largest DATA body a sender puts in one frame (the receiver accepts any size within its window). */
export const MAX_DATA = 65536;
/** Default per-stream receive window, both sides: bounds what one stream can buffer at the other end. */
export const DEFAULT_WINDOW = 256 * 1024;

export interface Frame { type: number; stream: number; body: Uint8Array }

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

export function frame(type: number, stream: number, ...parts: (Uint8Array | number[])[]): Uint8Array {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(5 + n);
  out[0] = type;
  new DataView(out.buffer).setUint32(1, stream >>> 0);
  let o = 5;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

export const u16 = (v: number): number[] => [(v >> 8) & 0xff, v & 0xff];
export const u32 = (v: number): number[] => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
export const text = (s: string): Uint8Array => enc.encode(s);

/** A frame's header, or the reason it is malformed. */
export function parseFrame(msg: Uint8Array): Frame | string {
  if (msg.length < 5) return `frame of ${msg.length} bytes is shorter than its 5-byte header`;
  const stream = new DataView(msg.buffer, msg.byteOffset, msg.byteLength).getUint32(1);
  return { type: msg[0], stream, body: msg.subarray(5) };
}

/** A reader over a frame's body that records the first shortfall instead of throwing. */
export class Reader {
  private o = 0;
  bad: string | null = null;
  constructor(private readonly b: Uint8Array, private readonly what: string) {}

  private need(n: number): boolean {
    if (this.bad) return false;
    if (this.o + n > this.b.length) { this.bad = `${this.what}: body of ${this.b.length} bytes is too short`; return false; }
    return true;
  }
  u8(): number { if (!this.need(1)) return 0; return this.b[this.o++]; }
  u16(): number { if (!this.need(2)) return 0; const v = (this.b[this.o] << 8) | this.b[this.o + 1]; this.o += 2; return v; }
  u32(): number { if (!this.need(4)) return 0; const v = new DataView(this.b.buffer, this.b.byteOffset + this.o, 4).getUint32(0); this.o += 4; return v; }
  bytes(n: number): Uint8Array { if (!this.need(n)) return new Uint8Array(0); const v = this.b.subarray(this.o, this.o + n); this.o += n; return v; }
  rest(): Uint8Array { const v = this.b.subarray(this.o); this.o = this.b.length; return v; }
  /** The rest as UTF-8; invalid UTF-8 is malformed. */
  str(): string {
    const r = this.rest();
    try { return dec.decode(r); } catch { if (!this.bad) this.bad = `${this.what}: text is not UTF-8`; return ''; }
  }
  /** No bytes may follow. */
  end(): void { if (!this.bad && this.o !== this.b.length) this.bad = `${this.what}: ${this.b.length - this.o} unexpected trailing bytes`; }
}

/** Address on the wire: family u8 (4 or 6) then 4 or 16 bytes, then port u16. */
export function encodeAddr(family: 4 | 6, addr: Uint8Array, port: number): number[] {
  return [family, ...addr, ...u16(port)];
}

export function readAddr(r: Reader): { family: 4 | 6; addr: Uint8Array; port: number } | null {
  const f = r.u8();
  if (r.bad) return null;
  if (f !== 4 && f !== 6) { r.bad = `address family ${f} is neither 4 nor 6`; return null; }
  const addr = r.bytes(f === 4 ? 4 : 16).slice();
  const port = r.u16();
  return r.bad ? null : { family: f, addr, port };
}
