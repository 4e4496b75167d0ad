/**
 * What the element stories share: the image control (a URL, so any served image works) and
 * logging every element event to the Actions panel.
 */
import { action } from 'storybook/actions';

/** Served from .cache/images by the dev server (.storybook/main.ts). */
export const DEFAULT_IMAGE = '/images/debian.ext2';

export const imageArgType = {
  name: 'image (x-disk src)',
  control: 'text',
  description: 'URL of an ext2 image on a server with Range support. The default is the image `npm start` builds into .cache/images.',
} as const;

const EVENTS = ['vm-ready', 'vm-exit', 'vm-error', 'terminal-ready', 'terminal-exit', 'terminal-error'];

/** Log the elements' events (not the chatty vm-status/vm-activity ones) under Actions. */
export function logEvents(el: Element | undefined): void {
  if (!el || (el as { logged?: boolean }).logged) return;
  (el as { logged?: boolean }).logged = true;
  for (const name of EVENTS) el.addEventListener(name, (e) => action(name)(plain((e as CustomEvent).detail)));
}

/**
 * The Actions panel serializes what it logs, calling `toJSON` on objects; on `vm-ready`'s
 * `linux` (its engine is a comlink proxy that answers every property) that becomes a call
 * into the worker. Log names for objects instead.
 */
function plain(detail: unknown): unknown {
  if (!detail || typeof detail !== 'object') return detail;
  return Object.fromEntries(Object.entries(detail).map(([k, v]) => [k, v && typeof v === 'object' ? `[${v.constructor?.name ?? 'object'}]` : v]));
}

/** Canvas-filling column for a machine: status on top, terminal below. */
export const frame = 'display:flex;flex-direction:column;gap:8px;height:min(80vh,640px);';
export const terminalStyle = 'flex:1 1 0;height:auto;min-height:10rem;';
