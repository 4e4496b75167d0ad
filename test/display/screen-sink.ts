/**
 * A DisplaySink for Node tests: keeps its own copy of the screen as a host would (only
 * the dirty rectangles of each frame are copied, so a device that reports too little damage
 * shows up as stale pixels), and records cursor images, moves and blanks.
 */
import type { CursorImage, DisplaySink, Rect } from '../../src/engine/display/display.js';

export class ScreenSink implements DisplaySink {
  width = 0;
  height = 0;
  /** XRGB8888, B,G,R,X bytes, width * 4 per row. */
  screen = new Uint8Array(0);
  frames = 0;
  blanks = 0;
  cursorImage: CursorImage | null = null;
  cursorImages = 0;
  cursorPos: [number, number] | null = null;
  readonly sizes: string[] = [];
  /** Called after each frame (tests use it to act once the screen is up). */
  onFrame: (() => void) | null = null;

  frame(width: number, height: number, stride: number, pixels: Uint8Array, dirty: readonly Rect[]): void {
    if (width !== this.width || height !== this.height) {
      this.width = width;
      this.height = height;
      this.screen = new Uint8Array(width * height * 4);
      this.sizes.push(`${width}x${height}`);
    }
    for (const r of dirty) {
      for (let y = r.y; y < r.y + r.h; y++) {
        this.screen.set(pixels.subarray(y * stride + r.x * 4, y * stride + (r.x + r.w) * 4), (y * width + r.x) * 4);
      }
    }
    this.frames++;
    this.onFrame?.();
  }

  cursor(image: CursorImage | null): void {
    this.cursorImage = image ? { ...image, pixels: image.pixels.slice() } : null;
    this.cursorImages++;
  }

  cursorMove(x: number, y: number): void { this.cursorPos = [x, y]; }

  blank(): void { this.blanks++; }

  /** The pixel at (x, y) as [r, g, b]. */
  rgb(x: number, y: number): [number, number, number] {
    const o = (y * this.width + x) * 4;
    return [this.screen[o + 2], this.screen[o + 1], this.screen[o]];
  }
}
