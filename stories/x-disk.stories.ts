import { html, nothing } from 'lit';
import type { Meta, StoryObj } from '@storybook/web-components-vite';
import '../src/webx86.js';
import type { XDisk } from '../src/elements/disk.js';
import { DEFAULT_IMAGE, frame, terminalStyle } from './support.js';

interface DiskArgs {
  src: string;
  path: string;
  persist: string;
  type: 'ext2' | 'dir';
  chunked: boolean;
}

/**
 * `<x-disk>` has no look of its own: it describes a mount for the `<x-vm>` around it. The
 * controls edit the disk of a small machine whose shell shows the result (`df`, `mount`);
 * changing one restarts the machine with the new disks.
 */
const meta: Meta<DiskArgs> = {
  title: 'Elements/x-disk',
  component: 'x-disk',
  args: { src: DEFAULT_IMAGE, path: '/', persist: '', type: 'ext2', chunked: false },
  // The controls and their descriptions come from custom-elements.json (.storybook/preview.ts).
  argTypes: { type: { control: 'inline-radio', options: ['ext2', 'dir'] } },
  render: (a) => html`
    <x-vm style=${frame} cmd="/bin/bash" args="-l" cwd="/root" restart>
      <x-disk src=${a.src} path=${a.path} persist=${a.persist || nothing} type=${a.type} ?chunked=${a.chunked}></x-disk>
      <x-vm-status></x-vm-status>
      <x-terminal style=${terminalStyle}></x-terminal>
    </x-vm>`,
};
export default meta;
type Story = StoryObj<DiskArgs>;

/** The image streamed with Range requests; changes are lost when the machine stops. */
export const Streamed: Story = {};

/**
 * Changes kept in IndexedDB: create a file, reload the page, it is still there. Reset calls
 * `reset()`, which stops the machine, forgets the changes and boots again.
 */
export const Persistent: Story = {
  args: { persist: 'storybook-x-disk' },
  render: (a, ctx) => html`
    <div style="display:flex;flex-direction:column;gap:8px">
      <button type="button" style="align-self:start"
        @click=${(e: Event) => void ((e.target as Element).parentElement!.querySelector('x-disk') as XDisk).reset()}>Reset (forget changes)</button>
      ${meta.render!(a, ctx)}
    </div>`,
};

/** Two disks: the root, and the same image again, mounted read-write (in memory) at /mnt/second. */
export const TwoDisks: Story = {
  render: (a) => html`
    <x-vm style=${frame} cmd="/bin/bash" args='["-lc", "mount | grep -v -e proc -e sys -e pts; ls /mnt/second; exec bash"]' cwd="/root" restart>
      <x-disk src=${a.src} path="/"></x-disk>
      <x-disk src=${a.src} path="/mnt/second"></x-disk>
      <x-vm-status></x-vm-status>
      <x-terminal style=${terminalStyle}></x-terminal>
    </x-vm>`,
};
