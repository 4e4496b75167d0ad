/**
 * End to end in real Chromium: the built bundle (dist/webx86.js) boots a real Debian
 * image (built by the project's image builder, served by a second static server with
 * Range support and no special headers) through the JS API and through the tags.
 */
import { expect } from '@esm-bundle/chai';
import { loadTestEnv, nextEvent, until } from './helpers.js';

const env = await loadTestEnv();
// The bundle has no type declarations of its own at test time; the tests use it as the page would.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const wx: any = await import('../../dist/webx86.js' as string);

/** Booting and running real programs: a deadline well past a slow machine's boot. */
const BOOT_MS = 90_000;

const decoder = new TextDecoder();

describe('the page and the engine', () => {
  it('runs without cross-origin isolation', () => {
    expect(crossOriginIsolated).to.equal(false);
    expect(typeof SharedArrayBuffer === 'undefined' || !crossOriginIsolated).to.equal(true);
  });

  it('Linux.create + run: bash from an HTTP image, output on a custom console, exit status', async () => {
    const disk = await wx.HttpBytesDevice.create(env.image);
    const linux = await wx.Linux.create({ mounts: [{ type: 'ext2', path: '/', dev: disk }] });
    let out = '';
    linux.setCustomConsole((buf: Uint8Array, vt: number) => { if (vt === 1) out += decoder.decode(buf); }, 80, 24);
    const created: number[] = [];
    linux.registerCallback('processCreated', (pid: number) => created.push(pid));
    const r = await linux.run('/bin/bash', ['-c', 'echo "hello from $(uname -m)"; ls /bin/bash; exit 3']);
    expect(r.status).to.equal(3);
    expect(out).to.contain('hello from i686');
    expect(out).to.contain('/bin/bash');
    expect(created.length).to.be.greaterThan(1); // bash and its $(uname) child
    await linux.delete();
  });

  it('run() resolves only after its program\'s last output reached the console (100 runs)', async () => {
    // The console callback and run()'s result travel on different MessagePorts, which are not
    // ordered with each other: before the worker awaited the page's acknowledgement of the last
    // batch, the final line was sometimes missing when run() resolved.
    const linux = await wx.Linux.create({ mounts: [{ type: 'ext2', path: '/', dev: await wx.HttpBytesDevice.create(env.image) }] });
    let out = '';
    linux.setCustomConsole((buf: Uint8Array) => { out += decoder.decode(buf); }, 80, 24);
    for (let i = 0; i < 100; i++) {
      out = '';
      const r = await linux.run('/bin/sh', ['-c', `echo first-${i}; echo last-${i}`]);
      expect(r.status).to.equal(0);
      expect(out, `run ${i}`).to.contain(`last-${i}`);
    }
    await linux.delete();
  });

  it('output written before a console is set is replayed to it', async () => {
    const linux = await wx.Linux.create({ mounts: [{ type: 'ext2', path: '/', dev: await wx.HttpBytesDevice.create(env.image) }] });
    expect((await linux.run('/bin/bash', ['-c', 'echo early-output'])).status).to.equal(0);
    let out = '';
    linux.setCustomConsole((buf: Uint8Array) => { out += decoder.decode(buf); }, 80, 24);
    await until(() => out.includes('early-output'), () => `the replayed output; got ${JSON.stringify(out)}`);
    await linux.delete();
  });

  it('a missing image is a readable error from Linux.create', async () => {
    const disk = await wx.HttpBytesDevice.create(`${env.origin2}/images/nope.ext2`);
    let message = '';
    try { await wx.Linux.create({ mounts: [{ type: 'ext2', path: '/', dev: disk }] }); } catch (e) { message = (e as Error).message; }
    expect(message).to.match(/404/);
  });

  it('DataDevice files are visible in the guest and can be read back', async () => {
    const data = await wx.DataDevice.create();
    await data.writeFile('/before.txt', 'written before boot\n');
    const linux = await wx.Linux.create({
      mounts: [
        { type: 'ext2', path: '/', dev: wx.OverlayDevice.inMemory(await wx.HttpBytesDevice.create(env.image)) },
        { type: 'dir', path: '/data', dev: data },
      ],
    });
    await data.writeFile('/after.txt', new TextEncoder().encode('written after boot\n'));
    let out = '';
    linux.setCustomConsole((buf: Uint8Array) => { out += decoder.decode(buf); }, 80, 24);
    const r = await linux.run('/bin/bash', ['-c', 'cat /data/before.txt /data/after.txt; stat -c %a /data/after.txt; echo x > /data/new 2>/dev/null || echo read-only']);
    expect(r.status).to.equal(0);
    expect(out).to.contain('written before boot');
    expect(out).to.contain('written after boot');
    expect(out).to.contain('644');
    expect(out).to.contain('read-only');
    expect(await (await data.readFileAsBlob('/after.txt')).text()).to.equal('written after boot\n');
    await linux.delete();
  });
});

