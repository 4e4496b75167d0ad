/**
 * The page's end of a machine's display (setKmsCanvas): paints the frames the worker sends
 * into a canvas, draws the guest's cursor over them, and turns the canvas's keyboard and
 * pointer events into evdev events for the guest's /dev/input devices.
 *
 * Painting: frames carry XRGB8888 rectangles (the scanout's format: the worker only copies
 * rows, so the guest's thread never spends time per pixel); each is turned into RGBA in
 * place, in its own transferred buffer, and goes into an offscreen copy of the screen,
 * and the visible canvas is repainted from it where anything changed, with the cursor on
 * top, once per animation frame. Then `frameDone` (with the number of frames painted) lets
 * the worker send as many more.
 *
 * Input: `KeyboardEvent.code` → KEY_* (keycodes.ts); the browser's own repeats are dropped
 * (the guest's X repeats keys itself). Pointer positions are screen pixels: the canvas's
 * backing store is the screen, so (client - box) * canvas.width / box.width maps any CSS
 * scaling. While the pointer is locked to the canvas, motion is relative (movementX/Y).
 */
import type { DisplayToPage, PageToDisplay } from '../host/worker/protocol.js';
import { KEY_CODES } from './keycodes.js';

// <linux/input-event-codes.h>
const EV_KEY = 0x01, EV_REL = 0x02, EV_ABS = 0x03;
const REL_X = 0x00, REL_Y = 0x01, REL_HWHEEL = 0x06, REL_WHEEL = 0x08, ABS_X = 0x00, ABS_Y = 0x01;
/** MouseEvent.button → BTN_*: main, auxiliary (middle), secondary, back (X1), forward (X2). */
const BUTTONS: readonly number[] = [0x110 /* BTN_LEFT */, 0x112 /* BTN_MIDDLE */, 0x111 /* BTN_RIGHT */, 0x113 /* BTN_SIDE */, 0x114 /* BTN_EXTRA */];
/** Wheel pixels per notch: Chromium and Firefox report 100 (deltaMode 0) for one click of a mouse wheel. */
const WHEEL_NOTCH_PX = 100;

/** The channel to the worker: a MessagePort, or a test's. */
export interface ScreenChannel {
  postMessage(msg: PageToDisplay, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent<DisplayToPage>) => void) | null;
  close(): void;
}

type Rect = { x: number; y: number; w: number; h: number };
/** Rectangle buffers this large go back to the worker (its pool, host/worker/display-port.ts). */
const RETURN_MIN_BYTES = 64 * 1024;

export class KmsScreen {
  /** The screen's size as the guest draws it (the last frame's), or the size asked for before any frame. */
  width: number;
  height: number;
  /** Frames painted so far (at most one per animation frame). */
  frames = 0;
  /**
   * Frames received from the worker and drawn into the screen's offscreen copy so far: what
   * the pipeline moved, of which `frames` counts the paints (several frames that arrive
   * within one animation frame are painted together).
   */
  framesReceived = 0;
  /** Called after a frame is painted, and when the screen's size changes (`resized`). */
  onFrame: (() => void) | null = null;
  onScreenSize: ((width: number, height: number) => void) | null = null;
  private readonly ctx: CanvasRenderingContext2D;
  private readonly fb: HTMLCanvasElement;
  private readonly fbCtx: CanvasRenderingContext2D;
  private pendingRects: Rect[] = [];
  private scheduled = false;
  /** Frames received since the last paint: acknowledged together once painted. */
  private ack = 0;
  /** Painted frames' buffers, returned with the next `frameDone`. */
  private spent: ArrayBuffer[] = [];
  private cursorImg: HTMLCanvasElement | null = null;
  private cursorHot = { x: 0, y: 0 };
  private cursorAt = { x: 0, y: 0 };
  /** Where the cursor was last drawn (to repaint under it), or null. */
  private cursorDrawn: Rect | null = null;
  private cursorDirty = false;
  private readonly down = new Set<number>();
  private readonly buttons = new Set<number>();
  private wheelX = 0;
  private wheelY = 0;
  private closed = false;
  private readonly off: (() => void)[] = [];

