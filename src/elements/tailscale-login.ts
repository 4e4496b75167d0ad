/**
 * `<x-tailscale-login>`: the VM's Tailscale connection for people — a button that logs in,
 * the state, the VM's tailnet IP and the exit node in use, and a way out. It finds its
 * `<x-vm>` by context (as `<x-vm-status>` does); the `<x-vm>` sees it among its children
 * and boots with Tailscale networking (`Linux.create({ networkInterface })`).
 */
import { LitElement, css, html, nothing } from 'lit';
import { property, state } from 'lit/decorators.js';
import type { Linux, NetworkInterface, NetworkStatus } from '../api/linux.js';
import type { VmHost } from './context.js';
import { VmConsumer } from './vm-consumer.js';
import { define } from './define.js';
import { emit } from './events.js';

/** ipn.State names, indexed by number (tailscale.com/ipn/backend.go). */
export const TAILSCALE_STATES = ['NoState', 'InUseOtherUser', 'NeedsLogin', 'NeedsMachineAuth', 'Stopped', 'Starting', 'Running'] as const;
const WORDS = ['Not started', 'In use by another user', 'Not connected', 'Waiting for approval', 'Stopped', 'Connecting…', 'Connected'];

/**
 * Logs the enclosing `<x-vm>` into a tailnet and shows the connection. Without `auth-key`,
 * the button asks the control server for a login URL and offers it as a link (opened in a
 * new tab); with `auth-key` (demos, CI) it connects directly.
 *
 * @tag x-tailscale-login
 *
 * @summary The VM's Tailscale login: a button, the state, the tailnet IP and the exit node.
 *
 * @fires {TailscaleStateEvent} tailscale-state - The state changed. detail: `{ state, name, message }` (state is ipn.State, 6 = Running).
 * @fires {TailscaleLoginUrlEvent} tailscale-login-url - The control server wants the user to visit a page. detail: `{ url }`.
 * @fires {TailscaleNetmapEvent} tailscale-netmap - A new network map. detail: `{ map }`, the shape of CheerpX's netmapUpdateCb.
 * @fires {TailscaleErrorEvent} tailscale-error - Login or logout failed. detail: `{ message }`.
 *
 * @csspart button - The Log in / Log out button.
 * @csspart state - The state line (a polite live region).
 * @csspart ip - The VM's tailnet IPv4 address.
 * @csspart exit-node - The exit node in use.
 * @csspart login-link - The link to the login page (while one is pending).
 * @csspart message - Why the state is what it is (a refusal, a retry), in words.
 *
 * @cssprop --x-tailscale-login-color - Text colour (default: inherited).
 * @cssprop --x-tailscale-login-accent - Button background (default #4a5bd4, Tailscale-ish blue).
 * @cssprop --x-tailscale-login-accent-text - Button text colour (default white).
 * @cssprop --x-tailscale-login-running - The state dot when connected (default #2fa84f).
 * @cssprop --x-tailscale-login-idle - The state dot otherwise (default #8a8f98).
 * @cssprop --x-tailscale-login-error - Message colour after a refusal (default #c62828).
 * @cssprop --x-tailscale-login-gap - Space between items (default 0.6em).
 */
export class XTailscaleLogin extends LitElement {
  static override styles = css`
    :host {
      display: block;
      color: var(--x-tailscale-login-color, inherit);
      font-size: 0.875em;
      line-height: 1.4;
      --_gap: var(--x-tailscale-login-gap, 0.6em);
    }
    :host([hidden]) { display: none; }
    .row { display: flex; flex-wrap: wrap; align-items: center; gap: 0.25em var(--_gap); }
    button {
      font: inherit;
      padding: 0.3em 0.9em;
      border: 0;
      border-radius: 4px;
      cursor: pointer;
      color: var(--x-tailscale-login-accent-text, white);
      background: var(--x-tailscale-login-accent, #4a5bd4);
    }
    button[disabled] { opacity: 0.6; cursor: default; }
    .dot { display: inline-block; width: 0.6em; height: 0.6em; border-radius: 50%; background: var(--x-tailscale-login-idle, #8a8f98); margin-right: 0.35em; }
    .dot.running { background: var(--x-tailscale-login-running, #2fa84f); }
    [part='ip'] { font-family: ui-monospace, monospace; }
    [part='message'] { opacity: 0.8; }
    [part='message'].error { color: var(--x-tailscale-login-error, #c62828); opacity: 1; }
  `;

  /** A pre-auth key: connect without a login page. For demos and tests: anyone who can read the page can use the key; prefer ephemeral, single-use keys. */
  @property({ type: String, attribute: 'auth-key' }) accessor authKey: string = '';
  /** The control server (default Tailscale's). A Headscale server needs CORS headers on `GET /key`, because the page fetches it. */
  @property({ type: String, attribute: 'control-url' }) accessor controlUrl: string = '';
  /** The VM's name in the tailnet (default `webx86`). */
  @property({ type: String }) accessor hostname: string = '';
  /** `auto` (default: the first online exit node), a peer's name or IP, or `none`. */
  @property({ type: String, attribute: 'exit-node' }) accessor exitNode: string = '';
  /** Register as an ephemeral node and keep no keys: a reload is a new node. Otherwise the node's keys stay in IndexedDB (database `webx86-tailscale`) and a reload is the same node, already logged in. */
  @property({ type: Boolean }) accessor ephemeral: boolean = false;
  /** Start the login as soon as the VM is up (with `auth-key`, or a stored login). */
  @property({ type: Boolean }) accessor autologin: boolean = false;
  @state() private accessor net: NetworkStatus | null = null;
  @state() private accessor busy: boolean = false;
  @state() private accessor failure: string = '';

