/**
 * System call handlers register here by name (names from numbers.ts). Arguments are the
 * raw register values EBX, ECX, EDX, ESI, EDI, EBP as int32; pointers need `>>> 0`.
 * A handler returns the result (>= 0) or -errno, synchronously or as a promise when it
 * must wait.
 */
import type { Task } from '../task.js';

export type SyscallFn = (t: Task, a: number, b: number, c: number, d: number, e: number, f: number) => number | Promise<number>;

export const HANDLERS = new Map<string, SyscallFn>();

export function defineSyscalls(table: Record<string, SyscallFn>): void {
  for (const [name, fn] of Object.entries(table)) {
    if (HANDLERS.has(name)) throw new Error(`syscall ${name} defined twice`);
    HANDLERS.set(name, fn);
  }
}
