/**
 * The worker's end of a display: a DisplaySink that keeps a copy of the screen (the guest's
 * buffer is valid only during `frame`) in the scanout's own format, XRGB8888, and posts the
 * changed rectangles on the display's MessagePort as transferred ArrayBuffers, one frame in
 * flight at a time. What changes while the page paints is merged into the next frame, so the
 * page gets at most one frame per animation frame however fast the guest draws. Input and
 * resizes from the page go to the Display.
 *
 * The worker only copies rows (TypedArray.set, a memcpy); the page turns XRGB into the RGBA
 * a canvas takes (api/kms-screen.ts). Converting here cost the guest's thread 40-60 ms per
 * 1024x768 frame in Chromium (the loop ran unoptimized in the worker beside the JIT's
 * compiles; 1.4 ms optimized in Node), which starved the run loop: the page's `frameDone`
 * waited ~130 ms for the next yield and the repaint benchmark showed 5.6 fps
 * (bench/browser-desktop.ts, quiet machine, 2026-12-07). Only a non-identity gamma ramp
 * (SETGAMMA) makes the worker touch each pixel.
 */
import type { CursorImage, Display, DisplaySink, GammaRamp, InputTarget, Rect } from '../../engine/display/display.js';
import type { DisplayToPage, FrameRect, PageToDisplay } from './protocol.js';

/** Past this many pending rectangles they are merged into their bounding box (one copy beats many small messages). */
const MAX_RECTS = 16;

/** The port as this module uses it: a MessagePort, or a test's stand-in. */
export interface DisplayChannel {
  postMessage(msg: DisplayToPage, transfer: Transferable[]): void;
  onmessage: ((e: MessageEvent<PageToDisplay>) => void) | null;
  close(): void;
}

export class DisplayPort implements DisplaySink {
  /** The screen as XRGB8888 (bytes B,G,R,X), width*height*4 bytes. */
  private screen = new Uint8Array(0);
  private width = 0;
  private height = 0;
  private dirty: Rect[] = [];
  private inFlight = false;
  private cursorPos: { x: number; y: number } | null = null;
  private cursorScheduled = false;
  /** The display's gamma ramp as 8-bit lookups (red, green, blue), for the ramp they were made from; null: identity. */
  private lut: { ramp: GammaRamp; r: Uint8Array; g: Uint8Array; b: Uint8Array } | null = null;
  /** Frames posted, for tests and statistics. */
  framesSent = 0;

  constructor(private readonly display: Display, private readonly port: DisplayChannel) {
    port.onmessage = (e) => this.onMessage(e.data);
    display.sink = this;
  }

  /** Stop: the display has no sink (another page took it, or the machine stops). */
  close(): void {
    if (this.display.sink === this) this.display.sink = null;
    this.port.onmessage = null;
    this.port.close();
  }

  private onMessage(m: PageToDisplay): void {
    if (!m || typeof m !== 'object') return;
    switch (m.type) {
      case 'frameDone':
        this.inFlight = false;
        this.send();
        break;
      case 'resize':
        if (Number.isInteger(m.width) && Number.isInteger(m.height) && m.width > 0 && m.height > 0 && m.width <= 16384 && m.height <= 16384) {
          this.display.resize(m.width, m.height);
        }
        break;
      case 'input': {
        const input = this.display.input;
        if (!input || !Array.isArray(m.events)) break;
        const events = m.events.filter((e) => e && Number.isInteger(e.type) && Number.isInteger(e.code) && Number.isInteger(e.value));
        if (m.device === 'keyboard') input.keyboard(events);
        else if (m.device === 'pointer') input.pointer(events);
        break;
      }
    }
  }

  frame(width: number, height: number, stride: number, pixels: Uint8Array, dirty: readonly Rect[]): void {
    if (width !== this.width || height !== this.height) {
      this.width = width;
      this.height = height;
      this.screen = new Uint8Array(width * height * 4);
      this.dirty = [];
      dirty = [{ x: 0, y: 0, w: width, h: height }];
      // The pointer's pixels are of this screen now (engine/display/input/devices.ts).
      const input = this.display.input as (InputTarget & { setScreenSize?: (w: number, h: number) => void }) | null;
      input?.setScreenSize?.(width, height);
    }
    const lut = this.gammaLut();
    for (const d of dirty) {
      const r = clip(d, width, height);
      if (!r) continue;
      if (lut) this.copyThroughGamma(r, stride, pixels, lut);
      else {
        for (let y = r.y; y < r.y + r.h; y++) {
          const from = y * stride + r.x * 4;
          if (from + r.w * 4 > pixels.length) break;
          this.screen.set(pixels.subarray(from, from + r.w * 4), (y * this.width + r.x) * 4);
        }
      }
      this.addDirty(r);
    }
    this.send();
  }

