/**
 * A stand-in for `<x-vm>` in unit tests of the elements that consume it: it implements the
 * VmHost contract (src/elements/context.ts) and records what the element asks of it. The
 * real machine is covered end to end by vm.test.ts.
 *
 * It is provided with the test's own copy of @lit/context: the context key is
 * `Symbol.for('webx86-vm')`, so the bundle's copy inside dist/webx86.js finds it.
 */
import { ContextProvider, createContext } from '@lit/context';
import type { PtySession, TerminalSession, TerminalSink, VmHost, VmStatus } from '../../src/elements/context.js';
import type { RunOptions } from '../../src/host/worker/protocol.js';

const vmContext = createContext<VmHost | undefined>(Symbol.for('webx86-vm'));

export const INITIAL_STATUS: VmStatus = {
  phase: 'idle', message: 'Not started', bytesDownloaded: 0, requests: 0, inFlight: 0, cacheHits: 0, cacheMisses: 0,
  cpu: 'ready', disk: 'ready', latencyMs: null, error: null, exitStatus: null,
};

const encoder = new TextEncoder();

export class FakeConsole {
  inputs: string[] = [];
  resizes: [number, number][] = [];
  closed = 0;
  constructor(readonly sink: TerminalSink, readonly cols: number, readonly rows: number) {}
  write(text: string): void {
    this.sink.write(encoder.encode(text));
  }
}

export class FakePty extends FakeConsole {
  exitWith!: (status: number) => void;
  readonly exit = new Promise<number>((resolve) => (this.exitWith = resolve));
  constructor(readonly cmd: string, readonly args: string[], readonly opts: RunOptions, sink: TerminalSink, cols: number, rows: number) {
    super(sink, cols, rows);
  }
}

export class FakeVm extends EventTarget implements VmHost {
  status: VmStatus = { ...INITIAL_STATUS };
  readonly ready = new Promise<never>(() => {});
  console: FakeConsole | null = null;
  /** Every console attachment, including ones since closed. */
  consoles: FakeConsole[] = [];
  ptys: FakePty[] = [];
  /** Written to a console as it attaches: output from before, replayed. */
  replay = '';

  attachConsole(sink: TerminalSink, cols: number, rows: number): TerminalSession | null {
    if (this.console) return null;
    const c = new FakeConsole(sink, cols, rows);
    this.console = c;
    this.consoles.push(c);
    if (this.replay) c.write(this.replay);
    return {
      input: (d) => c.inputs.push(typeof d === 'string' ? d : new TextDecoder().decode(d)),
      resize: (cols, rows) => c.resizes.push([cols, rows]),
      close: () => {
        c.closed++;
        if (this.console === c) this.console = null;
      },
    };
  }

  async openTerminal(cmd: string, args: string[], opts: RunOptions, sink: TerminalSink, cols: number, rows: number): Promise<PtySession> {
    const p = new FakePty(cmd, args, opts, sink, cols, rows);
    this.ptys.push(p);
    return {
      exit: p.exit,
      input: (d) => p.inputs.push(typeof d === 'string' ? d : new TextDecoder().decode(d)),
      resize: (cols, rows) => p.resizes.push([cols, rows]),
      close: () => void p.closed++,
    };
  }

  setStatus(change: Partial<VmStatus>): void {
    this.status = { ...this.status, ...change };
    this.dispatchEvent(new CustomEvent('vm-status', { detail: this.status }));
  }

  fail(message: string): void {
    this.setStatus({ phase: 'error', error: message, message });
    this.dispatchEvent(new CustomEvent('vm-error', { detail: { message } }));
  }
}

/**
 * Makes `el` provide `vm` to what is inside it, as `<x-vm>` does. A plain element is no
 * ReactiveControllerHost: call `announce()` to send the `context-provider` signal an `<x-vm>`
 * sends when it is upgraded after the elements inside it.
 */
export function provideVm(vm: FakeVm, el: HTMLElement = document.createElement('div')): { el: HTMLElement; announce: () => void } {
  const provider = new ContextProvider(el, { context: vmContext, initialValue: vm });
  return { el, announce: () => provider.hostConnected() };
}

