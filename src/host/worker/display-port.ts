/**
 * The worker's end of a display: a DisplaySink that posts the changed rectangles of the
 * scanout on the display's MessagePort as transferred ArrayBuffers (no SharedArrayBuffer), at
 * most MAX_IN_FLIGHT frames ahead of the page's painting. What changes meanwhile is merged,
 * and its pixels are read from the scanout (Display.scanout) when the next frame can go, so
 * the page gets at most one frame per animation frame however fast the guest draws, and the
 * worker copies each changed pixel once per frame posted, none per DIRTYFB. Input and resizes
 * from the page go to the Display.
 *
 * Pixels cross in the scanout's own format, XRGB8888, copied row by row (TypedArray.set, a
 * memcpy); the page turns them into the RGBA a canvas takes (api/kms-screen.ts). Converting
 * here cost the guest's thread 40-60 ms per 1024x768 frame in Chromium (the loop ran
 * unoptimized in the worker beside the JIT's compiles; 1.4 ms optimized in Node). Only a
 * non-identity gamma ramp (SETGAMMA) makes the worker touch each pixel.
 */
import type { CursorImage, Display, DisplaySink, GammaRamp, InputTarget, Rect, ScanoutView } from '../../engine/display/display.js';
import type { DisplayToPage, FrameRect, PageToDisplay } from './protocol.js';

/** Past this many pending rectangles they are merged into their bounding box (one copy beats many small messages). */
const MAX_RECTS = 16;
/**
 * Frames posted and not yet painted. One frame's round trip (post, the page's next animation
 * frame, its `frameDone` back, the worker's next turn between guest slices) took 30-70 ms in
 * Chromium, so with one in flight the page could not paint every refresh; two kept it fed on
 * a quiet machine (46 fps), but under load the worker still waited on the page for half its
 * sends; three raised the repaint from 24 to 31 fps at the same load (bench/browser-desktop.ts,
 * 2026-12-07, load 15). The page still paints at most once per animation frame (frames that
 * arrive together are painted together).
 */
const MAX_IN_FLIGHT = 3;
/**
 * Rectangle buffers of at least this size come back from the page with `frameDone` and are
 * filled again (at most POOL of them kept): a fresh 3 MiB buffer per full-screen frame,
 * zeroed by the allocator and then collected, cost the worker 8-13 ms a frame in Chromium
 * (bench/browser-desktop.ts repaint, instrumented, 2026-12-07, load ~14), against ~1 for
 * the copy alone. Small rectangles (a key's glyph) are cheaper to allocate than to track.
 */
const POOL_MIN_BYTES = 64 * 1024;
const POOL = 2 * MAX_IN_FLIGHT;

/** The port as this module uses it: a MessagePort, or a test's stand-in. */
export interface DisplayChannel {
  postMessage(msg: DisplayToPage, transfer: Transferable[]): void;
  onmessage: ((e: MessageEvent<PageToDisplay>) => void) | null;
  close(): void;
}

