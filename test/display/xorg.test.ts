/**
 * Unmodified Xorg 21.1.7 (Debian bookworm i386, modesetting driver) against the engine's
 * /dev/dri/card0, in Node: the frames the display sink receives, read back by X clients
 * (xdpyinfo, xrandr, xwd), and a hotplug resize. One X server run serves all the checks
 * (its startup is the slow part); each test() checks one thing it recorded. -noreset keeps
 * the first picture and cursor through the clients' comings and goings (without it the
 * server resets when its last client leaves).
 *
 * The expected picture is the reference's: shared/reference/kms/retro.png is the scanout of
 * `Xorg -retro` on a 1024x768 device emulated at the ioctl boundary, with the 64x64 cursor
 * image blended in at its top-left (505,377). The weave is dix/window.c's root tile
 * (_back_lsb = 0x88, 0x22, 0x44, 0x11: white where bit x of row y & 3 is set).
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { createMachine } from '../../src/engine/machine.js';
import { HostFs } from '../../src/host/node/hostfs.js';
import { CaptureFile, InputFile, envJit } from '../support/guest.js';
import { ScreenSink } from './screen-sink.js';
import { XORG_CONF, xorgRoot } from './xorg-root.js';


const REF = '/work/shared/reference/kms/retro.png';
/** dix/window.c _back_lsb: the -retro root tile, one byte per row, bit x set = white. */
const ROOT_WEAVE = [0x88, 0x22, 0x44, 0x11];

let root = '';
let skip: string | false = false;
const sink = new ScreenSink();
let out = '';
let errText = '';
let xwd: Buffer | null = null;
let retroScreen: Uint8Array | null = null;
let retroCursor: ScreenSink['cursorImage'] = null;
let retroCursorPos: [number, number] | null = null;
let cpuMs = 0;
const internalErrors: string[] = [];

/** Print each section between markers so the test can pick them apart. */
const SCRIPT = `
X=/usr/lib/xorg/Xorg
$X :0 -retro -noreset -nolisten tcp -logfile /tmp/Xorg.0.log &
XPID=$!
for i in $(seq 600); do xdpyinfo -display :0 >/tmp/info 2>/dev/null && break; sleep 0.2; done
echo '--- xdpyinfo'; cat /tmp/info
echo '--- xwd'; xwd -root -display :0 -silent | base64 -w0; echo
xev -root -event randr -display :0 >/tmp/xev 2>&1 &
XEV=$!
# xev is listening once it holds its X connection (a socket); then let it select its events.
for i in $(seq 300); do ls -l /proc/$XEV/fd 2>/dev/null | grep -q socket && break; sleep 0.2; done; sleep 1
echo '--- resize'; while [ ! -e /tmp/resized ]; do sleep 0.2; done
for i in $(seq 300); do grep -q RRScreenChangeNotify /tmp/xev && break; sleep 0.2; done; sleep 0.5
echo '--- xev'; cat /tmp/xev; kill $XEV
echo '--- xrandr'; xrandr -display :0
echo '--- auto'; xrandr -display :0 --output Virtual-1 --auto; echo "status $?"
echo '--- xdpyinfo2'; xdpyinfo -display :0 | grep dimensions
echo '--- log'; cat /tmp/Xorg.0.log
kill $XPID; wait $XPID; echo "xorg exit $?"
`;

const section = (name: string): string => {
  const m = out.split(`--- ${name}\n`)[1];
  return m === undefined ? '' : m.split('\n--- ')[0];
};

