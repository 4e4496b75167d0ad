/**
 * The elements' API in Storybook comes from custom-elements.json (`npm run manifest`): the
 * controls, the docs tab's tables and the events logged under Actions. Stories add only
 * what is theirs (which image to boot, a control widget the manifest cannot infer).
 */
import { html } from 'lit';
import { ref } from 'lit/directives/ref.js';
import { action } from 'storybook/actions';
import { setCustomElementsManifest } from '@storybook/web-components';
import type { ArgTypesEnhancer } from 'storybook/internal/types';
import type { Preview } from '@storybook/web-components-vite';
import manifest from '../custom-elements.json';

interface Item { name: string; kind?: string; privacy?: string; static?: boolean; attribute?: string; type?: { text: string } }
interface Decl { tagName?: string; members?: Item[]; attributes?: Item[]; events?: Item[] }
const elements = manifest.modules.flatMap((m) => (m.declarations ?? []) as Decl[]).filter((d) => d.tagName);

// Storybook lists every member: keep the public instance fields that have no attribute (an
// attribute's row already covers its property), so each fact shows once.
for (const el of elements) {
  el.members = el.members?.filter((m) => m.kind === 'field' && !m.static && (m.privacy ?? 'public') === 'public' && !m.attribute);
  // An optional attribute (`string | undefined`) is edited as what it is when set (a text box, not JSON).
  for (const a of el.attributes ?? []) if (a.type) a.type = { text: a.type.text.replace(/\s*\|\s*(undefined|null)\b/g, '') };
}
setCustomElementsManifest(manifest);

/** Logged under Actions: every event of every element (they bubble and are composed), less the chatty ones. */
const CHATTY = new Set(['vm-status', 'vm-activity']);
const EVENTS = [...new Set(elements.flatMap((el) => (el.events ?? []).map((e) => e.name)))].filter((n) => !CHATTY.has(n));

const listening = new WeakSet<Element>();
function logEvents(el: Element | undefined): void {
  if (!el || listening.has(el)) return;
  listening.add(el);
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

/**
 * Rows that describe but cannot be set from a control: events (logged under Actions), parts,
 * slots, read-only properties, and CSS properties the story does not apply (it gives those a control).
 */
const DESCRIBE_ONLY = new Set(['events', 'css shadow parts', 'slots', 'css custom properties']);
const describeOnly: ArgTypesEnhancer = ({ argTypes }) =>
  Object.fromEntries(Object.entries(argTypes).map(([k, t]) => {
    const readOnly = t.table?.category === 'properties' && !t.control;
    return [k, t.control === undefined && (DESCRIBE_ONLY.has(t.table?.category ?? '') || readOnly) ? { ...t, control: false } : t];
  }));

/** Stories sit on the demo's dark page (the terminals are dark); controls show their descriptions. */
const preview: Preview = {
  argTypesEnhancers: [describeOnly],
  parameters: {
    layout: 'fullscreen',
    controls: { expanded: true, sort: 'requiredFirst' },
  },
  decorators: [
    (story) => html`<div ${ref(logEvents)} style="box-sizing:border-box;min-height:100vh;padding:1rem;background:#111418;color:#e6e9ee;font:15px/1.45 system-ui,sans-serif">${story()}</div>`,
  ],
};

export default preview;
