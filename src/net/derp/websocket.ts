/**
 * A WebSocket as a byte stream for DERP (tailscale.com/derp/derphttp/websocket.go): binary
 * messages, subprotocol "derp"; message boundaries carry no meaning.
 *
 * Browsers (and Node ≥ 22) have a global WebSocket. Node 20 has none; there the `ws` package
 * stands in. It is loaded by a variable specifier so that bundlers leave it out of the
 * browser bundle (a browser never reaches that branch).
 */

/** The subset of the WHATWG WebSocket that both browsers and `ws` provide. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  readonly protocol: string;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code?: number; reason?: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketFactory = (url: string, protocols: string[]) => WebSocketLike;

let cached: WebSocketFactory | null = null;

/** The platform's WebSocket: the global one, else `ws` (Node 20). */
export async function defaultWebSocketFactory(): Promise<WebSocketFactory> {
  if (cached) return cached;
  type Ctor = new (url: string, protocols: string[]) => WebSocketLike;
  const g = (globalThis as { WebSocket?: Ctor }).WebSocket;
  let C: Ctor;
  if (g) {
    C = g;
  } else {
    const name = 'ws';
    try {
      const mod = (await import(/* @vite-ignore */ name)) as { WebSocket?: Ctor; default?: Ctor };
      const found = mod.WebSocket ?? mod.default;
      if (!found) throw new Error('the ws module has no WebSocket export');
      C = found;
    } catch (e) {
      throw new Error(`no WebSocket: this platform has no global WebSocket and the 'ws' package could not be loaded (${(e as Error).message})`);
    }
  }
  cached = (url, protocols) => new C(url, protocols);
  return cached;
}

/** Convert what a message event carries into bytes (ArrayBuffer in browsers, Buffer from ws). */
export function messageBytes(data: unknown): Uint8Array | null {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (Array.isArray(data)) {
    // ws with binaryType 'fragments'/'nodebuffer' arrays: concatenate.
    const parts = data.map((d) => messageBytes(d)).filter((x): x is Uint8Array => x !== null);
    const n = parts.reduce((a, p) => a + p.length, 0);
    const out = new Uint8Array(n);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
  return null;
}