  constructor(readonly canvas: HTMLCanvasElement, private readonly port: ScreenChannel, width: number, height: number) {
    this.width = width;
    this.height = height;
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('setKmsCanvas: the canvas has no 2d context (is it already used for WebGL?)');
    this.ctx = ctx;
    this.fb = document.createElement('canvas');
    this.fbCtx = this.fb.getContext('2d')!;
    this.setSize(width, height);
    port.onmessage = (e) => this.onMessage(e.data);
    this.listen();
  }

  /** Ask the machine for a screen of this size (a hotplug: the guest's X may follow). */
  resize(width: number, height: number): void {
    this.post({ type: 'resize', width, height });
  }

  /** Send keyboard or pointer events (evdev terms) to the guest. */
  input(device: 'keyboard' | 'pointer', events: { type: number; code: number; value: number }[]): void {
    if (events.length) this.post({ type: 'input', device, events });
  }

  /** Stop showing the display and listening to the canvas; keys and buttons still down are released. */
  close(): void {
    if (this.closed) return;
    this.releaseAll();
    this.closed = true;
    for (const f of this.off) f();
    this.port.onmessage = null;
    this.port.close();
  }

  private post(m: PageToDisplay): void {
    if (!this.closed) this.port.postMessage(m);
  }

  private setSize(width: number, height: number): void {
    const changed = width !== this.fb.width || height !== this.fb.height;
    this.width = width;
    this.height = height;
    if (!changed) return;
    this.fb.width = width;
    this.fb.height = height;
    this.canvas.width = width;
    this.canvas.height = height;
    this.fbCtx.fillStyle = '#000';
    this.fbCtx.fillRect(0, 0, width, height);
    this.cursorDrawn = null;
    this.pendingRects.push({ x: 0, y: 0, w: width, h: height });
    this.onScreenSize?.(width, height);
  }

