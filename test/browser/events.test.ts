/**
 * The elements' events (src/elements/events.ts) bubble and are composed: a page hears an
 * `<x-vm>`'s events on `document` even when the machine sits in another component's
 * shadow root. No image needed: a machine without a root disk fails at once with vm-error.
 */
import { expect } from '@esm-bundle/chai';

/** The next `name` event on `target`, with its path taken while it is dispatched (it is empty afterwards). */
function next<T>(target: EventTarget, name: string, ms = 20_000): Promise<{ e: CustomEvent<T>; path: EventTarget[] }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${name} reached ${target}`)), ms);
    target.addEventListener(name, (e) => { clearTimeout(timer); resolve({ e: e as CustomEvent<T>, path: e.composedPath() }); }, { once: true });
  });
}

await import('../../dist/webx86.js' as string);

describe('element events', () => {
  it('vm-status and vm-error from an <x-vm> in a shadow root reach document', async () => {
    const host = document.createElement('div');
    const shadow = host.attachShadow({ mode: 'open' });
    document.body.append(host);
    const status = next<{ phase: string }>(document, 'vm-status');
    const error = next<{ message: string }>(document, 'vm-error');
    const vm = document.createElement('x-vm');
    shadow.append(vm);
    try {
      const s = await status;
      expect(s.e.detail.phase).to.equal('loading');
      expect(s.path).to.include(vm);
      const { e, path } = await error;
      expect(e.detail.message).to.match(/no root disk/);
      expect(path).to.include(vm);
      expect(e.bubbles && e.composed).to.equal(true);
    } finally {
      host.remove();
    }
  });

  it("a nested machine's bubbling events do not show in the outer machine's <x-vm-status>", async () => {
    const outer = document.createElement('x-vm');
    outer.setAttribute('autostart', 'false');
    const status = document.createElement('x-vm-status');
    const inner = document.createElement('x-vm');
    outer.append(status, inner);
    const error = next<{ message: string }>(outer, 'vm-error');
    document.body.append(outer);
    try {
      expect((await error).e.target).to.equal(inner);
      await (status as HTMLElement & { updateComplete: Promise<boolean> }).updateComplete;
      const text = status.shadowRoot!.textContent!.replace(/\s+/g, ' ');
      expect(text).to.include('Not started');
      expect(text).to.not.include('no root disk');
    } finally {
      outer.remove();
    }
  });
});
