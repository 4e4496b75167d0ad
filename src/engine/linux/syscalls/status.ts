/**
 * How much of each i386 system call webx86 supports, as gVisor's `runsc syscalls` reports it:
 * one row per call of numbers.ts. A call with a handler is `full` unless STATUS says otherwise;
 * a call without one answers ENOSYS (`none`). The rows below are the exceptions, each with
 * what is missing, taken from reading the handlers; update a row with the handler it
 * describes. `webx86 syscalls` prints the table and docs/SYSCALLS.md is generated from it
 * (test/linux/syscall-table.test.ts fails when the file is stale).
 */
import { SYSCALL_NAMES } from './numbers.js';
import { HANDLERS, MODULE_OF } from './index.js';

export type Support = 'full' | 'partial' | 'stub' | 'refused' | 'none';

/** What each status means, for the printed legend. */
export const SUPPORT_LEGEND: Record<Support, string> = {
  full: 'implemented as Linux does it',
  partial: 'implemented, with the gaps named',
  stub: 'accepted and answers success, doing nothing (nothing to do in a user-mode VM, or only advice)',
  refused: 'answers an error by design, as Linux would in this situation (named)',
  none: 'not implemented: ENOSYS',
};

/** The exceptions: [status, note] by name. Calls sharing a note are listed together. */
const STATUS: Record<string, [Support, string]> = {};
function rows(names: string[], s: Support, note: string): void {
  for (const n of names) STATUS[n] = [s, note];
}

rows(['socketcall', 'socket', 'socketpair', 'bind', 'connect', 'listen', 'accept4', 'getsockname', 'getpeername',
  'sendto', 'recvfrom', 'shutdown', 'setsockopt', 'getsockopt', 'sendmsg', 'recvmsg'],
'partial', 'AF_UNIX, AF_INET, AF_INET6 (TCP, UDP, ICMP echo), AF_NETLINK route and kobject-uevent (the display hotplug); no SOCK_RAW, no AF_PACKET');
rows(['mlock', 'munlock', 'mlockall', 'munlockall', 'mlock2'], 'stub', 'guest memory is never paged out');
rows(['fadvise64', 'fadvise64_64', 'readahead', 'sync_file_range'], 'stub', 'advice only: checks the descriptor, no page cache to act on');
rows(['ioperm', 'iopl'], 'refused', 'EPERM: no port I/O in user mode');
rows(['reboot', 'vhangup', 'acct', 'swapon', 'swapoff', 'mount', 'umount2', 'stime'], 'refused', 'EPERM: the machine is configured by its host, not from inside');
rows(['clock_settime', 'clock_settime64', 'settimeofday'], 'refused', 'EPERM after checking the arguments: the clock is the host\'s');
rows(['clone3'], 'refused', 'ENOSYS, as kernels before 5.3: glibc falls back to clone');
rows(['fgetxattr', 'fsetxattr', 'fremovexattr', 'getxattr', 'setxattr', 'removexattr', 'lgetxattr', 'lsetxattr', 'lremovexattr'],
  'partial', 'no file system stores extended attributes: get/set/remove answer ENOTSUP after the path or descriptor checks');
rows(['flistxattr', 'listxattr', 'llistxattr'], 'partial', 'always an empty list');
rows(['prctl'], 'partial', 'PR_SET/GET_NAME, PDEATHSIG, DUMPABLE, CHILD_SUBREAPER, NO_NEW_PRIVS, CAPBSET_READ, SET_VMA; others EINVAL');
rows(['madvise'], 'partial', 'MADV_DONTNEED zeroes anonymous memory; advice without effect is accepted');
rows(['shmget', 'shmat', 'shmdt'], 'partial', 'System V shared memory: attachments in different processes are kept coherent by copying at task switches (linux/shm.ts), so large segments cost a copy per switch');
rows(['shmctl'], 'partial', 'IPC_STAT/SET/RMID/INFO, SHM_STAT/INFO/LOCK/UNLOCK; SHM_LOCK is recorded only');
rows(['ipc'], 'partial', 'SHMAT, SHMDT, SHMGET, SHMCTL (as the direct calls); semaphores and message queues: ENOSYS');
rows(['vm86', 'vm86old'], 'refused', 'ENOSYS, as a 64-bit kernel answers a 32-bit program (no virtual-8086 mode in long mode)');
rows(['setrlimit', 'prlimit64'], 'partial', 'enforced: NPROC, NOFILE, FSIZE, AS, CPU, STACK, CORE; the others are stored and reported only');

export interface SyscallRow {
  nr: number;
  name: string;
  support: Support;
  note: string;
  /** The syscalls/ module that defines it. */
  module: string;
}

/** Every i386 system call, by number. */
export function syscallRows(): SyscallRow[] {
  return Object.entries(SYSCALL_NAMES).map(([nr, name]) => {
    const defined = HANDLERS.has(name);
    const [support, note] = STATUS[name] ?? (defined ? ['full', ''] : ['none', 'ENOSYS']);
    return { nr: Number(nr), name, support, note, module: MODULE_OF.get(name) ?? '' };
  }).sort((a, b) => a.nr - b.nr);
}

/** Names in STATUS that are not i386 system calls, or that claim support without a handler (for the table's test). */
export function statusErrors(): string[] {
  const names = new Set(Object.values(SYSCALL_NAMES));
  const errors: string[] = [];
  for (const [name, [s]] of Object.entries(STATUS)) {
    if (!names.has(name)) errors.push(`${name}: not an i386 system call`);
    else if (!HANDLERS.has(name) && s !== 'none') errors.push(`${name}: marked ${s} but has no handler`);
  }
  return errors;
}

/** The table as text (`webx86 syscalls`) or Markdown (docs/SYSCALLS.md). */
export function renderSyscallTable(format: 'text' | 'markdown'): string {
  const all = syscallRows();
  const count = (s: Support) => all.filter((r) => r.support === s).length;
  const summary = (Object.keys(SUPPORT_LEGEND) as Support[]).map((s) => `${count(s)} ${s}`).join(', ');
  if (format === 'text') {
    const out = [`i386 system calls: ${all.length} (${summary})`, ''];
    for (const r of all) out.push(`${String(r.nr).padStart(3)}  ${r.name.padEnd(26)} ${r.support.padEnd(8)} ${r.note}`.trimEnd());
    return out.join('\n') + '\n';
  }
  const out = [
    '# System calls',
    '',
    'Generated by `webx86 syscalls --markdown` from src/engine/linux/syscalls/status.ts and the handler',
    'table (syscalls/index.ts); do not edit by hand. Numbers and names are i386\'s (asm/unistd_32.h).',
    '',
    `${all.length} system calls: ${summary}.`,
    '',
    '| status | meaning |',
    '|---|---|',
    ...(Object.entries(SUPPORT_LEGEND) as [Support, string][]).map(([s, m]) => `| ${s} | ${m} |`),
    '',
    '| nr | name | status | module | notes |',
    '|---:|---|---|---|---|',
    ...all.map((r) => `| ${r.nr} | ${r.name} | ${r.support} | ${r.module} | ${r.note.replace(/\|/g, '\\|')} |`),
  ];
  return out.join('\n') + '\n';
}
