import { html, nothing } from 'lit';
import type { Meta, StoryObj } from '@storybook/web-components-vite';
import '../src/webx86.js';
import { DEFAULT_IMAGE, frame, imageArgType, terminalStyle } from './support.js';

const COLOURS = ['--x-terminal-background', '--x-terminal-foreground', '--x-terminal-cursor'] as const;
const theme = (a: TerminalArgs) => COLOURS.map((p) => `${p}:${a[p]}`).join(';');

interface TerminalArgs {
  image: string;
  cmd: string;
  args: string;
  cwd: string;
  env: string;
  restart: boolean;
  autofocus: boolean;
  'font-size': number;
  rows: number | undefined;
  cols: number | undefined;
  '--x-terminal-background': string;
  '--x-terminal-foreground': string;
  '--x-terminal-cursor': string;
  label: string;
  'screen-reader': boolean;
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
    image: DEFAULT_IMAGE, cmd: '', args: '', cwd: '', env: '', restart: true, autofocus: false, 'font-size': 15, rows: undefined, cols: undefined,
    '--x-terminal-background': '#1e1e1e', '--x-terminal-foreground': '#d4d4d4', '--x-terminal-cursor': '#ffffff', label: 'Terminal', 'screen-reader': false,
  },
  // Descriptions and the other controls come from custom-elements.json (.storybook/preview.ts);
  // here only the widgets it cannot infer.
  argTypes: {
    image: imageArgType,
    'font-size': { control: { type: 'range', min: 8, max: 32 } },
    rows: { control: { type: 'number', min: 4, max: 80 } },
    cols: { control: { type: 'number', min: 20, max: 240 } },
    ...Object.fromEntries(COLOURS.map((p) => [p, { control: 'color' }])),
  },
  render: (a) => html`
    <x-vm style=${frame} cmd="/bin/bash" args="-l" cwd="/root" restart>
      <x-disk src=${a.image} path="/"></x-disk>
      <x-vm-status compact></x-vm-status>
      <x-terminal
        style="${a.rows ? '' : terminalStyle}${theme(a)}"
        cmd=${a.cmd || nothing} args=${a.args || nothing} cwd=${a.cwd || nothing} env=${a.env || nothing}
        font-size=${a['font-size']} rows=${a.rows || nothing} cols=${a.cols || nothing}
        label=${a.label} ?screen-reader=${a['screen-reader']} ?restart=${a.restart} ?autofocus=${a.autofocus}></x-terminal>
    </x-vm>`,
};
export default meta;
type Story = StoryObj<TerminalArgs>;

/** The VM's console (output from before it attached is replayed). */
export const Console: Story = {};

export const LightTheme: Story = { args: { '--x-terminal-background': '#fdf6e3', '--x-terminal-foreground': '#586e75', '--x-terminal-cursor': '#268bd2' } };

/** A fixed 12-row terminal: the element's height follows the rows. */
export const FixedRows: Story = { args: { rows: 12 } };

/** Two terminals: the console, and `top` on a pty of its own beside it (cmd and rows controls do not apply). */
export const SecondTerminal: Story = {
  render: (a) => html`
    <x-vm style=${frame} cmd="/bin/bash" args="-l" cwd="/root" restart>
      <x-disk src=${a.image} path="/"></x-disk>
      <x-vm-status compact></x-vm-status>
      <div style="flex:1 1 0;min-height:0;display:grid;grid-template-columns:1fr 1fr;gap:8px">
        <x-terminal style="height:100%;${theme(a)}" font-size=${a['font-size']} label="Console"></x-terminal>
        <x-terminal style="height:100%;${theme(a)}" font-size=${a['font-size']} cmd="/usr/bin/top" restart label="top"></x-terminal>
      </div>
    </x-vm>`,
};
