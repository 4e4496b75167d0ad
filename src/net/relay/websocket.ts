/**
 * The WebSocket the relay client uses: the same platform lookup as DERP's (the global
 * WebSocket in browsers, workers and Node >= 22, else the `ws` package, kept out of the browser
 * bundle), with the relay's single subprotocol. Tests may pass their own factory.
 */
import { defaultWebSocketFactory, messageBytes, type WebSocketLike } from '../derp/websocket.js';

/** What the relay client needs of a WebSocket: the part browsers and `ws` share. */
export type RelaySocket = WebSocketLike;

export type RelaySocketFactory = (url: string, protocol: string) => RelaySocket;

/** A factory over the platform's WebSocket (looked up once). */
export async function platformSocketFactory(): Promise<RelaySocketFactory> {
  const f = await defaultWebSocketFactory();
  return (url, protocol) => f(url, [protocol]);
}

/** A message event's data as bytes (ArrayBuffer in browsers, a Buffer from `ws`); null for text. */
export const bytesOf = messageBytes;