  private onMessage(m: DisplayToPage): void {
    if (this.closed) return;
    switch (m.type) {
      case 'frame':
        if (m.width !== this.width || m.height !== this.height) this.setSize(m.width, m.height);
        for (const r of m.rects) {
          this.fbCtx.putImageData(new ImageData(xrgbToRgba(r.data, r.w * r.h * 4), r.w, r.h), r.x, r.y);
          this.pendingRects.push({ x: r.x, y: r.y, w: r.w, h: r.h });
          // putImageData copied the pixels: the buffer goes back to the worker to be filled again.
          if (r.data.byteLength >= RETURN_MIN_BYTES) this.spent.push(r.data);
        }
        this.ack++;
        this.framesReceived++;
        this.schedule();
        break;
      case 'cursor':
        if (m.image) {
          const c = document.createElement('canvas');
          c.width = m.image.width;
          c.height = m.image.height;
          c.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(m.image.rgba), m.image.width, m.image.height), 0, 0);
          this.cursorImg = c;
          this.cursorHot = { x: m.image.hotX, y: m.image.hotY };
        } else {
          this.cursorImg = null;
        }
        this.canvas.style.cursor = this.cursorImg ? 'none' : '';
        this.cursorDirty = true;
        this.schedule();
        break;
      case 'cursorMove':
        this.cursorAt = { x: m.x, y: m.y };
        this.cursorDirty = true;
        this.schedule();
        break;
      case 'blank':
        this.fbCtx.fillStyle = '#000';
        this.fbCtx.fillRect(0, 0, this.fb.width, this.fb.height);
        this.cursorImg = null;
        this.canvas.style.cursor = '';
        this.pendingRects.push({ x: 0, y: 0, w: this.fb.width, h: this.fb.height });
        this.schedule();
        break;
    }
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => this.paint());
  }

  /** Repaint what changed from the offscreen screen, then the cursor over it; let the worker send the next frame. */
  private paint(): void {
    this.scheduled = false;
    if (this.closed) return;
    const damage = this.pendingRects;
    this.pendingRects = [];
    const cur = this.cursorImg ? { x: this.cursorAt.x - this.cursorHot.x, y: this.cursorAt.y - this.cursorHot.y, w: this.cursorImg.width, h: this.cursorImg.height } : null;
    // The old cursor's pixels go back to the screen's; a change under the cursor redraws it whole.
    if (this.cursorDrawn && (this.cursorDirty || damage.some((r) => overlaps(r, this.cursorDrawn!)))) damage.push(this.cursorDrawn);
    if (cur && (this.cursorDirty || damage.some((r) => overlaps(r, cur)))) damage.push(cur);
    for (const r of damage) {
      const c = clip(r, this.fb.width, this.fb.height);
      if (c) this.ctx.drawImage(this.fb, c.x, c.y, c.w, c.h, c.x, c.y, c.w, c.h);
    }
    if (cur && this.cursorImg && (this.cursorDirty || damage.length)) {
      if (damage.some((r) => overlaps(r, cur))) this.ctx.drawImage(this.cursorImg, cur.x, cur.y);
      this.cursorDrawn = cur;
    } else if (!cur) {
      this.cursorDrawn = null;
    }
    this.cursorDirty = false;
    if (this.ack) {
      const buffers = this.spent;
      this.spent = [];
      if (!this.closed) this.port.postMessage({ type: 'frameDone', frames: this.ack, buffers }, buffers);
      this.ack = 0;
      this.frames++;
      this.onFrame?.();
    }
  }

  // ---- input ----

  private on<K extends keyof HTMLElementEventMap>(type: K, f: (e: HTMLElementEventMap[K]) => void, target: HTMLElement | Document = this.canvas): void {
    target.addEventListener(type, f as EventListener);
    this.off.push(() => target.removeEventListener(type, f as EventListener));
  }

  private listen(): void {
    const c = this.canvas;
    if (!c.hasAttribute('tabindex')) c.tabIndex = 0;
    this.on('keydown', (e) => this.key(e, 1));
    this.on('keyup', (e) => this.key(e, 0));
    this.on('blur', () => this.releaseAll());
    this.on('pointermove', (e) => this.move(e));
    this.on('pointerdown', (e) => {
      c.focus({ preventScroll: true });
      if (!this.locked()) c.setPointerCapture?.(e.pointerId);
      this.button(e, 1);
    });
    this.on('pointerup', (e) => this.button(e, 0));
    this.on('pointercancel', () => this.releaseButtons());
    this.on('contextmenu', (e) => e.preventDefault());
    this.on('wheel', (e) => this.wheel(e));
    c.style.touchAction = 'none';
  }

  private key(e: KeyboardEvent, value: 0 | 1): void {
    const code = KEY_CODES.get(e.code);
    if (code === undefined) return;
    e.preventDefault();
    // The guest's X repeats held keys itself (evdev drops value 2): the browser's repeats are not sent.
    if (e.repeat) return;
    if (value) this.down.add(code); else this.down.delete(code);
    this.input('keyboard', [{ type: EV_KEY, code, value }]);
  }

  /** Screen pixel under a client point (the canvas's backing store is the screen). */
  screenPoint(clientX: number, clientY: number): { x: number; y: number } {
    const box = this.canvas.getBoundingClientRect();
    const x = box.width ? ((clientX - box.left) * this.canvas.width) / box.width : 0;
    const y = box.height ? ((clientY - box.top) * this.canvas.height) / box.height : 0;
    return { x: Math.max(0, Math.min(this.canvas.width - 1, Math.floor(x))), y: Math.max(0, Math.min(this.canvas.height - 1, Math.floor(y))) };
  }

  /** The pointer is locked to the canvas (asked on the canvas's own root: inside a shadow root, the document sees the host). */
  locked(): boolean {
    const root = this.canvas.getRootNode() as Document | ShadowRoot;
    return root.pointerLockElement === this.canvas;
  }

  private position(e: PointerEvent | MouseEvent): { type: number; code: number; value: number }[] {
    if (this.locked()) {
      const box = this.canvas.getBoundingClientRect();
      const dx = Math.round((e.movementX * this.canvas.width) / (box.width || 1));
      const dy = Math.round((e.movementY * this.canvas.height) / (box.height || 1));
      const out = [];
      if (dx) out.push({ type: EV_REL, code: REL_X, value: dx });
      if (dy) out.push({ type: EV_REL, code: REL_Y, value: dy });
      return out;
    }
    const p = this.screenPoint(e.clientX, e.clientY);
    return [{ type: EV_ABS, code: ABS_X, value: p.x }, { type: EV_ABS, code: ABS_Y, value: p.y }];
  }

  private move(e: PointerEvent): void {
    this.input('pointer', this.position(e));
  }

  private button(e: PointerEvent, value: 0 | 1): void {
    const btn = BUTTONS[e.button];
    if (btn === undefined) return;
    e.preventDefault();
    if (value) this.buttons.add(btn); else this.buttons.delete(btn);
    this.input('pointer', [...this.position(e), { type: EV_KEY, code: btn, value }]);
  }

  private wheel(e: WheelEvent): void {
    e.preventDefault();
    const px = e.deltaMode === 0 ? 1 : e.deltaMode === 1 ? WHEEL_NOTCH_PX / 3 : WHEEL_NOTCH_PX * 10;
    this.wheelX += e.deltaX * px;
    this.wheelY += e.deltaY * px;
    const nx = Math.trunc(this.wheelX / WHEEL_NOTCH_PX), ny = Math.trunc(this.wheelY / WHEEL_NOTCH_PX);
    // A notch of less than a click still counts once, so a trackpad's small steps scroll.
    const stepY = ny || (e.deltaMode !== 0 && e.deltaY ? Math.sign(e.deltaY) : 0);
    const stepX = nx || (e.deltaMode !== 0 && e.deltaX ? Math.sign(e.deltaX) : 0);
    this.wheelX -= nx * WHEEL_NOTCH_PX;
    this.wheelY -= ny * WHEEL_NOTCH_PX;
    const events = [];
    // REL_WHEEL is positive away from the user (scroll up); DOM deltaY is positive scrolling down.
    if (stepY) events.push({ type: EV_REL, code: REL_WHEEL, value: -stepY });
    if (stepX) events.push({ type: EV_REL, code: REL_HWHEEL, value: stepX });
    this.input('pointer', events);
  }

  private releaseButtons(): void {
    const ups = [...this.buttons].map((code) => ({ type: EV_KEY, code, value: 0 }));
    this.buttons.clear();
    this.input('pointer', ups);
  }

  /** Focus left with keys or buttons down: release them, or the guest would see them held forever. */
  private releaseAll(): void {
    const ups = [...this.down].map((code) => ({ type: EV_KEY, code, value: 0 }));
    this.down.clear();
    this.input('keyboard', ups);
    this.releaseButtons();
  }
}

/**
 * XRGB8888 (bytes B,G,R,X) → RGBA (R,G,B,255), in place, as little-endian words. (A
 * VideoFrame of format BGRX drawn on a 2D canvas would do it natively, but Chromium 156
 * took X as alpha and was slower: 8 ms against 4 ms for this and putImageData, 1024x768.)
 */
export function xrgbToRgba(data: ArrayBuffer, bytes = data.byteLength): Uint8ClampedArray<ArrayBuffer> {
  const px = new Uint32Array(data, 0, bytes >>> 2);
  for (let i = 0; i < px.length; i++) {
    const v = px[i];
    px[i] = 0xff000000 | ((v & 0xff) << 16) | (v & 0xff00) | ((v >>> 16) & 0xff);
  }
  return new Uint8ClampedArray(data, 0, bytes & ~3);
}

const overlaps = (a: Rect, b: Rect) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
function clip(r: Rect, w: number, h: number): Rect | null {
  const x = Math.max(0, r.x), y = Math.max(0, r.y);
  const x2 = Math.min(w, r.x + r.w), y2 = Math.min(h, r.y + r.h);
  return x2 > x && y2 > y ? { x, y, w: x2 - x, h: y2 - y } : null;
}
