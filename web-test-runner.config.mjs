// Browser tests in Debian's Chromium (never a downloaded browser).
// Run: node --import tsx node_modules/@web/test-runner/dist/bin.js --config web-test-runner.config.mjs ["test/browser/x.test.ts"]
// (npm test runs them after `vite build`; tests of the elements and the VM import the built dist/webx86.js.)
// Tests read /test-env.json: URLs of a second static server on another origin (images with Range, the bundle with CORS).
import { chromeLauncher } from '@web/test-runner-chrome';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { startBrowserTestServers } from './test/support/browser-servers.ts';

let env;
/** DevTools sessions holding a storage quota override, by test session. */
const quotaSessions = new Map();

export default {
  files: process.env.WTR_FILES ? process.env.WTR_FILES.split(',') : ['test/browser/**/*.test.ts'],
  nodeResolve: true,
  concurrency: 1,
  concurrentBrowsers: 1,
  browserStartTimeout: 60_000,
  testsStartTimeout: 120_000,
  testsFinishTimeout: 20 * 60_000,
  testFramework: { config: { timeout: 180_000 } },
  plugins: [
    esbuildPlugin({ ts: true, target: 'es2022', tsconfig: 'tsconfig.web.json' }),
    {
      name: 'webx86-test-env',
      async serverStart() { env = await startBrowserTestServers(); },
      async serverStop() { await env?.close(); },
      serve(context) {
        if (context.path === '/test-env.json') return { body: JSON.stringify(env.info), type: 'json' };
      },
    },
    {
      // A real storage quota for a test (test/browser/jit-store.test.ts): Chromium offers a page no
      // way to lower its quota, DevTools' Storage.overrideQuotaForOrigin does. The override lasts
      // as long as the DevTools session, so the session is kept until the test resets the quota
      // (no `quota`).
      name: 'webx86-storage-quota',
      async executeCommand({ command, payload, session }) {
        if (command !== 'webx86-storage-quota') return undefined;
        const old = quotaSessions.get(session.id);
        quotaSessions.delete(session.id);
        await old?.detach().catch(() => {});
        if (payload.quota === undefined) return true;
        const cdp = await session.browser.getPage(session.id).createCDPSession();
        quotaSessions.set(session.id, cdp);
        // An absolute quota below what the origin already uses, so every write that needs room
        // fails at once. A quota of "usage + room" was flaky: right after the test deleted its
        // database Chromium still counted it (2.4-3.9 MB), freed it later, and the store then
        // wrote 1.6-1.7 MB without an error (two runs of jit-store's quota test, session 8).
        await cdp.send('Storage.overrideQuotaForOrigin', { origin: payload.origin, quotaSize: payload.quota });
        const now = await cdp.send('Storage.getUsageAndQuota', { origin: payload.origin });
        return { active: now.overrideActive, usage: now.usage, quota: now.quota };
      },
    },
  ],
  browsers: [
    chromeLauncher({
      launchOptions: {
        executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium',
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
      },
    }),
  ],
};
