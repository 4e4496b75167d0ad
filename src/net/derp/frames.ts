/**
 * DERP framing (tailscale.com/derp/derp.go, protocol version 2): every frame is
 * [1 byte type][4 bytes big-endian length][payload]. One table of frame types; a codec that
 * encodes frames and reassembles them from a byte stream whose chunk boundaries mean
 * nothing (WebSocket messages, TCP reads).
 */

/** "DERP🔑": the 8-byte magic that starts the server's key frame. */
export const DERP_MAGIC = new Uint8Array([0x44, 0x45, 0x52, 0x50, 0xf0, 0x9f, 0x94, 0x91]);
export const PROTOCOL_VERSION = 2;
export const KEY_LEN = 32;
export const NONCE_LEN = 24;
export const FRAME_HEADER_LEN = 5;
/** Largest packet a client may send (derp.MaxPacketSize). */
export const MAX_PACKET_SIZE = 64 << 10;
/** Largest frame the Go client accepts from a server (recvTimeout: "unexpectedly large frame"). */
export const MAX_FRAME_SIZE = 1 << 20;

export const Frame = {
  ServerKey: 0x01, // 8B magic + 32B server public key (+ future bytes)
  ClientInfo: 0x02, // 32B client public key + 24B nonce + naclbox(JSON)
  ServerInfo: 0x03, // 24B nonce + naclbox(JSON)
  SendPacket: 0x04, // 32B destination public key + packet
  RecvPacket: 0x05, // 32B source public key + packet (v2)
  KeepAlive: 0x06, // empty
  NotePreferred: 0x07, // 1 byte: 1 = this is the client's home region
  PeerGone: 0x08, // 32B public key + 1 byte reason
  PeerPresent: 0x09, // 32B public key [+ 16B IP + 2B port [+ 1B flags]]
  ForwardPacket: 0x0a, // mesh only
  WatchConns: 0x10, // mesh only
  ClosePeer: 0x11, // mesh only
  Ping: 0x12, // 8 bytes, echoed in Pong
  Pong: 0x13, // 8 bytes
  Health: 0x14, // UTF-8 text; empty = healthy
  Restarting: 0x15, // 2 × BE uint32 ms: reconnect in, try for
} as const;

export const PeerGoneReason = { Disconnected: 0, NotHere: 1 } as const;

/** A frame the stream or its contents made impossible to accept. */
export class DerpProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DerpProtocolError';
  }
}

export function encodeFrame(type: number, ...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(FRAME_HEADER_LEN + n);
  out[0] = type;
  new DataView(out.buffer).setUint32(1, n, false);
  let o = FRAME_HEADER_LEN;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Reassembles frames from arbitrary chunks. */
export class FrameReader {
  private buf = new Uint8Array(0);
  private start = 0;
  private end = 0;

  push(chunk: Uint8Array): void {
    if (this.end + chunk.length > this.buf.length) {
      const live = this.end - this.start;
      const size = Math.max(live + chunk.length, this.buf.length * 2, 4096);
      const nb = size > this.buf.length ? new Uint8Array(size) : this.buf;
      nb.set(this.buf.subarray(this.start, this.end), 0);
      this.buf = nb;
      this.end = live;
      this.start = 0;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }

  /**
   * The next complete frame, or null when more bytes are needed. Throws DerpProtocolError for
   * a frame longer than MAX_FRAME_SIZE (a broken or hostile stream: nothing after it can be
   * trusted to be aligned).
   */
  next(): { type: number; payload: Uint8Array } | null {
    const avail = this.end - this.start;
    if (avail < FRAME_HEADER_LEN) return null;
    const b = this.buf;
    const s = this.start;
    const len = ((b[s + 1] << 24) | (b[s + 2] << 16) | (b[s + 3] << 8) | b[s + 4]) >>> 0;
    if (len > MAX_FRAME_SIZE) throw new DerpProtocolError(`DERP frame of type 0x${b[s].toString(16)} claims ${len} bytes (limit ${MAX_FRAME_SIZE})`);
    if (avail < FRAME_HEADER_LEN + len) return null;
    const type = b[s];
    const payload = b.slice(s + FRAME_HEADER_LEN, s + FRAME_HEADER_LEN + len);
    this.start += FRAME_HEADER_LEN + len;
    if (this.start === this.end) this.start = this.end = 0;
    return { type, payload };
  }
}
