/**
 * DERP over the plain HTTP upgrade (Node only: the CLI and tests), as the native Go client
 * connects (derphttp): `GET /derp` with `Upgrade: DERP`, the server answers
 * `101 Switching Protocols` (derpserver/handler.go), then the DERP byte stream follows on
 * the same TCP (or TLS for wss:/https:) connection.
 *
 * It is presented as a WebSocketLike so DerpClient runs unchanged on top of it:
 * `new DerpClient({ url, privateKey, webSocket: httpUpgradeFactory })`.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { WebSocketFactory, WebSocketLike } from './websocket.js';

class HttpUpgradeSocket implements WebSocketLike {
  binaryType = 'arraybuffer';
  readyState = 0;
  readonly protocol = 'derp';
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code?: number; reason?: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  private readonly sock: net.Socket;
  private head = '';
  private upgraded = false;
  private closedOnce = false;

  constructor(url: string) {
    const u = new URL(url);
    const secure = u.protocol === 'wss:' || u.protocol === 'https:';
    const port = Number(u.port) || (secure ? 443 : 80);
    const host = u.hostname.replace(/^\[|\]$/g, '');
    this.sock = secure ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host }) : net.connect({ host, port });
    this.sock.setNoDelay(true);
    this.sock.once(secure ? 'secureConnect' : 'connect', () => {
      this.sock.write(`GET ${u.pathname || '/derp'} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: DERP\r\nConnection: Upgrade\r\nUser-Agent: webx86-derp\r\n\r\n`);
    });
    this.sock.on('data', (d: Buffer) => this.onData(d));
    this.sock.on('error', (e) => this.onerror?.(e));
    this.sock.on('close', () => this.finish(1006, 'connection closed'));
  }

  private onData(d: Buffer): void {
    if (this.upgraded) {
      this.onmessage?.({ data: new Uint8Array(d.buffer, d.byteOffset, d.byteLength) });
      return;
    }
    // The status line and headers are ASCII; latin1 keeps one char per byte for slicing.
    this.head += d.toString('latin1');
    const end = this.head.indexOf('\r\n\r\n');
    if (end < 0) {
      if (this.head.length > 16384) this.fail('HTTP upgrade response headers too long');
      return;
    }
    const status = this.head.slice(0, this.head.indexOf('\r\n'));
    if (!/^HTTP\/1\.[01] 101 /.test(status)) {
      this.fail(`DERP HTTP upgrade refused: ${status}`);
      return;
    }
    this.upgraded = true;
    this.readyState = 1;
    this.onopen?.({});
    const rest = Buffer.from(this.head.slice(end + 4), 'latin1');
    this.head = '';
    if (rest.length) this.onmessage?.({ data: new Uint8Array(rest.buffer, rest.byteOffset, rest.byteLength) });
  }

  private fail(reason: string): void {
    this.onerror?.(new Error(reason));
    this.finish(1002, reason);
    this.sock.destroy();
  }

  private finish(code: number, reason: string): void {
    if (this.closedOnce) return;
    this.closedOnce = true;
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }

  get bufferedAmount(): number {
    return this.sock.writableLength;
  }

  send(data: Uint8Array): void {
    if (!this.upgraded) throw new Error('DERP HTTP upgrade not finished');
    this.sock.write(data);
  }

  close(): void {
    this.readyState = 2;
    this.sock.destroy();
  }
}

/** A WebSocketFactory that speaks DERP over the HTTP upgrade instead of WebSocket. */
export const httpUpgradeFactory: WebSocketFactory = (url) => new HttpUpgradeSocket(url);
