/**
 * The desktop session of the `desktop` preset in Node: `startx` on the desktop test image
 * (test/support/desktop-image.ts: /root/.xinitrc → i3, whose config starts an xterm and i3bar;
 * unmodified Debian binaries) with a display whose sink keeps the screen (screen-sink.ts) and
 * keys injected as the page's would be (Display.input → /dev/input/event0). Checked as a user
 * sees it and as i3 reports it: i3bar's focused workspace button on the screen; `echo typed
 * >/tmp/typed` Return typed on the keyboard reaches xterm's shell (the file it writes); i3's
 * binding Alt+Return opens a second xterm that i3 tiles beside the first (`i3-msg -t
 * get_tree`: two XTerm windows side by side, halves of the screen).
 *
 * One session serves the file (its start is the slow part: ~38 s of engine CPU to the bar).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMachine, type Machine } from '../../src/engine/machine.js';
import { openDisk, type OpenedDisk } from '../../src/host/node/disk.js';
import { Ext2Fs } from '../../src/engine/fs/ext2/index.js';
import type { Process } from '../../src/engine/linux/task.js';
import { CaptureFile, InputFile, envJit } from '../support/guest.js';
import { desktopTestImage } from '../support/desktop-image.js';
import { ScreenSink } from './screen-sink.js';

const W = 1024, H = 768;
/** Rows scanned for i3bar at the bottom (it is 23 px tall with DejaVu Sans Mono 10) and its focused workspace button's colour (i3's default #285577). */
const BAR = 30, FOCUSED: [number, number, number] = [0x28, 0x55, 0x77];
/** Minutes: a loaded 2-core machine runs the session's start many times slower than a quiet one. */
const LONG = 15 * 60_000;
const ENV = ['PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin', 'HOME=/root', 'USER=root', 'LANG=C.UTF-8'];
/** Clients started beside the session use startx's cookie (~/.Xauthority) and find i3's socket through the root window. */
const CLIENT_ENV = [...ENV, 'DISPLAY=:0'];

// <linux/input-event-codes.h>
const EV_KEY = 1;
const KEY: Record<string, number> = {
  a: 30, b: 48, c: 46, d: 32, e: 18, f: 33, g: 34, h: 35, i: 23, j: 36, k: 37, l: 38, m: 50, n: 49, o: 24, p: 25, q: 16, r: 19, s: 31,
  t: 20, u: 22, v: 47, w: 17, x: 45, y: 21, z: 44, ' ': 57, '.': 52, '/': 53, '\n': 28,
};
const KEY_LEFTSHIFT = 42, KEY_LEFTALT = 56, KEY_ENTER = 28;

let m: Machine;
let disk: OpenedDisk;
const sink = new ScreenSink();
/** Exit statuses of processes that ended, and the waiters of those still running. */
const exited = new Map<Process, number>();
const exits = new Map<Process, (status: number) => void>();
let overlay = '';
let session: Promise<void> = Promise.resolve();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Progress on stderr (the steps take minutes on a loaded machine). */
const step = (msg: string) => process.stderr.write(`i3-desktop ${(performance.now() / 1000).toFixed(0)} s: ${msg}\n`);
/**
 * Poll `cond` until it holds. Every minute it says what it is still waiting for (with the
 * last value `what` shows): a wait that polls in vain (each command ending in seconds) is
 * then told apart from one command that never ends, which `sh` reports itself. Without it,
 * two CI failures read as "spawn never returned" were, as far as the log could tell, this
 * loop asking i3 again and again (2026-12-07: reproduced locally, see the Alt+Return test).
 */
async function until(cond: () => boolean | Promise<boolean>, what: () => string, ms = LONG): Promise<void> {
  const start = performance.now(), end = start + ms;
  let checks = 0, told = start;
  while (!(await cond())) {
    checks++;
    if (performance.now() > end) throw new Error(`timed out waiting for ${what()} (${checks} checks)`);
    if (performance.now() - told > 60_000) {
      told = performance.now();
      step(`still waiting for ${what()} (${checks} checks in ${((told - start) / 1000).toFixed(0)} s)`);
    }
    await sleep(200);
  }
}

