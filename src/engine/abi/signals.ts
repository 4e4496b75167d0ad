/**
 * Signal numbers, their default actions and the si_code values, for i386 Linux
 * (arch/x86/include/uapi/asm/signal.h, include/uapi/asm-generic/siginfo.h, signal(7)).
 * One table of default actions; every module that needs a signal number takes it from here.
 */
export const SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGILL = 4, SIGTRAP = 5, SIGABRT = 6, SIGBUS = 7;
export const SIGFPE = 8, SIGKILL = 9, SIGUSR1 = 10, SIGSEGV = 11, SIGUSR2 = 12, SIGPIPE = 13;
export const SIGALRM = 14, SIGTERM = 15, SIGSTKFLT = 16, SIGCHLD = 17, SIGCONT = 18, SIGSTOP = 19;
export const SIGTSTP = 20, SIGTTIN = 21, SIGTTOU = 22, SIGURG = 23, SIGXCPU = 24, SIGXFSZ = 25;
export const SIGVTALRM = 26, SIGPROF = 27, SIGWINCH = 28, SIGIO = 29, SIGPWR = 30, SIGSYS = 31;
export const SIGRTMIN = 32, NSIG = 64;

/** Default actions (signal(7) "Standard signals"). */
export const DFL_TERM = 0, DFL_CORE = 1, DFL_IGN = 2, DFL_STOP = 3, DFL_CONT = 4;
export type DefaultAction = typeof DFL_TERM | typeof DFL_CORE | typeof DFL_IGN | typeof DFL_STOP | typeof DFL_CONT;

/** signal(7)'s table; real-time signals (32-64) and unlisted numbers terminate. */
const DEFAULTS: Readonly<Record<number, DefaultAction>> = {
  [SIGHUP]: DFL_TERM, [SIGINT]: DFL_TERM, [SIGQUIT]: DFL_CORE, [SIGILL]: DFL_CORE, [SIGTRAP]: DFL_CORE,
  [SIGABRT]: DFL_CORE, [SIGBUS]: DFL_CORE, [SIGFPE]: DFL_CORE, [SIGKILL]: DFL_TERM, [SIGUSR1]: DFL_TERM,
  [SIGSEGV]: DFL_CORE, [SIGUSR2]: DFL_TERM, [SIGPIPE]: DFL_TERM, [SIGALRM]: DFL_TERM, [SIGTERM]: DFL_TERM,
  [SIGSTKFLT]: DFL_TERM, [SIGCHLD]: DFL_IGN, [SIGCONT]: DFL_CONT, [SIGSTOP]: DFL_STOP, [SIGTSTP]: DFL_STOP,
  [SIGTTIN]: DFL_STOP, [SIGTTOU]: DFL_STOP, [SIGURG]: DFL_IGN, [SIGXCPU]: DFL_CORE, [SIGXFSZ]: DFL_CORE,
  [SIGVTALRM]: DFL_TERM, [SIGPROF]: DFL_TERM, [SIGWINCH]: DFL_IGN, [SIGIO]: DFL_TERM, [SIGPWR]: DFL_TERM,
  [SIGSYS]: DFL_CORE,
};

export function defaultAction(sig: number): DefaultAction {
  return DEFAULTS[sig] ?? DFL_TERM;
}

/**
 * Whether a signal whose action is SIG_DFL is discarded rather than queued: the ignored ones
 * and SIGCONT, whose only default effect (continuing a stopped process) happens when it is
 * sent (include/linux/signal.h SIG_KERNEL_IGNORE_MASK = CONT|CHLD|WINCH|URG; kernel/signal.c
 * sig_handler_ignored). A sleeper is not woken for them either.
 */
export function kernelIgnored(sig: number): boolean {
  const a = defaultAction(sig);
  return a === DFL_IGN || a === DFL_CONT;
}

export const sigbit = (sig: number): bigint => 1n << BigInt(sig - 1);
/** Signals that can be neither blocked nor caught. */
export const UNBLOCKABLE = sigbit(SIGKILL) | sigbit(SIGSTOP);

export const SIG_DFL = 0, SIG_IGN = 1;

/** si_code values (asm-generic/siginfo.h). */
export const SI_USER = 0, SI_KERNEL = 0x80, SI_QUEUE = -1, SI_TIMER = -2, SI_TKILL = -6;
export const ILL_ILLOPN = 2;
