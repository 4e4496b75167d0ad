/**
 * How the elements find their machine: `<x-vm>` provides itself as a `VmHost` through
 * @lit/context, and `<x-terminal>`, `<x-vm-status>` and the others inside it consume it.
 * Consumers only ever see this interface, so they can be tested against any host.
 */
import { createContext } from '@lit/context';
import type { Linux } from '../api/linux.js';
import type { RunOptions } from '../host/worker/protocol.js';

export type VmPhase = 'idle' | 'loading' | 'booting' | 'running' | 'exited' | 'error';

/** What `<x-vm>` knows about itself, for status displays. A new object on every change. */
export interface VmStatus {
  phase: VmPhase;
  /** One line for people: "Downloading disk blocks…", "Running /bin/bash", the error. */
  message: string;
  /** Bytes fetched from disk servers so far, and requests made / in flight. */
  bytesDownloaded: number;
  requests: number;
  inFlight: number;
  /** Blocks served from a local cache or overlay vs. fetched. */
  cacheHits: number;
  cacheMisses: number;
  cpu: 'ready' | 'wait';
  disk: 'ready' | 'wait';
  /** What is going wrong with the disk right now (a stalled server being retried), or null. */
  diskProblem?: string | null;
  /** Milliseconds to fetch the last block (null before any fetch). */
  latencyMs: number | null;
  /** How many latency samples so far: a new sample equal to the last still counts. */
  latencySamples?: number;
  /** The readable error when phase is 'error' (also sent as `vm-error`). */
  error: string | null;
  /** Exit status of the last run of `cmd`. */
  exitStatus: number | null;
  /** Bytes received and sent through the VM's network; absent without networking. */
  netBytesIn?: number;
  netBytesOut?: number;
}

/** Where a terminal's output goes. */
export interface TerminalSink {
  write(bytes: Uint8Array): void;
}

/** A terminal connected to the guest: the console or a pty of its own. */
export interface TerminalSession {
  input(data: string | Uint8Array): void;
  resize(cols: number, rows: number): void;
  /** Detach (the console) or hang up (a pty). */
  close(): void;
}

export interface PtySession extends TerminalSession {
  /** Resolves with the exit status of the program started on the pty. */
  readonly exit: Promise<number>;
}

/** What `<x-vm>` offers the elements inside it. Status changes fire `vm-status` on it. */
export interface VmHost extends EventTarget {
  readonly status: VmStatus;
  /** Resolves when the machine is up (rejects with a readable Error if it cannot boot). */
  readonly ready: Promise<Linux>;
  /**
   * Become the VM's console unless another terminal already is; output written before this
   * call is replayed. Returns null when the console is taken.
   */
  attachConsole(sink: TerminalSink, cols: number, rows: number): TerminalSession | null;
  /** Start a program on a new pseudo-terminal (waits for boot). */
  openTerminal(cmd: string, args: string[], opts: RunOptions, sink: TerminalSink, cols: number, rows: number): Promise<PtySession>;
}

export const vmContext = createContext<VmHost | undefined>(Symbol.for('webx86-vm'));