/**
 * How long one command beside the session may take. Twice in CI, at load average 17, one
 * (`cat /tmp/typed`, then `i3-msg -t get_tree`) never ended and its test ran into the
 * 15-minute timeout; the cause is not found yet. Past this, the command is killed, what
 * every task was doing is logged (the syscall it waits in), and the caller's loop asks again.
 */
const SH_DEADLINE_MS = 120_000;

/** Run a shell command beside the session; its status and output (status -1: killed at the deadline). */
async function sh(cmd: string): Promise<{ status: number; out: string }> {
  const out = new CaptureFile();
  // Which part waits, when one does: the spawn (reading /bin/sh and ld.so) or the command.
  let spawned = false;
  const watch = setInterval(() => step(`still waiting for \`${cmd}\` (${spawned ? 'running' : 'in spawn'}); ${taskStates()}`), 60_000);
  let give: NodeJS.Timeout | undefined;
  try {
    // A spawn that never returns fails the test at once, not at its 15-minute timeout: in CI
    // (load 5-17) the first command after the bar waited there 15 minutes while the session
    // went on (the 900 s test timeout fired, this file's 120 s command deadline never did).
    const p = await Promise.race([
      m.kernel.spawn('/bin/sh', { argv: ['sh', '-c', cmd], env: CLIENT_ENV, cwd: '/root', stdio: [new InputFile(new Uint8Array()), out, out] }),
      new Promise<never>((_, no) => { give = setTimeout(() => no(new Error(`spawn of \`${cmd}\` did not return in ${SH_DEADLINE_MS / 1000} s; ${taskStates()}`)), SH_DEADLINE_MS); }),
    ]).finally(() => { spawned = true; clearTimeout(give); });
    return await ran(p, cmd, out);
  } finally {
    clearInterval(watch);
  }
}

/** Every task: tid, command, state and the system call it is in (orig_eax); and the disk's operation chain. */
const taskStates = (): string => {
  const c = disk.fs instanceof Ext2Fs ? disk.fs.chain : null;
  const fs = c ? `; ext2: ${c.pending} operation(s) pending, the running one for ${(c.runningMs / 1000).toFixed(1)} s` : '';
  return `tasks: ${[...m.kernel.tasks.values()].map((t) => `${t.tid} ${t.comm} ${t.state} syscall ${t.origEax}`).join(' | ')}${fs}`;
};

async function ran(p: Awaited<ReturnType<typeof m.kernel.spawn>>, cmd: string, out: CaptureFile): Promise<{ status: number; out: string }> {
  if (typeof p === 'number') throw new Error(`spawn /bin/sh: ${p}`);
  // It may have ended already (the run loop goes on while spawn's caller resumes).
  let timer: NodeJS.Timeout | undefined;
  const raw = exited.has(p) ? exited.get(p)! : await new Promise<number>((r) => {
    exits.set(p, r);
    timer = setTimeout(() => r(-1), SH_DEADLINE_MS);
  });
  clearTimeout(timer);
  if (raw === -1) {
    exits.delete(p);
    step(`\`${cmd}\` did not end in ${SH_DEADLINE_MS / 1000} s; killed. ${taskStates()}`);
    m.kernel.sched.exitProcess(p, 9);
    exited.delete(p);
    return { status: -1, out: out.text() };
  }
  exited.delete(p);
  return { status: (raw >> 8) & 0xff, out: out.text() };
}

/** Press and release keys on event0, one evdev packet each, as the page sends them. */
function press(...codes: number[]): void {
  for (const code of codes) m.display!.input!.keyboard([{ type: EV_KEY, code, value: 1 }]);
  for (const code of [...codes].reverse()) m.display!.input!.keyboard([{ type: EV_KEY, code, value: 0 }]);
}
async function type(text: string): Promise<void> {
  for (const ch of text) {
    if (ch === '>') press(KEY_LEFTSHIFT, KEY['.']);
    else press(KEY[ch]);
    // One key per turn of the host: X reads them as a person's typing, not one burst.
    await sleep(20);
  }
}

function barButtonPixels(): number {
  if (sink.width !== W) return 0;
  let n = 0;
  for (let y = H - BAR; y < H; y++) {
    for (let x = 0; x < 80; x++) {
      const [r, g, b] = sink.rgb(x, y);
      if (r === FOCUSED[0] && g === FOCUSED[1] && b === FOCUSED[2]) n++;
    }
  }
  return n;
}

