/**
 * The shape of a system call handler. Arguments are the raw register values EBX, ECX, EDX,
 * ESI, EDI, EBP as int32; pointers need `>>> 0`. A handler returns the result (>= 0) or
 * -errno, synchronously or as a promise when it must wait. Each syscalls/ module exports its
 * rows (`syscallTable`), and syscalls/index.ts assembles the table from them by name (names
 * from numbers.ts), explicitly: nothing registers by being imported.
 */
import type { Task } from '../task.js';

export type SyscallFn = (t: Task, a: number, b: number, c: number, d: number, e: number, f: number) => number | Promise<number>;

/** A module's rows: system call name -> handler. */
export type SyscallRows = Readonly<Record<string, SyscallFn>>;

/** Typed identity: the rows of one module, checked against SyscallFn. */
export function syscallTable<T extends Record<string, SyscallFn>>(rows: T): T {
  return rows;
}
