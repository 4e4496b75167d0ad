/**
 * The N_TTY line discipline: input processing (termios(3) "Canonical and noncanonical
 * mode", "c_iflag"), echo, and output processing (c_oflag). No tasks and no blocking
 * here: the Tty calls receive() with device input and read*() for readers, and the
 * discipline reports output, signals and state changes through LdiscHost.
 *
 * Where termios(3) leaves details open, the behaviour follows what a Linux pty does,
 * observed with python3's pty module on this machine (see test/tty/ldisc.test.ts):
 * ECHOCTL shows control characters as ^X except TAB (and NL when canonical), erase of a
 * ^X echo takes two "\b \b", VLNEXT echoes "^\b", VWERASE deletes trailing non-word
 * characters then alphanumerics/underscore, VEOF is not echoed.
 */
import {
  type Termios, ECHO, ECHOCTL, ECHOE, ECHOK, ECHOKE, ECHONL, ECHOPRT, ICANON, ICRNL, IEXTEN,
  IGNCR, INLCR, ISIG, ISTRIP, IUCLC, IUTF8, IXANY, IXON, NOFLSH, OCRNL, OLCUC, ONLCR, ONLRET,
  ONOCR, OPOST, TABDLY, XTABS, VDISABLE, VEOF, VEOL, VEOL2, VERASE, VINTR, VKILL, VLNEXT, VQUIT,
  VREPRINT, VSTART, VSTOP, VSUSP, VWERASE, PENDIN,
} from './termios.js';

/** Linux's N_TTY_BUF_SIZE: the input buffer, and one more than the longest canonical line. */
export const INPUT_BUF = 4096;
const MAX_LINE = INPUT_BUF - 1;

import { SIGINT, SIGQUIT, SIGTSTP } from '../abi/signals.js';
const NL = 0x0a, CR = 0x0d, TAB = 0x09, BS = 0x08, SPACE = 0x20, DEL = 0x7f;

const isCntrl = (c: number) => c < 0x20 || c === DEL;
const isWordChar = (c: number) =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;

export interface LdiscHost {
  /** Bytes after output processing, for the device (terminal or pty master). */
  output(bytes: Uint8Array): void;
  /** An ISIG character arrived: signal the foreground process group. */
  signal(signo: number): void;
  /** Discard output the device has not yet consumed (ISIG flush, TCOFLUSH). */
  flushOutput(): void;
  /** Readable or writable state may have changed. */
  changed(): void;
}

export class LineDiscipline {
  /** Completed canonical lines; an empty line is an end-of-file mark (VEOF on an empty line). */
  private lines: { data: number[]; off: number }[] = [];
  /** The canonical line being edited. */
  private cur: number[] = [];
  /** Non-canonical input not yet read. */
  private raw: number[] = [];
  private rawOff = 0;
  /** The previous character was VLNEXT: take the next one literally. */
  private lnext = false;
  /** ECHOPRT: inside a "\erased/" run. */
  private erasing = false;
  /** Output column, for tab expansion and erasing tabs. */
  column = 0;
  /** Column where the current canonical line's echo began. */
  private canonColumn = 0;
  /** Output suspended by VSTOP (IXON) or TCOOFF. */
  stopped = false;
  /** Echoes produced while output is stopped; sent when it restarts. */
  private held: number[] = [];

  constructor(public termios: Termios, private readonly host: LdiscHost) {}

  private get icanon(): boolean { return (this.termios.lflag & ICANON) !== 0; }
  private cc(i: number): number { return this.termios.cc[i]; }
  /** c is the enabled special character at index i. */
  private is(c: number, i: number): boolean { return this.termios.cc[i] !== VDISABLE && c === this.termios.cc[i]; }
  private isCont(c: number): boolean { return (this.termios.iflag & IUTF8) !== 0 && (c & 0xc0) === 0x80; }

  // ---- reading side ----

  /** Bytes a read could return now (FIONREAD): complete lines when canonical. */
  inq(): number {
    if (!this.icanon) return this.raw.length - this.rawOff;
    let n = 0;
    for (const l of this.lines) n += l.data.length - l.off;
    return n;
  }

