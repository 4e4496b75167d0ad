/**
 * The control client: one ts2021 connection to a Tailscale control server (Tailscale's own,
 * Headscale, or testcontrol) and the requests the node makes on it
 * (tailscale.com/control/controlclient direct.go):
 *
 *   GET  /key?v=CAPVER          the server's Noise key (plain HTTP(S), so CORS applies in a page)
 *   WebSocket /ts2021           Noise IK (noise-conn.ts), then HTTP/2 inside it (../h2/)
 *   POST /machine/register      RegisterRequest → RegisterResponse (auth key, or AuthURL + Followup)
 *   POST /machine/map           Stream:false, OmitPeers:true — tells control our disco key,
 *                               endpoint and home DERP (a streaming request is read-only, capver ≥ 68)
 *   POST /machine/map           Stream:true — the long poll: 4-byte little-endian length, then a
 *                               MapResponse as JSON, zstd-compressed when we ask for it
 *
 * Reconnection and the login flow are the caller's (ipn.ts): a ControlClient is one
 * connection and dies with it.
 */
import { decompress } from 'fzstd';
import { encodeKey, parseKey, publicKey } from '../../crypto/index.js';
import { H2Client, type H2Response } from '../h2/client.js';
import { ControlProtocolError, Ts2021Conn, Ts2021Handshake } from './noise-conn.js';
import { openWebSocket } from './websocket.js';
import { CAPABILITY_VERSION, FAKE_ENDPOINT, type Hostinfo, type MapRequest, type MapResponse, type RegisterRequest, type RegisterResponse } from './tailcfg.js';

/** Go's control client reconnects when the map stream is silent this long (controlclient map watchdog); servers keep it alive every ~60 s. */
export const MAP_WATCHDOG_MS = 120_000;
/** A single MapResponse larger than this is refused (Go's server limit is 256 MB; real ones are KBs to a few MB). */
const MAX_MAP_MESSAGE = 64 << 20;
/** tailcfg.EndpointType: EndpointLocal. */
const ENDPOINT_LOCAL = 1;

export { ControlProtocolError };

export interface ControlKeys {
  machinePrivate: Uint8Array;
  nodePrivate: Uint8Array;
  discoPublic: Uint8Array;
  /**
   * Our UDP endpoints for direct paths ("ip:port"), read at each map request; none (a browser)
   * sends FAKE_ENDPOINT instead.
   */
  endpoints?: () => Endpoint[];
}

/** One of our endpoints and its tailcfg.EndpointType (1 local, 2 STUN). */
export interface Endpoint { addr: string; type: number }

/** GET /key: the server's Noise public key. Errors say what the server answered. */
export async function fetchServerKey(controlUrl: string, signal?: AbortSignal): Promise<Uint8Array> {
  const url = `${controlUrl.replace(/\/+$/, '')}/key?v=${CAPABILITY_VERSION}`;
  let res: Response;
  try {
    res = await fetch(url, { signal });
  } catch (e) {
    throw new ControlProtocolError(`cannot reach the control server at ${controlUrl} (${(e as Error).message}; in a page the server must also allow CORS on /key)`);
  }
  const body = await res.text();
  if (!res.ok) throw new ControlProtocolError(`the control server answered GET /key with HTTP ${res.status}: ${body.slice(0, 200)}`);
  let j: { publicKey?: string };
  try { j = JSON.parse(body) as { publicKey?: string }; } catch { throw new ControlProtocolError(`the control server's /key answer is not JSON (${JSON.stringify(body.slice(0, 80))}): is ${controlUrl} a Tailscale control server?`); }
  if (!j.publicKey) throw new ControlProtocolError('the control server has no Noise key (too old: ts2021 is required)');
  try { return parseKey('machinePublic', j.publicKey); } catch (e) { throw new ControlProtocolError(`bad key from the control server: ${(e as Error).message}`); }
}

/** The WebSocket URL for /ts2021 with the handshake in the query (controlhttp client_js.go). */
export function ts2021Url(controlUrl: string, initiation: Uint8Array): string {
  const u = new URL(controlUrl);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  u.pathname = '/ts2021';
  u.search = `?X-Tailscale-Handshake=${encodeURIComponent(base64(initiation))}`;
  return u.toString();
}

export class ControlClient {
  /** Set when the connection is gone; every pending request has failed with it. */
  onClose: ((reason: string) => void) | null = null;
  private closed: string | null = null;
  private readonly authority: string;

