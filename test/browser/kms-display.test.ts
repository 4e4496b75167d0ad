/**
 * `<x-kms-display>` in real Chromium.
 *
 * Unit part: the element from the built bundle against a fake VmHost (fake-vm.ts) whose
 * `Linux.setKmsCanvas` connects the page's KmsScreen to the worker's real DisplayPort
 * running in a real module Worker (fixtures/display-worker.ts, TEST ONLY: it drives the
 * Display's sink as the DRM device will, until that device merges). Frames, the cursor,
 * coalescing, pointer mapping at 1:1 and scaled, keys and resizes are checked there.
 *
 * Machine part: a real `<x-vm>` booting the Debian test image with an `<x-kms-display>`
 * inside; keys typed into the focused canvas and pointer moves over it are read by the
 * guest from /dev/input/event0 and event1 with coreutils' dd and od.
 */
import { expect } from '@esm-bundle/chai';
import { sendKeys, sendMouse } from '@web/test-runner-commands';
import { FakeVm, provideVm } from './fake-vm.js';
import { loadTestEnv, nextEvent, until } from './helpers.js';
import { KmsScreen } from '../../src/api/kms-screen.js';
import { pattern } from './fixtures/display-worker.js';
import { pixelToAbs } from '../../src/engine/display/input/devices.js';

await import('../../dist/webx86.js' as string);

interface XKmsDisplay extends HTMLElement {
  readonly canvas: HTMLCanvasElement;
  readonly frames: number;
  readonly screenSize: { width: number; height: number } | null;
  readonly updateComplete: Promise<boolean>;
}
interface InputMsg { type: 'input'; device: 'keyboard' | 'pointer'; events: { type: number; code: number; value: number }[] }
type WorkerMsg = InputMsg | { type: 'resized' | 'attached'; width: number; height: number } | { type: 'framed'; sent: number };

const EV_KEY = 1, EV_REL = 2, EV_ABS = 3, BTN_LEFT = 0x110;

/** The fake machine: `ready` resolves to a Linux whose setKmsCanvas talks to the test worker. */
class DisplayVm extends FakeVm {
  readonly worker = new Worker(new URL('./fixtures/display-worker.ts', import.meta.url), { type: 'module' });
  readonly log: WorkerMsg[] = [];
  screen: KmsScreen | null = null;
  private resolveLinux!: (l: unknown) => void;
  override readonly ready = new Promise<never>((r) => { this.resolveLinux = r as (l: unknown) => void; });
  constructor() {
    super();
    this.worker.onmessage = (e) => this.log.push(e.data);
  }
  boot(): void {
    const linux = {
      setKmsCanvas: (canvas: HTMLCanvasElement, width: number, height: number) => {
        if (this.screen && this.screen.canvas === canvas) { this.screen.resize(width, height); return this.screen; }
        this.screen?.close();
        const ch = new MessageChannel();
        this.screen = new KmsScreen(canvas, ch.port1, width, height);
        this.worker.postMessage({ type: 'attach', port: ch.port2, width, height }, [ch.port2]);
        return this.screen;
      },
    };
    this.resolveLinux(linux);
    this.dispatchEvent(new CustomEvent('vm-ready', { detail: { linux } }));
  }
  send(m: unknown): void { this.worker.postMessage(m); }
  inputs(device: 'keyboard' | 'pointer'): InputMsg['events'][] {
    return this.log.filter((m): m is InputMsg => m.type === 'input' && m.device === device).map((m) => m.events);
  }
}

let vm: DisplayVm;
let box: HTMLElement;

function mount(attrs: Record<string, string> = {}): XKmsDisplay {
  const d = document.createElement('x-kms-display') as XKmsDisplay;
  d.style.height = '100%';
  for (const [k, v] of Object.entries(attrs)) d.setAttribute(k, v);
  box.append(d);
  return d;
}

async function attached(d: XKmsDisplay): Promise<void> {
  const ready = nextEvent(d, 'display-ready');
  vm.boot();
  await ready;
  await until(() => vm.log.some((m) => m.type === 'attached'), () => 'the worker to attach');
}

