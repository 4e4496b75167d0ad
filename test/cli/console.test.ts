/**
 * An interactive shell on the console, driven keystroke by keystroke through a host
 * terminal, as a person at the CLI (or at an xterm.js terminal later) would use it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMachine, spawnOnConsole } from '../../src/engine/machine.js';
import type { HostTerminal, TermSize } from '../../src/engine/tty/console.js';
import { HostFs } from '../../src/host/node/hostfs.js';
import { busyboxBinDir } from '../../src/host/node/debian-packages.js';

/** A scripted terminal: keystrokes in, screen bytes out. */
class ScriptedTerminal implements HostTerminal {
  out = '';
  private input: (b: Uint8Array) => void = () => {};
  private resize: (s: TermSize) => void = () => {};
  write(b: Uint8Array): void {
    const text = Buffer.from(b).toString('utf8');
    // Answer cursor-position queries as a terminal does (busybox line editing asks).
    if (text.includes('\x1b[6n')) setTimeout(() => this.type('\x1b[1;3R'), 0);
    this.out += text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
  }
  onInput(cb: (b: Uint8Array) => void): void { this.input = cb; }
  onResize(cb: (s: TermSize) => void): void { this.resize = cb; }
  size(): TermSize { return { cols: 80, rows: 24 }; }
  type(s: string): void { this.input(new TextEncoder().encode(s)); }
  setSize(s: TermSize): void { this.resize(s); }
  /**
   * Wait for the prompt, then a moment more: the shell's line editor asks for the cursor
   * position after printing it, and a person types after the answer, not before.
   */
  async prompt(from = 0): Promise<void> {
    await this.waitFor(/\$ $/, from);
    await new Promise((r) => setTimeout(r, 100));
  }
  /** Wait until the screen output since `from` matches. */
  async waitFor(re: RegExp, from = 0, ms = 60000): Promise<string> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const seen = this.out.slice(from);
      if (re.test(seen)) return seen;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`timed out waiting for ${re}; screen so far:\n${this.out.slice(from)}`);
  }
}

test('interactive sh on the console: editing, ^C, pipelines, job control, exit status', async () => {
  const term = new ScriptedTerminal();
  const m = await createMachine({ terminal: term, mounts: [{ path: '/bin', fs: new HostFs(busyboxBinDir()) }] });
  const p = await spawnOnConsole(m, '/bin/sh', { argv: ['sh'], env: ['PATH=/bin', 'PS1=$ ', 'HOME=/'] });
  assert.ok(typeof p !== 'number', `spawn failed: ${p}`);
  let status = -1;
  m.kernel.sched.onProcessExit = (q) => { if (q === p) status = q.exitStatus; };
  const done = m.kernel.sched.run();

  await term.prompt();
  let mark = term.out.length;
  // Line editing: type, move to the start of the line (^A), insert, run.
  term.type('cho $((6*7))\x01e\r');
  await term.waitFor(/\r\n42\r\n\$ $/, mark);
  await term.prompt(mark);

  mark = term.out.length;
  term.type('sleep 100\r');
  await new Promise((r) => setTimeout(r, 300));
  term.type('\x03');
  await term.waitFor(/\^C[\s\S]*\$ $/, mark);
  await term.prompt(mark);

  mark = term.out.length;
  term.type('seq 1 5 | sort -r | tr "\\n" ,; echo\r');
  await term.waitFor(/5,4,3,2,1,\r\n\$ $/, mark);
  await term.prompt(mark);

  mark = term.out.length;
  term.type('tty; stty size\r');
  await term.waitFor(/\/dev\/tty1\r\n24 80\r\n\$ $/, mark);
  await term.prompt(mark);

  // A resize reaches the guest as TIOCSWINSZ.
  term.setSize({ cols: 100, rows: 30 });
  mark = term.out.length;
  term.type('stty size\r');
  await term.waitFor(/30 100\r\n\$ $/, mark);
  await term.prompt(mark);

  // ^Z stops a foreground job; fg resumes it; ^D ends its input.
  mark = term.out.length;
  term.type('cat\r');
  await new Promise((r) => setTimeout(r, 200));
  term.type('\x1a');
  await term.waitFor(/Stopped\s+cat\r\n\$ $/, mark);
  await term.prompt(mark);
  mark = term.out.length;
  term.type('fg\r');
  await term.waitFor(/cat\r\n/, mark);
  term.type('hello\r');
  await term.waitFor(/hello\r\nhello\r\n/, mark);
  term.type('\x04');
  await term.prompt(mark);

  term.type('exit 3\r');
  await done;
  assert.equal(status, 3 << 8);
});
