/**
 * `<x-terminal>` in real Chromium, as a unit: the element from the built bundle
 * (dist/webx86.js, which carries xterm.js's CSS through Vite's `?inline`) against a fake
 * VmHost provided by context (fake-vm.ts). Booting a real machine and typing into the
 * terminal is vm.test.ts's job.
 */
import { expect } from '@esm-bundle/chai';
import { sendKeys } from '@web/test-runner-commands';
import { FakeVm, provideVm } from './fake-vm.js';
import { nextEvent, until } from './helpers.js';

await import('../../dist/webx86.js' as string);

/** The element's public surface, as a page script sees it (the bundle has no types at test time). */
interface XTerminal extends HTMLElement {
  readonly text: string;
  readonly xterm: { cols: number; rows: number; options: { theme?: { background?: string; red?: string }; fontSize?: number } } | undefined;
  input(data: string): void;
  write(data: string | Uint8Array): void;
  written(): Promise<void>;
  readonly updateComplete: Promise<boolean>;
}

let vm: FakeVm;
let box: HTMLElement;

function mount(attrs: Record<string, string> = {}, parent: HTMLElement = box): XTerminal {
  const t = document.createElement('x-terminal') as XTerminal;
  t.style.height = '100%'; // fill the box, which the tests resize
  for (const [k, v] of Object.entries(attrs)) t.setAttribute(k, v);
  parent.append(t);
  return t;
}

async function shown(t: XTerminal, what: string): Promise<void> {
  await until(() => t.text.includes(what), () => `"${what}" in the terminal, which shows:\n${t.text}`);
}

beforeEach(() => {
  vm = new FakeVm();
  box = provideVm(vm).el;
  box.style.cssText = 'width: 640px; height: 320px';
  document.body.append(box);
});

afterEach(() => {
  box.remove();
});