/** RGBA of the canvas's pixel (x, y): what is on screen. */
function pixel(c: HTMLCanvasElement, x: number, y: number): number[] {
  return [...c.getContext('2d')!.getImageData(x, y, 1, 1).data];
}
const rgba = (x: number, y: number, seed: number) => { const [b, g, r] = pattern(x, y, seed); return [r, g, b, 255]; };

async function framesAtLeast(d: XKmsDisplay, n: number): Promise<void> {
  await until(() => d.frames >= n, () => `${n} frames painted (${d.frames})`);
}

beforeEach(() => {
  vm = new DisplayVm();
  box = provideVm(vm).el;
  box.style.cssText = 'position: fixed; left: 0; top: 0; width: 640px; height: 400px; margin: 0';
  document.body.append(box);
});

afterEach(() => {
  box.remove();
  vm.screen?.close();
  vm.worker.terminate();
});

describe('<x-kms-display> with the worker\'s DisplayPort (test worker)', () => {
  it('shows the frames the worker sends, dirty rectangles only, with the cursor composited', async () => {
    const d = mount({ width: '64', height: '48' });
    await attached(d);
    const c = d.canvas;
    vm.send({ type: 'fb', width: 64, height: 48, seed: 7 });
    vm.send({ type: 'frame', width: 64, height: 48, dirty: [{ x: 0, y: 0, w: 64, h: 48 }] });
    await framesAtLeast(d, 1);
    expect([c.width, c.height]).to.deep.equal([64, 48]);
    for (const [x, y] of [[0, 0], [63, 0], [5, 9], [63, 47], [31, 30]]) expect(pixel(c, x, y), `pixel ${x},${y}`).to.deep.equal(rgba(x, y, 7));
    // The guest redraws everything with another pattern but reports one rectangle: only it changes.
    vm.send({ type: 'fb', width: 64, height: 48, seed: 99 });
    vm.send({ type: 'frame', width: 64, height: 48, dirty: [{ x: 8, y: 4, w: 10, h: 6 }] });
    await framesAtLeast(d, 2);
    expect(pixel(c, 8, 4)).to.deep.equal(rgba(8, 4, 99));
    expect(pixel(c, 17, 9)).to.deep.equal(rgba(17, 9, 99));
    expect(pixel(c, 18, 9), 'outside the dirty rectangle').to.deep.equal(rgba(18, 9, 7));
    expect(pixel(c, 7, 4)).to.deep.equal(rgba(7, 4, 7));
    // The cursor: 4x4 opaque red with a half-transparent white first column, hot spot (1, 1).
    vm.send({ type: 'cursor', width: 4, height: 4, hotX: 1, hotY: 1 });
    vm.send({ type: 'cursorMove', x: 31, y: 21 });
    await until(() => pixel(c, 32, 22).join() === '255,0,0,255', () => `the cursor at 32,22 (${pixel(c, 32, 22)})`);
    expect(pixel(c, 33, 23)).to.deep.equal([255, 0, 0, 255]);
    const under = rgba(30, 21, 7); // outside the second frame's rectangle: still the first picture
    const blended = pixel(c, 30, 21); // white at alpha 128 over the screen
    for (let i = 0; i < 3; i++) expect(blended[i]).to.be.closeTo(Math.round(255 * (128 / 255) + under[i] * (1 - 128 / 255)), 2);
    expect(pixel(c, 34, 24), 'past the cursor').to.deep.equal(rgba(34, 24, 7));
    expect(c.style.cursor, 'the host pointer is hidden while the guest shows one').to.equal('none');
    // Moving it puts the screen back where it was.
    vm.send({ type: 'cursorMove', x: 50, y: 40 });
    await until(() => pixel(c, 32, 22).join() === rgba(32, 22, 7).join(), () => 'the screen under the old cursor position');
    expect(pixel(c, 30, 21)).to.deep.equal(rgba(30, 21, 7));
    expect(pixel(c, 50, 40)).to.deep.equal([255, 0, 0, 255]);
    // A frame under the cursor keeps the cursor on top, blended once.
    vm.send({ type: 'frame', width: 64, height: 48, dirty: [{ x: 40, y: 30, w: 20, h: 15 }] });
    await framesAtLeast(d, 3);
    expect(pixel(c, 50, 40)).to.deep.equal([255, 0, 0, 255]);
    const b2 = pixel(c, 49, 40), u2 = rgba(49, 40, 99);
    for (let i = 0; i < 3; i++) expect(b2[i]).to.be.closeTo(Math.round(255 * (128 / 255) + u2[i] * (1 - 128 / 255)), 2);
    vm.send({ type: 'hideCursor' });
    await until(() => pixel(c, 50, 40).join() === rgba(50, 40, 99).join(), () => 'the cursor hidden');
    // Blank: no scanout, black.
    vm.send({ type: 'blank' });
    await until(() => pixel(c, 10, 10).join() === '0,0,0,255', () => 'a black screen after blank');
  });

  it('coalesces a burst of frames to what the page can paint, and ends on the last picture', async () => {
    const d = mount({ width: '64', height: '48' });
    await attached(d);
    vm.send({ type: 'fb', width: 64, height: 48, seed: 1 });
    vm.send({ type: 'frame', width: 64, height: 48, dirty: [{ x: 0, y: 0, w: 64, h: 48 }] });
    await framesAtLeast(d, 1);
    vm.send({ type: 'fb', width: 64, height: 48, seed: 2 });
    vm.send({ type: 'frame', width: 64, height: 48, dirty: [{ x: 0, y: 0, w: 64, h: 48 }], times: 200 });
    await until(() => vm.log.some((m) => m.type === 'framed' && m.sent >= 2), () => 'the burst');
    await until(() => pixel(d.canvas, 40, 40).join() === rgba(40, 40, 2).join(), () => 'the last picture');
    const sent = (vm.log.filter((m) => m.type === 'framed').pop() as { sent: number }).sent;
    // The worker sends MAX_IN_FLIGHT (3) frames at once, then one that holds the rest of the burst.
    expect(sent, '200 guest frames cross as at most a few page frames').to.be.at.most(4);
  });

  it('maps pointer clicks to screen pixels when scaled to fit and at 1:1', async () => {
    const d = mount({ width: '320', height: '200' });
    await attached(d);
    await d.updateComplete;
    const r = d.canvas.getBoundingClientRect();
    expect([r.left, r.top, r.width, r.height], 'fit: 320x200 drawn at 640x400').to.deep.equal([0, 0, 640, 400]);
    await sendMouse({ type: 'move', position: [101, 51] });
    await sendMouse({ type: 'down', button: 'left' });
    await sendMouse({ type: 'up', button: 'left' });
    await until(() => vm.inputs('pointer').some((e) => e.some((x) => x.type === EV_KEY && x.value === 0)), () => 'the button release');
    const press = vm.inputs('pointer').find((e) => e.some((x) => x.type === EV_KEY && x.value === 1))!;
    expect(press).to.deep.equal([{ type: EV_ABS, code: 0, value: 50 }, { type: EV_ABS, code: 1, value: 25 }, { type: EV_KEY, code: BTN_LEFT, value: 1 }]);
    expect(document.activeElement, 'a click focuses the screen').to.equal(box.querySelector('x-kms-display'));
    // 1:1: the same click lands on pixel (101, 51).
    vm.log.length = 0;
    d.setAttribute('scale', '1:1');
    await d.updateComplete;
    const r1 = d.canvas.getBoundingClientRect();
    expect([r1.left, r1.top, r1.width, r1.height]).to.deep.equal([0, 0, 320 / devicePixelRatio, 200 / devicePixelRatio]);
    await sendMouse({ type: 'move', position: [102, 52] });
    await sendMouse({ type: 'down', button: 'right' });
    await sendMouse({ type: 'up', button: 'right' });
    await until(() => vm.inputs('pointer').some((e) => e.some((x) => x.type === EV_KEY && x.value === 0)), () => 'the right button release');
    const right = vm.inputs('pointer').find((e) => e.some((x) => x.type === EV_KEY && x.value === 1))!;
    expect(right).to.deep.equal([{ type: EV_ABS, code: 0, value: Math.floor(102 * devicePixelRatio) }, { type: EV_ABS, code: 1, value: Math.floor(52 * devicePixelRatio) }, { type: EV_KEY, code: 0x111, value: 1 }]);
    // The wheel: one notch down is REL_WHEEL -1.
    d.canvas.dispatchEvent(new WheelEvent('wheel', { deltaY: 100, deltaMode: 0, bubbles: true, cancelable: true }));
    await until(() => vm.inputs('pointer').some((e) => e.some((x) => x.type === EV_REL)), () => 'the wheel');
    expect(vm.inputs('pointer').find((e) => e.some((x) => x.type === EV_REL))).to.deep.equal([{ type: EV_REL, code: 8, value: -1 }]);
  });

  it('sends keys by physical code while focused, drops the browser\'s repeats, releases held keys on blur', async () => {
    const d = mount();
    await attached(d);
    d.focus();
    await sendKeys({ press: 'a' });
    await sendKeys({ press: 'Enter' });
    await until(() => vm.inputs('keyboard').length >= 4, () => 'four key events');
    expect(vm.inputs('keyboard').slice(0, 4)).to.deep.equal([
      [{ type: EV_KEY, code: 30, value: 1 }], [{ type: EV_KEY, code: 30, value: 0 }],
      [{ type: EV_KEY, code: 28, value: 1 }], [{ type: EV_KEY, code: 28, value: 0 }],
    ]);
    vm.log.length = 0;
    d.canvas.dispatchEvent(new KeyboardEvent('keydown', { code: 'KeyB', key: 'b', repeat: true, bubbles: true, cancelable: true }));
    await sendKeys({ down: 'Shift' });
    await until(() => vm.inputs('keyboard').length >= 1, () => 'Shift down');
    expect(vm.inputs('keyboard'), 'the repeat was not sent').to.deep.equal([[{ type: EV_KEY, code: 42, value: 1 }]]);
    d.canvas.blur();
    await until(() => vm.inputs('keyboard').length >= 2, () => 'Shift released on blur');
    expect(vm.inputs('keyboard')[1]).to.deep.equal([{ type: EV_KEY, code: 42, value: 0 }]);
    await sendKeys({ up: 'Shift' });
  });

  it('asks the machine for its size, and for a new one when the element is resized', async () => {
    box.style.width = '400px';
    box.style.height = '300px';
    const d = mount();
    const ready = nextEvent<{ width: number; height: number }>(d, 'display-ready');
    vm.boot();
    expect((await ready).detail).to.deep.equal({ width: 400, height: 300 });
    await until(() => vm.log.some((m) => m.type === 'attached'), () => 'attach');
    expect(vm.log.find((m) => m.type === 'attached')).to.deep.equal({ type: 'attached', width: 400, height: 300 });
    const resized = nextEvent<{ width: number; height: number; source: string }>(d, 'display-resize');
    box.style.width = '500px';
    box.style.height = '250px';
    expect((await resized).detail).to.deep.equal({ width: 500, height: 250, source: 'element' });
    await until(() => vm.log.some((m) => m.type === 'resized'), () => 'Display.resize in the worker');
    expect(vm.log.find((m) => m.type === 'resized')).to.deep.equal({ type: 'resized', width: 500, height: 250 });
    // The guest drawing at the new size is announced too, and the canvas follows it.
    const guest = nextEvent<{ width: number; height: number; source: string }>(d, 'display-resize');
    vm.send({ type: 'fb', width: 500, height: 250, seed: 3 });
    vm.send({ type: 'frame', width: 500, height: 250, dirty: [{ x: 0, y: 0, w: 500, h: 250 }] });
    expect((await guest).detail).to.deep.equal({ width: 500, height: 250, source: 'guest' });
    expect(d.screenSize).to.deep.equal({ width: 500, height: 250 });
  });
});

