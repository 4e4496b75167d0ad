/**
 * `<x-kms-display>`: the screen of the `<x-vm>` around it. The machine's KMS display
 * (/dev/dri/card0, what Xorg's modesetting driver draws into) is shown in a canvas, and the
 * canvas's keyboard and pointer are the machine's /dev/input/event0 and event1.
 */
import { LitElement, css, html, type PropertyValues } from 'lit';
import { property, state } from 'lit/decorators.js';
import type { Linux } from '../api/linux.js';
import type { KmsScreen } from '../api/kms-screen.js';
import type { VmHost } from './context.js';
import { VmConsumer } from './vm-consumer.js';
import { define } from './define.js';
import { emit } from './events.js';

export type { DisplayReadyDetail, DisplayResizeDetail } from './events.js';

/** Element size changes settle this long before the machine is asked for a new screen (each one is a hotplug for X). */
const RESIZE_SETTLE_MS = 120;

/**
 * The display of the Linux machine of the enclosing `<x-vm>`: what the guest's Xorg draws
 * (through the KMS device, as CheerpX's `setKmsCanvas`), with the guest's cursor, in a
 * canvas that takes the keyboard while focused and the pointer while over it.
 *
 * The screen's size follows the element's (CSS size, in CSS pixels; in device pixels with
 * `scale="1:1"`), or is fixed by `width` and `height`. Each change of the element's size asks
 * the machine for a new screen size, which the guest's X follows (RandR).
 *
 * @summary The screen of the `<x-vm>`: a canvas Xorg draws into, with keyboard and pointer.
 * @tag x-kms-display
 * @fires {DisplayReadyEvent} display-ready - The canvas became the machine's display. detail: `{ width, height }`, the screen size asked for.
 * @fires {DisplayResizeEvent} display-resize - The screen size changed: asked of the machine (`source: 'element'`) or drawn by the guest at a new size (`source: 'guest'`). detail: `{ width, height, source }`.
 * @slot idle - Shown over the screen until the guest draws (default: "No picture yet").
 *
 * @csspart screen - The canvas.
 * @csspart idle - The box around the idle message.
 *
 * @cssprop [--x-kms-display-height=30rem] - Height when the element's height is not set otherwise.
 * @cssprop [--x-kms-display-background=#000] - Around the screen when it does not fill the element.
 * @cssprop [--x-kms-display-focus-ring=2px solid #4c8dff] - Outline while focused (typing goes to the guest); `none` hides it.
 * @cssprop [--x-kms-display-border-radius=4px] - Corners.
 * @cssprop [--x-kms-display-idle-color=#aaa] - The idle message's colour.
 */
export class XKmsDisplay extends LitElement {
  static override shadowRootOptions: ShadowRootInit = { ...LitElement.shadowRootOptions, delegatesFocus: true };

  static override styles = css`
    :host {
      display: block;
      position: relative;
      box-sizing: border-box;
      height: var(--x-kms-display-height, 30rem);
      overflow: hidden;
      border-radius: var(--x-kms-display-border-radius, 4px);
      background: var(--x-kms-display-background, #000);
      -webkit-tap-highlight-color: transparent;
    }
    :host([hidden]) {
      display: none;
    }
    :host(:focus-within) {
      outline: var(--x-kms-display-focus-ring, 2px solid #4c8dff);
      outline-offset: -2px;
    }
    .frame {
      position: absolute;
      inset: 0;
      display: flex;
      align-items: center;
      justify-content: center;
    }
    :host([scale='1:1']) .frame {
      align-items: flex-start;
      justify-content: flex-start;
      overflow: auto;
    }
    canvas {
      display: block;
      flex: none;
      outline: none;
      image-rendering: auto;
      touch-action: none;
    }
    :host([scale='1:1']) canvas {
      image-rendering: pixelated;
    }
    .idle {
      position: absolute;
      inset: 0;
      display: flex;
      align-items: center;
      justify-content: center;
      color: var(--x-kms-display-idle-color, #aaa);
      font: 14px/1.4 system-ui, sans-serif;
      pointer-events: none;
    }
  `;