describe('<x-terminal> as the console', () => {
  it('attaches with its fitted size and shows the replayed output in `text`', async () => {
    vm.replay = 'Debian GNU/Linux\r\nroot@webx86:~# ';
    const t = mount();
    await nextEvent(t, 'terminal-ready');
    const c = vm.console!;
    expect(c !== null, 'attached as the console').to.equal(true);
    expect(c.cols).to.equal(t.xterm!.cols);
    expect(c.rows).to.equal(t.xterm!.rows);
    // 640x320 px at 14px is far from the 80x24 it starts with: it was fitted before attaching.
    expect(c.cols).to.be.within(40, 79);
    expect(c.rows).to.be.within(8, 20);
    await t.written();
    expect(t.text).to.equal('Debian GNU/Linux\nroot@webx86:~#');
  });

  it('joins soft-wrapped rows and trims trailing blanks in `text`', async () => {
    const t = mount({ cols: '20', rows: '5' });
    await nextEvent(t, 'terminal-ready');
    vm.console!.write(`${'x'.repeat(25)}   \r\nnext\r\n\r\n\r\n`);
    await t.written();
    expect(t.text).to.equal(`${'x'.repeat(25)}\nnext`);
  });

  it('sends typed keys to the guest; Escape then Tab leaves the terminal', async () => {
    const before = document.createElement('button');
    box.before(before);
    try {
      const t = mount();
      await nextEvent(t, 'terminal-ready');
      t.focus();
      await sendKeys({ type: 'ls -l' });
      await sendKeys({ press: 'Tab' });
      await sendKeys({ press: 'Enter' });
      const c = vm.console!;
      await until(() => c.inputs.join('').endsWith('\r'), () => `Enter among ${JSON.stringify(c.inputs)}`);
      expect(c.inputs.join('')).to.equal('ls -l\t\r');
      // The keyboard way out: Escape still reaches the guest, the Tab after it moves focus.
      await sendKeys({ press: 'Escape' });
      await sendKeys({ down: 'Shift' });
      await sendKeys({ press: 'Tab' });
      await sendKeys({ up: 'Shift' });
      // (Elements in assertions cannot be sent to the test runner's report: compare booleans.)
      expect(document.activeElement === before, 'focus moved back to the button').to.equal(true);
      expect(c.inputs.join('')).to.equal('ls -l\t\r\x1b');
    } finally {
      before.remove();
    }
  });

  it('Ctrl+Shift+C copies the selection instead of sending ^C; Ctrl+Shift+V sends no ^V', async () => {
    const t = mount();
    await nextEvent(t, 'terminal-ready');
    vm.console!.write('copy me please');
    await t.written();
    let copied = '';
    // The test stands in for the clipboard (reading the real one needs a permission prompt).
    Object.defineProperty(navigator.clipboard, 'writeText', { configurable: true, value: async (s: string) => void (copied = s) });
    try {
      (t.xterm as unknown as { select(col: number, row: number, length: number): void }).select(0, 0, 7);
      t.focus();
      await sendKeys({ down: 'Control' });
      await sendKeys({ down: 'Shift' });
      await sendKeys({ press: 'KeyC' });
      await sendKeys({ press: 'KeyV' });
      await sendKeys({ up: 'Shift' });
      await sendKeys({ up: 'Control' });
      expect(copied).to.equal('copy me');
      expect(vm.console!.inputs).to.deep.equal([]);
    } finally {
      delete (navigator.clipboard as unknown as Record<string, unknown>).writeText;
    }
  });

  it('input() sends text as if typed', async () => {
    const t = mount();
    await nextEvent(t, 'terminal-ready');
    t.input('echo hi\r');
    expect(vm.console!.inputs).to.deep.equal(['echo hi\r']);
  });

  it('tells the guest its new size when the element is resized', async () => {
    const t = mount();
    await nextEvent(t, 'terminal-ready');
    const c = vm.console!;
    const { cols, rows } = c;
    box.style.cssText = 'width: 900px; height: 480px';
    await until(() => c.resizes.length > 0, () => 'a resize');
    const [newCols, newRows] = c.resizes[c.resizes.length - 1];
    expect(newCols).to.be.greaterThan(cols);
    expect(newRows).to.be.greaterThan(rows);
    expect([newCols, newRows]).to.deep.equal([t.xterm!.cols, t.xterm!.rows]);
  });

  it('keeps fixed rows and cols', async () => {
    const t = mount({ rows: '10', cols: '50' });
    await nextEvent(t, 'terminal-ready');
    expect([vm.console!.cols, vm.console!.rows]).to.deep.equal([50, 10]);
    t.setAttribute('cols', '60');
    await until(() => vm.console!.resizes.length > 0, () => 'a resize');
    expect(vm.console!.resizes).to.deep.equal([[60, 10]]);
  });

  it('says so when the console is already shown elsewhere, and stays idle', async () => {
    const first = mount();
    await nextEvent(first, 'terminal-ready');
    const second = mount();
    await shown(second, 'console is shown in another terminal');
    expect(vm.consoles).to.have.length(1);
    second.input('x');
    expect(vm.console!.inputs).to.deep.equal([]);
  });

  it('closes the session when removed, not when moved', async () => {
    const t = mount();
    await nextEvent(t, 'terminal-ready');
    const c = vm.console!;
    const inner = document.createElement('div');
    box.append(inner);
    inner.append(t); // a move: disconnected and connected again at once
    await Promise.resolve();
    await t.updateComplete;
    expect(c.closed, 'closed by a move').to.equal(0);
    expect(vm.consoles).to.have.length(1);
    t.remove();
    await until(() => c.closed === 1, () => 'the console closed');
    expect(vm.console === null, 'console free').to.equal(true);
  });

  it('attaches again when put back after a removal', async () => {
    const t = mount();
    await nextEvent(t, 'terminal-ready');
    t.remove();
    await until(() => vm.consoles[0].closed === 1, () => 'the console closed');
    vm.replay = 'again$ ';
    const ready = nextEvent(t, 'terminal-ready');
    box.append(t);
    await ready;
    expect(vm.consoles).to.have.length(2);
    await t.written();
    expect(t.text).to.equal('again$');
  });

  it('attaches when the VM appears after the terminal', async () => {
    const later = new FakeVm();
    const outer = document.createElement('div');
    box.replaceWith(outer);
    try {
      const t = mount({}, outer);
      await t.updateComplete;
      // Outside any VM (the fake in `box` is detached): nothing attached yet.
      expect(vm.consoles).to.have.length(0);
      const ready = nextEvent(t, 'terminal-ready');
      provideVm(later, outer).announce();
      await ready;
      expect(later.consoles).to.have.length(1);
    } finally {
      outer.remove();
    }
  });

  it('takes colours and font size from CSS custom properties, and follows changes', async () => {
    box.style.setProperty('--x-terminal-background', 'rgb(1, 2, 3)');
    box.style.setProperty('--x-terminal-red', 'hsl(0 100% 50%)');
    box.style.setProperty('--x-terminal-font-size', '18px');
    const t = mount();
    await nextEvent(t, 'terminal-ready');
    const options = t.xterm!.options;
    expect(options.theme?.background).to.equal('#010203');
    expect(options.theme?.red).to.equal('#ff0000');
    expect(options.fontSize).to.equal(18);
    t.style.setProperty('--x-terminal-background', 'white');
    await until(() => t.xterm!.options.theme?.background === '#ffffff', () => 'the new background');
    t.setAttribute('font-size', '12');
    await t.updateComplete;
    expect(t.xterm!.options.fontSize).to.equal(12);
  });
});

