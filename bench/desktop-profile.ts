/**
 * Where `startx` → the i3 bar spends its time, per program, in Node (the engine alone, no
 * page): the desktop test image (test/support/desktop-image.ts) with a 1024x768 display, JIT
 * as WEBX86_JIT says (default on). Every 50 ms of host time it reads each process's argv and
 * its threads' CPU time (the scheduler's accounting, utime), and credits the growth to what
 * the process runs then (an exec changes argv, so a shell that execs i3 is charged as sh
 * before and as i3 after). At the bar it prints the table, engine CPU (process.cpuUsage), the
 * wall time, JitStats, and what is in the caches fontconfig and xkbcomp (the image's wrapper) use.
 *
 * Also a line per second of which programs ran. utime is the wall time of the scheduler's
 * slices, so on a loaded machine it exceeds the engine's CPU. DESKTOP_PROFILE_IMAGE=FILE
 * profiles another image (a copy changed by hand, say).
 *
 *   WEBX86_JIT_CACHE=off node --import tsx bench/desktop-profile.ts
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMachine } from '../src/engine/machine.js';
import { openDisk } from '../src/host/node/disk.js';
import { CaptureFile, InputFile, envJit } from '../test/support/guest.js';
import { desktopTestImage } from '../test/support/desktop-image.js';
import { ScreenSink } from '../test/display/screen-sink.js';
import { HANDLERS } from '../src/engine/linux/syscalls/index.js';

/**
 * Per system call: calls, how many parked the task (returned a promise), and the wall time
 * until those settled (what the guest waited: poll, select and nanosleep timeouts, disk).
 */
const calls = new Map<string, { n: number; parked: number; waitMs: number }>();
for (const [name, h] of HANDLERS) {
  (HANDLERS as Map<string, typeof h>).set(name, (...a) => {
    const e = calls.get(name) ?? calls.set(name, { n: 0, parked: 0, waitMs: 0 }).get(name)!;
    e.n++;
    const r = h(...a);
    if (typeof r === 'number') return r;
    e.parked++;
    const t = performance.now();
    return r.finally(() => { e.waitMs += performance.now() - t; });
  });
}

const W = 1024, H = 768, BAR = 30;
const ENV = ['PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin', 'HOME=/root', 'USER=root', 'LANG=C.UTF-8'];
const say = (m: string) => process.stderr.write(`desktop-profile: ${m}\n`);

const img = process.env.DESKTOP_PROFILE_IMAGE ?? await desktopTestImage(say);
const overlay = join(tmpdir(), `webx86-desktop-profile-${process.pid}`);
const disk = await openDisk({ disk: img, rw: true, overlay });
if (typeof disk === 'string') throw new Error(disk);
/**
 * The root device's reads in 64 KiB blocks (a page's overlay block), and how many would miss
 * an LRU cache of 8 MiB (IdbBlockStore's default read cache, the page's overlay store) or 64
 * MiB: each miss in a page is an IndexedDB get.
 */
const lrus = [8, 64].map((mib) => ({ mib, cap: (mib << 20) >> 16, map: new Map<number, true>(), misses: 0 }));
let devReads = 0, devBytes = 0;
const fsDevice = (disk.fs as unknown as { device: { read(o: number, n: number): unknown } }).device;
const devRead = fsDevice.read.bind(fsDevice);
fsDevice.read = (o: number, n: number) => {
  devReads++;
  devBytes += n;
  for (let b = Math.floor(o / 65536); b <= Math.floor((o + n - 1) / 65536); b++) {
    for (const l of lrus) {
      if (l.map.delete(b)) l.map.set(b, true);
      else { l.misses++; l.map.set(b, true); if (l.map.size > l.cap) l.map.delete(l.map.keys().next().value!); }
    }
  }
  return devRead(o, n);
};
const m = await createMachine({ root: disk.fs, display: { width: W, height: H }, jit: envJit() });
const sink = new ScreenSink();
m.kernel.display!.sink = sink;
const bar = () => {
  if (sink.width !== W) return false;
  let n = 0;
  for (let y = H - BAR; y < H; y++) for (let x = 0; x < 80; x++) { const [r, g, b] = sink.rgb(x, y); if (r === 0x28 && g === 0x55 && b === 0x77) n++; }
  return n > 100;
};

/** Per program (argv joined, cut): CPU ms, number of processes seen running it. */
const t0 = performance.now();
const byProgram = new Map<string, { ms: number; procs: Set<number> }>();
const seen = new Map<number, { prog: string; ms: number }>();
const label = (argv: string[]) => argv.join(' ').slice(0, 90);
/** Per second of wall time: guest CPU ms per program. */
const timeline: Map<string, number>[] = [];
function sample(): void {
  const sec = Math.floor((performance.now() - t0) / 1000);
  const bucket = timeline[sec] ?? (timeline[sec] = new Map());
  const procs = new Set([...m.kernel.tasks.values()].map((t) => t.proc));
  for (const p of procs) {
    const ms = p.threads.reduce((n, t) => n + t.utimeMs + t.stimeMs, 0);
    const prog = label(p.argv);
    const prev = seen.get(p.pid);
    // A fork's child starts with its own clock at 0; an exec may start new threads.
    const last = prev && prev.ms <= ms ? prev : { prog, ms: 0 };
    const e = byProgram.get(prog) ?? byProgram.set(prog, { ms: 0, procs: new Set() }).get(prog)!;
    e.ms += ms - last.ms;
    if (ms - last.ms > 0) bucket.set(prog.split(' ')[0], (bucket.get(prog.split(' ')[0]) ?? 0) + ms - last.ms);
    e.procs.add(p.pid);
    seen.set(p.pid, { prog, ms });
  }
}
m.kernel.sched.onProcessExit = (p) => {
  const ms = p.threads.reduce((n, t) => n + t.utimeMs + t.stimeMs, 0);
  const prev = seen.get(p.pid);
  const last = prev && prev.ms <= ms ? prev : undefined;
  const prog = label(p.argv);
  const e = byProgram.get(prog) ?? byProgram.set(prog, { ms: 0, procs: new Set() }).get(prog)!;
  e.ms += ms - (last?.ms ?? 0);
  e.procs.add(p.pid);
  seen.set(p.pid, { prog, ms });
};