  /** Fixed screen width in pixels (with `height`); without both, the screen follows the element's size. */
  @property({ type: Number }) accessor width: number | undefined;
  /** Fixed screen height in pixels (with `width`). */
  @property({ type: Number }) accessor height: number | undefined;
  /** `fit`: the screen is drawn as large as fits, keeping its shape. `1:1`: one screen pixel per device pixel, scrolling when larger. */
  @property({ type: String }) accessor scale: string = 'fit';
  /** Clicking locks the pointer to the screen (relative motion, as games want); Escape unlocks. */
  @property({ type: Boolean, attribute: 'pointer-lock' }) accessor pointerLock: boolean = false;
  /** Accessible name of the screen (default: the `aria-label` attribute, else "Linux display"). */
  @property({ type: String }) accessor label: string | undefined;
  /** Nothing drawn yet: the idle message shows. */
  @state() private accessor idleShown = true;

  private readonly vmc = new VmConsumer(this, (vm, old) => this.vmChanged(vm, old));
  private screen: KmsScreen | null = null;
  private linux: Linux | null = null;
  private resizeObserver: ResizeObserver | undefined;
  private settleTimer: ReturnType<typeof setTimeout> | undefined;
  /** The screen size last asked of the machine. */
  private asked: { width: number; height: number } | null = null;
  private dprQuery: MediaQueryList | null = null;

  private setIdle(idle: boolean): void {
    this.idleShown = idle;
  }

  // ---- public API ----

  /** The canvas that shows the screen (its size in pixels is the screen's). */
  get canvas(): HTMLCanvasElement | null {
    return this.renderRoot.querySelector('canvas');
  }

  /** The screen's size as the guest draws it now (or as asked, before it draws); null before the display is attached. */
  get screenSize(): { width: number; height: number } | null {
    return this.screen ? { width: this.screen.width, height: this.screen.height } : null;
  }

  /** Frames painted so far. */
  get frames(): number {
    return this.screen?.frames ?? 0;
  }

  /** The page's end of the display (JS API `KmsScreen`), or null before it is attached. */
  get kms(): KmsScreen | null {
    return this.screen;
  }

  /** The screen size this element asks the machine for now: `width`x`height`, else from its own size. */
  wantedScreenSize(): { width: number; height: number } {
    return this.wantedSize();
  }

  override focus(options?: FocusOptions): void {
    const c = this.canvas;
    if (c) c.focus(options);
    else super.focus(options);
  }

  // ---- lifecycle ----

  override render() {
    return html`<div class="frame">
        <canvas part="screen" tabindex="0" role="application" aria-roledescription="Linux display"
          aria-label=${this.label ?? this.getAttribute('aria-label') ?? 'Linux display'}
          @pointerdown=${this.onPointerDown}></canvas>
      </div>
      ${this.idleShown ? html`<div class="idle" part="idle"><slot name="idle">No picture yet</slot></div>` : null}`;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.resizeObserver ??= new ResizeObserver(() => this.layout());
    this.resizeObserver.observe(this);
    this.watchPixelRatio();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resizeObserver?.disconnect();
    this.dprQuery?.removeEventListener('change', this.onPixelRatio);
    this.dprQuery = null;
    queueMicrotask(() => {
      if (!this.isConnected) this.detach();
    });
  }

