/**
 * A pseudo-terminal whose master side is the host (a terminal element on the page, a
 * second window in Node): the guest sees an ordinary /dev/pts/N as its controlling
 * terminal, and the host gets its output as bytes and feeds it keystrokes and sizes, the
 * way a terminal emulator holding /dev/ptmx would.
 */
import { O_RDWR, type File } from '../fs/types.js';
import type { Devpts } from './devpts.js';
import type { PtyPair, PtyMasterFile } from './pty.js';
import { charDevStat, mkdev } from './tty.js';

export interface HostPty {
  readonly pair: PtyPair;
  /** A description of the slave for the program's descriptors 0-2. */
  readonly slave: File;
  input(bytes: Uint8Array): void;
  resize(cols: number, rows: number): void;
  /** Close the master: the slave side is hung up (SIGHUP to its session). */
  close(): void;
}

export function openHostPty(devpts: Devpts, cols: number, rows: number, write: (bytes: Uint8Array) => void): HostPty | number {
  const master = devpts.openMaster(O_RDWR, '/dev/ptmx', () => charDevStat(mkdev(5, 2), 0o666, 2, devpts.dev, 0, 5, Date.now()));
  if (typeof master === 'number') return master;
  const pair = (master as PtyMasterFile).pair;
  pair.locked = false;
  const slave = pair.openSlave(O_RDWR, `/dev/pts/${pair.index}`);
  if (typeof slave === 'number') { pair.closeMaster(); return slave; }
  pair.slave.setWinsize({ rows, cols, xpixel: 0, ypixel: 0 });
  let open = true;
  // Drain whatever the slave wrote each time the pair signals the master side.
  const drain = () => {
    if (!open) return;
    const n = pair.pending();
    if (n > 0) write(Uint8Array.from(pair.take(n)));
    pair.masterEvent.add(drain);
  };
  pair.masterEvent.add(drain);
  return {
    pair,
    slave,
    input: (b) => { if (open) pair.slave.input(b); },
    resize: (c, r) => { if (open) pair.slave.setWinsize({ ...pair.slave.winsize, cols: c, rows: r }); },
    close: () => {
      if (!open) return;
      open = false;
      pair.closeMaster();
    },
  };
}
