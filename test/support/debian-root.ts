/**
 * Running a case in an unpacked Debian root both ways: natively with chroot (needs root)
 * and under the engine with the root as /. Each case gets $WORK, a fresh directory under
 * /tmp (the tree's /tmp natively, tmpfs in the engine).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { join } from 'node:path';
import { HostFs } from '../../src/host/node/hostfs.js';
import { envJit, runGuest, type GuestResult } from './guest.js';
import { createMachine, spawnOnConsole } from '../../src/engine/machine.js';
import type { HostTerminal } from '../../src/engine/tty/console.js';

export const ROOT_ENV: Record<string, string> = {
  PATH: '/usr/bin:/bin', HOME: '/root', LC_ALL: 'C', TZ: 'UTC', PYTHONDONTWRITEBYTECODE: '1',
};
export const workOf = (name: string): string => `/tmp/work-${name.replace(/[^a-z0-9]+/gi, '-')}`;

export type Timed = GuestResult & { ms: number };

/**
 * Run natively in the root; a string says why native runs are impossible here. With
 * `procAndDev` the run gets /proc and the host's /dev mounted in the root, in a private
 * mount namespace of its own (unshare(1)), so nothing stays mounted in the shared tree.
 */
export function runInRootNatively(root: string, name: string, argv: string[], o: { procAndDev?: boolean } = {}): Timed | string {
  const work = workOf(name);
  rmSync(join(root, work), { recursive: true, force: true });
  const t0 = performance.now();
  const [cmd, args] = o.procAndDev
    ? ['/usr/bin/unshare', ['-m', '--propagation', 'private', '--', '/bin/sh', '-c',
      'mount -t proc proc "$0/proc" && mount --rbind /dev "$0/dev" && exec /usr/sbin/chroot "$0" "$@"', root, ...argv]]
    : ['/usr/sbin/chroot', [root, ...argv]];
  const r = spawnSync(cmd, args, { env: { ...ROOT_ENV, WORK: work }, input: '' });
  const ms = performance.now() - t0;
  rmSync(join(root, work), { recursive: true, force: true });
  if (r.error || (r.status === 125 && /chroot/.test(r.stderr.toString())) || /^unshare: |^mount: /m.test(r.stderr.toString())) {
    return `cannot run natively with chroot${o.procAndDev ? ', unshare and mount' : ''} (needs root): ${r.error?.message ?? r.stderr.toString().trim()}`;
  }
  return { stdout: r.stdout.toString(), stderr: r.stderr.toString(), status: r.status ?? 128, raw: 0, warnings: [], ms };
}

/** Run under the engine with the root as /. */
export async function runInRootEngine(root: string, name: string, argv: string[]): Promise<Timed> {
  const t0 = performance.now();
  const g = await runGuest(argv, {
    root: new HostFs(root), env: Object.entries({ ...ROOT_ENV, WORK: workOf(name) }).map(([k, v]) => `${k}=${v}`), cwd: '/',
  });
  const ms = performance.now() - t0;
  rmSync(join(root, workOf(name)), { recursive: true, force: true });
  return { ...g, ms };
}

/** Run case `name` in the engine and assert stdout and status equal the native run `n`. */
export async function assertEngineMatchesNative(t: TestContext, root: string, name: string, argv: string[], n: Timed): Promise<void> {
  assert.ok(existsSync(join(root, 'lib/ld-linux.so.2')), 'the root has no dynamic loader');
  const g = await runInRootEngine(root, name, argv);
  t.diagnostic(`native ${n.ms.toFixed(0)} ms, engine ${g.ms.toFixed(0)} ms, ${((g.icount ?? 0) / 1e6).toFixed(1)} M instructions`);
  assert.equal(g.stdout, n.stdout, `stdout differs; engine stderr: ${g.stderr}`);
  assert.equal(g.status, n.status, `status differs; engine stderr: ${g.stderr}; native stderr: ${n.stderr}`);
}

/**
 * An interactive program on a terminal, driven keystroke by keystroke: natively on a real
 * pty (python3's pty module, chroot into the root) or under the engine on its console.
 * Both sides get the same size, environment and keys, so tests compare what matters (files
 * written, lines shown) rather than escape-sequence details, which differ legitimately.
 */
export interface TermSession {
  /** Everything written to the terminal so far, raw (escape sequences included). */
  readonly screen: string;
  send(keys: string): void;
  /** Resolves with the screen output since `from` (a length of `screen`) once it matches. */
  waitFor(re: RegExp, from?: number, ms?: number): Promise<string>;
  /** The same, matching the output since `from` with escape sequences taken out (plainText). */
  waitForText(re: RegExp, from?: number, ms?: number): Promise<string>;
  /** Shell-style exit status of the program, once it ends. */
  readonly exited: Promise<number>;
  /** Guest instructions executed (engine sessions only, after exit). */
  icount(): number;
  /** End the session whatever state it is in (after a failed wait): kill everything it started. */
  close(): void;
}

export interface TermOptions { env?: Record<string, string>; cwd?: string; rows?: number; cols?: number }

/** The environment a terminal session gets unless told otherwise. */
export const TERM_ENV: Record<string, string> = { ...ROOT_ENV, TERM: 'xterm', LC_ALL: 'C' };