before(async () => {
  try {
    root = xorgRoot();
  } catch (e) {
    skip = `Debian i386 packages could not be downloaded: ${(e as Error).message.split('\n')[0]}`;
    return;
  }
  mkdirSync(join(root, 'etc/X11'), { recursive: true });
  const tmp = join(root, `etc/X11/.xorg.conf.${process.pid}`);
  writeFileSync(tmp, XORG_CONF);
  renameSync(tmp, join(root, 'etc/X11/xorg.conf'));

  const m = await createMachine({
    root: new HostFs(root), display: { width: 1024, height: 768 }, jit: envJit(),
    debug: (w) => { if (w.includes('internal error')) internalErrors.push(w); },
  });
  const display = m.kernel.display!;
  display.sink = sink;
  const o = new CaptureFile(), e = new CaptureFile();
  // When the script reaches '--- resize' (the screen is painted and xwd has read it), keep a
  // copy of the picture, then resize the host display (a hotplug) and tell the script.
  const poll = setInterval(() => {
    if (!o.text().includes('--- resize')) return;
    clearInterval(poll);
    retroScreen = sink.screen.slice();
    retroCursor = sink.cursorImage;
    retroCursorPos = sink.cursorPos;
    display.resize(1280, 800);
    void m.kernel.vfs.writeFile('/tmp/resized', new Uint8Array(0), 0o644);
  }, 50);
  const p = await m.kernel.spawn('/bin/bash', {
    argv: ['bash', '-c', SCRIPT], env: ['PATH=/usr/bin:/bin', 'HOME=/root', 'LC_ALL=C'], cwd: '/',
    stdio: [new InputFile(new Uint8Array()), o, e],
  });
  assert.notEqual(typeof p, 'number', `spawn: ${p}`);
  const cpu0 = process.cpuUsage();
  await m.kernel.sched.run();
  clearInterval(poll);
  const cpu = process.cpuUsage(cpu0);
  cpuMs = (cpu.user + cpu.system) / 1000;
  out = o.text();
  errText = e.text();
  const b64 = section('xwd').trim();
  xwd = b64 ? Buffer.from(b64, 'base64') : null;
});

/** Decode the reference PNG (8-bit RGB, non-interlaced) into rows of R,G,B. */
function readPng(path: string): { w: number; h: number; rgb: Uint8Array } {
  const b = readFileSync(path);
  let o = 8, w = 0, h = 0;
  const idat: Buffer[] = [];
  while (o < b.length) {
    const len = b.readUInt32BE(o), type = b.toString('ascii', o + 4, o + 8), d = b.subarray(o + 8, o + 8 + len);
    if (type === 'IHDR') { w = d.readUInt32BE(0); h = d.readUInt32BE(4); assert.equal(d[8], 8); assert.equal(d[9], 2); }
    if (type === 'IDAT') idat.push(d);
    o += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = w * 3, rgb = new Uint8Array(h * stride);
  let p = 0;
  for (let y = 0; y < h; y++) {
    const f = raw[p++];
    for (let x = 0; x < stride; x++) {
      const a = x >= 3 ? rgb[y * stride + x - 3] : 0, up = y ? rgb[(y - 1) * stride + x] : 0, c = x >= 3 && y ? rgb[(y - 1) * stride + x - 3] : 0;
      let v = raw[p++];
      if (f === 1) v += a; else if (f === 2) v += up; else if (f === 3) v += (a + up) >> 1;
      else if (f === 4) { const pa = Math.abs(up - c), pb = Math.abs(a - c), pc = Math.abs(a + up - 2 * c); v += pa <= pb && pa <= pc ? a : pb <= pc ? up : c; }
      rgb[y * stride + x] = v & 255;
    }
  }
  return { w, h, rgb };
}

test('Xorg -retro: the sink shows the root weave, exactly, on the whole 1024x768 screen', (t) => {
  if (skip) return t.skip(skip);
  assert.ok(retroScreen, `no picture before the resize; stderr: ${errText}\n${section('log')}`);
  t.diagnostic(`X server run: ${(cpuMs / 1000).toFixed(1)} s engine CPU (user+sys), ${sink.frames} frames`);
  assert.equal(sink.sizes[0], '1024x768');
  let bad = 0, first = '';
  for (let y = 0; y < 768; y++) {
    for (let x = 0; x < 1024; x++) {
      const white = ((ROOT_WEAVE[y & 3] >> (x & 3)) & 1) === 1;
      const o = (y * 1024 + x) * 4;
      const ok = white ? retroScreen![o] === 255 && retroScreen![o + 1] === 255 && retroScreen![o + 2] === 255
        : retroScreen![o] === 0 && retroScreen![o + 1] === 0 && retroScreen![o + 2] === 0;
      if (!ok && !bad++) first = `(${x},${y})`;
    }
  }
  assert.equal(bad, 0, `${bad} pixels differ from the weave, first at ${first}`);
});

test('Xorg -retro: the cursor plane has the X cursor at the screen centre, and screen+cursor equal the reference screenshot', (t) => {
  if (skip) return t.skip(skip);
  assert.ok(retroScreen && retroCursor && retroCursorPos, 'no cursor');
  const c = retroCursor!;
  assert.deepEqual([c.width, c.height, c.hotX, c.hotY], [64, 64, 7, 7]);
  // Hotspot position: the centre of the screen (top-left 505,377 as the reference's trace has it).
  assert.deepEqual(retroCursorPos, [512, 384]);
  const ref = readPng(REF);
  assert.deepEqual([ref.w, ref.h], [1024, 768]);
  const [cx, cy] = [retroCursorPos![0] - c.hotX, retroCursorPos![1] - c.hotY];
  let bad = 0, first = '';
  for (let y = 0; y < 768; y++) {
    for (let x = 0; x < 1024; x++) {
      const o = (y * 1024 + x) * 4;
      let r = retroScreen![o + 2], g = retroScreen![o + 1], b = retroScreen![o];
      const ix = x - cx, iy = y - cy;
      if (ix >= 0 && iy >= 0 && ix < c.width && iy < c.height) {
        const q = (iy * c.width + ix) * 4, a = c.pixels[q + 3];
        // X core cursors are fully opaque or fully transparent: blending needs no rounding rule.
        if (a === 255) { r = c.pixels[q + 2]; g = c.pixels[q + 1]; b = c.pixels[q]; }
        else assert.equal(a, 0, `cursor alpha ${a} at ${ix},${iy}`);
      }
      const p = (y * 1024 + x) * 3;
      if ((r !== ref.rgb[p] || g !== ref.rgb[p + 1] || b !== ref.rgb[p + 2]) && !bad++) first = `(${x},${y}): ${r},${g},${b} vs ${ref.rgb.subarray(p, p + 3).join(',')}`;
    }
  }
  assert.equal(bad, 0, `${bad} pixels differ from retro.png, first ${first}`);
});

test('xdpyinfo reports the 1024x768 screen at 96 dpi, depth 24', (t) => {
  if (skip) return t.skip(skip);
  const info = section('xdpyinfo');
  assert.match(info, /dimensions: {4}1024x768 pixels \(270x203 millimeters\)/, info || errText);
  assert.match(info, /resolution: {4}96x96 dots per inch/);
  assert.match(info, /depth of root window: {4}24 planes/);
});

test('xwd -root gives the same pixels as the sink', (t) => {
  if (skip) return t.skip(skip);
  assert.ok(xwd && retroScreen, 'no xwd output');
  const be = (o: number) => xwd!.readUInt32BE(o);
  const headerSize = be(0), depth = be(12), w = be(16), h = be(20), byteOrder = be(28), bpp = be(44), bpl = be(48), ncolors = be(76);
  assert.deepEqual([depth, w, h, bpp, byteOrder], [24, 1024, 768, 32, 0]);
  const data = xwd!.subarray(headerSize + ncolors * 12);
  let bad = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const a = y * bpl + x * 4, b = (y * 1024 + x) * 4;
      if (data[a] !== retroScreen![b] || data[a + 1] !== retroScreen![b + 1] || data[a + 2] !== retroScreen![b + 2]) bad++;
    }
  }
  assert.equal(bad, 0, `${bad} pixels differ between xwd and the sink`);
});