interface I3Node { rect: { x: number; y: number; width: number; height: number }; window?: number | null; window_properties?: { class?: string }; nodes?: I3Node[]; floating_nodes?: I3Node[] }
async function windowsOf(cls: string): Promise<I3Node[]> {
  const r = await sh('i3-msg -t get_tree');
  if (r.status !== 0 || !r.out.trim().startsWith('{')) { step(`i3-msg: ${r.status} ${r.out.slice(0, 200)}`); return []; }
  const found: I3Node[] = [];
  const walk = (n: I3Node) => {
    if (n.window && n.window_properties?.class === cls) found.push(n);
    for (const c of [...(n.nodes ?? []), ...(n.floating_nodes ?? [])]) walk(c);
  };
  walk(JSON.parse(r.out) as I3Node);
  return found;
}

/** What a failure's message needs: i3bar's dock client, the processes running, and those that ended. */
async function sessionState(): Promise<string> {
  const docks = (await windowsOf('i3bar')).map((n) => JSON.stringify(n.rect));
  const ps = await sh('ps -eo pid,ppid,stat,comm');
  return `i3bar docks ${docks.join(' ') || 'none'}; ps: ${ps.out.trim().replace(/\n\s*/g, ' | ')}; ended: ${sessionExits.join(', ') || 'none'}`;
}

/** The session's processes that ended (pid, comm, wait status in hex), for a failure's message. */
const sessionExits: string[] = [];
/** Processes the session started (pid<parent pid at seconds of uptime), for a failure's message. */
const sessionStarts: string[] = [];
let barUp = false;

before(async () => {
  const img = await desktopTestImage();
  overlay = join(tmpdir(), `webx86-i3-desktop-${process.pid}`);
  const d = await openDisk({ disk: img, rw: true, overlay });
  if (typeof d === 'string') throw new Error(d);
  disk = d;
  m = await createMachine({ root: disk.fs, display: { width: W, height: H }, jit: envJit() });
  m.kernel.display!.sink = sink;
  m.kernel.processCreatedHooks.push((q) => {
    if (q.parent && !exits.has(q.parent) && !exited.has(q.parent)) sessionStarts.push(`${q.pid}<${q.parent.pid}@${(m.kernel.uptimeMs() / 1000).toFixed(1)}`);
  });
  m.kernel.sched.onProcessExit = (q) => {
    const f = exits.get(q);
    if (f) { exits.delete(q); f(q.exitStatus); } else exited.set(q, q.exitStatus);
    if (!f) sessionExits.push(`${q.pid} ${q.threads[0]?.comm ?? '?'} ${q.exitStatus.toString(16)}`);
  };
  const p = await m.kernel.spawn('/usr/bin/startx', { argv: ['startx'], env: ENV, cwd: '/root', stdio: [new InputFile(new Uint8Array()), new CaptureFile(), new CaptureFile()] });
  assert.equal(typeof p, 'object', `spawn startx: ${String(p)}`);
  session = m.kernel.sched.run();
});

after(async () => {
  // End the session: every process is killed (status SIGKILL), and the run loop returns.
  if (m) for (const p of new Set([...m.kernel.tasks.values()].map((t) => t.proc))) m.kernel.sched.exitProcess(p, 9);
  await Promise.race([session, sleep(30_000)]);
  rmSync(overlay, { force: true });
  rmSync(`${overlay}.map`, { force: true });
});

test('i3 starts with its bar: the focused workspace button is on the screen', { timeout: LONG }, async () => {
  let n = 0;
  await until(() => (n = barButtonPixels()) > 100, () => `i3bar's focused workspace button (${n} pixels of #285577)`);
  barUp = true;
  step('bar up');
});

