/**
 * Unmodified Xorg 21.1.7 from Debian in a page: `<x-vm>` with an `<x-kms-display>` inside,
 * booting the desktop test image (test/support/desktop-image.ts: the `desktop` preset's Xorg,
 * evdev driver, xterm, i3 and X utilities) from the second origin, a real HTTP server.
 *
 * One X server serves the whole file (its start is the slow part). A shell script in the
 * guest drives it in stages and prints each stage's results between markers on the console;
 * the page acts (clicks, keys, resizes) and checks the canvas. Stages: `Xorg -retro` (the root
 * weave and the cursor on the canvas, equal to the reference screenshot), xdpyinfo, `xwd -root`
 * against the canvas, xev on the root for clicks at 1:1 and scaled to fit and a key, a resize
 * of the element that xrandr sees and follows, and a gamma ramp set with xrandr applied to
 * what the canvas shows (on a root made solid #285577 by xsetroot). i3 and xterm are not
 * here: their start alone took longer than the runner allows a file on a loaded machine.
 *
 * The reference screenshot fixtures/retro.png is a copy of shared/reference/kms/retro.png (an
 * Xorg -retro scanout at 1024x768 with the 64x64 cursor blended at its top-left, 505,377).
 */
import { expect } from '@esm-bundle/chai';
import { sendKeys, sendMouse } from '@web/test-runner-commands';
import { loadTestEnv, nextEvent, until } from './helpers.js';

await import('../../dist/webx86.js' as string);

interface XKmsDisplay extends HTMLElement {
  readonly canvas: HTMLCanvasElement;
  readonly frames: number;
  readonly updateComplete: Promise<boolean>;
}
interface XVm extends HTMLElement {
  ready: Promise<unknown>;
  run(p: string, a: string[], o?: { env?: string[]; cwd?: string }): Promise<{ status: number }>;
  attachConsole(s: { write(b: Uint8Array): void }, c: number, r: number): unknown;
}

/** dix/window.c _back_lsb: the -retro root tile, one byte per row, bit x set = white. */
const ROOT_WEAVE = [0x88, 0x22, 0x44, 0x11];
const W = 1024, H = 768;
/** The X cursor's image box at the screen centre: hot spot (7,7) at (512,384). */
const CURSOR = { x: 505, y: 377, w: 64, h: 64 };
/** Minutes: the guest's X server, i3 and xterm start in the interpreter and JIT of a page on a loaded 2-core machine. */
const LONG = 10 * 60_000;

/**
 * The stages, run by startx as its X client (so the server holds the cookie startx made with
 * xauth and mcookie, and every client here authenticates with it).
 */
const STAGES = `
exec 2>&1
for i in $(seq 3000); do xdpyinfo >/tmp/info 2>/dev/null && break; sleep 0.2; done
echo '--- xdpyinfo'; grep -E 'dimensions|resolution|depth of root' /tmp/info; echo '=== xdpyinfo'
echo '--- xwd'; xwd -root -silent | base64 -w0; echo; echo '=== xwd'
# xev on the root reports pointer and key events in root coordinates; it is listening once
# the page's pointer moves show up.
stdbuf -oL xev -root >/tmp/xev &
XEV=$!
echo '--- xev-started'; echo '=== xev-started'
until grep -q MotionNotify /tmp/xev; do sleep 0.2; done
echo '--- xev-listening'; echo '=== xev-listening'
until [ "$(grep -c '^ButtonRelease' /tmp/xev)" -ge 2 ] && grep -q '^KeyRelease' /tmp/xev; do sleep 0.2; done
kill $XEV
echo '--- xev'; grep -A2 -E '^(ButtonPress|KeyPress)' /tmp/xev; echo '=== xev'
until xrandr | grep -qE '^ +800x600 .*\\+'; do sleep 0.5; done
echo '--- xrandr'; xrandr; echo '=== xrandr'
xrandr --output Virtual-1 --auto; echo "auto status $?"
echo '--- xdpyinfo2'; xdpyinfo | grep dimensions; echo '=== xdpyinfo2'
xsetroot -solid '#285577'; echo "xsetroot status $?"
echo '--- solid'; echo '=== solid'
until [ -e /tmp/gamma ]; do sleep 0.2; done
echo '--- gamma'; xrandr --output Virtual-1 --gamma 0.5:1:1; echo "gamma status $?"; echo '=== gamma'
echo '--- shown'; echo '=== shown'
until [ -e /tmp/done ]; do sleep 0.2; done
echo '--- end'; echo '=== end'
`;

