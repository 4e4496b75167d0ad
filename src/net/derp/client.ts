/**
 * A DERP client over WebSocket (tailscale.com/derp/derp_client.go and derphttp): the
 * ServerKey → ClientInfo (NaCl box) → ServerInfo handshake, SendPacket / RecvPacket,
 * Ping → Pong, KeepAlive, PeerGone, PeerPresent, Health, Restarting, NotePreferred, and
 * reconnection with exponential backoff and jitter.
 *
 * Packets sent while disconnected are dropped, as Go's magicsock does: DERP carries
 * WireGuard, whose handshakes and the TCP above it retransmit.
 *
 * Bad input never escapes as an exception: a stream-level fault (an oversized frame, a bad
 * greeting, a ServerInfo that does not open) is reported through `onError` with a message
 * naming the cause, and the connection is dropped and re-established; a short packet,
 * PeerGone or Ping frame is dropped and reported, as the Go client drops it.
 */
import { publicKey as x25519Public, sealTo, openFrom, equalBytes } from '../crypto/primitives.js';
import { shortKey } from '../crypto/keys.js';
import {
  DERP_MAGIC, DerpProtocolError, Frame, FrameReader, KEY_LEN, MAX_PACKET_SIZE, NONCE_LEN, PROTOCOL_VERSION, encodeFrame,
} from './frames.js';
import { defaultWebSocketFactory, messageBytes, type WebSocketFactory, type WebSocketLike } from './websocket.js';

export type DerpState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed';

export interface DerpClientOptions {
  /** ws:// or wss:// URL of the server's /derp endpoint. */
  url: string;
  /** Our node private key (the DERP identity is the WireGuard node key). */
  privateKey: Uint8Array;
  webSocket?: WebSocketFactory;
  /** Tell the server this is our home region (NotePreferred; statistics only). */
  preferred?: boolean;
  onPacket?: (src: Uint8Array, packet: Uint8Array) => void;
  onPeerGone?: (peer: Uint8Array, reason: number) => void;
  onPeerPresent?: (peer: Uint8Array) => void;
  onHealth?: (problem: string) => void;
  onState?: (state: DerpState, detail?: string) => void;
  /** A malformed frame or failed connection, with the cause. */
  onError?: (err: Error) => void;
  /** First reconnect delay and the cap (ms). */
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** Reconnect when nothing arrives for this long; the server sends KeepAlive every 60 s. */
  readTimeoutMs?: number;
  /** Give up on a connection attempt that has not finished the handshake after this long. */
  connectTimeoutMs?: number;
  /** Drop packets rather than queue more than this in the socket's send buffer. */
  maxBufferedBytes?: number;
  log?: (msg: string) => void;
}

export interface DerpStats {
  connects: number;
  disconnects: number;
  packetsSent: number;
  packetsReceived: number;
  bytesSent: number;
  bytesReceived: number;
  packetsDropped: number;
  protocolErrors: number;
  pingsAnswered: number;
}

/** Largest WebSocket message we send (see write()). */
const WS_MESSAGE_MAX = 16 << 10;

const enc = new TextEncoder();
const dec = new TextDecoder();

interface Timer {
  unref?: () => void;
}

function unrefTimer<T>(t: T): T {
  (t as Timer).unref?.();
  return t;
}

export class DerpClient {
  state: DerpState = 'idle';
  serverPublicKey: Uint8Array | null = null;
  /** Parsed ServerInfo JSON of the current connection. */
  serverInfo: Record<string, unknown> | null = null;
  health = '';
  readonly publicKey: Uint8Array;
  readonly stats: DerpStats = {
    connects: 0, disconnects: 0, packetsSent: 0, packetsReceived: 0, bytesSent: 0, bytesReceived: 0,
    packetsDropped: 0, protocolErrors: 0, pingsAnswered: 0,
  };
  private ws: WebSocketLike | null = null;
  private reader = new FrameReader();
  private attempt = 0;
  private nextDelayOverride: number | null = null;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private watchdog: ReturnType<typeof setInterval> | null = null;
  private lastRecv = 0;
  private connectStarted = 0;
  private waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private preferred: boolean;
  /** Frames waiting for the end of the current task (see write()). */
  private out: Uint8Array[] = [];
  private outLen = 0;
  private flushQueued = false;
  private readonly o: Required<Pick<DerpClientOptions, 'backoffMinMs' | 'backoffMaxMs' | 'readTimeoutMs' | 'connectTimeoutMs' | 'maxBufferedBytes'>> & DerpClientOptions;