describe('<x-terminal> on touch screens', () => {
  it('scrolls the scrollback with a finger', async () => {
    const t = mount();
    await nextEvent(t, 'terminal-ready');
    vm.console!.write(Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\r\n'));
    await t.written();
    const buffer = () => (t.xterm as unknown as { buffer: { active: { viewportY: number; baseY: number } } }).buffer.active;
    expect(buffer().viewportY).to.equal(buffer().baseY);
    const screen = t.shadowRoot!.querySelector<HTMLElement>('.screen')!;
    const touch = (y: number) => [new Touch({ identifier: 1, target: screen, clientX: 100, clientY: y })];
    screen.dispatchEvent(new TouchEvent('touchstart', { touches: touch(100), bubbles: true, cancelable: true }));
    const move = new TouchEvent('touchmove', { touches: touch(260), bubbles: true, cancelable: true });
    screen.dispatchEvent(move);
    // 160 px down at about 17 px a row: the view moved up by about 9 rows, and the page did not scroll.
    expect(buffer().baseY - buffer().viewportY).to.be.within(7, 11);
    expect(move.defaultPrevented).to.equal(true);
  });
});

describe('<x-terminal cmd>', () => {
  it('starts the program on a pty and shows its exit status', async () => {
    const t = mount({ cmd: '/bin/bash', args: '["-l", "-i"]', cwd: '/root', env: 'EDITOR=vi' });
    await nextEvent(t, 'terminal-ready');
    expect(vm.consoles, 'not the console').to.have.length(0);
    const p = vm.ptys[0];
    expect(p.cmd).to.equal('/bin/bash');
    expect(p.args).to.deep.equal(['-l', '-i']);
    expect(p.opts.cwd).to.equal('/root');
    expect(p.opts.env).to.include('TERM=xterm-256color').and.to.include('EDITOR=vi');
    expect([p.cols, p.rows]).to.deep.equal([t.xterm!.cols, t.xterm!.rows]);
    p.write('$ exit');
    t.input('x');
    expect(p.inputs).to.deep.equal(['x']);
    const exit = nextEvent<{ status: number }>(t, 'terminal-exit');
    p.exitWith(3);
    expect((await exit).detail.status).to.equal(3);
    expect(t.text).to.equal('$ exit\n[process exited with status 3]');
  });

  it('with restart, starts it again', async () => {
    const t = mount({ cmd: '/bin/sh', restart: '' });
    await nextEvent(t, 'terminal-ready');
    const again = nextEvent(t, 'terminal-ready');
    vm.ptys[0].exitWith(0);
    await again;
    expect(vm.ptys).to.have.length(2);
    expect(vm.ptys[1].cmd).to.equal('/bin/sh');
  });

  it('hangs up the pty when removed', async () => {
    const t = mount({ cmd: '/bin/sh' });
    await nextEvent(t, 'terminal-ready');
    t.remove();
    await until(() => vm.ptys[0].closed === 1, () => 'the pty closed');
  });

  it('reopens with the new program when cmd changes', async () => {
    const t = mount({ cmd: '/bin/sh' });
    await nextEvent(t, 'terminal-ready');
    const ready = nextEvent(t, 'terminal-ready');
    t.setAttribute('cmd', '/bin/bash');
    await ready;
    expect(vm.ptys[0].closed).to.equal(1);
    expect(vm.ptys[1].cmd).to.equal('/bin/bash');
  });

  it('reports a bad args attribute in words', async () => {
    const t = mount({ cmd: '/bin/sh', args: '["-c", ' });
    const error = await nextEvent<{ message: string }>(t, 'terminal-error');
    expect(error.detail.message).to.match(/args.*JSON/);
    await shown(t, 'could not start /bin/sh');
    expect(vm.ptys).to.have.length(0);
  });
});

describe('<x-terminal> accessibility', () => {
  it('is focusable, labelled, and focuses its input on click', async () => {
    const t = mount({ 'aria-label': 'Linux shell' });
    await nextEvent(t, 'terminal-ready');
    const textarea = t.shadowRoot!.querySelector('textarea')!;
    expect(textarea.getAttribute('aria-label')).to.equal('Linux shell');
    t.shadowRoot!.querySelector<HTMLElement>('[part=terminal]')!.click();
    expect(t.shadowRoot!.activeElement === textarea, 'focus in the textarea').to.equal(true);
    expect(document.activeElement === t, 'focus in the terminal').to.equal(true);
  });

  it('focuses itself with autofocus', async () => {
    const t = mount({ autofocus: '' });
    await nextEvent(t, 'terminal-ready');
    expect(document.activeElement === t, 'focus in the terminal').to.equal(true);
  });
});
