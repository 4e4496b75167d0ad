/**
 * A PacketLink to Linux's own TCP/IP stack: a network namespace with a TUN device whose
 * packets test/net/c/tun-relay.c carries over its stdio. The namespace has only `lo` and the
 * TUN device, so everything in it is loopback-only by construction. Needs root (ip netns,
 * /dev/net/tun); `openTunNamespace` returns a reason string when the machine cannot.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { buildC } from './build.js';
import type { PacketLink } from '../../src/net/ip/stack.js';

const ROOT = new URL('../..', import.meta.url).pathname;

export interface TunNamespace {
  ns: string;
  dev: string;
  link: PacketLink;
  /** Run a command in the namespace; returns the spawnSync result. */
  exec(cmd: string[], opts?: { input?: string; timeout?: number }): ReturnType<typeof spawnSync>;
  /** Start a command in the namespace. */
  spawn(cmd: string[]): ChildProcess;
  close(): void;
}

function ip(args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr || r.error}`);
}

/**
 * Make namespace `ns` with TUN device `dev` (MTU 1280) holding `linuxAddrs` (CIDR) and routes
 * to `routes` through the device. Returns a reason string instead when it cannot.
 */
export async function openTunNamespace(ns: string, linuxAddrs: string[], routes: string[]): Promise<TunNamespace | string> {
  if (process.getuid?.() !== 0) return 'not root: ip netns and /dev/net/tun need root';
  const probe = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
  if (probe.status !== 0) return `ip netns add failed: ${probe.stderr.trim() || probe.error}`;
  const dev = 'wx0';
  let relay: ChildProcess | null = null;
  const cleanup = () => {
    relay?.kill();
    spawnSync('ip', ['netns', 'del', ns]);
  };
  try {
    const bin = buildC(join(ROOT, 'test/net/c/tun-relay.c'), [], ['-O2'], 'host-');
    relay = spawn('ip', ['netns', 'exec', ns, bin, dev], { stdio: ['pipe', 'pipe', 'pipe'] });
    const r = relay;
    await new Promise<void>((resolve, reject) => {
      let err = '';
      r.stderr!.on('data', (d: Buffer) => { err += d; if (err.includes('ready')) resolve(); });
      r.on('exit', (code) => reject(new Error(`tun-relay exited ${code}: ${err}`)));
    });
    const inNs = (args: string[]) => ip(['netns', 'exec', ns, 'ip', ...args]);
    inNs(['link', 'set', 'lo', 'up']);
    inNs(['link', 'set', dev, 'mtu', '1280', 'up']);
    for (const a of linuxAddrs) inNs([...(a.includes(':') ? ['-6'] : []), 'addr', 'add', a, 'dev', dev, ...(a.includes(':') ? ['nodad'] : [])]);
    for (const rt of routes) inNs([...(rt.includes(':') ? ['-6'] : []), 'route', 'add', rt, 'dev', dev]);
    const link: PacketLink = {
      mtu: 1280,
      onPacket: null,
      send(p: Uint8Array) {
        const f = Buffer.allocUnsafe(p.length + 2);
        f.writeUInt16BE(p.length, 0);
        f.set(p, 2);
        r.stdin!.write(f);
      },
    };
    let pending: Buffer = Buffer.alloc(0);
    r.stdout!.on('data', (d: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, d]) : d;
      let at = 0;
      while (pending.length - at >= 2) {
        const len = pending.readUInt16BE(at);
        if (pending.length - at < 2 + len) break;
        const pkt = new Uint8Array(pending.buffer.slice(pending.byteOffset + at + 2, pending.byteOffset + at + 2 + len));
        at += 2 + len;
        link.onPacket?.(pkt);
      }
      pending = pending.subarray(at);
    });
    r.stdin!.on('error', () => { /* the relay exited: the test's close() is under way */ });
    return {
      ns, dev, link,
      exec: (cmd, o = {}) => spawnSync('ip', ['netns', 'exec', ns, ...cmd], { encoding: 'utf8', input: o.input, timeout: o.timeout ?? 60_000, maxBuffer: 1 << 26 }),
      spawn: (cmd) => spawn('ip', ['netns', 'exec', ns, ...cmd], { stdio: ['pipe', 'pipe', 'pipe'] }),
      close: cleanup,
    };
  } catch (e) {
    cleanup();
    throw e;
  }
}