/** startx with the stages as its client, and -retro (the root weave) for the server. */
const SCRIPT = `cat >/tmp/stages <<'STAGES'
#!/bin/bash
${STAGES}
STAGES
chmod +x /tmp/stages
startx /tmp/stages -- -retro -noreset -logfile /tmp/Xorg.0.log
echo "startx exit $?"
`;

let host: HTMLElement;
let vm: XVm;
let d: XKmsDisplay;
let out = '';
let run: Promise<{ status: number }>;
let logUrl = '';
let progress: ReturnType<typeof setInterval> | undefined;
/** Progress on the runner's stderr while the file runs (stages take minutes on a loaded machine). */
const log = (msg: string) => { void fetch(logUrl, { method: 'POST', body: `xorg-desktop ${(performance.now() / 1000).toFixed(0)} s: ${msg}` }).catch(() => {}); };

const section = (name: string): string => {
  const m = out.split(`--- ${name}\n`)[1];
  return m === undefined ? '' : m.split(`=== ${name}\n`)[0];
};
/** The script printed stage `name` whole (its lines end with '=== name'). */
const reached = async (name: string, ms = LONG) => {
  await until(() => out.includes(`=== ${name}\n`), () => `stage '${name}' (console tail: ${out.slice(-1500)})`, ms);
  log(`stage ${name}`);
};

function pixels(): Uint8ClampedArray {
  const c = d.canvas;
  return c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
}
const white = (x: number, y: number) => ((ROOT_WEAVE[y & 3] >> (x & 3)) & 1) === 1;
const inCursor = (x: number, y: number) => x >= CURSOR.x && y >= CURSOR.y && x < CURSOR.x + CURSOR.w && y < CURSOR.y + CURSOR.h;

/** Pixels of the canvas (1024x768 RGBA) that differ from the weave outside the cursor's box. */
function weaveMismatches(p: Uint8ClampedArray): { bad: number; first: string } {
  let bad = 0, first = '';
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      if (inCursor(x, y)) continue;
      const o = (y * W + x) * 4, v = white(x, y) ? 255 : 0;
      if (p[o] !== v || p[o + 1] !== v || p[o + 2] !== v || p[o + 3] !== 255) { if (!bad++) first = `(${x},${y}) ${p.slice(o, o + 4).join()}`; }
    }
  }
  return { bad, first };
}

async function reference(): Promise<Uint8ClampedArray> {
  const blob = await (await fetch(new URL('./fixtures/retro.png', import.meta.url))).blob();
  const bmp = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  const c = document.createElement('canvas');
  c.width = bmp.width;
  c.height = bmp.height;
  const ctx = c.getContext('2d')!;
  ctx.drawImage(bmp, 0, 0);
  return ctx.getImageData(0, 0, c.width, c.height).data;
}

