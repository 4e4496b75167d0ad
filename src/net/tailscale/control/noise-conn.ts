/**
 * The ts2021 control channel (tailscale.com/control/controlbase, control/ts2021): a Noise IK
 * handshake carried in the WebSocket URL and the first server frame, then records of
 * `[type 4][2-byte BE length][ciphertext]`, at most 4096 bytes each. The transport nonce is
 * 4 zero bytes then the counter BIG-endian (controlbase nonce.Increment), unlike standard
 * Noise and WireGuard; counter 0 looks the same either way, so only the second record in
 * each direction can tell (test/net/tailscale/control.test.ts exchanges many).
 *
 * Frame layouts (controlbase/messages.go):
 *   initiation  [2B BE protocol version][1B type=1][2B BE len=96][32B e][48B enc s][16B tag]
 *   response    [1B type=2][2B BE len=48][32B e][16B tag]
 *   error       [1B type=3][2B BE len][UTF-8 text]
 *   record      [1B type=4][2B BE len][ciphertext + 16B tag]
 */
import { HandshakeState, NoiseError, type CipherState } from '../../crypto/index.js';
import type { ByteStream } from './websocket.js';

const MSG_INIT = 1, MSG_RESPONSE = 2, MSG_ERROR = 3, MSG_RECORD = 4;
/** controlbase/conn.go maxMessageSize: header included. */
export const MAX_MESSAGE = 4096;
const MAX_PLAINTEXT = MAX_MESSAGE - 3 - 16;
/** control/ts2021/conn.go: the optional early payload starts with these 5 bytes. */
const EARLY_MAGIC = Uint8Array.of(0xff, 0xff, 0xff, 0x54, 0x53);

export class ControlProtocolError extends Error {}

/** The handshake's first message, and how to finish it. */
export class Ts2021Handshake {
  private readonly hs: HandshakeState;
  readonly initiation: Uint8Array;

  constructor(readonly version: number, machinePrivate: Uint8Array, serverPublic: Uint8Array) {
    this.hs = new HandshakeState({
      pattern: 'IK', initiator: true, staticPrivate: machinePrivate, remoteStaticPublic: serverPublic,
      prologue: new TextEncoder().encode(`Tailscale Control Protocol v${version}`), nonceEncoding: 'be',
    });
    const body = this.hs.writeMessage();
    const m = new Uint8Array(5 + body.length);
    m[0] = version >> 8; m[1] = version; m[2] = MSG_INIT; m[3] = body.length >> 8; m[4] = body.length;
    m.set(body, 5);
    this.initiation = m;
  }

  /** Read the server's response (all of its bytes); returns the transport ciphers. */
  finish(resp: Uint8Array): { send: CipherState; recv: CipherState } {
    if (resp[0] === MSG_ERROR) throw new ControlProtocolError(`the control server refused the handshake: ${new TextDecoder().decode(resp.subarray(3))}`);
    if (resp[0] !== MSG_RESPONSE) throw new ControlProtocolError(`the control server answered the handshake with frame type ${resp[0]}, not a Noise response (is this a Tailscale control server?)`);
    try {
      this.hs.readMessage(resp.subarray(3));
    } catch (e) {
      if (e instanceof NoiseError) throw new ControlProtocolError(`the control server's handshake response does not verify (${e.message}): wrong server key?`);
      throw e;
    }
    return this.hs.split();
  }
}

/**
 * The established channel over a byte stream: decrypts records into plaintext for `onData`,
 * encrypts writes into records. Reports the early payload (if the server sends one) through
 * `onEarly` before any other plaintext.
 */
export class Ts2021Conn {
  private handler: ((b: Uint8Array) => void) | null = null;
  /** Plaintext that arrived before the owner set onData (it can come with the handshake response). */
  private pending: Uint8Array[] = [];
  get onData(): ((b: Uint8Array) => void) | null { return this.handler; }
  set onData(f: ((b: Uint8Array) => void) | null) {
    this.handler = f;
    while (this.handler && this.pending.length) this.handler(this.pending.shift()!);
  }
  private emit(b: Uint8Array): void {
    if (this.handler) this.handler(b); else this.pending.push(b);
  }
  onClose: ((reason: string) => void) | null = null;
  onEarly: ((json: unknown) => void) | null = null;
  private buf: Uint8Array = new Uint8Array(0);
  private sniff: Uint8Array | null = new Uint8Array(0);
  private closed = false;

  private constructor(private readonly t: ByteStream, private readonly tx: CipherState, private readonly rx: CipherState) {}

