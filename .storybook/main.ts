/**
 * Storybook for the elements (`npm run storybook`). Works offline: no telemetry, no update
 * or "what's new" checks, nothing fetched from a CDN. Stories that boot a machine read the
 * default image at /images/debian.ext2, served from .cache/images (built by `npm start` or
 * `npx webx86 image --out .cache/images/debian.ext2`); Storybook's static server (sirv)
 * answers Range requests, which disk streaming needs.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { StorybookConfig } from '@storybook/web-components-vite';

const images = fileURLToPath(new URL('../.cache/images', import.meta.url));

const config: StorybookConfig = {
  framework: { name: '@storybook/web-components-vite', options: {} },
  stories: ['../stories/*.stories.ts'],
  core: { disableTelemetry: true, disableWhatsNewNotifications: true },
  // The "get started" checklist is about setting up Storybook, not about these elements.
  features: { sidebarOnboardingChecklist: false, menuOnboardingChecklist: false },
  // The dev server serves the image in place; a static build leaves it out (hundreds of MiB):
  // deploy it beside the built Storybook and set the stories' image control to its URL.
  staticDirs: (dirs, options) =>
    options.configType === 'DEVELOPMENT' && existsSync(images) ? [...(dirs ?? []), { from: images, to: '/images' }] : dirs ?? [],
  async viteFinal(vite) {
    // vite.config.ts builds the library bundle (build.lib); Storybook builds an app, so drop that part.
    if (vite.build) delete vite.build.lib;
    // Storybook's renderer imports lit's modules unbundled; pre-bundling lit for the stories and
    // elements would load a second copy (it works, but lit warns and templates lose identity).
    const lit = ['lit', 'lit-html', 'lit-element', '@lit/reactive-element', '@lit/context'];
    vite.optimizeDeps = { ...vite.optimizeDeps, exclude: [...(vite.optimizeDeps?.exclude ?? []), ...lit] };
    return vite;
  },
};

export default config;