  private constructor(private readonly conn: Ts2021Conn, private readonly h2: H2Client, controlUrl: string, private readonly keys: ControlKeys) {
    this.authority = new URL(controlUrl).host;
    const end = (reason: string) => {
      if (this.closed) return;
      this.closed = reason;
      this.h2.transportClosed(`the control connection closed: ${reason}`);
      this.onClose?.(reason);
    };
    conn.onClose = end;
    h2.onClose = (e) => { end(e.message); conn.close(); };
  }

  /** Fetch the server key, open the WebSocket, do the handshake, start HTTP/2. */
  static async connect(controlUrl: string, keys: ControlKeys, serverKey?: Uint8Array): Promise<ControlClient> {
    const key = serverKey ?? await fetchServerKey(controlUrl);
    const hs = new Ts2021Handshake(CAPABILITY_VERSION, keys.machinePrivate, key);
    const ws = await openWebSocket(ts2021Url(controlUrl, hs.initiation), ['tailscale-control-protocol']);
    const conn = await Ts2021Conn.accept(ws, hs);
    const h2 = new H2Client((b) => conn.write(b));
    conn.onData = (b) => h2.receive(b);
    return new ControlClient(conn, h2, controlUrl, keys);
  }

  get isClosed(): boolean { return this.closed !== null; }

  close(): void {
    if (this.closed) return;
    this.h2.close();
    this.conn.close();
  }

  get nodeKey(): string { return encodeKey('nodePublic', publicKey(this.keys.nodePrivate)); }

  private async post(path: string, body: unknown): Promise<H2Response> {
    return this.h2.request({
      method: 'POST', path, authority: this.authority,
      // tailcfg.LBHeader: a load-balancer hint Go's client sends.
      headers: [['content-type', 'application/json'], ['ts-lb', this.nodeKey]],
      body: new TextEncoder().encode(JSON.stringify(body)),
    });
  }

  /**
   * Any request on the Noise channel (Go's ts2021 client sends the URL's path whatever its host:
   * PingRequest URLs like "https://unused/c2n/TOKEN"): status and body (at most 1 MiB).
   */
  async noise(method: string, url: string, body?: Uint8Array): Promise<{ status: number; body: Uint8Array }> {
    let path: string;
    try { const u = new URL(url); path = u.pathname + u.search; } catch { throw new ControlProtocolError(`not a URL: ${JSON.stringify(url.slice(0, 100))}`); }
    const r = await this.h2.request({
      method, path, authority: this.authority,
      headers: body ? [['content-type', 'application/octet-stream']] : [],
      body,
    });
    return { status: r.status, body: method === 'HEAD' ? new Uint8Array(0) : await r.body.all(1 << 20) };
  }

  private async postJSON<T>(path: string, body: unknown): Promise<T> {
    const r = await this.post(path, body);
    const text = new TextDecoder().decode(await r.body.all(1 << 20));
    if (r.status === 429) throw new ControlProtocolError(`the control server is rate-limiting registrations (HTTP 429${retryAfter(r)})`);
    if (r.status !== 200) throw new ControlProtocolError(`the control server answered ${path} with HTTP ${r.status}: ${text.trim().slice(0, 200)}`);
    try { return JSON.parse(text) as T; } catch { throw new ControlProtocolError(`the control server's answer to ${path} is not JSON: ${JSON.stringify(text.slice(0, 80))}`); }
  }

  register(o: { authKey?: string; followup?: string; oldNodePrivate?: Uint8Array | null; expiry?: Date; hostinfo: Hostinfo; ephemeral?: boolean }): Promise<RegisterResponse> {
    const req: RegisterRequest = {
      Version: CAPABILITY_VERSION,
      NodeKey: this.nodeKey,
      OldNodeKey: o.oldNodePrivate ? encodeKey('nodePublic', publicKey(o.oldNodePrivate)) : 'nodekey:' + '0'.repeat(64),
      Hostinfo: o.hostinfo,
      Ephemeral: o.ephemeral,
      Timestamp: new Date().toISOString(),
    };
    if (o.authKey) req.Auth = { AuthKey: o.authKey };
    if (o.followup) req.Followup = o.followup;
    if (o.expiry) req.Expiry = o.expiry.toISOString();
    return this.postJSON<RegisterResponse>('/machine/register', req);
  }

