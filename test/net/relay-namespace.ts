/**
 * A real `webx86 relay` whose destinations are not loopback, for tests whose client cannot
 * enter a network namespace (Chromium, started by the test runner in ours). The relay and
 * two HTTP servers run in a network namespace of their own (`unshare -n`, see
 * relay-namespace.child.ts) where 192.0.2.1 (TEST-NET-1, RFC 5737) is on its lo: a guest keeps
 * 127.0.0.0/8 inside the VM, so only a non-loopback destination goes through the relay. The
 * relay is reached through a Unix socket (a path in the file system works across network
 * namespaces): our 127.0.0.1:PORT → the socket → the relay's 127.0.0.1 inside the namespace.
 * Needs root (or user namespaces) for unshare; otherwise `start` says why.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CHILD = new URL('./relay-namespace.child.ts', import.meta.url).pathname;

/** The `unshare` flags that work here, or null. */
function unshareFlags(): string[] | null {
  if (spawnSync('unshare', ['-n', 'true']).status === 0) return ['-n'];
  if (spawnSync('unshare', ['-rn', 'true']).status === 0) return ['-rn'];
  return null;
}

export interface NamespacedRelay {
  /** ws://127.0.0.1:PORT/ — the relay, as seen from this namespace. */
  url: string;
  /** http://192.0.2.1:PORT/ — a server on the relay's allow-list (answers "hello through the relay\n"). */
  allowed: string;
  /** http://192.0.2.1:PORT/ — a server that is not on it. */
  refused: string;
  /** The relay's stderr and the servers' hit lines so far. */
  log(): string;
  stop(): Promise<void>;
}

/** Start it, or return the reason it cannot run here. */
export async function startNamespacedRelay(): Promise<NamespacedRelay | string> {
  const flags = unshareFlags();
  if (!flags) return 'unshare -n is not permitted here (needs root or user namespaces)';
  const dir = mkdtempSync(join(tmpdir(), 'webx86-relay-ns-'));
  const sock = join(dir, 'relay.sock');
  const setup = 'ip link set lo up && ip addr add 192.0.2.1/32 dev lo && exec "$0" --import tsx "$1" "$2"';
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const child = spawn('unshare', [...flags, 'sh', '-c', setup, process.execPath, CHILD, sock], { stdio: ['pipe', 'pipe', 'pipe'], env });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d; });
  child.stderr.on('data', (d: Buffer) => { out += d; });
  const end = Date.now() + 60_000;
  let ready: RegExpExecArray | null = null;
  while (!(ready = /^READY (\d+) (\d+)$/m.exec(out))) {
    if (child.exitCode !== null || Date.now() > end) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      return `the relay in its namespace did not start: ${out.slice(-1000)}`;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  // Our side of the bridge: each TCP connection becomes a connection to the Unix socket.
  const bridge: Server = createServer((c) => {
    const u = createConnection(sock);
    c.pipe(u).pipe(c);
    const end2 = () => { c.destroy(); u.destroy(); };
    c.on('error', end2); u.on('error', end2); c.on('close', end2); u.on('close', end2);
  });
  await new Promise<void>((r) => bridge.listen(0, '127.0.0.1', r));
  return {
    url: `ws://127.0.0.1:${(bridge.address() as AddressInfo).port}/`,
    allowed: `http://192.0.2.1:${ready[1]}/`,
    refused: `http://192.0.2.1:${ready[2]}/`,
    log: () => out,
    stop: async () => {
      await new Promise((r) => bridge.close(r));
      if (child.exitCode === null) {
        const done = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await done;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