describe('<x-kms-display> in a real <x-vm>', () => {
  it('keys typed into the canvas and pointer moves over it reach the guest\'s /dev/input/event0 and event1', async () => {
    const env = await loadTestEnv();
    box.remove();
    const host = document.createElement('div');
    host.style.cssText = 'position: fixed; left: 0; top: 0; width: 640px; height: 400px';
    host.innerHTML = `<x-vm cmd=""><x-disk src="${env.image}" path="/"></x-disk><x-kms-display width="320" height="200" style="height: 400px"></x-kms-display></x-vm>`;
    document.body.append(host);
    try {
      const xvm = host.querySelector('x-vm') as HTMLElement & { ready: Promise<unknown>; run(p: string, a: string[]): Promise<{ status: number }>; attachConsole(s: { write(b: Uint8Array): void }, c: number, r: number): unknown };
      const d = host.querySelector('x-kms-display') as XKmsDisplay;
      let out = '';
      xvm.attachConsole({ write: (b) => { out += new TextDecoder().decode(b); } }, 200, 50);
      await Promise.race([nextEvent(d, 'display-ready'), new Promise((_, rej) => setTimeout(() => rej(new Error('no display-ready')), 60_000))]);
      // The guest reads 4 events (key down, report, key up, report) from the keyboard.
      const keys = xvm.run('/bin/sh', ['-c', 'exec 3</dev/input/event0; echo reading-keys; dd bs=16 count=4 status=none <&3 | od -An -tu2 -w16 -v; echo keys-done']);
      await until(() => out.includes('reading-keys'), () => `the guest reading (console: ${out})`, 30_000);
      // The shell opened the device before echoing: from here on its queue keeps what we type.
      d.focus();
      await sendKeys({ press: 'q' });
      await until(() => out.includes('keys-done'), () => `the guest to read the keys (${out})`, 30_000);
      expect((await keys).status).to.equal(0);
      await until(() => out.includes('keys-done'), () => `the guest's output (${out})`);
      // od's u16 columns: sec, sec, usec, usec, type, code, value (low, high).
      const rows = out.split('keys-done')[0].trim().split('\n').filter((l) => /^\s*\d/.test(l)).map((l) => l.trim().split(/\s+/).slice(4).join(' '));
      expect(rows).to.deep.equal(['1 16 1 0', '0 0 0 0', '1 16 0 0', '0 0 0 0']); // KEY_Q = 16
      // The pointer: a move is ABS_X, ABS_Y and a report, in the device's 0..32767 units.
      for (const [scale, x, y, px, py] of [['fit', 101, 51, 50, 25], ['1:1', 61, 33, 61, 33]] as const) {
        d.setAttribute('scale', scale);
        await d.updateComplete;
        out = '';
        const moves = xvm.run('/bin/sh', ['-c', 'exec 3</dev/input/event1; echo reading-pointer; dd bs=16 count=3 status=none <&3 | od -An -tu2 -w16 -v; echo pointer-done']);
        await until(() => out.includes('reading-pointer'), () => `the guest reading the pointer (${out})`, 30_000);
        await sendMouse({ type: 'move', position: [x, y] });
        await until(() => out.includes('pointer-done'), () => `the guest to read the pointer (${out})`, 30_000);
        expect((await moves).status).to.equal(0);
        await until(() => out.includes('pointer-done'), () => `the guest's pointer output (${out})`);
        const prow = out.split('pointer-done')[0].trim().split('\n').filter((l) => /^\s*\d/.test(l)).map((l) => l.trim().split(/\s+/).slice(4).map(Number));
        const v = (r: number[]) => r[2] + r[3] * 65536;
        expect(prow.map((r) => [r[0], r[1]]), scale).to.deep.equal([[EV_ABS, 0], [EV_ABS, 1], [0, 0]]);
        expect([v(prow[0]), v(prow[1])], `${scale}: pixel (${px}, ${py}) of 320x200`).to.deep.equal([pixelToAbs(px, 320), pixelToAbs(py, 200)]);
      }
    } finally {
      host.remove();
    }
  });
});
