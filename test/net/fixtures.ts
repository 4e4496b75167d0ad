// Real Tailscale pieces for the network tests, built from the Go module test/net/go
// (tailscale.com v1.102.5) into .cache/go-bin/<hash of go.mod+go.sum>/ once; every test run
// after that reuses the binaries. A machine without Go gets a one-line reason to skip.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;
export const GO_MODULE_DIR = join(root, 'test/net/go');

/** Why Go-built fixtures cannot run here, or null when they can. */
export function goUnavailable(): string | null {
  const r = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return 'Go is not installed (the Tailscale fixtures are built from tailscale.com v1.102.5)';
  return null;
}

function moduleHash(): string {
  const h = createHash('sha256');
  h.update(readFileSync(join(GO_MODULE_DIR, 'go.mod')));
  h.update(readFileSync(join(GO_MODULE_DIR, 'go.sum')));
  return h.digest('hex').slice(0, 16);
}

/**
 * Build `pkg` (a package path inside or required by the module, e.g. tailscale.com/cmd/derper)
 * into .cache/go-bin/<hash>/<name> unless it is already there, and return the path.
 * Concurrent builders write to a temporary name and rename, so a half-written binary is never used.
 */
export function goBinary(name: string, pkg: string): string {
  const dir = join(root, '.cache/go-bin', moduleHash());
  const out = join(dir, name);
  if (existsSync(out)) return out;
  mkdirSync(dir, { recursive: true });
  const tmp = `${out}.tmp${process.pid}`;
  const r = spawnSync('nice', ['-n', '10', 'go', 'build', '-o', tmp, pkg], { cwd: GO_MODULE_DIR, encoding: 'utf8', env: { ...process.env, GOFLAGS: '-buildvcs=false' } });
  if (r.status !== 0) throw new Error(`go build ${pkg} failed:\n${r.stderr}`);
  renameSync(tmp, out);
  return out;
}

/** A free TCP port on 127.0.0.1 (bound then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Derper {
  port: number;
  /** ws://127.0.0.1:PORT/derp */
  url: string;
  proc: ChildProcess;
  log: () => string;
  stop(): Promise<void>;
  /** Stop and start again on the same port (a server restart mid-session). */
  restart(): Promise<void>;
}

/**
 * Start the real derper on 127.0.0.1. Not `--dev`: dev mode forces the fixed port :3340 on
 * every interface (cmd/derper/derper.go), which parallel tests cannot share. Instead plain
 * HTTP on a free loopback port (no TLS since the port is not 443 and certmode is not
 * manual), no STUN, no port-80 listener, and a fresh key file in a temporary directory.
 */
export async function startDerper(): Promise<Derper> {
  const bin = goBinary('derper', 'tailscale.com/cmd/derper');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'derper-'));
  let log = '';
  let proc: ChildProcess;
  const launch = async (): Promise<void> => {
    proc = spawn(bin, ['-a', `127.0.0.1:${port}`, '-c', join(dir, 'derper.key'), '-stun=false', '-http-port', '-1', '-home', 'blank'], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.on('data', (d) => { log += d; });
    proc.stderr!.on('data', (d) => { log += d; });
    const end = Date.now() + 15_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`derper exited with ${proc.exitCode}:\n${log}`);
      try {
        const r = await fetch(`http://127.0.0.1:${port}/derp/probe`);
        if (r.ok) return;
      } catch {
        /* not up yet */
      }
      if (Date.now() > end) throw new Error(`derper did not come up on ${port}:\n${log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stop = async (): Promise<void> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const done = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
    await done;
    clearTimeout(t);
  };
  await launch();
  return {
    port,
    url: `ws://127.0.0.1:${port}/derp`,
    get proc() { return proc; },
    log: () => log,
    stop: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    restart: async () => {
      await stop();
      await launch();
    },
  };
}
