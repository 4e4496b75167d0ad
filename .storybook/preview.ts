import { html } from 'lit';
import type { Preview } from '@storybook/web-components-vite';

/** Stories sit on the demo's dark page (the terminals are dark); controls show their descriptions. */
const preview: Preview = {
  parameters: {
    layout: 'fullscreen',
    controls: { expanded: true, sort: 'requiredFirst' },
  },
  decorators: [
    (story) => html`<div style="box-sizing:border-box;min-height:100vh;padding:1rem;background:#111418;color:#e6e9ee;font:15px/1.45 system-ui,sans-serif">${story()}</div>`,
  ],
};

export default preview;