  private linux: Linux | null = null;
  private lastState = -1;
  private lastUrl: string | null = null;
  private lastMap: unknown = null;
  private readonly consumer = new VmConsumer(this, (vm) => this.attach(vm));

  /** What `<x-vm>` passes to Linux.create (it asks every `<x-tailscale-login>` inside it). */
  networkInterface(): NetworkInterface {
    const exit = this.exitNode.trim();
    return {
      authKey: this.authKey || undefined,
      controlUrl: this.controlUrl || undefined,
      hostname: this.hostname || undefined,
      ephemeral: this.ephemeral || undefined,
      exitNode: !exit || exit === 'auto' ? 'auto' : exit === 'none' ? null : exit,
    };
  }

  /** The VM's tailnet IPv4 address (or the first address), '' before the first netmap. */
  get ip(): string {
    const a = this.net?.map?.self.addresses ?? [];
    return a.find((x) => x.includes('.')) ?? a[0] ?? '';
  }

  /** ipn.State: 6 = Running. */
  get state(): number { return this.net?.state ?? 0; }

  private attach(vm: VmHost | undefined): void {
    this.linux = null;
    this.net = null;
    if (!vm) return;
    void vm.ready.then((linux) => {
      if (this.consumer.vm !== vm) return;
      this.linux = linux;
      this.take(linux.networkStatus);
      linux.registerCallback('networkStatus', (s) => { if (this.linux === linux) this.take(s as NetworkStatus); });
      if (this.autologin && this.state === 2) void this.login();
    }, () => {});
  }

  private take(s: NetworkStatus | null): void {
    this.net = s;
    if (!s) return;
    if (s.state !== this.lastState) {
      this.lastState = s.state;
      emit(this, 'tailscale-state', { state: s.state, name: TAILSCALE_STATES[s.state] ?? String(s.state), message: s.message });
    }
    if (s.loginUrl && s.loginUrl !== this.lastUrl) {
      this.lastUrl = s.loginUrl;
      emit(this, 'tailscale-login-url', { url: s.loginUrl });
    }
    if (s.map && s.map !== this.lastMap) {
      this.lastMap = s.map;
      emit(this, 'tailscale-netmap', { map: s.map });
    }
  }

  /** Start the login (as the button does). */
  async login(): Promise<void> {
    if (!this.linux) { this.fail('the VM is not running yet'); return; }
    if (!this.linux.networkStatus) { this.fail('the VM was started without networking: put <x-tailscale-login> inside <x-vm> before it boots'); return; }
    this.busy = true;
    this.failure = '';
    try { await this.linux.networkLogin(); } catch (e) { this.fail((e as Error).message); } finally { this.busy = false; }
  }

  /** Log the VM out of the tailnet (it forgets its keys). */
  async logout(): Promise<void> {
    if (!this.linux) return;
    this.busy = true;
    try { await this.linux.networkLogout(); } catch (e) { this.fail((e as Error).message); } finally { this.busy = false; }
  }

  private fail(message: string): void {
    this.failure = message;
    emit(this, 'tailscale-error', { message });
  }

  override render() {
    const s = this.net;
    const state = s?.state ?? 0;
    const running = state === 6;
    const connecting = state === 5 || this.busy;
    const refused = !!s && state === 2 && /refused|failed|expired|cannot/.test(s.message);
    const message = this.failure || (s && !running ? s.message : '');
    const exit = s?.map?.exitNodeInUse;
    return html`
      <div class="row">
        ${running
          ? html`<button part="button" @click=${() => void this.logout()} ?disabled=${this.busy}>Log out</button>`
          : html`<button part="button" @click=${() => void this.login()} ?disabled=${!this.linux || connecting || !s}>${s?.loginUrl ? 'Get a new login link' : 'Connect to Tailscale'}</button>`}
        <span part="state" role="status" aria-live="polite"><span class="dot ${running ? 'running' : ''}"></span>${s ? WORDS[state] ?? `state ${state}` : this.linux ? 'No network' : 'Waiting for the VM'}</span>
        ${this.ip ? html`<span>IP <span part="ip">${this.ip}</span></span>` : nothing}
        ${exit ? html`<span>exit node <span part="exit-node">${exit}</span></span>` : nothing}
      </div>
      ${s?.loginUrl && !running ? html`<div class="row"><a part="login-link" href=${s.loginUrl} target="_blank" rel="noopener">Log in to Tailscale</a></div>` : nothing}
      ${message ? html`<div part="message" class=${refused || this.failure ? 'error' : ''}>${message}</div>` : nothing}
    `;
  }
}

define('x-tailscale-login', XTailscaleLogin);

declare global {
  interface HTMLElementTagNameMap { 'x-tailscale-login': XTailscaleLogin }
}
