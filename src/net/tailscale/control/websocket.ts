/**
 * A WebSocket as a byte stream. Tailscale's WebSocket transports (ts2021 control, DERP)
 * give message boundaries no meaning (net/wsconn), so this flattens messages into one
 * stream of bytes. The browser's WebSocket is used where it exists; Node 20 has none, so the
 * `ws` package is loaded there through an import the bundler does not follow (the browser
 * bundle never contains it).
 */

export interface ByteStream {
  send(b: Uint8Array): void;
  /** Bytes as they arrive. */
  onData: ((b: Uint8Array) => void) | null;
  /** The stream ended: `reason` says why (a close code, an error). Called once. */
  onClose: ((reason: string) => void) | null;
  close(): void;
}

/** What both WebSocket implementations offer (the WHATWG interface; `ws` implements it). */
interface WsLike {
  binaryType: string;
  readyState: number;
  send(b: Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((e: unknown) => void) | null;
  onmessage: ((e: { data: unknown }) => void) | null;
  onerror: ((e: unknown) => void) | null;
  onclose: ((e: { code: number; reason: string }) => void) | null;
}
type WsCtor = new (url: string, protocols?: string | string[]) => WsLike;

let ctor: Promise<WsCtor> | null = null;
function webSocketClass(): Promise<WsCtor> {
  const g = (globalThis as { WebSocket?: WsCtor }).WebSocket;
  if (g) return Promise.resolve(g);
  // A specifier in a variable: bundlers leave it alone, so `ws` stays out of the page.
  const mod = 'ws';
  return (ctor ??= import(/* @vite-ignore */ mod).then((m: { WebSocket?: WsCtor; default?: WsCtor }) => (m.WebSocket ?? m.default)!));
}

/** Open `url` (ws: or wss:) with `protocols`; rejects with a message naming the URL when the connection fails. */
export async function openWebSocket(url: string, protocols: string[], timeoutMs = 15000): Promise<ByteStream> {
  const WS = await webSocketClass();
  const ws = new WS(url, protocols);
  ws.binaryType = 'arraybuffer';
  const where = url.replace(/\?.*$/, '');
  return new Promise<ByteStream>((resolve, reject) => {
    let opened = false, closed = false;
    const timer = setTimeout(() => { if (!opened) { reject(new Error(`WebSocket to ${where} did not open within ${timeoutMs} ms`)); try { ws.close(); } catch { /* closing anyway */ } } }, timeoutMs);
    const stream: ByteStream = {
      onData: null,
      onClose: null,
      send: (b) => { if (!closed && ws.readyState === 1) ws.send(b); },
      close: () => { if (closed) return; finish('closed by us'); try { ws.close(1000); } catch { /* already closing */ } },
    };
    const finish = (reason: string) => {
      if (closed) return;
      closed = true;
      stream.onClose?.(reason);
    };
    ws.onopen = () => { opened = true; clearTimeout(timer); resolve(stream); };
    // Data can arrive in the same task as the open event (the server's first frame in the
    // same TCP read as the upgrade answer), before the caller has set onData: keep it.
    // The handler is looked up for every chunk: a handler may replace itself (the handshake
    // reader hands over to the record reader) in the middle of a flush.
    const early: Uint8Array[] = [];
    let handler: ((b: Uint8Array) => void) | null = null;
    const flush = () => { while (handler && early.length) handler(early.shift()!); };
    const deliver = (b: Uint8Array) => { early.push(b); flush(); };
    Object.defineProperty(stream, 'onData', {
      get: () => handler,
      set: (f: ((b: Uint8Array) => void) | null) => { handler = f; flush(); },
    });
    ws.onmessage = (e) => {
      const d = e.data;
      if (d instanceof ArrayBuffer) deliver(new Uint8Array(d));
      else if (ArrayBuffer.isView(d)) deliver(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
      else if (typeof d === 'string') deliver(new TextEncoder().encode(d));
    };
    ws.onerror = () => { if (!opened) { clearTimeout(timer); closed = true; reject(new Error(`cannot open a WebSocket to ${where} (connection refused, or the server does not accept WebSocket there)`)); } };
    ws.onclose = (e) => {
      clearTimeout(timer);
      if (!opened) { closed = true; reject(new Error(`WebSocket to ${where} closed before opening (code ${e.code}${e.reason ? `: ${e.reason}` : ''})`)); return; }
      finish(`WebSocket closed (code ${e.code}${e.reason ? `: ${e.reason}` : ''})`);
    };
  });
}
