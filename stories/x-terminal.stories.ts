import { html, nothing } from 'lit';
import { ref } from 'lit/directives/ref.js';
import type { Meta, StoryObj } from '@storybook/web-components-vite';
import '../src/webx86.js';
import { DEFAULT_IMAGE, frame, imageArgType, logEvents, terminalStyle } from './support.js';

const theme = (a: TerminalArgs) => `--x-terminal-background:${a.background};--x-terminal-foreground:${a.foreground};--x-terminal-cursor:${a.cursor}`;

interface TerminalArgs {
  image: string;
  cmd: string;
  args: string;
  fontSize: number;
  rows: number | undefined;
  background: string;
  foreground: string;
  cursor: string;
  label: string;
  screenReader: boolean;
}

/**
 * `<x-terminal>`: xterm.js connected to the `<x-vm>` around it. Without `cmd` it is the VM's
 * console; with `cmd` it runs that program on a pseudo-terminal of its own. Colours come
 * from CSS custom properties (`--x-terminal-*`); resizing the canvas reaches the guest.
 */
const meta: Meta<TerminalArgs> = {
  title: 'Elements/x-terminal',
  component: 'x-terminal',
  args: {
    image: DEFAULT_IMAGE, cmd: '', args: '', fontSize: 15, rows: undefined,
    background: '#1e1e1e', foreground: '#d4d4d4', cursor: '#ffffff', label: 'Terminal', screenReader: false,
  },
  argTypes: {
    image: imageArgType,
    cmd: { control: 'text', description: 'Program on a pty of its own; empty: the VM console.' },
    args: { control: 'text', description: 'Arguments for `cmd` (words, or a JSON array).' },
    fontSize: { name: 'font-size', control: { type: 'range', min: 8, max: 32 }, description: 'Pixels.' },
    rows: { control: { type: 'number', min: 4, max: 80 }, description: 'Fixed rows (the height follows); empty: fit the height.' },
    background: { name: '--x-terminal-background', control: 'color' },
    foreground: { name: '--x-terminal-foreground', control: 'color' },
    cursor: { name: '--x-terminal-cursor', control: 'color' },
    label: { control: 'text', description: 'Accessible name of the terminal input.' },
    screenReader: { name: 'screen-reader', control: 'boolean', description: 'xterm.js screen reader mode.' },
  },
  render: (a) => html`
    <x-vm style=${frame} ${ref(logEvents)} cmd="/bin/bash" args="-l" cwd="/root" restart>
      <x-disk src=${a.image} path="/"></x-disk>
      <x-vm-status compact></x-vm-status>
      <x-terminal
        style="${a.rows ? '' : terminalStyle}${theme(a)}"
        cmd=${a.cmd || nothing} args=${a.args || nothing} font-size=${a.fontSize} rows=${a.rows || nothing}
        label=${a.label} ?screen-reader=${a.screenReader} ?restart=${!!a.cmd}></x-terminal>
    </x-vm>`,
};
export default meta;
type Story = StoryObj<TerminalArgs>;

/** The VM's console (output from before it attached is replayed). */
export const Console: Story = {};

export const LightTheme: Story = { args: { background: '#fdf6e3', foreground: '#586e75', cursor: '#268bd2' } };

/** A fixed 12-row terminal: the element's height follows the rows. */
export const FixedRows: Story = { args: { rows: 12 } };

/** Two terminals: the console, and `top` on a pty of its own beside it (cmd and rows controls do not apply). */
export const SecondTerminal: Story = {
  render: (a) => html`
    <x-vm style=${frame} ${ref(logEvents)} cmd="/bin/bash" args="-l" cwd="/root" restart>
      <x-disk src=${a.image} path="/"></x-disk>
      <x-vm-status compact></x-vm-status>
      <div style="flex:1 1 0;min-height:0;display:grid;grid-template-columns:1fr 1fr;gap:8px">
        <x-terminal style="height:100%;${theme(a)}" font-size=${a.fontSize} label="Console"></x-terminal>
        <x-terminal style="height:100%;${theme(a)}" font-size=${a.fontSize} cmd="/usr/bin/top" restart label="top"></x-terminal>
      </div>
    </x-vm>`,
};