  protected override firstUpdated(): void {
    if (this.vmc.vm) this.vmChanged(this.vmc.vm, undefined);
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('width') || changed.has('height') || changed.has('scale')) this.layout();
  }

  // ---- the machine ----

  private vmChanged(vm: VmHost | undefined, old: VmHost | undefined): void {
    old?.removeEventListener('vm-ready', this.onVmReady);
    this.detach();
    if (!vm || !this.hasUpdated) return;
    vm.addEventListener('vm-ready', this.onVmReady);
    // Already running: attach now (a later boot announces itself with vm-ready).
    vm.ready.then((linux) => { if (this.vmc.vm === vm && !this.linux) this.attach(linux); }, () => {});
  }

  private readonly onVmReady = (e: Event): void => {
    const linux = (e as CustomEvent<{ linux: Linux }>).detail?.linux;
    if (!linux || e.target !== this.vmc.vm) return;
    this.detach();
    this.attach(linux);
  };

  private attach(linux: Linux): void {
    const canvas = this.canvas;
    if (!canvas || !this.isConnected) return;
    const size = this.wantedSize();
    this.linux = linux;
    this.asked = size;
    const screen = linux.setKmsCanvas(canvas, size.width, size.height);
    this.screen = screen;
    screen.onScreenSize = (width, height) => {
      this.layout();
      emit(this, 'display-resize', { width, height, source: 'guest' });
    };
    screen.onFrame = () => this.setIdle(false);
    this.layout();
    emit(this, 'display-ready', { width: size.width, height: size.height });
  }

  private detach(): void {
    this.screen?.close();
    this.screen = null;
    this.linux = null;
    this.asked = null;
    this.setIdle(true);
    if (this.settleTimer !== undefined) clearTimeout(this.settleTimer);
    this.settleTimer = undefined;
  }

  // ---- size ----

  private fixedSize(): { width: number; height: number } | null {
    const w = this.width, h = this.height;
    return Number.isInteger(w) && Number.isInteger(h) && w! > 0 && h! > 0 ? { width: Math.min(w!, 16384), height: Math.min(h!, 16384) } : null;
  }

  /** The screen size to ask for: `width`x`height`, else the element's content box (in device pixels with scale 1:1). */
  private wantedSize(): { width: number; height: number } {
    const fixed = this.fixedSize();
    if (fixed) return fixed;
    const ratio = this.scale === '1:1' ? devicePixelRatio || 1 : 1;
    const w = Math.round(this.clientWidth * ratio), h = Math.round(this.clientHeight * ratio);
    return { width: Math.max(1, Math.min(16384, w || 1024)), height: Math.max(1, Math.min(16384, h || 768)) };
  }

  /** Size the canvas's box for `scale`, and ask the machine for a new screen once the element's size settles. */
  private layout(): void {
    const canvas = this.canvas;
    if (!canvas) return;
    const w = canvas.width, h = canvas.height;
    if (this.scale === '1:1') {
      const ratio = devicePixelRatio || 1;
      canvas.style.width = `${w / ratio}px`;
      canvas.style.height = `${h / ratio}px`;
    } else {
      const s = Math.min(this.clientWidth / w, this.clientHeight / h) || 1;
      canvas.style.width = `${w * s}px`;
      canvas.style.height = `${h * s}px`;
    }
    if (!this.screen) return;
    if (this.settleTimer !== undefined) clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => {
      this.settleTimer = undefined;
      const want = this.wantedSize();
      if (!this.screen || !this.linux || !canvas.isConnected) return;
      if (this.asked && want.width === this.asked.width && want.height === this.asked.height) return;
      this.asked = want;
      this.linux.setKmsCanvas(canvas, want.width, want.height);
      emit(this, 'display-resize', { width: want.width, height: want.height, source: 'element' });
    }, RESIZE_SETTLE_MS);
  }

  /** devicePixelRatio changes (zoom, another monitor) change a 1:1 screen's size. */
  private watchPixelRatio(): void {
    this.dprQuery?.removeEventListener('change', this.onPixelRatio);
    this.dprQuery = matchMedia(`(resolution: ${devicePixelRatio || 1}dppx)`);
    this.dprQuery.addEventListener('change', this.onPixelRatio);
  }

  private readonly onPixelRatio = (): void => {
    this.watchPixelRatio();
    this.layout();
  };

  private readonly onPointerDown = (): void => {
    const canvas = this.canvas;
    if (!this.pointerLock || !canvas || !this.screen || this.screen.locked()) return;
    // Rejected (no user gesture, or the page may not lock): the pointer stays absolute.
    void Promise.resolve(canvas.requestPointerLock()).catch(() => {});
  };
}

define('x-kms-display', XKmsDisplay);

declare global {
  interface HTMLElementTagNameMap { 'x-kms-display': XKmsDisplay }
}