export class DisplayPort implements DisplaySink {
  private width = 0;
  private height = 0;
  /** Screen rectangles changed since the last frame posted. */
  private dirty: Rect[] = [];
  /** Frames posted and not yet painted by the page. */
  private inFlight = 0;
  /** The pixels `frame` was last given: read again only when the display has no scanout reader (a test's stand-in, whose buffer stays valid). */
  private last: ScanoutView | null = null;
  private cursorPos: { x: number; y: number } | null = null;
  private cursorScheduled = false;
  /** The display's gamma ramp as 8-bit lookups (red, green, blue), for the ramp they were made from; null: identity. */
  private lut: { ramp: GammaRamp; r: Uint8Array; g: Uint8Array; b: Uint8Array } | null = null;
  /** Buffers the page gave back, to fill again (POOL_MIN_BYTES). */
  private pool: ArrayBuffer[] = [];
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
      case 'frameDone': {
        const n = m.frames === undefined ? 1 : m.frames;
        if (!Number.isInteger(n) || n < 1) break;
        this.inFlight = Math.max(0, this.inFlight - n);
        if (Array.isArray(m.buffers)) {
          for (const b of m.buffers) if (b instanceof ArrayBuffer && b.byteLength >= POOL_MIN_BYTES && this.pool.length < POOL) this.pool.push(b);
        }
        this.send(null);
        break;
      }
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
      this.dirty = [];
      dirty = [{ x: 0, y: 0, w: width, h: height }];
      // The pointer's pixels are of this screen now (engine/display/input/devices.ts).
      const input = this.display.input as (InputTarget & { setScreenSize?: (w: number, h: number) => void }) | null;
      input?.setScreenSize?.(width, height);
    }
    for (const d of dirty) {
      const r = clip(d, width, height);
      if (r) this.addDirty(r);
    }
    this.last = { width, height, stride, pixels };
    this.send(this.last);
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

  /**
   * Post the changed rectangles if the page can take a frame: their pixels are read now, from
   * `view` (what `frame` was given) or else the scanout as it is (the damage of frames that
   * waited for the page is shown as the guest has drawn it since).
   */
  private send(view: ScanoutView | null): void {
    if (this.inFlight >= MAX_IN_FLIGHT || this.dirty.length === 0) return;
    const v = view ?? this.display.scanout?.() ?? this.last;
    // No scanout, or one of another size: the device's next frame (SETCRTC, blank) says what shows.
    if (!v || v.width !== this.width || v.height !== this.height) return;
    const lut = this.gammaLut();
    const rects: FrameRect[] = [];
    for (const r of this.dirty) {
      const data = this.buffer(r.w * r.h * 4);
      const rowBytes = r.w * 4;
      if (lut) copyThroughGamma(data, r, v, lut);
      else if (r.x === 0 && rowBytes === v.stride && r.y * v.stride + r.h * rowBytes <= v.pixels.length) {
        // Whole rows of the scanout: one contiguous copy.
        data.set(v.pixels.subarray(r.y * v.stride, r.y * v.stride + r.h * rowBytes));
      } else {
        for (let y = 0; y < r.h; y++) {
          const from = (r.y + y) * v.stride + r.x * 4;
          if (from + r.w * 4 > v.pixels.length) break;
          data.set(v.pixels.subarray(from, from + r.w * 4), y * r.w * 4);
        }
      }
      rects.push({ ...r, data: data.buffer });
    }
    this.dirty = [];
    this.inFlight++;
    this.framesSent++;
    this.port.postMessage({ type: 'frame', width: this.width, height: this.height, rects }, rects.map((r) => r.data));
  }

  /** `n` bytes to fill: a pooled buffer that is large enough (the smallest), else a new one. */
  private buffer(n: number): Uint8Array<ArrayBuffer> {
    if (n >= POOL_MIN_BYTES) {
      let best = -1;
      for (let i = 0; i < this.pool.length; i++) {
        const len = this.pool[i].byteLength;
        if (len >= n && (best < 0 || len < this.pool[best].byteLength)) best = i;
      }
      if (best >= 0) return new Uint8Array(this.pool.splice(best, 1)[0], 0, n);
    }
    return new Uint8Array(n);
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
    this.last = null;
    this.port.postMessage({ type: 'blank' }, []);
  }
}

/** Rectangle `r` of `v` into `out` (r.w * 4 bytes a row) through the CRTC's gamma ramp (SETGAMMA), as the hardware's LUT would show it; still XRGB. */
function copyThroughGamma(out: Uint8Array, r: Rect, v: ScanoutView, lut: { r: Uint8Array; g: Uint8Array; b: Uint8Array }): void {
  const p = v.pixels;
  const { r: lr, g: lg, b: lb } = lut;
  for (let y = 0; y < r.h; y++) {
    let s = (r.y + y) * v.stride + r.x * 4, o = y * r.w * 4;
    if (s + r.w * 4 > p.length) break;
    for (let i = 0; i < r.w; i++, s += 4, o += 4) {
      out[o] = lb[p[s]];
      out[o + 1] = lg[p[s + 1]];
      out[o + 2] = lr[p[s + 2]];
    }
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