  /** Something for a reader: a complete line (or EOF mark) when canonical, any byte otherwise. */
  readable(): boolean {
    return this.icanon ? this.lines.length > 0 : this.raw.length > this.rawOff;
  }

  /** Space for more device input (the pty master blocks, the console queues, when 0). */
  room(): number {
    if (!this.icanon) return MAX_LINE - (this.raw.length - this.rawOff);
    const used = this.inq() + this.cur.length;
    // With no complete line a newline must still get in, or the reader would never wake.
    return this.lines.length === 0 ? Math.max(1, MAX_LINE - used) : Math.max(0, MAX_LINE - used);
  }

  /**
   * Canonical read: at most one line (termios(3): "a read returns at most a single
   * line"); a line longer than n is returned over several reads. Empty result = EOF.
   */
  readLine(n: number): Uint8Array {
    const l = this.lines[0];
    const k = Math.min(n, l.data.length - l.off);
    const out = Uint8Array.from(l.data.slice(l.off, l.off + k));
    l.off += k;
    if (l.off >= l.data.length) this.lines.shift();
    this.host.changed();
    return out;
  }

  readRaw(n: number): Uint8Array {
    const k = Math.min(n, this.raw.length - this.rawOff);
    const out = Uint8Array.from(this.raw.slice(this.rawOff, this.rawOff + k));
    this.rawOff += k;
    if (this.rawOff > 4096 && this.rawOff * 2 > this.raw.length) {
      this.raw = this.raw.slice(this.rawOff);
      this.rawOff = 0;
    }
    this.host.changed();
    return out;
  }

  flushInput(): void {
    this.lines = [];
    this.cur = [];
    this.raw = [];
    this.rawOff = 0;
    this.lnext = false;
    this.erasing = false;
    this.host.changed();
  }

  /**
   * termios changed. Leaving canonical mode makes the partial line readable; entering it
   * turns pending raw input into one complete line (as n_tty does), so nothing is lost.
   */
  setTermios(next: Termios): void {
    const wasCanon = this.icanon;
    this.termios = next;
    if (wasCanon && !this.icanon) {
      const all: number[] = [];
      for (const l of this.lines) all.push(...l.data.slice(l.off));
      all.push(...this.cur);
      this.lines = [];
      this.cur = [];
      this.raw = all;
      this.rawOff = 0;
    } else if (!wasCanon && this.icanon) {
      const pending = this.raw.slice(this.rawOff);
      this.raw = [];
      this.rawOff = 0;
      if (pending.length) this.lines.push({ data: pending, off: 0 });
    }
    if (!(next.iflag & IXON) && this.stopped) this.start();
    this.host.changed();
  }

  /** End of host input without a hangup: complete any partial line so readers see it. */
  pushPartial(): void {
    if (this.icanon && this.cur.length) {
      this.lines.push({ data: this.cur, off: 0 });
      this.cur = [];
      this.host.changed();
    }
  }

  // ---- device input ----

  /** Process device input; returns how many bytes were taken (less when the buffer is full). */
  receive(bytes: Uint8Array): number {
    let i = 0;
    for (; i < bytes.length; i++) {
      if (this.room() <= 0) break;
      this.receiveChar(bytes[i]);
    }
    if (i) this.host.changed();
    return i;
  }

