/**
 * Two VMs in two separate Chromium pages (two tabs: each its own document, engine worker,
 * WireGuard device and DERP WebSocket) talk over the tailnet of the REAL testcontrol and derper
 * (tailscale.com v1.102.5): busybox wget in each page's VM fetches from busybox httpd in the
 * other's. The pages are test/browser/fixtures/tailscale-page.html, opened with window.open.
 */
import { expect } from '@esm-bundle/chai';
import { loadTestEnv, until } from './helpers.js';
import { exchangePages, type LinuxLike } from './tailnet-exchange.js';

const env = await loadTestEnv();
const BUNDLE = new URL('/dist/webx86.js', location.href).href;
const BOOT_MS = 120_000;

interface PageWin extends Window {
  vm?: HTMLElement & { ready: Promise<LinuxLike> };
  login?: HTMLElement & { state: number; ip: string };
  loaded?: boolean;
  loadError?: string;
}

async function openPage(hostname: string): Promise<PageWin> {
  const params = new URLSearchParams({ bundle: BUNDLE, image: env.image, control: env.controlUrl!, authkey: env.controlAuthKey!, hostname });
  const win = window.open(`/test/browser/fixtures/tailscale-page.html?${params}`, '_blank') as PageWin | null;
  if (!win) throw new Error('window.open was refused (popup blocked)');
  await until(() => !!win.loaded || !!win.loadError, () => `${hostname}: the page loading the bundle`, 60_000);
  if (win.loadError) throw new Error(win.loadError);
  return win;
}

describe('two VMs in two pages', () => {
  it('talk over the tailnet: wget in each page fetches from httpd in the other', async function () {
    if (!env.controlUrl) { console.log(`Tailscale pages test skipped: ${env.derpSkip}`); this.skip(); }
    this.timeout(BOOT_MS * 3);
    const pages: PageWin[] = [];
    try {
      pages.push(await openPage('tab-vm-a'), await openPage('tab-vm-b'));
      const [a, b] = pages;
      expect(a.document).to.not.equal(b.document);
      await until(() => a.login!.state === 6 && b.login!.state === 6, () => `both Running (${a.login!.state}, ${b.login!.state})`, BOOT_MS);
      const [la, lb] = await Promise.all([a.vm!.ready, b.vm!.ready]);
      await exchangePages({ linux: la, ip: a.login!.ip, name: 'the page of vm a' }, { linux: lb, ip: b.login!.ip, name: 'the page of vm b' });
    } finally {
      for (const p of pages) p.close();
    }
  });
});
