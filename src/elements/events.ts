/**
 * Every event the elements fire, typed once: the detail of each event by name, the
 * `CustomEvent` type of each (`VmExitEvent`…), and the global `HTMLElementEventMap` entries,
 * so `vm.addEventListener('vm-exit', (e) => e.detail.status)` type-checks.
 *
 * All of them bubble and are composed: a page (or an app that wraps `<x-vm>` in a shadow
 * root of its own) can listen in one place, above the element, as for native `input`/`change`
 * (STYLE.md item 3). Listeners on the element itself see them as before; a listener that
 * must ignore a nested machine's events compares `e.target`.
 *
 * A new element adds its events to `ElementEventDetails` (a declaration merge from its own
 * module also works), fires them with `emit`, and names them in its class JSDoc (`@fires`).
 */
import type { Linux } from '../api/linux.js';
import type { VmStatus } from './context.js';

export interface TerminalReadyDetail {
  kind: 'console' | 'pty';
}
export interface TerminalExitDetail {
  status: number;
}
export interface TerminalErrorDetail {
  message: string;
}
export interface VmActivityDetail {
  cpu: VmStatus['cpu'];
  disk: VmStatus['disk'];
  latencyMs: number | null;
}

export interface DisplayReadyDetail {
  /** The screen size asked of the machine. */
  width: number;
  height: number;
}
export interface DisplayResizeDetail {
  width: number;
  height: number;
  /** 'element': the element asked the machine for this size; 'guest': the guest now draws at this size. */
  source: 'element' | 'guest';
}

/** Event name → its `detail`. */
export interface ElementEventDetails {
  'vm-ready': { linux: Linux };
  'vm-exit': { status: number };
  'vm-error': { message: string };
  'vm-warning': { message: string };
  'vm-status': VmStatus;
  'vm-activity': VmActivityDetail;
  'disk-change': null;
  'terminal-ready': TerminalReadyDetail;
  'terminal-exit': TerminalExitDetail;
  'terminal-error': TerminalErrorDetail;
  'tailscale-state': { state: number; name: string; message: string };
  'tailscale-login-url': { url: string };
  'tailscale-netmap': { map: unknown };
  'tailscale-error': { message: string };
  'display-ready': DisplayReadyDetail;
  'display-resize': DisplayResizeDetail;
}

export type ElementEventName = keyof ElementEventDetails;
export type ElementEventMap = { [K in ElementEventName]: CustomEvent<ElementEventDetails[K]> };

export type VmReadyEvent = ElementEventMap['vm-ready'];
export type VmExitEvent = ElementEventMap['vm-exit'];
export type VmErrorEvent = ElementEventMap['vm-error'];
export type VmWarningEvent = ElementEventMap['vm-warning'];
export type VmStatusEvent = ElementEventMap['vm-status'];
export type VmActivityEvent = ElementEventMap['vm-activity'];
export type DiskChangeEvent = ElementEventMap['disk-change'];
export type TerminalReadyEvent = ElementEventMap['terminal-ready'];
export type TerminalExitEvent = ElementEventMap['terminal-exit'];
export type TerminalErrorEvent = ElementEventMap['terminal-error'];
export type TailscaleStateEvent = ElementEventMap['tailscale-state'];
export type TailscaleLoginUrlEvent = ElementEventMap['tailscale-login-url'];
export type TailscaleNetmapEvent = ElementEventMap['tailscale-netmap'];
export type TailscaleErrorEvent = ElementEventMap['tailscale-error'];
export type DisplayReadyEvent = ElementEventMap['display-ready'];
export type DisplayResizeEvent = ElementEventMap['display-resize'];

/** Fire `type` on `target` with its typed detail, bubbling and composed. */
export function emit<K extends ElementEventName>(target: EventTarget, type: K, detail: ElementEventDetails[K]): boolean {
  return target.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface HTMLElementEventMap extends ElementEventMap {}
}
