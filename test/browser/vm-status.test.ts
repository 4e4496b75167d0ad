/**
 * `<x-vm-status>` in real Chromium, as a unit: the element from the built bundle
 * (dist/webx86.js) against a fake VmHost provided by context (fake-vm.ts) whose status the
 * test sets. What a real boot reports is vm.test.ts's job.
 */
import { expect } from '@esm-bundle/chai';
import { FakeVm, provideVm } from './fake-vm.js';

await import('../../dist/webx86.js' as string);

interface XVmStatus extends HTMLElement {
  compact: boolean;
  readonly latencyMs: number | null;
  readonly cpuPercent: number;
  readonly updateComplete: Promise<boolean>;
}

let vm: FakeVm;
let box: HTMLElement;
let el: XVmStatus;

/** The element's text as a person reads it (whitespace collapsed). */
function words(part?: string): string {
  const root = el.shadowRoot!;
  const node = part ? root.querySelector(`[part=${part}]`) : root;
  return (node?.textContent ?? '').replace(/\s+/g, ' ').trim();
}

function partEl(part: string): HTMLElement {
  return el.shadowRoot!.querySelector<HTMLElement>(`[part=${part}]`)!;
}

beforeEach(async () => {
  vm = new FakeVm();
  box = provideVm(vm).el;
  document.body.append(box);
  el = document.createElement('x-vm-status') as XVmStatus;
  box.append(el);
  await el.updateComplete;
});

afterEach(() => box.remove());

describe('<x-vm-status>', () => {
  it('shows the phase and what the VM is doing, in words, in a polite live region', async () => {
    expect(words('phase')).to.equal('Not started');
    vm.setStatus({ phase: 'loading', message: 'Downloading disk blocks…' });
    await el.updateComplete;
    expect(words('phase')).to.equal('Loading Downloading disk blocks…');
    expect(partEl('phase').getAttribute('aria-live')).to.equal('polite');
    vm.setStatus({ phase: 'running', message: 'Running /bin/bash' });
    await el.updateComplete;
    expect(words('phase')).to.equal('Running /bin/bash');
  });

  it('shows bytes downloaded in human units and the requests', async () => {
    vm.setStatus({ bytesDownloaded: 12_345_678, requests: 42, inFlight: 3 });
    await el.updateComplete;
    expect(words('bytes')).to.equal('12 MB downloaded in 42 requests, 3 in progress');
    vm.setStatus({ bytesDownloaded: 1536, requests: 1, inFlight: 0 });
    await el.updateComplete;
    expect(words('bytes')).to.equal('1.5 kB downloaded in 1 request');
  });

  it('shows network bytes in and out only when the VM has a network', async () => {
    vm.setStatus({ phase: 'running' });
    await el.updateComplete;
    expect(partEl('network')).to.equal(null);
    vm.setStatus({ netBytesIn: 2_500_000, netBytesOut: 812 });
    await el.updateComplete;
    expect(words('network')).to.equal('Network ↓ 2.5 MB ↑ 812 B');
  });

  it('marks CPU and disk busy while they wait, and says so to screen readers', async () => {
    expect(partEl('cpu').classList.contains('busy')).to.equal(false);
    expect(words('cpu')).to.match(/idle$/);
    vm.setStatus({ cpu: 'wait', disk: 'wait' });
    await el.updateComplete;
    expect(partEl('cpu').classList.contains('busy')).to.equal(true);
    expect(partEl('disk').classList.contains('busy')).to.equal(true);
    expect(words('disk')).to.match(/busy$/);
    vm.setStatus({ cpu: 'ready' });
    await el.updateComplete;
    expect(partEl('cpu').classList.contains('busy')).to.equal(false);
    expect(el.cpuPercent).to.be.greaterThan(0);
  });

  it('shows the mean of the disk latency samples and the cache hit rate', async () => {
    for (const ms of [10, 20, 60]) vm.setStatus({ latencyMs: ms });
    vm.setStatus({ cacheHits: 3, cacheMisses: 1 });
    await el.updateComplete;
    expect(el.latencyMs).to.equal(30);
    expect(words('disk')).to.include('30 ms latency').and.include('75% from cache');
  });

  it('keeps only the last 30 latency samples', async () => {
    for (let i = 1; i <= 40; i++) vm.setStatus({ latencyMs: i < 11 ? 1000 + i : i });
    await el.updateComplete;
    expect(el.latencyMs).to.equal((11 + 40) / 2);
  });

  it('shows an error in words as an alert, and clears it on reboot', async () => {
    const alert = partEl('error');
    expect(alert.getAttribute('role')).to.equal('alert');
    expect(words('error')).to.equal('');
    vm.fail('Could not download the disk image: HTTP 404 from https://example.test/debian.ext2');
    await el.updateComplete;
    expect(words('error')).to.equal('⚠ Could not download the disk image: HTTP 404 from https://example.test/debian.ext2');
    expect(words('phase')).to.equal('Error');
    vm.setStatus({ phase: 'loading', error: null, message: 'Downloading disk blocks…' });
    await el.updateComplete;
    expect(words('error')).to.equal('');
  });

  it('shows errors from vm-error events and from the status alike', async () => {
    vm.dispatchEvent(new CustomEvent('vm-error', { detail: { message: 'disk: server went away' } }));
    await el.updateComplete;
    expect(words('error')).to.equal('⚠ disk: server went away');
    vm.setStatus({ phase: 'error', error: 'Could not boot: /sbin/init not found', message: '' });
    await el.updateComplete;
    expect(words('error')).to.equal('⚠ Could not boot: /sbin/init not found');
  });

  it('has a one-line compact form with the same parts', async () => {
    vm.setStatus({ phase: 'booting', message: 'Starting /bin/bash', bytesDownloaded: 2_000_000, requests: 5 });
    el.compact = true;
    await el.updateComplete;
    expect(el.hasAttribute('compact')).to.equal(true);
    expect(el.shadowRoot!.querySelector('.line') !== null, 'one line').to.equal(true);
    expect(words('phase')).to.equal('Booting Starting /bin/bash');
    expect(words('bytes')).to.equal('2.0 MB downloaded');
    expect(el.getBoundingClientRect().height).to.be.lessThan(2.2 * parseFloat(getComputedStyle(el).fontSize));
  });

  it('says when it is not inside a VM', async () => {
    const lone = document.createElement('x-vm-status') as XVmStatus;
    document.body.append(lone);
    try {
      await lone.updateComplete;
      expect(lone.shadowRoot!.textContent!.replace(/\s+/g, ' ')).to.include('Not inside an <x-vm>');
    } finally {
      lone.remove();
    }
  });
});
