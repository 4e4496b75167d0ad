import { html, nothing } from 'lit';
import { ContextProvider } from '@lit/context';
import type { Meta, StoryObj } from '@storybook/web-components-vite';
import '../src/webx86.js';
import { vmContext, type VmHost, type VmStatus } from '../src/elements/context.js';
import type { Linux } from '../src/api/linux.js';
import { KmsScreen } from '../src/api/kms-screen.js';
import { Display } from '../src/engine/display/display.js';
import { DisplayPort } from '../src/host/worker/display-port.js';
import { frame } from './support.js';

/** Served from .cache/images by the dev server: `webx86 image --preset desktop --out .cache/images/desktop.ext2`. */
const DESKTOP_IMAGE = '/images/desktop.ext2';

interface DisplayArgs {
  image: string;
  width: number | undefined;
  height: number | undefined;
  scale: 'fit' | '1:1';
  'pointer-lock': boolean;
  '--x-kms-display-background': string;
  '--x-kms-display-focus-ring': string;
}

/**
 * A stand-in `<x-vm>` whose display is drawn in the page: the worker's DisplayPort on a
 * Display, fed a test card at whatever size the element asks for, so sizes, scaling and the
 * focus ring can be looked at without booting Xorg. Keys and clicks are shown under it.
 */
class StoryDisplayVm extends HTMLElement implements VmHost {
  status: VmStatus = {
    phase: 'running', message: '', bytesDownloaded: 0, requests: 0, inFlight: 0, cacheHits: 0, cacheMisses: 0,
    cpu: 'ready', disk: 'ready', latencyMs: null, error: null, exitStatus: null,
  };
  readonly ready: Promise<Linux>;
  private screen: KmsScreen | null = null;
  constructor() {
    super();
    new ContextProvider(this, { context: vmContext, initialValue: this });
    const display = new Display();
    const log = (what: string) => { const p = this.querySelector('output'); if (p) p.textContent = what; };
    display.input = {
      keyboard: (ev) => log(`keyboard: ${ev.map((e) => `KEY ${e.code} ${e.value ? 'down' : 'up'}`).join(', ')}`),
      pointer: (ev) => log(`pointer: ${ev.map((e) => `${e.type}/${e.code}=${e.value}`).join(' ')}`),
    };
    const draw = () => {
      const { width: w, height: h } = display;
      const px = new Uint8Array(w * h * 4);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
        const edge = x === 0 || y === 0 || x === w - 1 || y === h - 1 || (x % 64 === 0) || (y % 64 === 0);
        px.set(edge ? [255, 255, 255, 0] : [(x * 255) / w, (y * 255) / h, 128, 0], (y * w + x) * 4);
      }
      display.sink?.frame(w, h, w * 4, px, [{ x: 0, y: 0, w, h }]);
    };
    display.onResize(draw);
    const linux = {
      setKmsCanvas: (canvas: HTMLCanvasElement, width: number, height: number) => {
        if (this.screen?.canvas === canvas) { this.screen.resize(width, height); return this.screen; }
        const ch = new MessageChannel();
        this.screen = new KmsScreen(canvas, ch.port1, width, height);
        display.resize(width, height);
        new DisplayPort(display, ch.port2);
        draw();
        return this.screen;
      },
    } as unknown as Linux;
    this.ready = Promise.resolve(linux);
  }
  attachConsole() { return null; }
  openTerminal(): never { throw new Error('the story VM runs nothing'); }
}
if (!customElements.get('story-display-vm')) customElements.define('story-display-vm', StoryDisplayVm);

/**
 * `<x-kms-display>`: the `<x-vm>`'s screen. Xorg's modesetting driver draws into the
 * machine's KMS device and the picture shows in a canvas; keys (while focused) and the
 * pointer go to the machine's /dev/input devices. The size follows the element, or is fixed
 * by `width`/`height` and scaled (`scale`).
 */
const meta: Meta<DisplayArgs> = {
  title: 'Elements/x-kms-display',
  component: 'x-kms-display',
  args: { image: DESKTOP_IMAGE, width: undefined, height: undefined, scale: 'fit', 'pointer-lock': false, '--x-kms-display-background': '#000000', '--x-kms-display-focus-ring': '2px solid #4c8dff' },
  argTypes: {
    image: { name: 'image (x-disk src)', control: 'text', description: 'A desktop image: `webx86 image --preset desktop --out .cache/images/desktop.ext2`.' },
    scale: { control: 'inline-radio', options: ['fit', '1:1'] },
    '--x-kms-display-background': { control: 'color' },
  },
  render: (a) => html`
    <x-vm style=${frame} cmd="/usr/bin/xinit" args="/root/.xinitrc -- /usr/lib/xorg/Xorg :0 -nolisten tcp" env="HOME=/root" restart>
      <x-disk src=${a.image} path="/"></x-disk>
      <x-vm-status compact></x-vm-status>
      <x-kms-display style="flex:1 1 0;height:auto;--x-kms-display-background:${a['--x-kms-display-background']};--x-kms-display-focus-ring:${a['--x-kms-display-focus-ring']}"
        width=${a.width || nothing} height=${a.height || nothing} scale=${a.scale} ?pointer-lock=${a['pointer-lock']}></x-kms-display>
    </x-vm>`,
};
export default meta;
type Story = StoryObj<DisplayArgs>;

/** Xorg, xterm and i3 from the desktop image (`xinit`: .xinitrc starts i3, which starts an xterm). */
export const Desktop: Story = {};

/** A fixed 1024x768 screen scaled to fit the element. */
export const Fixed1024x768: Story = { args: { width: 1024, height: 768 } };

/** A test card drawn in the page (no machine): resize the canvas, switch `scale`, click and type to see the input events. */
export const TestCard: Story = {
  render: (a) => html`
    <story-display-vm style=${frame}>
      <x-kms-display style="flex:1 1 0;height:auto;--x-kms-display-background:${a['--x-kms-display-background']};--x-kms-display-focus-ring:${a['--x-kms-display-focus-ring']}"
        width=${a.width || nothing} height=${a.height || nothing} scale=${a.scale} ?pointer-lock=${a['pointer-lock']}></x-kms-display>
      <output style="font:12px monospace">click or type in the screen</output>
    </story-display-vm>`,
};
