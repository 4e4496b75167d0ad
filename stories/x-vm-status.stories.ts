import { html } from 'lit';
import { ref } from 'lit/directives/ref.js';
import { ContextProvider } from '@lit/context';
import type { Meta, StoryObj } from '@storybook/web-components-vite';
import '../src/webx86.js';
import { vmContext, type VmHost, type VmPhase, type VmStatus } from '../src/elements/context.js';
import type { Linux } from '../src/api/linux.js';
import { DEFAULT_IMAGE, frame, imageArgType, terminalStyle } from './support.js';

interface StatusArgs {
  compact: boolean;
  image: string;
  phase: VmPhase;
  message: string;
  bytesDownloaded: number;
  requests: number;
  cpu: 'ready' | 'wait';
  disk: 'ready' | 'wait';
  latencyMs: number;
  error: string;
}

/**
 * A stand-in `<x-vm>` for the status element alone: it provides a VM whose status is
 * whatever the controls say, so every state can be looked at without booting anything.
 */
class StoryFakeVm extends HTMLElement implements VmHost {
  status: VmStatus = {
    phase: 'idle', message: '', bytesDownloaded: 0, requests: 0, inFlight: 0, cacheHits: 0, cacheMisses: 0,
    cpu: 'ready', disk: 'ready', latencyMs: null, error: null, exitStatus: null,
  };
  readonly ready = new Promise<Linux>(() => {});
  constructor() {
    super();
    new ContextProvider(this, { context: vmContext, initialValue: this });
  }
  show(p: Partial<VmStatus>): void {
    this.status = { ...this.status, ...p };
    this.dispatchEvent(new CustomEvent('vm-status', { detail: this.status }));
    if (p.phase === 'error') this.dispatchEvent(new CustomEvent('vm-error', { detail: { message: p.error } }));
  }
  attachConsole() { return null; }
  openTerminal(): never { throw new Error('the story VM runs nothing'); }
}
if (!customElements.get('story-fake-vm')) customElements.define('story-fake-vm', StoryFakeVm);

/**
 * `<x-vm-status>` shows what the `<x-vm>` around it is doing: boot phase and message, bytes
 * downloaded, CPU and disk activity, disk latency and errors in words.
 */
const meta: Meta<StatusArgs> = {
  title: 'Elements/x-vm-status',
  component: 'x-vm-status',
  args: { compact: false, image: DEFAULT_IMAGE },
  argTypes: { image: imageArgType }, // compact: from custom-elements.json
  render: (a) => html`
    <x-vm style=${frame} cmd="/bin/bash" args="-l" cwd="/root" restart>
      <x-disk src=${a.image} path="/"></x-disk>
      <x-vm-status ?compact=${a.compact}></x-vm-status>
      <x-terminal style=${terminalStyle}></x-terminal>
    </x-vm>`,
};
export default meta;
type Story = StoryObj<StatusArgs>;

/** A real machine booting: watch the phases, the download and the activity dots. */
export const Booting: Story = {};

export const Compact: Story = { args: { compact: true } };

/** A wrong image URL: the error in words, in an alert. */
export const BootError: Story = { args: { image: '/images/no-such-image.ext2' } };

/** Every field from the controls, no machine behind it. */
export const AnyState: Story = {
  args: {
    phase: 'running', message: 'Running /bin/bash', bytesDownloaded: 48_500_000, requests: 812,
    cpu: 'wait', disk: 'ready', latencyMs: 12, error: 'disk: HTTP 404 for /images/debian.ext2',
  },
  argTypes: {
    image: { table: { disable: true } },
    phase: { control: 'select', options: ['idle', 'loading', 'booting', 'running', 'exited', 'error'] },
    message: { control: 'text' },
    bytesDownloaded: { control: { type: 'number', min: 0 } },
    requests: { control: { type: 'number', min: 0 } },
    cpu: { control: 'inline-radio', options: ['ready', 'wait'] },
    disk: { control: 'inline-radio', options: ['ready', 'wait'] },
    latencyMs: { control: { type: 'number', min: 0 } },
    error: { control: 'text', description: 'Shown when phase is error.' },
  },
  render: (a) => html`
    <story-fake-vm ${ref((el) => (el as StoryFakeVm | undefined)?.show({
      phase: a.phase, message: a.message, bytesDownloaded: a.bytesDownloaded, requests: a.requests,
      cpu: a.cpu, disk: a.disk, latencyMs: a.latencyMs, error: a.phase === 'error' ? a.error : null,
    }))}>
      <x-vm-status ?compact=${a.compact}></x-vm-status>
    </story-fake-vm>`,
};
