import { html, nothing } from 'lit';
import { keyed } from 'lit/directives/keyed.js';
import type { Meta, StoryObj } from '@storybook/web-components-vite';
import '../src/webx86.js';
import { DEFAULT_IMAGE, frame, imageArgType, terminalStyle } from './support.js';

interface VmArgs {
  cmd: string;
  args: string;
  env: string;
  cwd: string;
  uid: number;
  gid: number;
  restart: boolean;
  autostart: boolean;
  jit: 'on' | 'off';
  image: string;
}

/**
 * `<x-vm>` boots a machine from the `<x-disk>` elements inside it and runs `cmd` on the
 * console (the first `<x-terminal>`). Changing a control boots a new machine with it;
 * events appear under Actions.
 */
const meta: Meta<VmArgs> = {
  title: 'Elements/x-vm',
  component: 'x-vm',
  args: {
    cmd: '/bin/bash', args: '-l', env: 'HOME=/root', cwd: '/root', uid: 0, gid: 0, restart: true, autostart: true, jit: 'on', image: DEFAULT_IMAGE,
  },
  // cmd, args, env… come from custom-elements.json (.storybook/preview.ts); the image is the story's.
  argTypes: { image: imageArgType, jit: { control: 'inline-radio', options: ['on', 'off'] } },
  // A new machine for each change of the controls: a running <x-vm> takes new cmd/args/env
  // only when its command next starts.
  render: (a) => html`${keyed(JSON.stringify(a), html`
    <x-vm style=${frame}
      cmd=${a.cmd} args=${a.args || nothing} env=${a.env || nothing} cwd=${a.cwd || nothing}
      uid=${a.uid} gid=${a.gid} ?restart=${a.restart} autostart=${a.autostart ? nothing : 'false'} jit=${a.jit}>
      <x-disk src=${a.image} path="/"></x-disk>
      <x-vm-status></x-vm-status>
      <x-terminal style=${terminalStyle}></x-terminal>
    </x-vm>`)}`,
};
export default meta;
type Story = StoryObj<VmArgs>;

/** A login shell, restarted when it exits (as WebVM does). */
export const Bash: Story = {};

export const Python: Story = { args: { cmd: '/usr/bin/python3', args: '', restart: true } };

/** A command that exits: `vm-exit` carries its status; without `restart` the machine stays up, idle. */
export const OneShotCommand: Story = {
  args: { cmd: '/bin/bash', args: '["-c", "uname -a; . /etc/os-release; echo $PRETTY_NAME; exit 3"]', restart: false },
};

/** An unprivileged user (nobody). */
export const AsNobody: Story = { args: { uid: 65534, gid: 65534, cwd: '/tmp', args: '' } };

/** A bad image URL: `vm-error` fires and the status element says what went wrong. */
export const MissingImage: Story = { args: { image: '/images/no-such-image.ext2' } };