  /**
   * Complete the handshake on a transport where the initiation was already sent (in the
   * WebSocket URL): wait for the response frame, then switch to records.
   */
  static accept(t: ByteStream, hs: Ts2021Handshake, timeoutMs = 15000): Promise<Ts2021Conn> {
    return new Promise((resolve, reject) => {
      let buf: Uint8Array = new Uint8Array(0);
      let done = false;
      const fail = (e: Error) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        t.onData = null;
        t.onClose = null;
        t.close();
        reject(e);
      };
      const timer = setTimeout(() => fail(new ControlProtocolError(`no Noise handshake response from the control server within ${timeoutMs} ms`)), timeoutMs);
      t.onClose = (reason) => fail(new ControlProtocolError(`the control server closed the connection during the handshake (${reason})`));
      t.onData = (b) => {
        if (done) return;
        buf = join(buf, b);
        if (buf.length < 3) return;
        const len = (buf[1] << 8) | buf[2];
        if (buf[0] !== MSG_RESPONSE && buf[0] !== MSG_ERROR) {
          fail(new ControlProtocolError(`the control server answered the handshake with ${describe(buf)}, not a Noise response (is this a Tailscale control server?)`));
          return;
        }
        if (buf.length < 3 + len) return;
        let c: Ts2021Conn;
        try {
          const { send, recv } = hs.finish(buf.subarray(0, 3 + len));
          c = new Ts2021Conn(t, send, recv);
        } catch (e) {
          fail(e as Error);
          return;
        }
        done = true;
        clearTimeout(timer);
        const rest = buf.subarray(3 + len);
        t.onData = (d) => c.receive(d);
        t.onClose = (reason) => c.end(reason);
        if (rest.length) c.receive(rest);
        resolve(c);
      };
    });
  }

  write(b: Uint8Array): void {
    if (this.closed) return;
    const out: Uint8Array[] = [];
    for (let o = 0; o < b.length; o += MAX_PLAINTEXT) {
      const ct = this.tx.encryptWithAd(new Uint8Array(0), b.subarray(o, o + MAX_PLAINTEXT));
      const rec = new Uint8Array(3 + ct.length);
      rec[0] = MSG_RECORD; rec[1] = ct.length >> 8; rec[2] = ct.length;
      rec.set(ct, 3);
      out.push(rec);
    }
    this.t.send(out.length === 1 ? out[0] : concatAll(out));
  }

  close(): void {
    if (this.closed) return;
    this.t.close();
    this.end('closed by us');
  }

  private end(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose?.(reason);
  }

  private receive(b: Uint8Array): void {
    if (this.closed) return;
    this.buf = join(this.buf, b);
    while (this.buf.length >= 3) {
      const type = this.buf[0], len = (this.buf[1] << 8) | this.buf[2];
      if (type === MSG_ERROR) {
        if (this.buf.length < 3 + len) return;
        return this.fail(`the control server sent an error: ${new TextDecoder().decode(this.buf.subarray(3, 3 + len))}`);
      }
      if (type !== MSG_RECORD) return this.fail(`unexpected frame type ${type} on the control channel (${describe(this.buf)})`);
      if (3 + len > MAX_MESSAGE) return this.fail(`control record of ${3 + len} bytes exceeds the ${MAX_MESSAGE}-byte maximum`);
      if (this.buf.length < 3 + len) return;
      let pt: Uint8Array;
      try {
        pt = this.rx.decryptWithAd(new Uint8Array(0), this.buf.subarray(3, 3 + len));
      } catch {
        return this.fail('a control record failed authentication (corrupted or forged data)');
      }
      this.buf = this.buf.subarray(3 + len);
      this.deliver(pt);
      if (this.closed) return;
    }
  }

  /** Strip the early payload (control/ts2021/conn.go) if the plaintext starts with it. */
  private deliver(pt: Uint8Array): void {
    if (!this.sniff) { this.emit(pt); return; }
    const s = (this.sniff = join(this.sniff, pt));
    const n = Math.min(s.length, EARLY_MAGIC.length);
    for (let i = 0; i < n; i++) if (s[i] !== EARLY_MAGIC[i]) { this.sniff = null; this.emit(s); return; }
    if (s.length < 9) return;
    const len = ((s[5] << 24) | (s[6] << 16) | (s[7] << 8) | s[8]) >>> 0;
    if (len > 1 << 20) return this.fail(`early payload of ${len} bytes is too large`);
    if (s.length < 9 + len) return;
    this.sniff = null;
    try { this.onEarly?.(JSON.parse(new TextDecoder().decode(s.subarray(9, 9 + len)))); } catch { return this.fail('the early payload is not JSON'); }
    if (s.length > 9 + len) this.emit(s.subarray(9 + len));
  }

  private fail(why: string): void {
    this.t.close();
    this.end(why);
  }
}

function describe(b: Uint8Array): string {
  const head = new TextDecoder().decode(b.subarray(0, 40)).replace(/[^\x20-\x7e]/g, '.');
  return `bytes ${JSON.stringify(head)}`;
}

function join(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (!a.length) return b;
  const o = new Uint8Array(a.length + b.length);
  o.set(a); o.set(b, a.length);
  return o;
}

function concatAll(parts: Uint8Array[]): Uint8Array {
  const o = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let i = 0;
  for (const p of parts) { o.set(p, i); i += p.length; }
  return o;
}
