/**
 * Test support: run i386 programs under the engine and natively, capturing output, so
 * tests can compare the two.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createMachine } from '../../src/engine/machine.js';
import { File, O_RDONLY, O_WRONLY, POLLIN, POLLOUT, S_IFIFO, type Stat } from '../../src/engine/fs/types.js';
import type { FileSystem } from '../../src/engine/fs/types.js';
import type { Task } from '../../src/engine/linux/task.js';
import type { NetStack } from '../../src/engine/net/stack.js';
import { parseJitMode, type JitMode, type JitStats } from '../../src/engine/jit/jit.js';
import { setInterpCalls, setSseCode, setX87Code } from '../../src/engine/jit/region.js';
import { setX87Calls } from '../../src/engine/jit/interp-call.js';
import { useNodeBinaryen } from '../../src/host/node/binaryen.js';
import { useNodeCompileWorker } from '../../src/host/node/compile-worker.js';
import { applyV8Flags } from '../../src/host/node/v8-flags.js';

// The CLI's V8 flags (src/host/node/v8-flags.ts), so that tests and bench/run.ts run as it does.
applyV8Flags();
useNodeBinaryen();
useNodeCompileWorker();
// To compare: instructions without a translation end regions again (docs/JIT.md).
if (process.env.WEBX86_JIT_INTERP_CALLS === 'off') setInterpCalls(false);
if (process.env.WEBX86_JIT_SSE === 'off') setSseCode(false);
if (process.env.WEBX86_JIT_X87 === 'off') setX87Code(false);
if (process.env.WEBX86_JIT_X87_CALLS === 'on') setX87Calls(true);

const fifoStat = (): Stat => {
  const now = { sec: 0, nsec: 0 };
  return { dev: 12, ino: 1, mode: S_IFIFO | 0o600, nlink: 1, uid: 0, gid: 0, rdev: 0, size: 0, blksize: 4096, blocks: 0, atime: now, mtime: now, ctime: now };
};

/** A write-only pipe end that collects everything written. */
export class CaptureFile extends File {
  readonly chunks: Uint8Array[] = [];
  constructor() { super(O_WRONLY, 'pipe:[capture]'); }
  stat(): Stat { return fifoStat(); }
  poll(): number { return POLLOUT; }
  write(_t: Task, data: Uint8Array): number { this.chunks.push(data.slice()); return data.length; }
  text(): string { return Buffer.concat(this.chunks).toString('utf8'); }
}

/** A read-only pipe end with fixed contents, then EOF. */
export class InputFile extends File {
  private off = 0;
  constructor(private readonly data: Uint8Array) { super(O_RDONLY, 'pipe:[input]'); }
  stat(): Stat { return fifoStat(); }
  poll(): number { return POLLIN; }
  read(_t: Task, buf: Uint8Array): number {
    const n = Math.min(buf.length, this.data.length - this.off);
    buf.set(this.data.subarray(this.off, this.off + n));
    this.off += n;
    return n;
  }
}

export interface GuestResult {
  stdout: string;
  stderr: string;
  status: number;
  /** wait status word */
  raw: number;
  warnings: string[];
  /** stdout as bytes, for binary output (engine runs only). */
  stdoutBytes?: Uint8Array;
  /** Guest instructions executed by the first process's threads (engine runs only). */
  icount?: number;
  /** The machine's JIT statistics at the end (engine runs with the JIT on). */
  jit?: JitStats;
}

export interface GuestOptions {
  /** Host file copied into the guest's tmpfs root at `path` (default: /prog). */
  files?: Record<string, string | Uint8Array>;
  /** Symbolic links to create: path -> target. */
  links?: Record<string, string>;
  mounts?: { path: string; fs: FileSystem }[];
  root?: FileSystem;
  stdin?: string;
  env?: string[];
  cwd?: string;
  /** The machine's network backend (loopback only when absent). */
  network?: NetStack;
  /** The machine's JIT mode; default: the WEBX86_JIT environment variable, else 'on'. */
  jit?: JitMode;
}

/** The JIT mode tests run with unless they say otherwise (WEBX86_JIT=off|on|force). */
export const envJit = (): JitMode => parseJitMode(process.env.WEBX86_JIT) ?? 'on';
/**
 * The modes that tests comparing with native run in, one after the other: the interpreter
 * alone, and the JIT translating everything it can at first execution. WEBX86_JIT picks one.
 */
export const JIT_MODES: JitMode[] = process.env.WEBX86_JIT ? [envJit()] : ['off', 'force'];

/**
 * Run `argv` (argv[0] is a guest path) in a fresh machine. `status` is the shell-style
 * exit status (128 + signal when killed).
 */
export async function runGuest(argv: string[], o: GuestOptions = {}): Promise<GuestResult> {
  const warnings: string[] = [];
  const { kernel } = await createMachine({ root: o.root, mounts: o.mounts, network: o.network, debug: (m) => warnings.push(m), jit: o.jit ?? envJit() });
  for (const [path, src] of Object.entries(o.files ?? {})) {
    const data = typeof src === 'string' ? readFileSync(src) : src;
    const dir = path.slice(0, path.lastIndexOf('/'));
    if (dir) await mkdirp(kernel.vfs, dir);
    await kernel.vfs.writeFile(path, data, 0o755);
  }
  for (const [path, target] of Object.entries(o.links ?? {})) await kernel.vfs.symlink(null, target, -100, path);
  const out = new CaptureFile(), err = new CaptureFile();
  const p = await kernel.spawn(argv[0], {
    argv, env: o.env ?? ['PATH=/bin:/usr/bin', 'HOME=/root'], cwd: o.cwd ?? '/',
    stdio: [new InputFile(new TextEncoder().encode(o.stdin ?? '')), out, err],
    diag: (m) => warnings.push(m),
  });
  if (typeof p === 'number') return { stdout: '', stderr: `spawn failed: ${p}`, status: -p, raw: -1, warnings };
  let raw = 0;
  let icount = 0;
  kernel.sched.onProcessExit = (q) => {
    icount += q.threads.reduce((n, t) => n + t.cpu.icount, 0);
    if (q === p) raw = q.exitStatus;
  };
  await kernel.sched.run();
  const status = raw & 0x7f ? 128 + (raw & 0x7f) : (raw >> 8) & 0xff;
  return { stdout: out.text(), stderr: err.text(), status, raw, warnings, icount, stdoutBytes: Buffer.concat(out.chunks), jit: kernel.jit?.snapshot() };
}

async function mkdirp(vfs: { mkdir: (t: null, d: number, p: string, m: number) => Promise<number> }, dir: string): Promise<void> {
  let cur = '';
  for (const part of dir.split('/').filter(Boolean)) {
    cur += `/${part}`;
    await vfs.mkdir(null, -100, cur, 0o755);
  }
}

/** Run a host i386 binary natively. */
export function runNative(argv: string[], o: { stdin?: string; cwd?: string; env?: Record<string, string> } = {}): GuestResult {
  const r = spawnSync(argv[0], argv.slice(1), { input: o.stdin ?? '', cwd: o.cwd, env: o.env ?? { PATH: '/bin:/usr/bin', HOME: '/root' } });
  const status = r.status ?? 128 + (r.signal ? osSignal(r.signal) : 0);
  return { stdout: r.stdout.toString(), stderr: r.stderr.toString(), status, raw: 0, warnings: [] };
}
function osSignal(name: string): number {
  const table: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9, SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15 };
  return table[name] ?? 0;
}