/** Screen output without CSI/OSC/DCS escape sequences and carriage returns: the text a reader sees, roughly. */
export const plainText = (s: string): string =>
  s.replace(/\x1b[\]P][^\x07\x1b]*(\x07|\x1b\\)/g, '').replace(/\x1b\[[0-9;?>=]*[ -/]*[@-~]/g, '').replace(/\x1b[()][0-9A-Za-z]|\x1b[=>78cDEHM]/g, '').replace(/\r/g, '');

/** Output collection with waiters woken by new output (no polling). */
class Screen {
  text = '';
  private waiters: (() => void)[] = [];
  add(s: string): void { this.text += s; for (const w of this.waiters.splice(0)) w(); }
  async waitFor(re: RegExp, from = 0, ms = 30000, plain = false): Promise<string> {
    const end = Date.now() + ms;
    for (;;) {
      const seen = plain ? plainText(this.text.slice(from)) : this.text.slice(from);
      if (re.test(seen)) return seen;
      const left = end - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${re}; screen so far:\n${JSON.stringify(plainText(seen))}`);
      await new Promise<void>((res) => { const t = setTimeout(res, left); this.waiters.push(() => { clearTimeout(t); res(); }); });
    }
  }
}

// Runs argv chrooted on a new pty of the given size; relays stdin to it and it to stdout.
const PTY_RUNNER = `
import os, pty, sys, select, fcntl, termios, struct, json
root, cwd, rows, cols, env = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), json.loads(sys.argv[5])
argv = sys.argv[6:]
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
    os.chroot(root); os.chdir(cwd)
    os.execve(argv[0], argv, env)
inputs = [fd, 0]
while True:
    r = select.select(inputs, [], [])[0]
    if 0 in r:
        data = os.read(0, 4096)
        if data: os.write(fd, data)
        else: inputs.remove(0)
    if fd in r:
        try: data = os.read(fd, 65536)
        except OSError: data = b''
        if not data: break
        os.write(1, data)
st = os.waitpid(pid, 0)[1]
sys.exit(128 + os.WTERMSIG(st) if os.WIFSIGNALED(st) else os.WEXITSTATUS(st))
`;

/** Start argv natively in the root on a real pty (needs root for chroot, and /usr/bin/python3). */
export function startInRootNativelyOnPty(root: string, argv: string[], o: TermOptions = {}): TermSession {
  const screen = new Screen();
  const env = o.env ?? TERM_ENV;
  const p = spawn('/usr/bin/python3', ['-c', PTY_RUNNER, root, o.cwd ?? '/root', String(o.rows ?? 24), String(o.cols ?? 80), JSON.stringify(env), ...argv],
    { stdio: ['pipe', 'pipe', 'inherit'] });
  p.stdout.on('data', (b: Buffer) => screen.add(b.toString('utf8')));
  const exited = new Promise<number>((res) => p.on('close', (code, sig) => res(code ?? 128 + (sig ? 9 : 0))));
  return {
    get screen() { return screen.text; },
    send: (keys) => { p.stdin.write(keys); },
    waitFor: (re, from, ms) => screen.waitFor(re, from, ms),
    waitForText: (re, from, ms) => screen.waitFor(re, from, ms, true),
    exited, icount: () => 0,
    // The pty's master closes with the runner: the program gets SIGHUP, as when an xterm closes.
    close: () => { p.kill('SIGKILL'); },
  };
}

/** Start argv under the engine with the root as / and argv on its console. */
export async function startInRootEngineOnConsole(root: string, argv: string[], o: TermOptions = {}): Promise<TermSession> {
  const screen = new Screen();
  const decoder = new TextDecoder();
  let input: (b: Uint8Array) => void = () => {};
  const terminal: HostTerminal = {
    write: (b) => screen.add(decoder.decode(b, { stream: true })),
    onInput: (cb) => { input = cb; },
    onResize: () => {},
    size: () => ({ rows: o.rows ?? 24, cols: o.cols ?? 80 }),
  };
  const m = await createMachine({ terminal, root: new HostFs(root), jit: envJit() });
  const env = Object.entries(o.env ?? TERM_ENV).map(([k, v]) => `${k}=${v}`);
  const p = await spawnOnConsole(m, argv[0], { argv, env, cwd: o.cwd ?? '/root' });
  if (typeof p === 'number') throw new Error(`spawn ${argv[0]} failed: ${p}`);
  let raw = 0, icount = 0;
  m.kernel.sched.onProcessExit = (q) => {
    icount += q.threads.reduce((n, t) => n + t.cpu.icount, 0);
    if (q === p) raw = q.exitStatus;
  };
  const exited = m.kernel.sched.run().then(() => (raw & 0x7f ? 128 + (raw & 0x7f) : (raw >> 8) & 0xff));
  return {
    get screen() { return screen.text; },
    send: (keys) => input(new TextEncoder().encode(keys)),
    waitFor: (re, from, ms) => screen.waitFor(re, from, ms),
    waitForText: (re, from, ms) => screen.waitFor(re, from, ms, true),
    exited, icount: () => icount,
    close: () => {
      for (const q of m.kernel.processes.values()) m.kernel.sched.signals.sendProcess(q, { signo: 9, code: 0 });
    },
  };
}
