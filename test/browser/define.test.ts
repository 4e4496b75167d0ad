/**
 * Tag registration (src/elements/define.ts) in real Chromium: a tag another library already
 * owns is reported naming both classes, while defining the same class again, or loading a
 * second copy of the bundle, is harmless. The load-time cases run in iframes, each with a
 * registry of its own.
 */
import { expect } from '@esm-bundle/chai';
import { loadTestEnv } from './helpers.js';

const env = await loadTestEnv();
const BUNDLE = new URL('../../dist/webx86.js', import.meta.url).href;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const wx: any = await import(BUNDLE);

/** Run a module script in a fresh iframe; it posts its result (a string) back. */
function inFrame(body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const frame = document.createElement('iframe');
    const timer = setTimeout(() => reject(new Error('the iframe did not answer')), 30_000);
    const onMessage = (e: MessageEvent) => {
      if (e.source !== frame.contentWindow) return;
      clearTimeout(timer);
      removeEventListener('message', onMessage);
      frame.remove();
      resolve(String(e.data));
    };
    addEventListener('message', onMessage);
    frame.srcdoc = `<script type="module">
      const report = (s) => parent.postMessage(s, '*');
      try { ${body} } catch (e) { report('threw: ' + e.message); }
    </script>`;
    document.body.append(frame);
  });
}

describe('define()', () => {
  it('defines a tag, and the same class again is a no-op', () => {
    class DefineTestA extends HTMLElement {}
    wx.define('x-define-test-a', DefineTestA);
    wx.define('x-define-test-a', DefineTestA);
    expect(customElements.get('x-define-test-a')).to.equal(DefineTestA);
  });

  it('reports a tag owned by another class, naming both', () => {
    class OtherLibraryThing extends HTMLElement {}
    class OurThing extends HTMLElement {}
    customElements.define('x-define-test-b', OtherLibraryThing);
    expect(() => wx.define('x-define-test-b', OurThing)).to.throw(/<x-define-test-b> \(webx86's class OurThing\).*another library's class OtherLibraryThing/);
    expect(customElements.get('x-define-test-b')).to.equal(OtherLibraryThing);
  });

  it('loading the bundle where another library owns x-vm fails with that message', async () => {
    const result = await inFrame(`
      class OtherLibraryVm extends HTMLElement {}
      customElements.define('x-vm', OtherLibraryVm);
      await import(${JSON.stringify(BUNDLE)});
      report('loaded');`);
    expect(result).to.match(/^threw: webx86: cannot define <x-vm> .*another library's class OtherLibraryVm/);
  });

  it('a second copy of the bundle (another URL) loads, and the first copy keeps the tags', async () => {
    const result = await inFrame(`
      const warnings = [];
      console.warn = (m) => warnings.push(String(m));
      await import(${JSON.stringify(BUNDLE)});
      const first = customElements.get('x-vm');
      await import(${JSON.stringify(env.bundle2)});
      const vm = document.createElement('x-vm');
      report(JSON.stringify({ same: customElements.get('x-vm') === first, upgraded: vm instanceof first, warnings }));`);
    expect(result).to.not.match(/^threw/);
    const r = JSON.parse(result) as { same: boolean; upgraded: boolean; warnings: string[] };
    expect(r.same).to.equal(true);
    expect(r.upgraded).to.equal(true);
    expect(r.warnings.some((w) => /<x-vm> is already defined by another copy of webx86/.test(w))).to.equal(true);
  });
});
