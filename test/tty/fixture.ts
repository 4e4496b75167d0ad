/**
 * Processes, a kernel with signal routing recorded instead of delivered, and guest
 * memory for ioctl arguments, for the tty tests.
 */
import { Kernel } from '../../src/engine/linux/kernel.js';
import { AddressSpace, PROT_READ, PROT_WRITE, MAP_PRIVATE, MAP_ANONYMOUS } from '../../src/engine/mem/address-space.js';
import { Cpu } from '../../src/engine/cpu/cpu.js';
import { Process, Task } from '../../src/engine/linux/task.js';
import { FdTable } from '../../src/engine/fs/types.js';
import type { HostTerminal, TermSize } from '../../src/engine/tty/console.js';

export const ARG = 0x300000;
const ESRCH = 3;

export interface Sent { pgid?: number; pid?: number; signo: number }

export class World {
  readonly k = new Kernel({ taskSize: 1 << 22 });
  readonly sent: Sent[] = [];
  constructor() {
    this.k.signalGroup = (pgid, info) => {
      const members = [...this.k.processes.values()].filter((p) => p.pgid === pgid);
      if (!members.length) return -ESRCH;
      this.sent.push({ pgid, signo: info.signo });
      return 0;
    };
    this.k.signalProcess = (p, info) => { this.sent.push({ pid: p.pid, signo: info.signo }); };
    this.k.signalTask = (t, info) => { this.sent.push({ pid: t.tid, signo: info.signo }); };
  }

  /** A process with one thread and a read-write page range at ARG. */
  proc(pid: number, o: { parent?: Process; sid?: number; pgid?: number; uid?: number } = {}): Task {
    const mem = new AddressSpace(1 << 22);
    mem.map(ARG, 0x10000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    const uid = o.uid ?? 0;
    const creds = { uid, euid: uid, suid: uid, fsuid: uid, gid: 0, egid: 0, sgid: 0, fsgid: 0, groups: [] };
    const p = new Process(this.k, pid, o.parent ?? null, mem, new FdTable(), { cwd: '/', root: '/', umask: 0o22 }, creds);
    if (o.sid !== undefined) p.sid = o.sid;
    if (o.pgid !== undefined) p.pgid = o.pgid;
    if (o.parent) o.parent.children.add(p);
    const t = new Task(pid, p, new Cpu(mem));
    p.threads = [t];
    this.k.processes.set(pid, p);
    this.k.tasks.set(pid, t);
    return t;
  }

  signals(): string[] {
    return this.sent.splice(0).map((s) => (s.pgid !== undefined ? `pgrp ${s.pgid}: ${s.signo}` : `pid ${s.pid}: ${s.signo}`));
  }
}

/** A host terminal that records output and lets the test type and resize. */
export class FakeHost implements HostTerminal {
  out: number[] = [];
  private inputCb: (b: Uint8Array) => void = () => {};
  private resizeCb: (s: TermSize) => void = () => {};
  private endCb: () => void = () => {};
  sz: TermSize = { cols: 100, rows: 30 };
  write(bytes: Uint8Array): void { this.out.push(...bytes); }
  onInput(cb: (b: Uint8Array) => void): void { this.inputCb = cb; }
  size(): TermSize { return this.sz; }
  onResize(cb: (s: TermSize) => void): void { this.resizeCb = cb; }
  onEnd(cb: () => void): void { this.endCb = cb; }
  type(s: string | Uint8Array): void { this.inputCb(typeof s === 'string' ? new TextEncoder().encode(s) : s); }
  resize(cols: number, rows: number): void { this.sz = { cols, rows }; this.resizeCb(this.sz); }
  end(): void { this.endCb(); }
  /** Output so far as a binary string, then cleared. */
  take(): string {
    const s = String.fromCharCode(...this.out);
    this.out = [];
    return s;
  }
}

export const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
export const str = (b: Uint8Array): string => String.fromCharCode(...b);

/** Read once into a buffer of n bytes: the data as a binary string, or the -errno. */
export async function readStr(f: { read(t: Task, b: Uint8Array): number | Promise<number> }, t: Task, n = 4096): Promise<string | number> {
  const buf = new Uint8Array(n);
  const r = await f.read(t, buf);
  return r < 0 ? r : str(buf.subarray(0, r));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
