import type { Preview } from '@storybook/web-components-vite';

/** Every element story fills a dark canvas, as in the demo; controls show their descriptions. */
const preview: Preview = {
  parameters: {
    layout: 'padded',
    backgrounds: { options: { dark: { name: 'Dark', value: '#111418' } } },
    controls: { expanded: true, sort: 'requiredFirst' },
  },
  initialGlobals: { backgrounds: { value: 'dark' } },
};

export default preview;
