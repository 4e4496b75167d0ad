/**
 * The worker's end of the display (host/worker/display-port.ts) reuses the buffers the page
 * gives back: a full-screen frame's 3 MiB buffer comes back with `frameDone` and the next
 * frame is copied into it (a fresh buffer per frame cost the worker 8-13 ms a frame in
 * Chromium). Checked on the messages it posts, with a stand-in page: the second frame
 * arrives in the very ArrayBuffer the page returned, holding exactly the scanout's new
 * pixels (the old ones overwritten), and a smaller rectangle filled into a larger pooled
 * buffer starts with its exact rows. Buffers the page returns that are not ArrayBuffers, or
 * too small to pool, are ignored.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Display, type ScanoutView } from '../../src/engine/display/display.js';

// The worker's module is typed against the DOM (tsconfig.web.json); Node runs it as is.
const { DisplayPort } = await import('../../src/host/worker/display-port.js' as string) as {
  DisplayPort: new (d: Display, port: unknown) => { frame(w: number, h: number, stride: number, px: Uint8Array, dirty: { x: number; y: number; w: number; h: number }[]): void; close(): void };
};

interface FrameMsg { type: 'frame'; width: number; height: number; rects: { x: number; y: number; w: number; h: number; data: ArrayBuffer }[] }

const W = 320, H = 240;

function screen(seed: number): Uint8Array {
  const px = new Uint8Array(W * H * 4);
  for (let i = 0; i < px.length; i++) px[i] = (i * 31 + seed * 17) & 0xff;
  return px;
}
/** Rectangle r of a W-wide XRGB screen, row by row. */
function rows(px: Uint8Array, r: { x: number; y: number; w: number; h: number }): Uint8Array {
  const out = new Uint8Array(r.w * r.h * 4);
  for (let y = 0; y < r.h; y++) out.set(px.subarray(((r.y + y) * W + r.x) * 4, ((r.y + y) * W + r.x + r.w) * 4), y * r.w * 4);
  return out;
}

test('frames are copied into the buffers the page gave back, with exact pixels', () => {
  const display = new Display(W, H);
  const posted: FrameMsg[] = [];
  const channel = { onmessage: null as ((e: { data: unknown }) => void) | null, postMessage(m: FrameMsg) { if (m.type === 'frame') posted.push(m); }, close() {} };
  const port = new DisplayPort(display, channel);
  let view: ScanoutView | null = null;
  display.scanout = () => view;
  const done = (buffers: unknown[]) => channel.onmessage!({ data: { type: 'frameDone', frames: 1, buffers } });

  const a = screen(1);
  view = { width: W, height: H, stride: W * 4, pixels: a };
  port.frame(W, H, W * 4, a, [{ x: 0, y: 0, w: W, h: H }]);
  assert.equal(posted.length, 1);
  const first = posted[0].rects[0].data;
  assert.deepEqual(new Uint8Array(first), a);

  // The page painted it (converting in place: the bytes are no longer the screen's) and returns it.
  new Uint8Array(first).fill(0xee);
  done([first, 'not a buffer', new ArrayBuffer(16)]);
  const b = screen(2);
  view = { width: W, height: H, stride: W * 4, pixels: b };
  port.frame(W, H, W * 4, b, [{ x: 0, y: 0, w: W, h: H }]);
  assert.equal(posted.length, 2);
  assert.equal(posted[1].rects[0].data, first, 'the returned buffer is filled again');
  assert.deepEqual(new Uint8Array(posted[1].rects[0].data), b);

  // A smaller rectangle (still pooled size) into the larger returned buffer: its rows, first.
  done([first]);
  const c = screen(3);
  view = { width: W, height: H, stride: W * 4, pixels: c };
  const r = { x: 10, y: 20, w: 200, h: 100 };
  port.frame(W, H, W * 4, c, [r]);
  assert.equal(posted.length, 3);
  const got = posted[2].rects[0];
  assert.equal(got.data, first);
  assert.deepEqual({ x: got.x, y: got.y, w: got.w, h: got.h }, r);
  assert.deepEqual(new Uint8Array(got.data, 0, r.w * r.h * 4), rows(c, r));

  // Without a buffer back, a new one.
  const d = screen(4);
  view = { width: W, height: H, stride: W * 4, pixels: d };
  done([]);
  port.frame(W, H, W * 4, d, [{ x: 0, y: 0, w: W, h: H }]);
  assert.notEqual(posted[3].rects[0].data, first);
  assert.deepEqual(new Uint8Array(posted[3].rects[0].data), d);
  port.close();
});