  private receiveChar(c: number): void {
    const tio = this.termios;
    if (tio.iflag & ISTRIP) c &= 0x7f;
    if ((tio.iflag & IUCLC) && (tio.lflag & IEXTEN) && c >= 0x41 && c <= 0x5a) c += 0x20;

    if (this.lnext) {
      // The literal character replaces the "^\b" shown for VLNEXT.
      this.lnext = false;
      this.putChar(c);
      return;
    }

    if (tio.iflag & IXON) {
      if (this.is(c, VSTART) && this.is(c, VSTOP)) {
        if (this.stopped) this.start(); else this.stop();
        return;
      }
      if (this.is(c, VSTART)) { this.start(); return; }
      if (this.is(c, VSTOP)) { this.stop(); return; }
    }

    if (tio.lflag & ISIG) {
      const sig = this.is(c, VINTR) ? SIGINT : this.is(c, VQUIT) ? SIGQUIT : this.is(c, VSUSP) ? SIGTSTP : 0;
      if (sig) {
        this.isig(sig, c);
        return;
      }
    }

    if (this.stopped && (tio.iflag & IXON) && (tio.iflag & IXANY)) this.start();

    if (c === CR) {
      if (tio.iflag & IGNCR) return;
      if (tio.iflag & ICRNL) c = NL;
    } else if (c === NL && (tio.iflag & INLCR)) {
      c = CR;
    }

    if (this.icanon) {
      const iexten = (tio.lflag & IEXTEN) !== 0;
      if (this.is(c, VERASE) || this.is(c, VKILL) || (iexten && this.is(c, VWERASE))) {
        this.eraser(c);
        return;
      }
      if (iexten && this.is(c, VLNEXT)) {
        this.lnext = true;
        if (tio.lflag & ECHO) {
          this.finishErasing();
          if (tio.lflag & ECHOCTL) this.echoRaw([0x5e, BS]);
        }
        return;
      }
      if (iexten && (tio.lflag & ECHO) && this.is(c, VREPRINT)) {
        this.finishErasing();
        this.echoChar(c);
        this.echoRaw([NL]);
        this.canonColumn = this.column;
        for (const b of this.cur) this.echoChar(b);
        return;
      }
      if (c === NL) {
        if (tio.lflag & (ECHO | ECHONL)) {
          this.finishErasing();
          this.echoRaw([NL]);
        }
        this.endLine(c);
        return;
      }
      if (this.is(c, VEOF)) {
        // Ends the line without adding a byte; on an empty line the read returns 0.
        this.finishErasing();
        this.endLine(-1);
        return;
      }
      if (this.is(c, VEOL) || (iexten && this.is(c, VEOL2))) {
        if (tio.lflag & ECHO) {
          this.finishErasing();
          if (this.cur.length === 0) this.canonColumn = this.column;
          this.echoChar(c);
        }
        this.endLine(c);
        return;
      }
    }
    this.putChar(c);
  }

  /** An ordinary character: buffer it and echo it. */
  private putChar(c: number): void {
    const tio = this.termios;
    if (this.icanon) {
      // Linux drops characters past the longest line but always keeps room for the newline.
      if (this.cur.length >= MAX_LINE) return;
      if (tio.lflag & ECHO) {
        this.finishErasing();
        if (this.cur.length === 0) this.canonColumn = this.column;
        this.echoChar(c);
      }
      this.cur.push(c);
    } else {
      if (tio.lflag & ECHO) {
        this.finishErasing();
        this.echoChar(c);
      }
      this.raw.push(c);
    }
  }

  private endLine(c: number): void {
    if (c >= 0) this.cur.push(c);
    this.lines.push({ data: this.cur, off: 0 });
    this.cur = [];
    if (this.termios.lflag & PENDIN) this.termios.lflag &= ~PENDIN;
  }

  private isig(sig: number, c: number): void {
    const tio = this.termios;
    if (!(tio.lflag & NOFLSH)) {
      this.flushInput();
      this.held = [];
      this.host.flushOutput();
    }
    this.host.signal(sig);
    if (tio.iflag & IXON) this.start();
    if (tio.lflag & ECHO) this.echoChar(c);
  }

  /** VERASE, VWERASE, VKILL in canonical mode. */
  private eraser(c: number): void {
    const tio = this.termios;
    if (this.cur.length === 0) return;
    const kind = this.is(c, VERASE) ? 'erase' : this.is(c, VWERASE) ? 'werase' : 'kill';
    if (kind === 'kill') {
      if (!(tio.lflag & ECHO)) { this.cur = []; return; }
      if (!(tio.lflag & ECHOK) || !(tio.lflag & ECHOKE) || !(tio.lflag & ECHOE)) {
        // Not erased visibly: show the kill character and (ECHOK) move to a new line.
        this.cur = [];
        this.finishErasing();
        this.echoChar(c);
        if (tio.lflag & ECHOK) this.echoRaw([NL]);
        return;
      }
    }
    let seenWord = false;
    while (this.cur.length) {
      // One character: a UTF-8 lead byte with its continuation bytes when IUTF8.
      let start = this.cur.length - 1;
      while (start > 0 && this.isCont(this.cur[start])) start--;
      const ch = this.cur[start];
      if (kind === 'werase') {
        if (isWordChar(ch)) seenWord = true;
        else if (seenWord) break;
      }
      const removed = this.cur.splice(start);
      if (tio.lflag & ECHO) this.echoErase(ch, removed, kind);
      if (kind === 'erase') break;
    }
  }

