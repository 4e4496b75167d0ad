/**
 * src/net in real Chromium: two WireGuard devices in a module Worker (where the engine runs)
 * talk through the REAL derper (tailscale.com v1.102.5, started by
 * test/support/browser-servers.ts) over the browser's own WebSocket.
 */
import { expect } from '@esm-bundle/chai';
import { loadTestEnv } from './helpers.js';

describe('WireGuard over DERP in a browser worker', () => {
  it('handshake and packets both ways through the real derper', async function () {
    const env = await loadTestEnv();
    if (!env.derpUrl) {
      console.log(`DERP browser test skipped: ${env.derpSkip}`);
      this.skip();
    }
    const w = new Worker(new URL('./fixtures/derp-worker.ts', import.meta.url), { type: 'module' });
    const res = await new Promise<Record<string, unknown>>((resolve, reject) => {
      w.onmessage = (e) => resolve(e.data);
      w.onerror = (e) => reject(new Error(`worker error: ${e.message}`));
      w.postMessage({ derpUrl: env.derpUrl });
    });
    w.terminate();
    expect(res.error).to.equal(undefined);
    expect(res.ok).to.equal(true);
    expect(res.atB).to.equal('hello from a worker');
    expect(res.atA).to.equal('and back');
    console.log(`WireGuard over the real derper in a Chromium worker: handshake + first packet ${(res.ms as number).toFixed(1)} ms`);
  });
});