describe('file-level devices', () => {
  async function boot(extra: { type: string; path: string; dev: unknown }[]) {
    const root = wx.OverlayDevice.inMemory(await wx.HttpBytesDevice.create(env.image));
    const linux = await wx.Linux.create({ mounts: [{ type: 'ext2', path: '/', dev: root }, ...extra] });
    let out = '';
    linux.setCustomConsole((buf: Uint8Array) => { out += decoder.decode(buf); }, 80, 24);
    return { linux, out: () => out };
  }

  it('WebDevice: a directory of the web server, listed by index.list, read-only', async () => {
    const web = await wx.WebDevice.create('/test/browser/fixtures/web');
    const { linux, out } = await boot([{ type: 'dir', path: '/web', dev: web }]);
    const r = await linux.run('/bin/bash', ['-c', 'ls /web; cat /web/hello.txt /web/sub/deep.txt; touch /web/x 2>/dev/null || echo read-only']);
    expect(r.status).to.equal(0);
    expect(out()).to.match(/hello\.txt\s+sub/);
    expect(out()).to.contain('hello from the web server');
    expect(out()).to.contain('deep file');
    expect(out()).to.contain('read-only');
    await linux.delete();
  });

  it('IDBDevice as a dir: a writable tree that persists across machines; readFileAsBlob; reset', async () => {
    const name = `idb-dir-${Date.now()}`;
    let idb = await wx.IDBDevice.create(name);
    let { linux } = await boot([{ type: 'dir', path: '/home/user', dev: idb }]);
    expect((await linux.run('/bin/bash', ['-c', 'mkdir -p /home/user/d && echo kept > /home/user/d/f && ln -s d/f /home/user/link'])).status).to.equal(0);
    expect(await (await idb.readFileAsBlob('/d/f')).text()).to.equal('kept\n');
    let resetError = '';
    try { await idb.reset(); } catch (e) { resetError = (e as Error).message; }
    expect(resetError).to.contain('in use');
    await linux.delete();

    idb = await wx.IDBDevice.create(name);
    ({ linux } = await boot([{ type: 'dir', path: '/home/user', dev: idb }]));
    expect((await linux.run('/bin/bash', ['-c', 'test "$(cat /home/user/link)" = kept'])).status).to.equal(0);
    await linux.delete();
    await idb.reset();

    ({ linux } = await boot([{ type: 'dir', path: '/home/user', dev: await wx.IDBDevice.create(name) }]));
    expect((await linux.run('/bin/bash', ['-c', 'test -e /home/user/d/f'])).status).to.equal(1);
    await linux.delete();
  });

  it('OverlayDevice refuses a store that is not writable, as CheerpX does', async () => {
    let message = '';
    try { await wx.OverlayDevice.create(await wx.HttpBytesDevice.create(env.image), await wx.DataDevice.create()); } catch (e) { message = (e as Error).message; }
    expect(message).to.contain("Initialization failed for 'OverlayDevice'");
  });
});

