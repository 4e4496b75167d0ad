/**
 * The real Tailscale pieces the Tailscale tests run (test/net/go, tailscale.com@v1.102.5):
 * testcontrol (our fixture around tstest/integration/testcontrol), derper, tspeer (a tsnet
 * node) and filtercheck (wgengine/filter on given packets). Built once into .cache/go-bin; a machine without Go gets `null` and the tests skip
 * with one line saying so.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';

const root = new URL('../../../', import.meta.url).pathname;
const MODULE = join(root, 'test', 'net', 'go');
/** Binaries are kept per version of their sources, so an edited fixture is rebuilt, never run stale. */
function sourceHash(): string {
  const h = createHash('sha256');
  for (const f of ['go.mod', 'go.sum', 'cmd/testcontrol/main.go', 'cmd/tspeer/main.go', 'cmd/filtercheck/main.go']) h.update(readFileSync(join(MODULE, f)));
  return h.digest('hex').slice(0, 12);
}
const BIN = join(root, '.cache', 'go-bin', `tailscale-${sourceHash()}`);
const TARGETS: Record<string, string> = { testcontrol: './cmd/testcontrol', tspeer: './cmd/tspeer', derper: 'tailscale.com/cmd/derper', filtercheck: './cmd/filtercheck' };

export const hasGo = spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0;
export const NO_GO = 'Go is not installed: the tests against real Tailscale (testcontrol, derper, tsnet) need it';

/** Path of a built fixture (building it if needed), or null without Go. */
export function goBinary(name: keyof typeof TARGETS): string | null {
  const out = join(BIN, name);
  if (existsSync(out)) return out;
  if (!hasGo) return null;
  mkdirSync(BIN, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  const r = spawnSync('nice', ['-n', '10', 'go', 'build', '-o', tmp, TARGETS[name]], { cwd: MODULE, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building ${name} failed:\n${r.stderr}`);
  // Renamed into place: two test files building at once never run a half-written binary.
  renameSync(tmp, out);
  return out;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
    s.on('error', reject);
  });
}

export interface Proc { proc: ChildProcess; line: (re: RegExp, ms?: number) => Promise<RegExpExecArray>; stop: () => void; output: () => string }

/** Start a process; `line(re)` waits for a matching line on stdout/stderr. */
export function start(cmd: string, args: string[], env: Record<string, string> = {}): Proc {
  const proc = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const waiters: (() => void)[] = [];
  const feed = (d: Buffer) => { out += d; for (const w of waiters.splice(0)) w(); };
  proc.stdout!.on('data', feed);
  proc.stderr!.on('data', feed);
  return {
    proc,
    output: () => out,
    stop: () => { if (proc.exitCode === null) proc.kill('SIGKILL'); },
    line: (re, ms = 60_000) => new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${cmd}: no line matching ${re} within ${ms} ms; output:\n${out.slice(-2000)}`)), ms);
      const check = () => { const m = re.exec(out); if (m) { clearTimeout(t); resolve(m); } else waiters.push(check); };
      check();
    }),
  };
}

/** A derper on loopback (plain HTTP; STUN on UDP `stunPort` of 127.0.0.1 when given, else none). */
export async function startDerper(stunPort?: number): Promise<{ port: number; p: Proc } | null> {
  const bin = goBinary('derper');
  if (!bin) return null;
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'webx86-derper-'));
  const stun = stunPort ? ['-stun=true', '-stun-port', String(stunPort)] : ['-stun=false'];
  const p = start(bin, ['-a', `127.0.0.1:${port}`, '-http-port', '-1', ...stun, '-c', join(dir, 'derper.json'), '-certdir', dir]);
  await p.line(/derper: serving on/);
  return { port, p };
}

/** Our testcontrol fixture pointing at a derper. */
export async function startControl(derpPort: number, args: string[] = []): Promise<{ url: string; p: Proc } | null> {
  const bin = goBinary('testcontrol');
  if (!bin) return null;
  const p = start(bin, ['-derp-port', String(derpPort), ...args]);
  const m = await p.line(/^URL (\S+)$/m);
  return { url: m[1], p };
}

/** A UDP port free on 127.0.0.1 (for the derper's STUN server). */
export async function freeUdpPort(): Promise<number> {
  const { createSocket } = await import('node:dgram');
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.on('error', reject);
    s.bind(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}
