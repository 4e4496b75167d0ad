/**
 * The WebSocket the relay client uses: the platform's global one (browsers, workers, Node ≥ 22),
 * else the `ws` package (Node 20 has no global WebSocket). `ws` is imported through a
 * specifier held in a variable, so bundlers do not follow it into the browser bundle, where
 * that branch never runs. Tests may pass their own factory.
 */

/** What the relay client needs of a WebSocket: the part browsers and `ws` share. */
export interface RelaySocket {
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

export type RelaySocketFactory = (url: string, protocol: string) => RelaySocket;

type Ctor = new (url: string, protocols: string) => RelaySocket;
let found: Promise<Ctor> | null = null;

function platformWebSocket(): Promise<Ctor> {
  const g = (globalThis as { WebSocket?: Ctor }).WebSocket;
  if (g) return Promise.resolve(g);
  const pkg = 'ws';
  return import(/* @vite-ignore */ pkg).then(
    (m: { WebSocket?: Ctor; default?: Ctor }) => {
      const C = m.WebSocket ?? m.default;
      if (!C) throw new Error("the 'ws' package exports no WebSocket");
      return C;
    },
    (e: Error) => { throw new Error(`no WebSocket here: no global WebSocket and the 'ws' package did not load (${e.message})`); },
  );
}

/** A factory over the platform's WebSocket (looked up once). */
export async function platformSocketFactory(): Promise<RelaySocketFactory> {
  found ??= platformWebSocket();
  const C = await found;
  return (url, protocol) => new C(url, protocol);
}

/** A message event's data as bytes (ArrayBuffer in browsers, a Buffer from `ws`); null for text. */
export function bytesOf(data: unknown): Uint8Array | null {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return null;
}