  constructor(opts: DerpClientOptions) {
    this.o = {
      backoffMinMs: 100, backoffMaxMs: 10_000, readTimeoutMs: 120_000, connectTimeoutMs: 10_000,
      maxBufferedBytes: 4 << 20, ...opts,
    };
    this.publicKey = x25519Public(opts.privateKey);
    this.preferred = opts.preferred ?? false;
  }

  get url(): string {
    return this.o.url;
  }

  /** Start connecting (and keep reconnecting until close()). */
  start(): void {
    if (this.state !== 'idle') return;
    this.watchdog = unrefTimer(setInterval(() => this.checkTimeouts(), 1000));
    void this.open();
  }

  /** Resolves once connected (starting if needed); rejects if the client is closed first. */
  connected(): Promise<void> {
    if (this.state === 'connected') return Promise.resolve();
    if (this.state === 'closed') return Promise.reject(new Error('DERP client closed'));
    this.start();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /**
   * Send `packet` to the node with public key `dst` through the server. False (and the
   * packet dropped) when not connected, the packet is too large, or the socket is backed up.
   */
  send(dst: Uint8Array, packet: Uint8Array): boolean {
    if (this.state !== 'connected' || !this.ws || dst.length !== KEY_LEN || packet.length > MAX_PACKET_SIZE) {
      this.stats.packetsDropped++;
      return false;
    }
    if (this.ws.bufferedAmount + this.outLen > this.o.maxBufferedBytes) {
      this.stats.packetsDropped++;
      return false;
    }
    this.write(encodeFrame(Frame.SendPacket, dst, packet));
    this.stats.packetsSent++;
    this.stats.bytesSent += packet.length;
    return true;
  }

  notePreferred(preferred: boolean): void {
    this.preferred = preferred;
    if (this.state === 'connected') this.write(encodeFrame(Frame.NotePreferred, Uint8Array.of(preferred ? 1 : 0)));
  }

  close(): void {
    if (this.state === 'closed') return;
    this.setState('closed');
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.watchdog) clearInterval(this.watchdog);
    this.reconnectTimer = null;
    this.watchdog = null;
    this.dropSocket();
    for (const w of this.waiters.splice(0)) w.reject(new Error('DERP client closed'));
  }

  // ---- connection ----

  private setState(s: DerpState, detail?: string): void {
    if (this.state === s) return;
    this.state = s;
    try {
      this.o.onState?.(s, detail);
    } catch {
      /* a callback's fault is not ours */
    }
  }

  private report(err: Error): void {
    this.o.log?.(`derp ${this.o.url}: ${err.message}`);
    try {
      this.o.onError?.(err);
    } catch {
      /* ignore */
    }
  }

  private async open(): Promise<void> {
    if (this.state === 'closed') return;
    this.setState(this.attempt === 0 ? 'connecting' : 'reconnecting');
    let factory: WebSocketFactory;
    try {
      factory = this.o.webSocket ?? (await defaultWebSocketFactory());
    } catch (e) {
      this.report(e as Error);
      this.scheduleReconnect();
      return;
    }
    if ((this.state as DerpState) === 'closed') return;
    this.reader = new FrameReader();
    this.serverPublicKey = null;
    this.connectStarted = Date.now();
    this.lastRecv = Date.now();
    let ws: WebSocketLike;
    try {
      ws = factory(this.o.url, ['derp']);
    } catch (e) {
      this.report(new Error(`cannot open WebSocket to ${this.o.url}: ${(e as Error).message}`));
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.binaryType = 'arraybuffer';
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      const bytes = messageBytes(ev.data);
      if (!bytes) {
        this.fail(new DerpProtocolError('DERP server sent a text WebSocket message; only binary is valid'));
        return;
      }
      this.lastRecv = Date.now();
      try {
        this.reader.push(bytes);
        for (let f = this.reader.next(); f && this.ws === ws; f = this.reader.next()) this.handleFrame(f.type, f.payload);
      } catch (e) {
        this.fail(e instanceof Error ? e : new Error(String(e)));
      }
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.fail(new Error(`DERP connection to ${this.o.url} closed${ev?.code ? ` (code ${ev.code}${ev.reason ? `: ${ev.reason}` : ''})` : ''}`), false);
    };
    ws.onerror = (ev) => {
      if (this.ws !== ws) return;
      // Browsers say nothing about the cause; `ws` and the HTTP-upgrade transport carry a message.
      const m = (ev as { message?: unknown } | null)?.message;
      this.fail(new Error(`DERP WebSocket error on ${this.o.url}${typeof m === 'string' && m ? `: ${m}` : ''}`), false);
    };
  }

