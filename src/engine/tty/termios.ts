/**
 * struct termios as the i386 kernel exchanges it (asm-generic/termbits.h; x86 has no
 * arch override), the flag bits the line discipline acts on, c_cc indices, and the
 * defaults a fresh Linux tty starts with.
 */

// c_iflag (termbits-common.h, termbits.h).
export const IGNBRK = 0x001, BRKINT = 0x002, IGNPAR = 0x004, PARMRK = 0x008, INPCK = 0x010;
export const ISTRIP = 0x020, INLCR = 0x040, IGNCR = 0x080, ICRNL = 0x100, IUCLC = 0x200;
export const IXON = 0x400, IXANY = 0x800, IXOFF = 0x1000, IMAXBEL = 0x2000, IUTF8 = 0x4000;

// c_oflag.
export const OPOST = 0x01, OLCUC = 0x02, ONLCR = 0x04, OCRNL = 0x08, ONOCR = 0x10, ONLRET = 0x20;
export const OFILL = 0x40, OFDEL = 0x80, TABDLY = 0x1800, XTABS = 0x1800;

// c_cflag.
export const CBAUD = 0x100f, B0 = 0, B38400 = 0xf, CSIZE = 0x30, CS8 = 0x30, CSTOPB = 0x40;
export const CREAD = 0x80, PARENB = 0x100, HUPCL = 0x400, CLOCAL = 0x800, BOTHER = 0x1000;
export const CIBAUD = 0x100f0000, IBSHIFT = 16;

// c_lflag.
export const ISIG = 0x1, ICANON = 0x2, XCASE = 0x4, ECHO = 0x8, ECHOE = 0x10, ECHOK = 0x20;
export const ECHONL = 0x40, NOFLSH = 0x80, TOSTOP = 0x100, ECHOCTL = 0x200, ECHOPRT = 0x400;
export const ECHOKE = 0x800, FLUSHO = 0x1000, PENDIN = 0x4000, IEXTEN = 0x8000, EXTPROC = 0x10000;

/** c_cc indices (termbits.h). */
export const VINTR = 0, VQUIT = 1, VERASE = 2, VKILL = 3, VEOF = 4, VTIME = 5, VMIN = 6, VSWTC = 7;
export const VSTART = 8, VSTOP = 9, VSUSP = 10, VEOL = 11, VREPRINT = 12, VDISCARD = 13;
export const VWERASE = 14, VLNEXT = 15, VEOL2 = 16;
export const NCCS = 19;
/** struct termio (TCGETA) keeps only the first 8 control characters. */
export const NCC = 8;

/** A c_cc value of 0 disables the function (_POSIX_VDISABLE on Linux). */
export const VDISABLE = 0;

// tcflush / tcflow selectors.
export const TCIFLUSH = 0, TCOFLUSH = 1, TCIOFLUSH = 2;
export const TCOOFF = 0, TCOON = 1, TCIOFF = 2, TCION = 3;

export interface Termios {
  iflag: number;
  oflag: number;
  cflag: number;
  lflag: number;
  line: number;
  /** NCCS control characters. */
  cc: Uint8Array;
  ispeed: number;
  ospeed: number;
}

/**
 * Defaults measured on this machine (python3 pty.openpty + tcgetattr on a fresh pty):
 * iflag 0x500, oflag 0x5, cflag 0xbf, lflag 0x8a3b, and the c_cc row below. These are
 * the kernel's tty_std_termios, which the console also starts from.
 */
const DEFAULT_CC: readonly [index: number, value: number][] = [
  [VINTR, 0x03],    // ^C
  [VQUIT, 0x1c],    // ^\
  [VERASE, 0x7f],   // ^?
  [VKILL, 0x15],    // ^U
  [VEOF, 0x04],     // ^D
  [VTIME, 0],
  [VMIN, 1],
  [VSWTC, 0],
  [VSTART, 0x11],   // ^Q
  [VSTOP, 0x13],    // ^S
  [VSUSP, 0x1a],    // ^Z
  [VEOL, 0],
  [VREPRINT, 0x12], // ^R
  [VDISCARD, 0x0f], // ^O
  [VWERASE, 0x17],  // ^W
  [VLNEXT, 0x16],   // ^V
  [VEOL2, 0],
];

