import { html } from 'lit';
import { ref } from 'lit/directives/ref.js';
import { ContextProvider } from '@lit/context';
import type { Meta, StoryObj } from '@storybook/web-components-vite';
import '../src/webx86.js';
import { vmContext, type VmHost, type VmStatus } from '../src/elements/context.js';
import type { Linux, NetworkStatus } from '../src/api/linux.js';
import { DEFAULT_IMAGE, frame, imageArgType, terminalStyle } from './support.js';

interface LoginArgs {
  image: string;
  authKey: string;
  controlUrl: string;
  state: number;
  message: string;
  ip: string;
  exitNode: string;
  loginUrl: string;
}

/**
 * A stand-in `<x-vm>` whose machine reports whatever network status the controls say (no
 * engine, no tailnet): every state of the element can be looked at. It is a story prop, not
 * a test double: the element's tests run against the real engine and a real control server.
 */
class StoryNetVm extends HTMLElement implements VmHost {
  status = { phase: 'running' } as VmStatus;
  private cbs: ((s: NetworkStatus) => void)[] = [];
  private net: NetworkStatus = { state: 2, message: '', loginUrl: null, map: null, bytesIn: 0, bytesOut: 0 };
  readonly ready: Promise<Linux>;
  constructor() {
    super();
    new ContextProvider(this, { context: vmContext, initialValue: this });
    const self = this;
    this.ready = Promise.resolve({
      get networkStatus() { return self.net; },
      registerCallback: (_: string, cb: (s: NetworkStatus) => void) => { self.cbs.push(cb); },
      networkLogin: async () => { self.show({ state: 5, message: 'logged in' }); },
      networkLogout: async () => { self.show({ state: 2, message: 'logged out', map: null }); },
    } as unknown as Linux);
  }
  show(p: Partial<NetworkStatus>): void {
    this.net = { ...this.net, ...p };
    for (const cb of this.cbs) cb(this.net);
  }
  attachConsole() { return null; }
  openTerminal(): never { throw new Error('the story VM runs nothing'); }
}
if (!customElements.get('story-net-vm')) customElements.define('story-net-vm', StoryNetVm);

/**
 * `<x-tailscale-login>` joins the `<x-vm>` around it to a Tailscale tailnet: a button that
 * starts the login (a login link, or an `auth-key`), the state, the tailnet IP, the exit node,
 * and Log out.
 */
const meta: Meta<LoginArgs> = {
  title: 'Elements/x-tailscale-login',
  component: 'x-tailscale-login',
  args: { image: DEFAULT_IMAGE, authKey: '', controlUrl: '' },
  argTypes: {
    image: imageArgType,
    authKey: { control: 'text', description: 'A pre-auth key (demos): connect without a login page.' },
    controlUrl: { control: 'text', description: 'Control server (default Tailscale\'s; Headscale needs CORS on /key).' },
  },
  render: (a) => html`
    <x-vm style=${frame} cmd="/bin/bash" args="-l" cwd="/root" restart>
      <x-disk src=${a.image} path="/"></x-disk>
      <x-tailscale-login auth-key=${a.authKey} control-url=${a.controlUrl}></x-tailscale-login>
      <x-terminal style=${terminalStyle}></x-terminal>
    </x-vm>`,
};
export default meta;
type Story = StoryObj<LoginArgs>;

/** A real machine: Connect asks the control server (Tailscale's, or yours) for a login page. */
export const RealMachine: Story = {};

/** Every state from the controls, no machine behind it. */
export const AnyState: Story = {
  args: { state: 6, message: '', ip: '100.101.102.103', exitNode: 'gateway.tail1234.ts.net.', loginUrl: 'https://login.tailscale.com/a/0123456789' },
  argTypes: {
    image: { table: { disable: true } },
    authKey: { table: { disable: true } },
    controlUrl: { table: { disable: true } },
    state: { control: { type: 'select', labels: { 2: '2 NeedsLogin', 3: '3 NeedsMachineAuth', 4: '4 Stopped', 5: '5 Starting', 6: '6 Running' } }, options: [2, 3, 4, 5, 6] },
    message: { control: 'text', description: 'Why (e.g. "login refused by the control server: invalid authkey").' },
    ip: { control: 'text' },
    exitNode: { control: 'text' },
    loginUrl: { control: 'text', description: 'Shown as a link while not connected.' },
  },
  render: (a) => html`
    <story-net-vm ${ref((el) => (el as StoryNetVm | undefined)?.show({
      state: a.state, message: a.message, loginUrl: a.state === 2 ? a.loginUrl || null : null,
      map: a.ip ? { self: { name: 'webx86', addresses: [a.ip], machineKey: '', nodeKey: '', machineStatus: 'MachineAuthorized' }, peers: [], lockedOut: false, exitNodeInUse: a.exitNode || null, magicDNSSuffix: '' } : null,
    }))}>
      <x-tailscale-login></x-tailscale-login>
    </story-net-vm>`,
};

/** A refused auth key: the reason, in the error colour. */
export const Refused: Story = {
  ...AnyState,
  args: { ...AnyState.args, state: 2, ip: '', exitNode: '', loginUrl: '', message: 'login refused by the control server: invalid authkey' },
};