describe('<x-vm>, <x-disk>, <x-terminal>', () => {
  let box: HTMLElement;
  beforeEach(() => { box = document.createElement('div'); box.style.cssText = 'width:800px;height:400px'; document.body.append(box); });
  afterEach(async () => {
    for (const vm of box.querySelectorAll('x-vm')) await (vm as unknown as { stop(): Promise<void> }).stop();
    box.remove();
  });

  it('boots from innerHTML and runs typed commands; the terminal shows the output', async () => {
    box.innerHTML = `<x-vm cmd="/bin/bash">
      <x-terminal></x-terminal>
      <x-disk src="${env.image}" path="/"></x-disk>
    </x-vm>`;
    const vm = box.querySelector('x-vm') as HTMLElement & { ready: Promise<unknown>; status: { phase: string } };
    const term = box.querySelector('x-terminal') as HTMLElement & { text: string; input?: (s: string) => void };
    await vm.ready;
    await until(() => /#\s*$/m.test(term.text), () => `prompt; screen: ${term.text}`, BOOT_MS);
    typeInto(term, 'echo $((6*7)) done\r');
    await until(() => /^42 done$/m.test(term.text), () => `42 done; screen: ${term.text}`, BOOT_MS);
    expect(vm.status.phase).to.equal('running');
  });

  it('a second <x-terminal cmd> runs its own shell on a pty that knows its size', async () => {
    box.innerHTML = `<x-vm cmd="/bin/sleep" args="100000">
      <x-disk src="${env.image}"></x-disk>
      <x-terminal cmd="/bin/bash" rows="12" cols="70"></x-terminal>
    </x-vm>`;
    const term = box.querySelector('x-terminal') as HTMLElement & { text: string };
    await until(() => /#\s*$/m.test(term.text), () => `prompt; screen: ${term.text}`, BOOT_MS);
    typeInto(term, 'tty; stty size; echo home=$HOME\r');
    await until(() => /^\/dev\/pts\/\d+$/m.test(term.text) && /^12 70$/m.test(term.text) && /^home=\/root$/m.test(term.text), () => `pty, size and the VM's environment; screen: ${term.text}`, BOOT_MS);
  });

  it('elements compose in any order: disk and terminal added after the VM is defined and connected', async () => {
    const vm = document.createElement('x-vm') as HTMLElement & { run(p: string, a: string[]): Promise<{ status: number }> };
    vm.setAttribute('autostart', 'false');
    box.append(vm);
    const disk = document.createElement('x-disk');
    disk.setAttribute('src', env.image);
    vm.append(disk);
    (vm as unknown as { start(): Promise<void> }).start();
    const r = await vm.run('/bin/sh', ['-c', 'exit 7']);
    expect(r.status).to.equal(7);
  });

  it('a disk added after a boot that failed for want of one starts the machine', async () => {
    box.innerHTML = '<x-vm cmd="/bin/sleep" args="100000"></x-vm>';
    const vm = box.querySelector('x-vm') as HTMLElement & { ready: Promise<unknown>; run(p: string, a: string[]): Promise<{ status: number }>; status: { phase: string } };
    await nextEvent(vm, 'vm-error');
    const ready = nextEvent(vm, 'vm-ready');
    vm.insertAdjacentHTML('beforeend', `<x-disk src="${env.image}"></x-disk>`);
    await ready;
    expect((await vm.run('/bin/sh', ['-c', 'exit 4'])).status).to.equal(4);
  });

  it('errors surface as vm-error with words, and in <x-vm-status>', async () => {
    box.innerHTML = `<x-vm><x-disk src="${env.origin2}/images/missing.ext2"></x-disk><x-vm-status></x-vm-status></x-vm>`;
    const vm = box.querySelector('x-vm')!;
    const e = await nextEvent<{ message: string }>(vm, 'vm-error');
    expect(e.detail.message).to.match(/missing\.ext2.*404|404.*missing\.ext2/);
    const status = box.querySelector('x-vm-status')!;
    await until(() => (status.shadowRoot?.textContent ?? '').includes('404'), () => `status shows the error: ${status.shadowRoot?.textContent}`, BOOT_MS);
  });

  it('cmd="" boots with nothing on the console; changing cmd while running starts over with the new one', async () => {
    box.innerHTML = `<x-vm cmd=""><x-disk src="${env.image}"></x-disk></x-vm>`;
    const vm = box.querySelector('x-vm') as HTMLElement & { ready: Promise<unknown>; run(p: string, a: string[]): Promise<{ status: number }>; status: { phase: string; message: string; exitStatus: number | null } };
    await vm.ready;
    expect(vm.status.message).to.equal('Ready');
    expect((await vm.run('/bin/sh', ['-c', 'exit 6'])).status).to.equal(6);
    const exited = nextEvent<{ status: number }>(vm, 'vm-exit');
    vm.setAttribute('cmd', '/bin/sh');
    vm.setAttribute('args', '["-c", "exit 9"]');
    expect((await exited).detail.status).to.equal(9);
  });

  it('a bad attribute is a vm-error in words', async () => {
    box.innerHTML = `<x-vm args='["-c", oops'><x-disk src="${env.image}"></x-disk></x-vm>`;
    const e = await nextEvent<{ message: string }>(box.querySelector('x-vm')!, 'vm-error');
    expect(e.detail.message).to.contain('not a JSON array');
  });

  it('a VM without a root disk says so', async () => {
    box.innerHTML = '<x-vm></x-vm>';
    const e = await nextEvent<{ message: string }>(box.querySelector('x-vm')!, 'vm-error');
    expect(e.detail.message).to.contain('no root disk');
  });
});

/** Type as a person would: into xterm's hidden textarea, which is what receives keystrokes. */
function typeInto(term: HTMLElement, text: string): void {
  const t = term as HTMLElement & { input?: (s: string) => void };
  if (typeof t.input === 'function') { t.input(text); return; }
  const ta = term.shadowRoot?.querySelector('textarea');
  if (!ta) throw new Error('no textarea in x-terminal');
  ta.focus();
  for (const ch of text) {
    ta.dispatchEvent(new KeyboardEvent('keydown', { key: ch === '\r' ? 'Enter' : ch, keyCode: ch === '\r' ? 13 : ch.charCodeAt(0), bubbles: true }));
    ta.dispatchEvent(new InputEvent('input', { data: ch === '\r' ? null : ch, inputType: ch === '\r' ? 'insertLineBreak' : 'insertText', bubbles: true }));
  }
}
