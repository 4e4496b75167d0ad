/**
 * tty ioctl request numbers for i386 (asm-generic/ioctls.h; the _IOR/_IOW ones were
 * checked by printing them from a gcc -m32 build on this machine).
 */
export const TCGETS = 0x5401;
export const TCSETS = 0x5402;
export const TCSETSW = 0x5403;
export const TCSETSF = 0x5404;
export const TCGETA = 0x5405;
export const TCSETA = 0x5406;
export const TCSETAW = 0x5407;
export const TCSETAF = 0x5408;
export const TCSBRK = 0x5409;
export const TCXONC = 0x540a;
export const TCFLSH = 0x540b;
export const TIOCEXCL = 0x540c;
export const TIOCNXCL = 0x540d;
export const TIOCSCTTY = 0x540e;
export const TIOCGPGRP = 0x540f;
export const TIOCSPGRP = 0x5410;
export const TIOCOUTQ = 0x5411;
export const TIOCSTI = 0x5412;
export const TIOCGWINSZ = 0x5413;
export const TIOCSWINSZ = 0x5414;
export const TIOCMGET = 0x5415;
import { FIONREAD } from '../abi/ioctls.js';
export { FIONREAD };
export const TIOCINQ = FIONREAD;
export const TIOCLINUX = 0x541c;
export const TIOCCONS = 0x541d;
export const TIOCPKT = 0x5420;
export const FIONBIO = 0x5421;
export const TIOCNOTTY = 0x5422;
export const TIOCSETD = 0x5423;
export const TIOCGETD = 0x5424;
export const TCSBRKP = 0x5425;
export const TIOCSBRK = 0x5427;
export const TIOCCBRK = 0x5428;
export const TIOCGSID = 0x5429;
export const TCGETS2 = 0x802c542a;
export const TCSETS2 = 0x402c542b;
export const TCSETSW2 = 0x402c542c;
export const TCSETSF2 = 0x402c542d;
export const TIOCGPTN = 0x80045430;
export const TIOCSPTLCK = 0x40045431;
export const TIOCGDEV = 0x80045432;
export const TIOCSIG = 0x40045436;
export const TIOCVHANGUP = 0x5437;
export const TIOCGPKT = 0x80045438;
export const TIOCGPTLCK = 0x80045439;
export const TIOCGEXCL = 0x80045440;
export const TIOCGPTPEER = 0x5441;
export const KDGKBTYPE = 0x4b33;

// TIOCPKT status bits (first byte of each packet-mode read on the master).
export const TIOCPKT_DATA = 0, TIOCPKT_FLUSHREAD = 1, TIOCPKT_FLUSHWRITE = 2, TIOCPKT_STOP = 4;
export const TIOCPKT_START = 8, TIOCPKT_NOSTOP = 16, TIOCPKT_DOSTOP = 32;

/** How a TCSETS-family request applies the new settings (tcsetattr's optional_actions). */
export const SET_NOW = 0, SET_DRAIN = 1, SET_FLUSH = 2;

/**
 * The termios-setting requests as data: struct flavour and when they apply. One row
 * per request so the dispatcher has a single code path for all twelve variants.
 */
export const SET_REQUESTS: ReadonlyMap<number, { kind: 'termios' | 'termios2' | 'termio'; when: number }> = new Map([
  [TCSETS, { kind: 'termios', when: SET_NOW }],
  [TCSETSW, { kind: 'termios', when: SET_DRAIN }],
  [TCSETSF, { kind: 'termios', when: SET_FLUSH }],
  [TCSETS2, { kind: 'termios2', when: SET_NOW }],
  [TCSETSW2, { kind: 'termios2', when: SET_DRAIN }],
  [TCSETSF2, { kind: 'termios2', when: SET_FLUSH }],
  [TCSETA, { kind: 'termio', when: SET_NOW }],
  [TCSETAW, { kind: 'termio', when: SET_DRAIN }],
  [TCSETAF, { kind: 'termio', when: SET_FLUSH }],
] as const);