describe('Xorg from Debian in a page, on <x-kms-display>', function () {
  this.timeout(LONG);

  before(async function () {
    this.timeout(LONG);
    const env = await loadTestEnv();
    logUrl = env.logUrl;
    let shown = 0;
    progress = setInterval(() => { if (out.length !== shown) { shown = out.length; log(`console tail: ${out.slice(-300).replace(/[A-Za-z0-9+/=]{200,}/g, '[base64]')}`); } }, 30_000);
    const img = await (await fetch(env.desktopImageUrl)).json() as { url?: string; error?: string };
    if (!img.url) throw new Error(`the desktop test image could not be built: ${img.error}`);
    host = document.createElement('div');
    host.style.cssText = 'position: fixed; left: 0; top: 0; width: 512px; height: 384px; margin: 0';
    host.innerHTML = `<x-vm cmd=""><x-disk src="${img.url}" path="/"></x-disk><x-kms-display width="${W}" height="${H}" scale="1:1" style="height: 384px"></x-kms-display></x-vm>`;
    document.body.append(host);
    vm = host.querySelector('x-vm') as XVm;
    d = host.querySelector('x-kms-display') as XKmsDisplay;
    vm.attachConsole({ write: (b) => { out += new TextDecoder().decode(b).replace(/\r/g, ''); } }, 200, 50);
    await Promise.race([nextEvent(d, 'display-ready'), new Promise((_, rej) => setTimeout(() => rej(new Error('no display-ready')), 120_000))]);
    run = vm.run('/bin/bash', ['-c', SCRIPT], { env: ['PATH=/usr/bin:/bin:/usr/sbin', 'HOME=/root', 'DISPLAY=:0', 'LC_ALL=C'], cwd: '/root' });
    run.catch(() => {});
  });

  after(() => { clearInterval(progress); host?.remove(); });

  it('Xorg -retro: the canvas shows the root weave exactly and the X cursor at the centre, as the reference screenshot', async () => {
    await reached('xdpyinfo');
    let last = { bad: -1, first: '' };
    await until(() => { last = d.canvas.width === W ? weaveMismatches(pixels()) : { bad: -1, first: 'size' }; return last.bad === 0; },
      () => `the weave on the canvas (${last.bad} pixels differ, first ${last.first})`, 60_000);
    const ref = await reference();
    // The cursor's box on the canvas equals the reference (screen plus cursor), pixel for pixel.
    let bad = 0, first = '', cursorPixels = 0;
    const p = pixels();
    for (let y = CURSOR.y; y < CURSOR.y + CURSOR.h; y++) {
      for (let x = CURSOR.x; x < CURSOR.x + CURSOR.w; x++) {
        const o = (y * W + x) * 4;
        if (p[o] !== ref[o] || p[o + 1] !== ref[o + 1] || p[o + 2] !== ref[o + 2]) { if (!bad++) first = `(${x},${y}): ${p.slice(o, o + 3).join()} vs ${ref.slice(o, o + 3).join()}`; }
        if ((p[o] === 255) !== white(x, y)) cursorPixels++;
      }
    }
    expect(bad, `pixels in the cursor's box differing from retro.png, first ${first}`).to.equal(0);
    expect(cursorPixels, 'the cursor is drawn (pixels off the weave)').to.be.greaterThan(50);
    expect(weaveMismatches(ref).bad, 'the reference outside the cursor is the weave').to.equal(0);
  });

  it('xdpyinfo reports the 1024x768 screen, 96 dpi, depth 24', async () => {
    await reached('xdpyinfo');
    const info = section('xdpyinfo');
    expect(info).to.match(/dimensions: {4}1024x768 pixels \(270x203 millimeters\)/);
    expect(info).to.match(/resolution: {4}96x96 dots per inch/);
    expect(info).to.match(/depth of root window: {4}24 planes/);
  });

  it('xwd -root in the guest equals the canvas pixels (outside the cursor)', async () => {
    await reached('xwd');
    const bin = atob(section('xwd').trim());
    const xwd = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) xwd[i] = bin.charCodeAt(i);
    const dv = new DataView(xwd.buffer);
    const be = (o: number) => dv.getUint32(o);
    const headerSize = be(0), depth = be(12), w = be(16), h = be(20), byteOrder = be(28), bpp = be(44), bpl = be(48), ncolors = be(76);
    expect([depth, w, h, bpp, byteOrder]).to.deep.equal([24, W, H, 32, 0]);
    const data = xwd.subarray(headerSize + ncolors * 12);
    const p = pixels();
    let bad = 0, first = '';
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        if (inCursor(x, y)) continue;
        // xwd: LSBFirst 32-bit pixels, B G R x; the canvas: R G B A.
        const a = y * bpl + x * 4, b = (y * W + x) * 4;
        if (data[a] !== p[b + 2] || data[a + 1] !== p[b + 1] || data[a + 2] !== p[b]) { if (!bad++) first = `(${x},${y})`; }
      }
    }
    expect(bad, `pixels differing between xwd and the canvas, first ${first}`).to.equal(0);
  });

  it('xev on the root sees clicks at the right pixels at 1:1 and scaled to fit, and a key', async () => {
    await reached('xev-started');
    // xev selects its events after it starts: move until it reports motion.
    const end = performance.now() + LONG;
    for (let i = 0; !out.includes('--- xev-listening'); i++) {
      if (performance.now() > end) throw new Error(`xev never reported the pointer moving (console tail: ${out.slice(-1500)})`);
      await sendMouse({ type: 'move', position: [10 + (i % 2), 10] });
      await new Promise((r) => setTimeout(r, 300));
    }
    // 1:1 (device pixel ratio 1 here): page (101, 51) is screen pixel (101, 51).
    await sendMouse({ type: 'move', position: [101, 51] });
    await sendMouse({ type: 'down', button: 'left' });
    await sendMouse({ type: 'up', button: 'left' });
    // Fit: the 1024x768 screen drawn in the 512x384 element: page (201, 101) is pixel (402, 202).
    d.setAttribute('scale', 'fit');
    await d.updateComplete;
    const r = d.canvas.getBoundingClientRect();
    expect([r.left, r.top, r.width, r.height]).to.deep.equal([0, 0, 512, 384]);
    await sendMouse({ type: 'move', position: [201, 101] });
    await sendMouse({ type: 'down', button: 'right' });
    await sendMouse({ type: 'up', button: 'right' });
    await sendKeys({ press: 'q' });
    await reached('xev');
    const xev = section('xev');
    expect(xev).to.match(/ButtonPress event[^\n]*\n[^\n]*\(101,51\), root:\(101,51\),\n[^\n]*button 1,/);
    expect(xev).to.match(/ButtonPress event[^\n]*\n[^\n]*\(402,202\), root:\(402,202\),\n[^\n]*button 3,/);
    expect(xev).to.match(/KeyPress event[^\n]*\n[^\n]*\n[^\n]*keycode 24 \(keysym 0x71, q\)/);
  });

  it('resizing the element resizes the screen: xrandr offers the new size, --auto switches to it', async () => {
    await reached('xev');
    const resized = nextEvent<{ width: number; height: number; source: string }>(d, 'display-resize');
    d.removeAttribute('width');
    d.removeAttribute('height');
    host.style.width = '800px';
    host.style.height = '600px';
    d.style.height = '600px';
    expect((await resized).detail).to.deep.equal({ width: 800, height: 600, source: 'element' });
    await reached('xdpyinfo2');
    expect(section('xrandr')).to.match(/^ +800x600 +\d+\.\d+ \+$/m);
    expect(section('xrandr')).to.match(/current 1024 x 768/);
    expect(out).to.match(/auto status 0/);
    expect(section('xdpyinfo2')).to.match(/dimensions: {4}800x600 pixels/);
    await until(() => d.canvas.width === 800 && d.canvas.height === 600, () => `the canvas at 800x600 (${d.canvas.width}x${d.canvas.height})`, 60_000);
  });

  it('xrandr --gamma 0.5:1:1 (SETGAMMA) changes the red the canvas shows, not green or blue', async () => {
    await reached('solid');
    const count = (r: number) => {
      const p = pixels();
      let n = 0;
      for (let i = 0; i < p.length; i += 4) if (p[i] === r && p[i + 1] === 0x55 && p[i + 2] === 0x77) n++;
      return n;
    };
    const all = 800 * 600;
    // The root, xsetroot -solid '#285577', drawn as is (the cursor covers a few pixels).
    let n = 0;
    await until(() => (n = count(0x28)) > all - 64 * 64, () => `the solid root on the canvas (${n} pixels of #285577)`, 60_000);
    // Go on: a second program in the machine makes the file the script waits for.
    expect((await vm.run('/bin/sh', ['-c', 'touch /tmp/gamma'])).status).to.equal(0);
    await reached('gamma');
    expect(section('gamma')).to.match(/gamma status 0/);
    // xrandr's ramp for gamma 0.5: red[i] = (i/255)^2 * 65535; the screen shows red[i] >> 8.
    const red = Math.floor(Math.floor(Math.pow(0x28 / 255, 2) * 65535) / 256);
    expect(red).to.equal(6);
    await until(() => (n = count(red)) > all - 64 * 64, () => `the root through the ramp (${n} pixels of red ${red}, ${count(0x28)} still 0x28)`, 60_000);
  });

  it('the X server exits cleanly when its client (startx\'s) ends', async () => {
    await reached('shown');
    expect((await vm.run('/bin/sh', ['-c', 'touch /tmp/done'])).status).to.equal(0);
    await reached('end');
    expect((await run).status).to.equal(0);
    expect(out).to.match(/startx exit 0/);
  });
});
