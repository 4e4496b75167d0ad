/**
 * The relay backend in real Chromium through the built bundle: `<x-vm network="relay"
 * relay-url=…>` boots a machine whose guest connections go through a REAL `webx86 relay`
 * (the CLI, started by test/support/browser-servers.ts in a network namespace of its own,
 * test/net/relay-namespace.ts, so the destination 192.0.2.1 is not loopback to the guest).
 * Debian's busybox wget in the page fetches a page from the allowed server; a server not on
 * the allow-list is refused with "Permission denied" (EACCES) and the relay logs the refusal.
 */
import { expect } from '@esm-bundle/chai';
import { loadTestEnv } from './helpers.js';

const env = await loadTestEnv();
const api = await import('../../dist/webx86.js' as string) as { Linux: { create(o: unknown): Promise<unknown> } };

interface LinuxLike {
  run(path: string, args: string[]): Promise<{ status: number }>;
  setCustomConsole(write: (b: Uint8Array) => void, cols: number, rows: number): unknown;
}

const decoder = new TextDecoder();

function machine(attrs: string): { vm: HTMLElement & { ready: Promise<LinuxLike> } } {
  const box = document.createElement('div');
  box.innerHTML = `<x-vm cmd="" ${attrs}><x-disk src="${env.image}" path="/"></x-disk></x-vm>`;
  document.body.append(box);
  return { vm: box.querySelector('x-vm') as HTMLElement & { ready: Promise<LinuxLike> } };
}

/** Run `argv` in the machine; its console output (stdout and stderr) and exit status. */
async function run(linux: LinuxLike, argv: string[]): Promise<{ status: number; out: string }> {
  let out = '';
  linux.setCustomConsole((b) => { out += decoder.decode(b); }, 200, 24);
  const r = await linux.run(argv[0], argv.slice(1));
  // The console is a terminal: its line discipline turns \n into \r\n (onlcr).
  return { status: r.status, out: out.replace(/\r\n/g, '\n') };
}

describe('the relay backend in a page (<x-vm network="relay">) against a real webx86 relay', () => {
  it('busybox wget in the page fetches through the relay; a destination off the allow-list gets Permission denied', async function () {
    if (!env.relayUrl) { console.log(`relay browser test skipped: ${env.relaySkip}`); this.skip(); }
    const { vm } = machine(`network="relay" relay-url="${env.relayUrl}"`);
    const linux = await vm.ready;
    const ok = await run(linux, ['/bin/busybox', 'wget', '-q', '-O', '-', `${env.relayAllowed}from-a-page`]);
    expect(ok.out).to.equal('hello through the relay\n');
    expect(ok.status).to.equal(0);
    const no = await run(linux, ['/bin/busybox', 'wget', '-q', '-O', '-', `${env.relayRefused}`]);
    expect(no.status).to.equal(1);
    expect(no.out).to.match(/wget: can't connect to remote host \(192\.0\.2\.1\): Permission denied/);
    const { log } = await (await fetch(`${env.statsUrl}/relay-log`)).json() as { log: string };
    expect(log).to.match(/HIT allowed GET \/from-a-page/);
    expect(log).to.match(new RegExp(`${new URL(env.relayRefused!).host.replace(/\./g, '\\.')} is not in the relay's allow-list`));
    expect(log).not.to.match(/HIT refused/);
    vm.parentElement!.remove();
  });

  it('a bad relay option is a clear error: <x-vm> without relay-url, Linux.create with a non-WebSocket URL', async () => {
    const { vm } = machine('network="relay"');
    let message = '';
    try { await vm.ready; } catch (e) { message = (e as Error).message; }
    expect(message).to.equal('<x-vm network="relay"> needs relay-url="ws://…" (the webx86 relay to use)');
    vm.parentElement!.remove();
    let err: unknown = null;
    try { await api.Linux.create({ relay: { url: 'http://127.0.0.1:1/' } }); } catch (e) { err = e; }
    expect(err).to.be.instanceOf(TypeError);
    expect((err as Error).message).to.equal('Linux.create: the relay URL must be a ws:// or wss:// URL, got "http://127.0.0.1:1/"');
  });
});
