/**
 * The machine's display, between the devices that produce it and the host that shows it.
 *
 * Producers (engine side): the DRM/KMS device (/dev/dri/card0, src/engine/display/drm/)
 * scans a framebuffer out and reports what changed; the evdev devices
 * (/dev/input/event*, src/engine/display/input/) take the host's key and pointer events.
 * Consumer (host side): the worker forwards frames to the page (`<x-kms-display>`, no
 * SharedArrayBuffer: only dirty rectangles cross), or a Node test reads them directly.
 *
 * This file is the contract between the two halves; it holds no device logic.
 */

/** A rectangle in screen pixels. */
export interface Rect { x: number; y: number; w: number; h: number }

/** A cursor image: ARGB8888 (little-endian B,G,R,A bytes), premultiplied as DRM defines it. */
export interface CursorImage { width: number; height: number; hotX: number; hotY: number; pixels: Uint8Array }

/** What the host does with the display's output. Implemented by the worker (or a test). */
export interface DisplaySink {
  /**
   * The scanout changed. `pixels` is the whole scanout buffer, XRGB8888 (bytes B,G,R,X per
   * pixel), `stride` bytes per row; only `dirty` needs copying. `pixels` is valid only during
   * the call (it is a view of guest memory). Calls are coalesced by the producer to at most
   * one per display refresh (requestFrame), so a sink may post each one as it comes.
   */
  frame(width: number, height: number, stride: number, pixels: Uint8Array, dirty: readonly Rect[]): void;
  /** The cursor plane: an image (or null: hidden) and its position (top-left = x - hotX). */
  cursor(image: CursorImage | null): void;
  cursorMove(x: number, y: number): void;
  /** No scanout (CRTC disabled, device closed): the host shows its idle state. */
  blank(): void;
}

/** The scanout as it is now: the whole buffer, XRGB8888, `stride` bytes per row. Valid until the guest runs again. */
export interface ScanoutView { width: number; height: number; stride: number; pixels: Uint8Array }

/**
 * The CRTC's gamma ramp (DRM SETGAMMA): 256 16-bit entries per channel; a colour component c
 * (0-255) is shown as table[c] >> 8. null is the identity (what the kernel starts with).
 */
export interface GammaRamp { red: Uint16Array; green: Uint16Array; blue: Uint16Array }

/** One input event in evdev terms (linux/input-event-codes.h: EV_KEY, EV_REL, EV_ABS...). */
export interface InputEvent { type: number; code: number; value: number }

/** The host's input, delivered to the evdev devices. */
export interface InputTarget {
  /** Events for the keyboard device (event0); an EV_SYN/SYN_REPORT ends each batch (the target adds it). */
  keyboard(events: readonly InputEvent[]): void;
  /** Events for the pointer device (event1): EV_ABS in screen pixels, EV_REL while locked, EV_KEY for BTN_*. */
  pointer(events: readonly InputEvent[]): void;
}

/**
 * The display of one machine: the size the host offers (the connector's preferred mode),
 * the sink, and the input target. The DRM device reads `width`/`height` for its modes and
 * subscribes to resizes (a hotplug); the host calls `resize` when the element's size changes.
 */
export class Display {
  width: number;
  height: number;
  /** Refresh rate the connector's mode advertises, Hz. */
  refresh = 60;
  sink: DisplaySink | null = null;
  /**
   * The gamma ramp the scanout is shown through (set by the DRM device, which resends the
   * whole screen when it changes); the sink applies it to what it shows. Framebuffer pixels
   * are not changed by it: xwd reads them as drawn.
   */
  gamma: GammaRamp | null = null;
  /**
   * The scanout's pixels now (set by the DRM device; null when nothing is scanned out), for a
   * sink that sends later than `frame` (host/worker/display-port.ts: while the page paints,
   * damage accumulates and the pixels are read when the next frame can go).
   */
  scanout: (() => ScanoutView | null) | null = null;
  /** Set by the evdev devices when they exist; the host's input goes here. */
  input: InputTarget | null = null;
  private resizeListeners: Array<() => void> = [];

  constructor(width = 1024, height = 768) {
    this.width = width;
    this.height = height;
  }

  /** The host's size changed: record it and tell the DRM device (hotplug uevent, new modes). */
  resize(width: number, height: number): void {
    if (width === this.width && height === this.height) return;
    this.width = width;
    this.height = height;
    for (const l of this.resizeListeners) l();
  }

  onResize(listener: () => void): () => void {
    this.resizeListeners.push(listener);
    return () => { this.resizeListeners = this.resizeListeners.filter((l) => l !== listener); };
  }
}