test('a resize of the host display is a hotplug: xrandr lists the new preferred mode and --auto switches to it', (t) => {
  if (skip) return t.skip(skip);
  const xr = section('xrandr');
  // The current mode stays until a client sets one; the new size is offered, preferred (+).
  assert.match(xr, /Screen 0: minimum \d+ x \d+, current 1024 x 768/, xr || errText);
  assert.match(xr, /Virtual-1 connected primary 1024x768\+0\+0/);
  assert.match(xr, /^ {3}1280x800 +\d+\.\d+ \+$/m, xr);
  assert.match(xr, /^ {3}1024x768 +\d+\.\d+\*/m);
  assert.match(section('auto'), /status 0/, section('auto'));
  assert.match(section('xdpyinfo2'), /dimensions: {4}1280x800 pixels/, section('xdpyinfo2'));
  // Xorg scanned out a new 1280x800 buffer.
  assert.deepEqual(sink.sizes.slice(0, 2), ['1024x768', '1280x800'], sink.sizes.join());
  assert.equal(sink.rgb(1279, 799).join(), sink.rgb(1275, 795).join());
  // Xorg heard the uevent (modesetting's libudev monitor, group 2) and told RandR clients at
  // once: xev saw the notifications before any client asked for the screen resources.
  assert.match(section('xev'), /RRScreenChangeNotify event/, section('xev'));
  assert.match(section('xev'), /RRNotify event/);
  assert.match(out, /xorg exit 0/);
});

test('closing the device at Xorg exit blanks the display; no system call failed inside the engine', (t) => {
  if (skip) return t.skip(skip);
  assert.deepEqual(internalErrors, []);
  assert.ok(sink.blanks >= 1, 'no blank after the X server exited');
});
