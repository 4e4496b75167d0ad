/**
 * Fault injection between the VM's WireGuard tunnel and DERP, for tests: a WebSocket factory
 * (TailscaleNetworkOptions.derpWebSocket) that wraps the real WebSocket to the REAL derper and
 * cuts both byte streams into DERP frames (type u8, length u32 BE, body; derp.go). The packet
 * frames (SendPacket out, RecvPacket in: each one a WireGuard message) are dropped, duplicated
 * or held back behind the next one, from a seeded generator; every other frame passes
 * untouched, so DERP itself keeps working. `cut()` ends every connection abruptly (as a lost
 * network does: close code 1006), so the DERP client must reconnect. This is the one fake
 * piece here: there is no real lossy network on loopback that affects only the VM's traffic.
 */
import { defaultWebSocketFactory, messageBytes, type WebSocketFactory, type WebSocketLike } from '../../../src/net/derp/websocket.js';
import { Frame } from '../../../src/net/derp/frames.js';

export interface Impairment { loss: number; duplicate: number; reorder: number }

export class DerpImpairer {
  impairment: Impairment = { loss: 0, duplicate: 0, reorder: 0 };
  readonly stats = { packets: 0, dropped: 0, duplicated: 0, reordered: 0, connections: 0, cuts: 0 };
  private readonly live = new Set<{ terminate(): void }>();
  private seed: number;

  private constructor(private readonly inner: WebSocketFactory, seed: number) { this.seed = seed >>> 0 || 1; }

  static async create(seed = 12345): Promise<DerpImpairer> {
    return new DerpImpairer(await defaultWebSocketFactory(), seed);
  }

  /** xorshift32 in [0, 1): the same faults on every run of the same traffic. */
  random(): number {
    let x = this.seed;
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    this.seed = x >>> 0;
    return this.seed / 2 ** 32;
  }

  readonly factory: WebSocketFactory = (url, protocols) => {
    this.stats.connections++;
    const s = new ImpairedSocket(this, this.inner(url, protocols));
    this.live.add(s);
    return s;
  };

  forget(s: { terminate(): void }): void { this.live.delete(s); }

  /** Drop every DERP connection at once, without a closing handshake. */
  cut(): void {
    this.stats.cuts++;
    for (const s of [...this.live]) s.terminate();
  }
}

/** Splits a byte stream into whole DERP frames. */
class FrameSplitter {
  private buf = new Uint8Array(0);
  push(bytes: Uint8Array): Uint8Array[] {
    const all = new Uint8Array(this.buf.length + bytes.length);
    all.set(this.buf); all.set(bytes, this.buf.length);
    const frames: Uint8Array[] = [];
    let at = 0;
    while (all.length - at >= 5) {
      const len = new DataView(all.buffer, all.byteOffset + at + 1, 4).getUint32(0);
      if (all.length - at < 5 + len) break;
      frames.push(all.slice(at, at + 5 + len));
      at += 5 + len;
    }
    this.buf = all.slice(at);
    return frames;
  }
}

class ImpairedSocket implements WebSocketLike {
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code?: number; reason?: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  private readonly out = new FrameSplitter();
  private readonly in = new FrameSplitter();
  private heldOut: Uint8Array | null = null;
  private heldIn: Uint8Array | null = null;

  constructor(private readonly imp: DerpImpairer, private readonly ws: WebSocketLike) {
    ws.onopen = (e) => this.onopen?.(e);
    ws.onerror = (e) => this.onerror?.(e);
    ws.onclose = (e) => { this.imp.forget(this); this.onclose?.(e); };
    ws.onmessage = (e) => {
      const b = messageBytes(e.data);
      if (!b) return;
      for (const f of this.in.push(b)) this.pass(f, Frame.RecvPacket, 'in');
    };
  }

  get binaryType(): string { return this.ws.binaryType; }
  set binaryType(v: string) { this.ws.binaryType = v; }
  get readyState(): number { return this.ws.readyState; }
  get bufferedAmount(): number { return this.ws.bufferedAmount; }
  get protocol(): string { return this.ws.protocol; }

  send(data: Uint8Array): void {
    for (const f of this.out.push(data)) this.pass(f, Frame.SendPacket, 'out');
  }

  close(code?: number, reason?: string): void { this.ws.close(code, reason); }

  terminate(): void {
    const t = (this.ws as unknown as { terminate?: () => void }).terminate;
    if (t) t.call(this.ws); else this.ws.close(4000, 'cut');
  }

  private deliver(f: Uint8Array, dir: 'in' | 'out'): void {
    if (dir === 'out') { if (this.ws.readyState === 1) this.ws.send(f); } else this.onmessage?.({ data: f });
  }

  private pass(f: Uint8Array, packetType: number, dir: 'in' | 'out'): void {
    if (f[0] !== packetType) { this.deliver(f, dir); return; }
    const s = this.imp.stats, m = this.imp.impairment;
    s.packets++;
    const r = this.imp.random();
    const held = dir === 'in' ? this.heldIn : this.heldOut;
    if (r < m.loss) { s.dropped++; return; }
    if (r < m.loss + m.duplicate) { s.duplicated++; this.deliver(f, dir); this.deliver(f, dir); }
    else if (r < m.loss + m.duplicate + m.reorder && !held) {
      // Held back until the next packet has gone (or 20 ms without one): those two swap places.
      s.reordered++;
      if (dir === 'in') this.heldIn = f; else this.heldOut = f;
      setTimeout(() => this.release(dir, f), 20);
      return;
    } else this.deliver(f, dir);
    if (held) this.release(dir, held);
  }

  private release(dir: 'in' | 'out', f: Uint8Array): void {
    if (dir === 'in' ? this.heldIn !== f : this.heldOut !== f) return;
    if (dir === 'in') this.heldIn = null; else this.heldOut = null;
    this.deliver(f, dir);
  }
}
