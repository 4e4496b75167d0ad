/**
 * Tailscale in real Chromium through the built bundle: `<x-tailscale-login>` inside `<x-vm>`
 * registers the VM with the REAL control server (testcontrol from tailscale.com v1.102.5,
 * test/net/go/cmd/testcontrol) and connects to the REAL derper over the browser's WebSocket;
 * the state reaches 6 (Running) and the element shows the tailnet IP. The CheerpX-shaped API
 * (`networkInterface` callbacks) is checked on the same machine. A wrong auth key ends in
 * state 2 with the server's reason on the element. The interactive flow: the element shows the
 * control server's login link, visiting it completes the login. Two VMs (two `<x-vm>`, each its
 * own engine worker, WireGuard device and DERP connection) talk TCP both ways over the tailnet:
 * busybox wget in each fetches from busybox httpd in the other.
 */
import { expect } from '@esm-bundle/chai';
import { loadTestEnv, until } from './helpers.js';
import { exchangePages, type LinuxLike } from './tailnet-exchange.js';

const env = await loadTestEnv();
await import('../../dist/webx86.js' as string);

interface Login extends HTMLElement { state: number; ip: string; updateComplete: Promise<boolean>; login(): Promise<void> }

const BOOT_MS = 120_000;
const words = (el: Element, part: string) => (el.shadowRoot!.querySelector(`[part=${part}]`)?.textContent ?? '').replace(/\s+/g, ' ').trim();

function machine(attrs: string): { vm: HTMLElement; login: Login } {
  const box = document.createElement('div');
  box.innerHTML = `<x-vm cmd=""><x-disk src="${env.image}" path="/"></x-disk><x-tailscale-login ${attrs}></x-tailscale-login></x-vm>`;
  document.body.append(box);
  return { vm: box.querySelector('x-vm')!, login: box.querySelector('x-tailscale-login') as Login };
}

describe('<x-tailscale-login> against the real control server and derper', () => {
  it('an auth key: state 6, the tailnet IP on the element, the CheerpX callbacks fired', async function () {
    if (!env.controlUrl) { console.log(`Tailscale browser test skipped: ${env.derpSkip}`); this.skip(); }
    const { vm, login } = machine(`auth-key="${env.controlAuthKey}" control-url="${env.controlUrl}" hostname="chromium-vm" ephemeral`);
    const states: number[] = [];
    login.addEventListener('tailscale-state', (e) => states.push((e as CustomEvent).detail.state));
    const linux = await (vm as unknown as { ready: Promise<{ networkStatus: { state: number }; networkLogin(): Promise<void> }> }).ready;
    expect(linux.networkStatus.state).to.equal(2);
    await login.updateComplete;
    expect(words(login, 'state')).to.equal('Not connected');
    (login.shadowRoot!.querySelector('[part=button]') as HTMLButtonElement).click();
    await until(() => login.state === 6, () => `state 6; states ${states.join(',')}; message: ${words(login, 'message')}`, BOOT_MS);
    await login.updateComplete;
    expect(words(login, 'state')).to.equal('Connected');
    expect(login.ip).to.match(/^100\.64\.\d+\.\d+$/);
    expect(words(login, 'ip')).to.equal(login.ip);
    expect(states).to.include(5);
    vm.parentElement!.remove();
  });

  it('a wrong auth key: state 2 and the server\'s reason, no exception', async function () {
    if (!env.controlUrl) this.skip();
    const { vm, login } = machine(`auth-key="tskey-wrong" control-url="${env.controlUrl}" ephemeral autologin`);
    await (vm as unknown as { ready: Promise<unknown> }).ready;
    await until(() => /invalid authkey/.test(words(login, 'message')), () => `the refusal; message: ${words(login, 'message')}`, BOOT_MS);
    expect(login.state).to.equal(2);
    expect(words(login, 'message')).to.equal('login refused by the control server: invalid authkey');
    vm.parentElement!.remove();
  });

  it('the interactive flow: the login link on the element, visiting it completes the login', async function () {
    if (!env.controlInteractiveUrl) this.skip();
    const { vm, login } = machine(`control-url="${env.controlInteractiveUrl}" hostname="chromium-interactive" ephemeral autologin`);
    await (vm as unknown as { ready: Promise<unknown> }).ready;
    const link = () => login.shadowRoot!.querySelector('[part=login-link]') as HTMLAnchorElement | null;
    await until(() => link() !== null, () => `the login link; message: ${words(login, 'message')}`, BOOT_MS);
    expect(link()!.href).to.match(new RegExp(`^${env.controlInteractiveUrl}/auth/[0-9a-f]+$`));
    expect(login.state).to.equal(2);
    // What the user's click on the link does at the control server.
    expect(await (await fetch(link()!.href)).text()).to.equal('login complete\n');
    await until(() => login.state === 6, () => `state 6; message: ${words(login, 'message')}`, BOOT_MS);
    await login.updateComplete;
    expect(words(login, 'ip')).to.match(/^100\.64\.\d+\.\d+$/);
    expect(link()).to.equal(null);
    vm.parentElement!.remove();
  });

  it('two VMs on the page talk over the tailnet: wget in each fetches from httpd in the other', async function () {
    if (!env.controlUrl) this.skip();
    this.timeout(BOOT_MS * 3);
    const a = machine(`auth-key="${env.controlAuthKey}" control-url="${env.controlUrl}" hostname="page-vm-a" ephemeral autologin`);
    const b = machine(`auth-key="${env.controlAuthKey}" control-url="${env.controlUrl}" hostname="page-vm-b" ephemeral autologin`);
    await until(() => a.login.state === 6 && b.login.state === 6, () => `both Running (${a.login.state}, ${b.login.state})`, BOOT_MS);
    const [la, lb] = await Promise.all([a.vm, b.vm].map((v) => (v as unknown as { ready: Promise<LinuxLike> }).ready));
    await exchangePages({ linux: la, ip: a.login.ip, name: 'vm a' }, { linux: lb, ip: b.login.ip, name: 'vm b' });
    a.vm.parentElement!.remove();
    b.vm.parentElement!.remove();
  });
});