test('keys typed on the keyboard reach the shell in xterm', { timeout: LONG }, async () => {
  assert.ok(barUp, 'i3 is not up (the first test failed)');
  // i3 starts the xterm and focuses it (the only window); its shell is up once it runs.
  await until(async () => (await windowsOf('XTerm')).length >= 1, () => 'xterm in i3\'s tree');
  step('xterm in the tree');
  let ps = '';
  await until(async () => (ps = (await sh('ps -eo ppid,comm')).out, /\bxterm\b/.test(ps) && (await sh('pgrep -P "$(pgrep -x xterm | head -1)"')).status === 0), () => `the shell in xterm (ps: ${ps})`);
  step('shell up; typing');
  // Keys that reach the pty before bash's readline has set up the terminal can be flushed
  // with its pending input (one CI run timed out here): type the line again until it ran.
  let text = '';
  const end = performance.now() + LONG;
  for (;;) {
    await type('echo typed >/tmp/typed\n');
    step('typed');
    try {
      await until(async () => (text = (await sh('cat /tmp/typed 2>/dev/null')).out) === 'typed\n', () => `/tmp/typed to hold 'typed' (${JSON.stringify(text)})`, 60_000);
      break;
    } catch (e) {
      if (performance.now() > end) throw e;
    }
  }
});

/**
 * How long i3 may take to open the second xterm: 20-45 s at load 10-15 here. In 8 of 27
 * local runs (2026-12-07, load 8-16) one of the session's two xterms never came, and the
 * test polled i3 to its 15-minute timeout, which CI read as a hang: devpts made the pty
 * xterm's child opened the terminal of whichever task made the last system call, not the
 * child's; the child found no /dev/tty (ENXIO) and reported the pty bad, xterm closed it,
 * the hang-up killed the child (SIGHUP) and xterm died of SIGPIPE.
 * Fixed in the VFS (test/tty/pty.test.ts); past this the test fails with what the session
 * started and ended since the press, should an xterm die again.
 */
const XTERM_MS = 5 * 60_000;

test('Alt+Return opens a second xterm, which i3 tiles beside the first', { timeout: LONG }, async () => {
  assert.ok(barUp, 'i3 is not up (the first test failed)');
  const started = sessionStarts.length, ended = sessionExits.length;
  const at = m.kernel.uptimeMs() / 1000;
  press(KEY_LEFTALT, KEY_ENTER);
  let w: I3Node[] = [];
  await until(async () => (w = await windowsOf('XTerm')).length >= 2,
    () => `two XTerm windows in i3's tree (${w.length}); since the press at ${at.toFixed(1)} s the session started ${sessionStarts.slice(started).join(' ') || 'nothing'} and ended ${sessionExits.slice(ended).join(', ') || 'nothing'}; ${taskStates()}`, XTERM_MS);
  // i3 lays the tiles out again as clients come and go (its render follows each event); the
  // layout checked is the one that holds once both xterms and the bar are placed, read for up
  // to a minute (one CI run read the tiles at a height that did not leave room for the bar).
  let bar: I3Node['rect'][] = [];
  const settled = () => w.length === 2 && bar.length === 1 && w.every((n) => n.rect.y + n.rect.height === bar[0].y);
  await until(async () => (w = await windowsOf('XTerm'), bar = (await windowsOf('i3bar')).map((n) => n.rect), settled()), () => '', 60_000).catch(() => {});
  assert.equal(w.length, 2);
  const [a, b] = w.map((n) => n.rect).sort((p, q) => p.x - q.x);
  // Split horizontally (i3's default on a landscape workspace): one row, each half the width.
  assert.equal(a.y, b.y, 'same top');
  assert.equal(a.height, b.height, 'same height');
  assert.equal(a.x, 0);
  assert.equal(b.x, a.x + a.width, 'the second starts where the first ends');
  assert.ok(Math.abs(a.width - b.width) <= 1, `halves: ${a.width} and ${b.width}`);
  assert.equal(a.width + b.width, W);
  // Above the bar: the tiles end where i3bar's dock client begins, at the bottom of the screen.
  const why = `xterms ${JSON.stringify([a, b])}; ${await sessionState()}`;
  assert.equal(bar.length, 1, `one i3bar dock client: ${why}`);
  assert.equal(bar[0].y + bar[0].height, H, `the bar at the bottom: ${why}`);
  assert.ok(bar[0].height >= 20 && bar[0].height <= BAR, `the bar's height from its font (DejaVu Sans Mono 10): ${why}`);
  assert.equal(a.y + a.height, bar[0].y, `the tiles end where the bar begins: ${why}`);
});