  private mapRequest(stream: boolean, hostinfo: Hostinfo): MapRequest {
    const eps = this.keys.endpoints?.() ?? [];
    const endpoints = eps.length ? eps.map((e) => e.addr) : [FAKE_ENDPOINT];
    const types = eps.length ? eps.map((e) => e.type) : [ENDPOINT_LOCAL];
    return {
      Version: CAPABILITY_VERSION, NodeKey: this.nodeKey, DiscoKey: encodeKey('discoPublic', this.keys.discoPublic),
      Endpoints: endpoints, EndpointTypes: types, Hostinfo: hostinfo, Stream: stream,
      ...(stream ? { KeepAlive: true, Compress: 'zstd' } : { OmitPeers: true }),
    };
  }

  /** The "lite" update: disco key, endpoint, Hostinfo (home DERP). */
  async updateEndpoints(hostinfo: Hostinfo): Promise<void> {
    const r = await this.post('/machine/map', this.mapRequest(false, hostinfo));
    const body = await r.body.all(MAX_MAP_MESSAGE);
    if (r.status !== 200) throw new ControlProtocolError(`the control server refused our endpoint update (HTTP ${r.status}: ${new TextDecoder().decode(body).trim().slice(0, 200)})`);
  }

  /**
   * The map long poll: calls `onMessage` for each MapResponse until the stream ends; resolves
   * when it ends normally, rejects with a message when it breaks (bad framing, bad JSON,
   * HTTP error, the watchdog).
   */
  async pollMap(hostinfo: Hostinfo, onMessage: (m: MapResponse) => void, watchdogMs = MAP_WATCHDOG_MS): Promise<void> {
    const r = await this.post('/machine/map', this.mapRequest(true, hostinfo));
    if (r.status !== 200) {
      const t = new TextDecoder().decode(await r.body.all(1 << 20)).trim();
      throw new ControlProtocolError(`the control server refused the map request (HTTP ${r.status}: ${t.slice(0, 200)})`);
    }
    const compressed = (r.headers.find(([n]) => n === 'content-encoding')?.[1] ?? '') !== 'identity';
    let buf: Uint8Array = new Uint8Array(0);
    let timer: ReturnType<typeof setTimeout> | null = null;
    const arm = () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => this.h2.cancel(r), watchdogMs);
    };
    arm();
    try {
      for (;;) {
        let chunk: Uint8Array | null;
        try {
          chunk = await r.body.read();
        } catch (e) {
          if (/cancelled/.test((e as Error).message) && !this.closed) throw new ControlProtocolError(`no message on the map stream for ${watchdogMs / 1000} s`);
          throw e;
        }
        if (!chunk) {
          if (buf.length) throw new ControlProtocolError(`the map stream ended inside a message (${buf.length} bytes left over)`);
          return;
        }
        arm();
        buf = buf.length ? join(buf, chunk) : chunk;
        while (buf.length >= 4) {
          const len = (buf[0] | (buf[1] << 8) | (buf[2] << 16) | (buf[3] << 24)) >>> 0;
          if (len > MAX_MAP_MESSAGE) throw new ControlProtocolError(`map message of ${len} bytes announced: the stream is garbage or not a Tailscale map`);
          if (buf.length < 4 + len) break;
          const raw = buf.subarray(4, 4 + len);
          buf = buf.subarray(4 + len);
          onMessage(decodeMapMessage(raw, compressed));
        }
      }
    } finally {
      if (timer) clearTimeout(timer);
    }
  }
}

/** One map message: zstd frame (magic 28 b5 2f fd) or JSON. */
export function decodeMapMessage(raw: Uint8Array, mayBeCompressed = true): MapResponse {
  let bytes = raw;
  if (mayBeCompressed && raw.length >= 4 && raw[0] === 0x28 && raw[1] === 0xb5 && raw[2] === 0x2f && raw[3] === 0xfd) {
    try { bytes = decompress(raw); } catch (e) { throw new ControlProtocolError(`a zstd map message does not decompress: ${(e as Error).message}`); }
  }
  const text = new TextDecoder().decode(bytes);
  try {
    const v = JSON.parse(text) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v as MapResponse;
  } catch {
    throw new ControlProtocolError(`a map message is not a JSON MapResponse: ${JSON.stringify(text.slice(0, 80))}`);
  }
}

function retryAfter(r: H2Response): string {
  const v = r.headers.find(([n]) => n === 'retry-after')?.[1];
  return v ? `, retry after ${v} s` : '';
}

function base64(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s);
}

function join(a: Uint8Array, b: Uint8Array): Uint8Array {
  const o = new Uint8Array(a.length + b.length);
  o.set(a); o.set(b, a.length);
  return o;
}