export function defaultTermios(): Termios {
  const cc = new Uint8Array(NCCS);
  for (const [i, v] of DEFAULT_CC) cc[i] = v;
  return {
    iflag: ICRNL | IXON,
    oflag: OPOST | ONLCR,
    cflag: B38400 | CS8 | CREAD,
    lflag: ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
    line: 0,
    cc,
    ispeed: 38400,
    ospeed: 38400,
  };
}

export function cloneTermios(t: Termios): Termios {
  return { ...t, cc: t.cc.slice() };
}

/** Baud rates of the CBAUD codes, indexed by code (B0..B38400, then CBAUDEX|1..15). */
const BAUD = [0, 50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400];
const BAUDEX = [0, 57600, 115200, 230400, 460800, 500000, 576000, 921600, 1000000, 1152000,
  1500000, 2000000, 2500000, 3000000, 3500000, 4000000];

export function baudOf(code: number): number {
  return code & BOTHER ? BAUDEX[code & 0xf] : BAUD[code & 0xf];
}

/** Sizes of the structures exchanged by the ioctls (checked with gcc -m32 sizeof). */
export const TERMIOS_SIZE = 36, TERMIOS2_SIZE = 44, TERMIO_SIZE = 18;

/** struct termios (TCGETS) or struct termios2 (TCGETS2, with the two speeds). */
export function encodeTermios(t: Termios, dv: DataView, v2: boolean): void {
  dv.setUint32(0, t.iflag, true);
  dv.setUint32(4, t.oflag, true);
  dv.setUint32(8, t.cflag, true);
  dv.setUint32(12, t.lflag, true);
  dv.setUint8(16, t.line);
  for (let i = 0; i < NCCS; i++) dv.setUint8(17 + i, t.cc[i]);
  if (v2) {
    dv.setUint32(36, t.ispeed, true);
    dv.setUint32(40, t.ospeed, true);
  }
}

export function decodeTermios(dv: DataView, v2: boolean): Termios {
  const t: Termios = {
    iflag: dv.getUint32(0, true),
    oflag: dv.getUint32(4, true),
    cflag: dv.getUint32(8, true),
    lflag: dv.getUint32(12, true),
    line: dv.getUint8(16),
    cc: new Uint8Array(NCCS),
    ispeed: 0,
    ospeed: 0,
  };
  for (let i = 0; i < NCCS; i++) t.cc[i] = dv.getUint8(17 + i);
  // Without termios2 (or without BOTHER) the speeds follow the CBAUD/CIBAUD codes;
  // a zero input code means "same as output" (termios(3)).
  const ocode = t.cflag & CBAUD;
  const icode = (t.cflag & CIBAUD) >>> IBSHIFT;
  t.ospeed = v2 && ocode === BOTHER ? dv.getUint32(40, true) : baudOf(ocode);
  t.ispeed = v2 && icode === BOTHER ? dv.getUint32(36, true) : icode ? baudOf(icode) : t.ospeed;
  return t;
}

/** struct termio: 16-bit flags and NCC characters (TCGETA). */
export function encodeTermio(t: Termios, dv: DataView): void {
  dv.setUint16(0, t.iflag & 0xffff, true);
  dv.setUint16(2, t.oflag & 0xffff, true);
  dv.setUint16(4, t.cflag & 0xffff, true);
  dv.setUint16(6, t.lflag & 0xffff, true);
  dv.setUint8(8, t.line);
  for (let i = 0; i < NCC; i++) dv.setUint8(9 + i, t.cc[i]);
}

/** TCSETA replaces only the low 16 bits of each flag word and the first NCC characters. */
export function applyTermio(old: Termios, dv: DataView): Termios {
  const t = cloneTermios(old);
  t.iflag = (t.iflag & ~0xffff) | dv.getUint16(0, true);
  t.oflag = (t.oflag & ~0xffff) | dv.getUint16(2, true);
  t.cflag = (t.cflag & ~0xffff) | dv.getUint16(4, true);
  t.lflag = (t.lflag & ~0xffff) | dv.getUint16(6, true);
  t.line = dv.getUint8(8);
  for (let i = 0; i < NCC; i++) t.cc[i] = dv.getUint8(9 + i);
  t.ospeed = baudOf(t.cflag & CBAUD);
  return t;
}

/** struct winsize. */
export interface Winsize { rows: number; cols: number; xpixel: number; ypixel: number }
export const WINSIZE_SIZE = 8;