  private echoErase(ch: number, removed: number[], kind: string): void {
    const tio = this.termios;
    if (tio.lflag & ECHOPRT) {
      if (!this.erasing) { this.echoRaw([0x5c]); this.erasing = true; }
      for (const b of removed) this.echoChar(b);
      return;
    }
    if (kind === 'erase' && !(tio.lflag & ECHOE)) {
      this.echoChar(this.cc(VERASE));
      return;
    }
    if (ch === TAB) {
      // Back up to where the tab started: replay the columns of the rest of the line.
      let col = this.canonColumn;
      for (let i = 0; i < this.cur.length; i++) {
        const b = this.cur[i];
        if (b === TAB) col = (col | 7) + 1;
        else if (isCntrl(b)) { if (tio.lflag & ECHOCTL) col += 2; }
        else if (!this.isCont(b)) col++;
      }
      const n = Math.max(0, this.column - col);
      this.echoRaw(new Array<number>(n).fill(BS));
      return;
    }
    const rub = [BS, SPACE, BS];
    if (isCntrl(ch) && (tio.lflag & ECHOCTL)) this.echoRaw([...rub, ...rub]);
    else if (!isCntrl(ch)) this.echoRaw(rub);
  }

  private finishErasing(): void {
    if (this.erasing) {
      this.echoRaw([0x2f]);
      this.erasing = false;
    }
  }

  // ---- echo and output ----

  /** Echo one input character: ^X for controls under ECHOCTL (not TAB). */
  private echoChar(c: number): void {
    if ((this.termios.lflag & ECHOCTL) && isCntrl(c) && c !== TAB) this.echoRaw([0x5e, c ^ 0x40]);
    else this.echoRaw([c]);
  }

  private echoRaw(bytes: number[]): void {
    const out = this.process(Uint8Array.from(bytes));
    if (this.stopped) this.held.push(...out);
    else if (out.length) this.host.output(out);
  }

  /** OPOST processing of program output (and echoes), tracking the column. */
  process(data: Uint8Array): Uint8Array {
    const tio = this.termios;
    if (!(tio.oflag & OPOST)) {
      for (const c of data) this.advance(c);
      return data;
    }
    const out: number[] = [];
    for (let c of data) {
      switch (c) {
        case NL:
          if (tio.oflag & ONLRET) this.column = 0;
          if (tio.oflag & ONLCR) {
            out.push(CR, NL);
            this.column = 0;
            continue;
          }
          out.push(NL);
          continue;
        case CR:
          if ((tio.oflag & ONOCR) && this.column === 0) continue;
          if (tio.oflag & OCRNL) {
            c = NL;
            if (tio.oflag & ONLRET) this.column = 0;
          } else {
            this.column = 0;
          }
          out.push(c);
          continue;
        case TAB: {
          const spaces = 8 - (this.column & 7);
          this.column += spaces;
          if ((tio.oflag & TABDLY) === XTABS) for (let i = 0; i < spaces; i++) out.push(SPACE);
          else out.push(TAB);
          continue;
        }
        case BS:
          if (this.column > 0) this.column--;
          out.push(BS);
          continue;
        default:
          if (!isCntrl(c)) {
            if ((tio.oflag & OLCUC) && c >= 0x61 && c <= 0x7a) c -= 0x20;
            if (!this.isCont(c)) this.column++;
          }
          out.push(c);
      }
    }
    return Uint8Array.from(out);
  }

  /** Column tracking for unprocessed output (OPOST off). */
  private advance(c: number): void {
    if (c === NL || c === CR) this.column = 0;
    else if (c === BS) { if (this.column > 0) this.column--; }
    else if (c === TAB) this.column = (this.column | 7) + 1;
    else if (!isCntrl(c) && !this.isCont(c)) this.column++;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.host.changed();
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    if (this.held.length) {
      const h = Uint8Array.from(this.held);
      this.held = [];
      this.host.output(h);
    }
    this.host.changed();
  }
}