// The scheduler's busy/idle changes: what a page hears as cpuActivity events (engine-host.ts).
let activityChanges = 0, idleMs = 0, idleSince = 0, busyNow = true;
m.kernel.sched.onActivity = (busy) => {
  if (busy === busyNow) return;
  busyNow = busy;
  activityChanges++;
  if (!busy) idleSince = performance.now();
  else idleMs += performance.now() - idleSince;
};

const cpu0 = process.cpuUsage();
const p = await m.kernel.spawn('/usr/bin/startx', { argv: ['startx'], env: ENV, cwd: '/root', stdio: [new InputFile(new Uint8Array()), new CaptureFile(), new CaptureFile()] });
if (typeof p === 'number') throw new Error(`spawn startx: ${p}`);
const session = m.kernel.sched.run();
let firstFrame = 0;
await new Promise<void>((resolve) => {
  const iv = setInterval(() => {
    sample();
    if (!firstFrame && sink.frames > 0) firstFrame = performance.now() - t0;
    if (bar()) { clearInterval(iv); resolve(); }
  }, 50);
});
const wall = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
sample();
for (let i = 0; i < timeline.length; i++) {
  const b = [...(timeline[i] ?? new Map()).entries()].sort((x, y) => y[1] - x[1]);
  process.stdout.write(`${String(i).padStart(3)} s: ${b.reduce((n, x) => n + x[1], 0).toFixed(0).padStart(4)} ms  ${b.slice(0, 4).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')}\n`);
}
const st = m.kernel.jit?.snapshot();
if (st) process.stdout.write(`jit: ${JSON.stringify({ loadMs: st.loadMs, compiler: st.compiler, regionsCompiled: st.regionsCompiled, regionsReused: st.regionsReused, regionsFromDisk: st.regionsFromDisk, compileMs: Math.round(st.compileMs), engineMs: Math.round(st.engineMs), instructions: st.instructions, deferred: st.deferred, interpCalls: st.interpCalls })}\n`);
const rows = [...byProgram.entries()].sort((a, b) => b[1].ms - a[1].ms);
const total = rows.reduce((n, [, e]) => n + e.ms, 0);
process.stdout.write(`startx → bar: ${(wall / 1000).toFixed(1)} s wall, first frame ${(firstFrame / 1000).toFixed(1)} s, engine process CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s, guest CPU (utime) ${(total / 1000).toFixed(1)} s, jit ${m.kernel.jit ? 'on' : 'off'}\n`);
process.stdout.write(`scheduler: ${activityChanges} busy/idle changes, idle ${(idleMs / 1000).toFixed(1)} s, ${m.kernel.sched.syscallCount} system calls\n`);
process.stdout.write(`root device: ${devReads} reads, ${(devBytes / 2 ** 20).toFixed(1)} MiB; 64 KiB blocks missing an LRU of ${lrus.map((l) => `${l.mib} MiB: ${l.misses}`).join(', ')}\n`);
process.stdout.write(`system calls (calls, parked, ms until the parked ones settled):\n`);
for (const [name, e] of [...calls.entries()].sort((a, b) => b[1].waitMs - a[1].waitMs || b[1].n - a[1].n).slice(0, 20)) process.stdout.write(`  ${name.padEnd(16)} ${String(e.n).padStart(7)} ${String(e.parked).padStart(7)} ${e.waitMs.toFixed(0).padStart(8)}\n`);
for (const [prog, e] of rows) if (e.ms > 20) process.stdout.write(`${(e.ms / 1000).toFixed(2).padStart(7)} s ${String(e.procs.size).padStart(3)}x  ${prog}\n`);

// What the session wrote where caches live.
const out = new CaptureFile();
const ls = await m.kernel.spawn('/bin/sh', { argv: ['sh', '-c', 'ls -la /var/cache/fontconfig /root/.cache /var/lib/xkb /var/lib/xkb/webx86-cache 2>&1'], env: ENV, cwd: '/', stdio: [new InputFile(new Uint8Array()), out, out] });
if (typeof ls !== 'number') await new Promise<void>((r) => { const prev = m.kernel.sched.onProcessExit; m.kernel.sched.onProcessExit = (q) => { prev(q); if (q === ls) r(); }; });
process.stdout.write(out.text());
for (const q of new Set([...m.kernel.tasks.values()].map((t) => t.proc))) m.kernel.sched.exitProcess(q, 9);
await Promise.race([session, new Promise((r) => setTimeout(r, 10_000))]);
rmSync(overlay, { force: true });
rmSync(`${overlay}.map`, { force: true });
process.exit(0);
