/**
 * What the element stories share: the image control (a URL, so any served image works) and
 * the page layout. The elements' own controls, docs and events come from custom-elements.json
 * (.storybook/preview.ts).
 */

/** Served from .cache/images by the dev server (.storybook/main.ts). */
export const DEFAULT_IMAGE = '/images/debian.ext2';

export const imageArgType = {
  name: 'image (x-disk src)',
  control: 'text',
  description: 'URL of an ext2 image on a server with Range support. The default is the image `npm start` builds into .cache/images.',
} as const;

/** Canvas-filling column for a machine: status on top, terminal below. */
export const frame = 'display:flex;flex-direction:column;gap:8px;height:min(80vh,640px);';
export const terminalStyle = 'flex:1 1 0;height:auto;min-height:10rem;';