  /**
   * Queue a frame. Frames written in the same task go out as one WebSocket message of up to
   * WS_MESSAGE_MAX bytes (message boundaries mean nothing to DERP): one send, one syscall,
   * for a burst of WireGuard packets instead of one each.
   */
  private write(frame: Uint8Array): void {
    if (this.outLen + frame.length > WS_MESSAGE_MAX) this.flush();
    if (frame.length >= WS_MESSAGE_MAX) {
      // derper reads WebSocket messages with coder/websocket's default 32 KiB limit
      // (tailscale.com/net/wsconn sets none) and drops the connection on a larger one; the Go
      // client's 4 KiB bufio writer never hits it. Split big frames.
      for (let o = 0; o < frame.length; o += WS_MESSAGE_MAX) this.sendRaw(frame.subarray(o, o + WS_MESSAGE_MAX));
      return;
    }
    this.out.push(frame);
    this.outLen += frame.length;
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => this.flush());
    }
  }

  private flush(): void {
    this.flushQueued = false;
    if (this.outLen === 0) return;
    const parts = this.out;
    const msg = parts.length === 1 ? parts[0] : new Uint8Array(this.outLen);
    if (parts.length > 1) {
      let o = 0;
      for (const p of parts) {
        msg.set(p, o);
        o += p.length;
      }
    }
    this.out = [];
    this.outLen = 0;
    this.sendRaw(msg);
  }

  private sendRaw(data: Uint8Array): void {
    try {
      this.ws?.send(data);
    } catch (e) {
      this.fail(new Error(`DERP write failed: ${(e as Error).message}`), false);
    }
  }

  private dropSocket(): void {
    const ws = this.ws;
    this.ws = null;
    this.out = [];
    this.outLen = 0;
    if (!ws) return;
    ws.onmessage = ws.onclose = ws.onerror = null;
    try {
      ws.close();
    } catch {
      /* already closing */
    }
  }

  /** Drop this connection and reconnect; `protocol` marks a malformed stream. */
  private fail(err: Error, protocol = true): void {
    if (this.state === 'closed') return;
    if (protocol || err instanceof DerpProtocolError) this.stats.protocolErrors++;
    const wasConnected = this.state === 'connected';
    if (wasConnected) this.stats.disconnects++;
    this.report(err);
    this.dropSocket();
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.state === 'closed' || this.reconnectTimer) return;
    this.setState('reconnecting');
    let delay: number;
    if (this.nextDelayOverride !== null) {
      delay = this.nextDelayOverride;
      this.nextDelayOverride = null;
    } else {
      const base = Math.min(this.o.backoffMaxMs, this.o.backoffMinMs * 2 ** Math.min(this.attempt, 20));
      // Full jitter in the upper half: spreads reconnects after a server restart.
      delay = base / 2 + Math.random() * (base / 2);
    }
    this.attempt++;
    this.reconnectTimer = unrefTimer(setTimeout(() => {
      this.reconnectTimer = null;
      void this.open();
    }, delay));
  }

  private checkTimeouts(): void {
    if (!this.ws) return;
    const now = Date.now();
    if (this.state !== 'connected' && now - this.connectStarted > this.o.connectTimeoutMs) {
      this.fail(new Error(`DERP handshake with ${this.o.url} did not finish in ${this.o.connectTimeoutMs} ms`), false);
    } else if (this.state === 'connected' && now - this.lastRecv > this.o.readTimeoutMs) {
      this.fail(new Error(`no DERP frames from ${this.o.url} for ${this.o.readTimeoutMs} ms`), false);
    }
  }

  // ---- frames ----

  private handleFrame(type: number, p: Uint8Array): void {
    if (!this.serverPublicKey) {
      if (type !== Frame.ServerKey) throw new DerpProtocolError(`DERP server sent frame type 0x${type.toString(16)} before its key`);
      if (p.length < DERP_MAGIC.length + KEY_LEN || !equalBytes(p.subarray(0, DERP_MAGIC.length), DERP_MAGIC)) {
        throw new DerpProtocolError('invalid DERP server greeting (bad magic or short ServerKey frame)');
      }
      this.serverPublicKey = p.slice(DERP_MAGIC.length, DERP_MAGIC.length + KEY_LEN);
      const info = enc.encode(JSON.stringify({ version: PROTOCOL_VERSION, CanAckPings: true }));
      this.write(encodeFrame(Frame.ClientInfo, this.publicKey, sealTo(this.o.privateKey, this.serverPublicKey, info)));
      return;
    }
    switch (type) {
      case Frame.ServerInfo: {
        if (p.length < NONCE_LEN) throw new DerpProtocolError('short DERP ServerInfo frame');
        const msg = openFrom(this.o.privateKey, this.serverPublicKey, p);
        if (!msg) throw new DerpProtocolError(`DERP ServerInfo does not open with the server key ${shortKey(this.serverPublicKey)}`);
        try {
          this.serverInfo = JSON.parse(dec.decode(msg)) as Record<string, unknown>;
        } catch {
          throw new DerpProtocolError('DERP ServerInfo is not JSON');
        }
        if (this.state !== 'connected') {
          this.attempt = 0;
          this.stats.connects++;
          this.setState('connected');
          if (this.preferred) this.write(encodeFrame(Frame.NotePreferred, Uint8Array.of(1)));
          for (const w of this.waiters.splice(0)) w.resolve();
        }
        return;
      }
      case Frame.RecvPacket: {
        if (p.length < KEY_LEN) return this.malformed('short RecvPacket frame');
        this.stats.packetsReceived++;
        this.stats.bytesReceived += p.length - KEY_LEN;
        this.callback(() => this.o.onPacket?.(p.subarray(0, KEY_LEN), p.subarray(KEY_LEN)));
        return;
      }
      case Frame.KeepAlive:
        return;
      case Frame.Ping: {
        if (p.length < 8) return this.malformed('short Ping frame');
        this.write(encodeFrame(Frame.Pong, p.subarray(0, 8)));
        this.stats.pingsAnswered++;
        return;
      }
      case Frame.Pong:
        return;
      case Frame.PeerGone: {
        if (p.length < KEY_LEN) return this.malformed('short PeerGone frame');
        const reason = p.length > KEY_LEN ? p[KEY_LEN] : 0;
        this.callback(() => this.o.onPeerGone?.(p.subarray(0, KEY_LEN), reason));
        return;
      }
      case Frame.PeerPresent: {
        if (p.length < KEY_LEN) return this.malformed('short PeerPresent frame');
        this.callback(() => this.o.onPeerPresent?.(p.subarray(0, KEY_LEN)));
        return;
      }
      case Frame.Health: {
        this.health = dec.decode(p);
        this.callback(() => this.o.onHealth?.(this.health));
        return;
      }
      case Frame.Restarting: {
        // The server is going away: reconnect after its advised delay (the socket closes soon).
        if (p.length >= 8) this.nextDelayOverride = new DataView(p.buffer, p.byteOffset, 8).getUint32(0, false);
        return;
      }
      case Frame.ServerKey:
        throw new DerpProtocolError('DERP server sent a second ServerKey frame');
      default:
        // Unknown and mesh-only frames are ignored, as the protocol asks.
        return;
    }
  }

  private malformed(what: string): void {
    this.stats.protocolErrors++;
    this.report(new DerpProtocolError(`dropped a malformed DERP frame: ${what}`));
  }

  private callback(f: () => void): void {
    try {
      f();
    } catch (e) {
      this.o.log?.(`derp: a handler threw: ${(e as Error).message}`);
    }
  }
}
