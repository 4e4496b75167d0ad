/**
 * The console: a Tty whose device is the host's terminal (xterm.js in the browser,
 * the Node process's stdio). /dev/console, /dev/tty0 and /dev/tty1 all reach it, and
 * the first process gets it as descriptors 0, 1 and 2.
 */
import { K_OFF, Vt } from './vt.js';
import { type File, O_RDWR, type Stat } from '../fs/types.js';
import type { Kernel } from '../linux/kernel.js';
import type { Process } from '../linux/task.js';
import { Tty, charDevStat, mkdev } from './tty.js';
import { defaultTermios, IUTF8 } from './termios.js';
import { setCtty } from './jobctl.js';

export interface TermSize { cols: number; rows: number }

/** What a host terminal offers; the browser and Node adapters implement it. */
export interface HostTerminal {
  /** Output for the screen, already processed by the line discipline (ONLCR etc.). */
  write(bytes: Uint8Array): void;
  /** Keyboard input, as bytes a terminal sends. */
  onInput(cb: (bytes: Uint8Array) => void): void;
  size(): TermSize;
  onResize(cb: (size: TermSize) => void): void;
  /** Input ended for good (a pipe at EOF): readers see end of file, nobody gets SIGHUP. */
  onEnd?(cb: () => void): void;
}

/** The console's device nodes: name, device number, permissions (as on Debian). */
export const CONSOLE_NODES: readonly { name: string; rdev: number; perm: number; ctty: boolean }[] = [
  // Opening /dev/console or /dev/tty0 never acquires a controlling terminal (Linux tty_open).
  { name: 'console', rdev: mkdev(5, 1), perm: 0o600, ctty: false },
  { name: 'tty0', rdev: mkdev(4, 0), perm: 0o620, ctty: false },
  { name: 'tty1', rdev: mkdev(4, 1), perm: 0o620, ctty: true },
];

export class Console {
  readonly tty: Tty;
  readonly vt = new Vt();
  private readonly created = Date.now();

  constructor(kernel: Kernel, readonly host: HostTerminal, readonly devfsDev = 5) {
    // A Linux VT in UTF-8 mode (the default) sets IUTF8 so erase removes whole
    // characters; ptys keep the plain default.
    const tio = defaultTermios();
    tio.iflag |= IUTF8;
    this.tty = new Tty(kernel, 'tty1', mkdev(4, 1), {
      write: (b) => host.write(b),
      writeRoom: () => Infinity,
      flushOutput: () => {},
      outq: () => 0,
    }, tio);
    const s = host.size();
    this.tty.winsize = { rows: s.rows, cols: s.cols, xpixel: 0, ypixel: 0 };
    // The console is the machine's virtual terminal (tty/vt.ts); K_OFF keeps keys from it.
    this.tty.deviceIoctl = (t, req, arg) => this.vt.ioctl(t, req >>> 0, arg);
    host.onInput((b) => { if (this.vt.kbMode !== K_OFF) this.tty.input(b); });
    host.onResize((sz) => this.tty.setWinsize({ ...this.tty.winsize, rows: sz.rows, cols: sz.cols }));
    host.onEnd?.(() => this.tty.endInput());
  }

  /** stat of one of the console's nodes (by name in CONSOLE_NODES). */
  nodeStat(name: string): Stat {
    const n = CONSOLE_NODES.find((x) => x.name === name) ?? CONSOLE_NODES[2];
    return charDevStat(n.rdev, n.perm, 0x100 + (n.rdev & 0xffff), this.devfsDev, 0, n.perm === 0o620 ? 5 : 0, this.created);
  }

  /** An open description of node `name` (console, tty0, tty1). */
  open(flags: number, name = 'tty1'): File {
    return this.tty.open(flags, `/dev/${name}`, () => this.nodeStat(name));
  }

  /**
   * Descriptors 0, 1, 2 of the first process: one description, like init's
   * open("/dev/console") and dup2, but as tty1 so job control and ttyname work. Also makes
   * the console the controlling terminal of `proc`'s session when it is a session leader.
   */
  stdio(proc?: Process): File {
    const f = this.open(O_RDWR, 'tty1');
    if (proc && proc.pid === proc.sid && this.tty.session === 0) setCtty(proc, this.tty);
    return f;
  }
}
