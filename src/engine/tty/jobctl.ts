/**
 * Controlling terminals and job control (credentials(7), "Sessions and process groups";
 * termios(3), "Controlling terminal"; tty_ioctl(4), "Controlling terminal" and "Process
 * group and session ID"). Process.ctty holds the Tty; a session's terminal is also kept
 * per kernel so every member of the session finds it even if fork did not copy ctty.
 */
import type { Kernel } from '../linux/kernel.js';
import type { Process, Task } from '../linux/task.js';
import { EIO, ERESTARTSYS } from '../linux/errno.js';
import { O_NOCTTY } from '../fs/types.js';

import { SIGHUP, SIGCONT, SIGTTIN, SIGTTOU, SIGWINCH, SI_KERNEL } from '../abi/signals.js';
export { SIGHUP, SIGCONT, SIGTTIN, SIGTTOU, SIGWINCH, SI_KERNEL };
/** si_code of signals the tty layer generates (the kernel's kill_pgrp(..., priv=1)). */

/** What job control needs of a terminal; Tty implements it. */
export interface JobTty {
  /** Session that owns the terminal (0: none). */
  session: number;
  /** Foreground process group (0: none). */
  pgrp: number;
  readonly kernel: Kernel;
}

/** A process that gave up its terminal with TIOCNOTTY while staying in the session. */
const DETACHED = Symbol('detached-from-ctty');

const sessionTtys = new WeakMap<Kernel, Map<number, JobTty>>();
function table(k: Kernel): Map<number, JobTty> {
  let m = sessionTtys.get(k);
  if (!m) sessionTtys.set(k, (m = new Map()));
  return m;
}

/** Send a signal to a process group if the kernel's signal code is installed. */
export function killPgrp(k: Kernel, pgid: number, signo: number): number {
  if (pgid <= 0 || typeof k.signalGroup !== 'function') return 0;
  return k.signalGroup(pgid, { signo, code: SI_KERNEL });
}

/** The controlling terminal of p, or null. */
export function cttyOf(p: Process): JobTty | null {
  if (p.ctty === DETACHED) return null;
  const own = p.ctty as JobTty | null;
  if (own && typeof own === 'object' && own.session === p.sid && own.session !== 0) return own;
  return table(p.kernel).get(p.sid) ?? null;
}

/** Make tty the controlling terminal of p's session with p's group in the foreground. */
export function setCtty(p: Process, tty: JobTty): void {
  tty.session = p.sid;
  tty.pgrp = p.pgid;
  table(p.kernel).set(p.sid, tty);
  p.ctty = tty;
}

/**
 * open(2) of a terminal without O_NOCTTY by a session leader that has no controlling
 * terminal makes it one, if no other session has it (credentials(7)). Device open
 * callbacks call this; /dev/console, /dev/tty0 and /dev/ptmx never do (as in Linux).
 */
export function maybeAcquireCtty(t: Task, tty: JobTty, flags: number): void {
  const p = t.proc;
  if (flags & O_NOCTTY) return;
  if (p.pid !== p.sid || tty.session !== 0 || cttyOf(p)) return;
  setCtty(p, tty);
}

/** Every live process of session sid. */
function sessionMembers(k: Kernel, sid: number): Process[] {
  return [...k.processes.values()].filter((q) => q.sid === sid && !q.zombie);
}

/** Forget tty's session: no member keeps it as controlling terminal. */
export function clearSession(tty: JobTty): void {
  if (!tty.session) return;
  const k = tty.kernel;
  const m = table(k);
  if (m.get(tty.session) === tty) m.delete(tty.session);
  for (const q of sessionMembers(k, tty.session)) if (q.ctty === tty) q.ctty = null;
  tty.session = 0;
  tty.pgrp = 0;
}

/**
 * The session leader gives up its terminal: at exit (onExit) or by TIOCNOTTY. The
 * foreground group gets SIGHUP then SIGCONT (so stopped jobs see the SIGHUP), and the
 * terminal becomes free for another session. A non-leader's TIOCNOTTY only detaches it.
 * The kernel's exit and setsid paths call this for leaders.
 */
export function disassociateCtty(p: Process, onExit = true): void {
  if (p.pid !== p.sid) {
    if (!onExit) p.ctty = DETACHED;
    return;
  }
  const tty = cttyOf(p);
  if (!tty) return;
  const fg = tty.pgrp;
  if (fg) {
    killPgrp(p.kernel, fg, SIGHUP);
    killPgrp(p.kernel, fg, SIGCONT);
  }
  clearSession(tty);
  p.ctty = null;
}

/**
 * The terminal hung up (pty master closed): the session leader gets SIGHUP and SIGCONT
 * and the session loses its terminal.
 */
export function hangupSession(tty: JobTty): void {
  if (!tty.session) return;
  const leader = tty.kernel.processes.get(tty.session);
  if (leader && !leader.zombie && typeof tty.kernel.signalProcess === 'function') {
    tty.kernel.signalProcess(leader, { signo: SIGHUP, code: SI_KERNEL });
    tty.kernel.signalProcess(leader, { signo: SIGCONT, code: SI_KERNEL });
  }
  clearSession(tty);
}

/**
 * A process group is orphaned when no member has a parent in another group of the same
 * session (credentials(7)). Linux skips members whose parent is init; here pid 1 is a
 * virtual init with no Process (first guest processes have parent null), which already
 * counts as "no parent in the session", so the rule comes out the same.
 */
export function isOrphanedPgrp(k: Kernel, pgid: number): boolean {
  for (const q of k.processes.values()) {
    if (q.pgid !== pgid || q.zombie) continue;
    const par = q.parent;
    if (par && !par.zombie && par.pgid !== pgid && par.sid === q.sid) return false;
  }
  return true;
}

/** The signal is blocked by the calling thread or ignored by its process. */
function ignoredOrBlocked(t: Task, sig: number): boolean {
  return (t.sigmask & (1n << BigInt(sig - 1))) !== 0n || t.proc.sigactions.a[sig].handler === 1;
}

/**
 * May t act on tty as its own terminal (termios(3), tty_ioctl(4))? Background groups get
 * SIGTTIN on read and SIGTTOU on writes (with TOSTOP) and settings changes: 0 to go
 * ahead, -ERESTARTSYS after signalling the group (the call restarts once the job is
 * continued), -EIO for reads with SIGTTIN ignored or blocked, and for orphaned groups
 * (which would never be continued). Ignored/blocked SIGTTOU lets the caller proceed.
 */
export function checkBackground(t: Task, tty: JobTty, sig: number): number {
  const p = t.proc;
  if (cttyOf(p) !== tty) return 0;
  if (!tty.pgrp || p.pgid === tty.pgrp) return 0;
  if (ignoredOrBlocked(t, sig)) return sig === SIGTTIN ? -EIO : 0;
  if (isOrphanedPgrp(p.kernel, p.pgid)) return -EIO;
  killPgrp(p.kernel, p.pgid, sig);
  return -ERESTARTSYS;
}