  /** Copy rectangle `r` through the CRTC's gamma ramp (SETGAMMA), as the hardware's LUT would show it; still XRGB. */
  private copyThroughGamma(r: Rect, stride: number, pixels: Uint8Array, lut: { r: Uint8Array; g: Uint8Array; b: Uint8Array }): void {
    // Guest memory is page-aligned, so the view is word-aligned; a test's odd view is copied.
    const px = pixels.byteOffset % 4 === 0 ? pixels : pixels.slice();
    const src = new Uint32Array(px.buffer, px.byteOffset, px.byteLength >>> 2);
    const dst = new Uint32Array(this.screen.buffer);
    const { r: lr, g: lg, b: lb } = lut;
    for (let y = r.y; y < r.y + r.h; y++) {
      if ((y * stride) % 4 !== 0 || y * stride + (r.x + r.w) * 4 > px.length) continue;
      let s = (y * stride) / 4 + r.x, o = y * this.width + r.x;
      for (let i = 0; i < r.w; i++) {
        const v = src[s++];
        dst[o++] = (lr[(v >>> 16) & 0xff] << 16) | (lg[(v >>> 8) & 0xff] << 8) | lb[v & 0xff];
      }
    }
  }

  /** 8-bit lookups for the display's gamma ramp (table[c] >> 8), made again when the ramp changes; null for the identity. */
  private gammaLut(): { r: Uint8Array; g: Uint8Array; b: Uint8Array } | null {
    const ramp = this.display.gamma;
    if (!ramp) return (this.lut = null);
    if (this.lut?.ramp === ramp) return this.lut;
    const make = (t: Uint16Array) => Uint8Array.from({ length: 256 }, (_, i) => t[i] >> 8);
    this.lut = { ramp, r: make(ramp.red), g: make(ramp.green), b: make(ramp.blue) };
    return this.lut;
  }

  private addDirty(r: Rect): void {
    for (const d of this.dirty) if (contains(d, r)) return;
    this.dirty = this.dirty.filter((d) => !contains(r, d));
    this.dirty.push(r);
    if (this.dirty.length > MAX_RECTS) this.dirty = [bounds(this.dirty)];
  }

  private send(): void {
    if (this.inFlight || this.dirty.length === 0) return;
    const rects: FrameRect[] = [];
    for (const r of this.dirty) {
      const data = new Uint8Array(r.w * r.h * 4);
      for (let y = 0; y < r.h; y++) {
        const from = ((r.y + y) * this.width + r.x) * 4;
        data.set(this.screen.subarray(from, from + r.w * 4), y * r.w * 4);
      }
      rects.push({ ...r, data: data.buffer });
    }
    this.dirty = [];
    this.inFlight = true;
    this.framesSent++;
    this.port.postMessage({ type: 'frame', width: this.width, height: this.height, rects }, rects.map((r) => r.data));
  }

  cursor(image: CursorImage | null): void {
    if (!image) {
      this.port.postMessage({ type: 'cursor', image: null }, []);
      return;
    }
    const n = image.width * image.height;
    const rgba = new Uint8Array(n * 4);
    const p = image.pixels;
    for (let i = 0; i < n && i * 4 + 3 < p.length; i++) {
      // ARGB8888 premultiplied (bytes B,G,R,A) → straight RGBA for ImageData.
      const b = p[i * 4], g = p[i * 4 + 1], r = p[i * 4 + 2], a = p[i * 4 + 3];
      const k = a ? 255 / a : 0;
      rgba[i * 4] = Math.min(255, Math.round(r * k));
      rgba[i * 4 + 1] = Math.min(255, Math.round(g * k));
      rgba[i * 4 + 2] = Math.min(255, Math.round(b * k));
      rgba[i * 4 + 3] = a;
    }
    this.port.postMessage({ type: 'cursor', image: { width: image.width, height: image.height, hotX: image.hotX, hotY: image.hotY, rgba: rgba.buffer } }, [rgba.buffer]);
  }

  /** Moves are coalesced per task: only the last position of a burst crosses. */
  cursorMove(x: number, y: number): void {
    this.cursorPos = { x, y };
    if (this.cursorScheduled) return;
    this.cursorScheduled = true;
    queueMicrotask(() => {
      this.cursorScheduled = false;
      const p = this.cursorPos;
      if (p) this.port.postMessage({ type: 'cursorMove', x: p.x, y: p.y }, []);
    });
  }

  blank(): void {
    this.dirty = [];
    this.width = this.height = 0;
    this.screen = new Uint8Array(0);
    this.port.postMessage({ type: 'blank' }, []);
  }
}

function clip(r: Rect, width: number, height: number): Rect | null {
  const x = Math.max(0, Math.floor(r.x)), y = Math.max(0, Math.floor(r.y));
  const x2 = Math.min(width, Math.floor(r.x + r.w)), y2 = Math.min(height, Math.floor(r.y + r.h));
  return x2 > x && y2 > y ? { x, y, w: x2 - x, h: y2 - y } : null;
}
const contains = (a: Rect, b: Rect) => b.x >= a.x && b.y >= a.y && b.x + b.w <= a.x + a.w && b.y + b.h <= a.y + a.h;
function bounds(rs: readonly Rect[]): Rect {
  const x = Math.min(...rs.map((r) => r.x)), y = Math.min(...rs.map((r) => r.y));
  const x2 = Math.max(...rs.map((r) => r.x + r.w)), y2 = Math.max(...rs.map((r) => r.y + r.h));
  return { x, y, w: x2 - x, h: y2 - y };
}
