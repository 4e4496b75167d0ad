/** Terminals: the line discipline, the console, ptys and devpts, job control. */
export { Tty, TtyFile, type TtyDriver, mkdev, charDevStat } from './tty.js';
export { LineDiscipline, type LdiscHost, INPUT_BUF } from './ldisc.js';
export { Console, type HostTerminal, type TermSize, CONSOLE_NODES } from './console.js';
export { PtyPair, PtyMasterFile, PTS_MAJOR, MASTER_BUF } from './pty.js';
export { Devpts, DEVPTS_MAGIC } from './devpts.js';
export { registerTtyDevices, type DevfsLike, type DeviceOpen, type TtyDeviceOptions } from './devices.js';
export {
  maybeAcquireCtty, disassociateCtty, cttyOf, setCtty, isOrphanedPgrp, checkBackground, hangupSession,
} from './jobctl.js';
export { type Termios, type Winsize, defaultTermios } from './termios.js';
