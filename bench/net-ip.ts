/**
 * TCP throughput of the user-space IP stack (src/net/ip): two IpStacks in one process over
 * an in-memory link (CPU-bound: simulated time, zero link delay, so the number is what the
 * stack's code costs), and the stack against Linux's TCP through a TUN device in a network
 * namespace (needs root), with Linux-to-Linux over a veth pair of the same MTU as the anchor.
 * `node --import tsx bench/net-ip.ts` prints the section; `npm run bench` appends it to docs/BENCHMARKS.md.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../src/net/ip/clock.js';
import { parse } from '../src/net/ip/addr.js';
import { IpStack } from '../src/net/ip/stack.js';
import type { StreamConn } from '../src/engine/net/stack.js';
import { drive, pattern } from '../test/support/net-apps.js';
import { linkPair, type Impairment } from '../test/support/net-link.js';
import { openTunNamespace } from '../test/support/tun-link.js';

const addr = (s: string, port: number) => { const a = parse(s); return { family: (a.length === 4 ? 2 : 10) as 2 | 10, addr: a, port }; };
const ok = <T>(x: T | number): T => { if (typeof x === 'number') throw new Error(`errno ${-x}`); return x; };

/** MB/s of wall time for `bytes` from one IpStack to another in one process. */
function inProcess(bytes: number, im: Impairment): number {
  const clock = new ManualClock();
  const [la, lb] = linkPair(clock, 1280, 1, im, im);
  const a = new IpStack(la, { addresses: ['100.64.0.1/32'], routes: ['100.64.0.0/10'], clock });
  const b = new IpStack(lb, { addresses: ['100.64.0.2/32'], routes: ['100.64.0.0/10'], clock });
  const l = ok(b.listen(addr('0.0.0.0', 80), 8, {}));
  const c = ok(a.connect(addr('100.64.0.2', 80), null, {}));
  let s: StreamConn | null = null;
  clock.run(() => c.state === 'connected' && (s ??= l.accept()) !== null);
  const data = pattern(bytes, 1);
  const t0 = performance.now();
  drive(c, { send: data });
  const r = drive(s!);
  if (!clock.run(() => r.eof, 3_600_000)) throw new Error('in-process transfer did not finish');
  const ms = performance.now() - t0;
  a.close(); b.close();
  return bytes / 1e6 / (ms / 1000);
}

const until = async (cond: () => boolean, ms: number) => {
  const t0 = Date.now();
  while (!cond()) { if (Date.now() - t0 > ms) throw new Error('timeout'); await new Promise((r) => setTimeout(r, 2)); }
};

/** Python one-liners for the Linux side: serve a file once, or receive and count. */
const PY_SEND = (host: string, port: number, file: string) => `import socket
s = socket.create_server(('${host}', ${port})); print('up', flush=True)
c, _ = s.accept(); c.sendfile(open('${file}', 'rb')); c.close()`;
const PY_RECV = (host: string, port: number) => `import socket, time
s = socket.create_server(('${host}', ${port})); print('up', flush=True)
c, _ = s.accept(); n = 0; t0 = time.perf_counter()
while True:
    b = c.recv(1 << 20)
    if not b: break
    n += len(b)
print(n, time.perf_counter() - t0, flush=True)`;

async function withLinux(bytes: number): Promise<{ down: number; up: number } | string> {
  const t = await openTunNamespace(`webx86-bench-ip-${process.pid}`, ['100.64.0.1/32'], ['100.64.0.2/32']);
  if (typeof t === 'string') return t;
  const dir = mkdtempSync(join(tmpdir(), 'webx86-bench-ip-'));
  const stack = new IpStack(t.link, { addresses: ['100.64.0.2/32'], routes: ['100.64.0.1/32'] });
  try {
    const file = join(dir, 'data');
    writeFileSync(file, pattern(bytes, 2));
    const send = t.spawn(['python3', '-c', PY_SEND('100.64.0.1', 9200, file)]);
    await new Promise((r) => send.stdout!.once('data', r));
    let t0 = performance.now();
    const c = ok(stack.connect(addr('100.64.0.1', 9200), null, {}));
    const got = drive(c);
    await until(() => got.eof, 600_000);
    const down = bytes / 1e6 / ((performance.now() - t0) / 1000);
    const recv = t.spawn(['python3', '-c', PY_RECV('100.64.0.1', 9201)]);
    let out = '';
    recv.stdout!.on('data', (d) => { out += d; });
    await until(() => out.includes('up'), 10_000);
    t0 = performance.now();
    drive(ok(stack.connect(addr('100.64.0.1', 9201), null, {})), { send: pattern(bytes, 3) });
    await until(() => out.trim().split('\n').length >= 2, 600_000);
    const up = bytes / 1e6 / ((performance.now() - t0) / 1000);
    return { down, up };
  } finally {
    stack.close(); t.close(); rmSync(dir, { recursive: true, force: true });
  }
}

/** The anchor: Linux to Linux over a veth pair with MTU 1280 between two namespaces. */
async function linuxToLinux(bytes: number): Promise<number | string> {
  const a = `webx86-bench-va-${process.pid}`, b = `webx86-bench-vb-${process.pid}`;
  const sh = (cmd: string[]) => { const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8' }); if (r.status !== 0) throw new Error(`${cmd.join(' ')}: ${r.stderr}`); };
  try {
    sh(['ip', 'netns', 'add', a]); sh(['ip', 'netns', 'add', b]);
    sh(['ip', 'link', 'add', 'wxa', 'netns', a, 'type', 'veth', 'peer', 'name', 'wxb', 'netns', b]);
    for (const [ns, dev, ip] of [[a, 'wxa', '100.64.0.1/24'], [b, 'wxb', '100.64.0.2/24']]) {
      sh(['ip', 'netns', 'exec', ns, 'ip', 'link', 'set', dev, 'mtu', '1280', 'up']);
      sh(['ip', 'netns', 'exec', ns, 'ip', 'addr', 'add', ip, 'dev', dev]);
    }
    const recv = spawn('ip', ['netns', 'exec', a, 'python3', '-c', PY_RECV('100.64.0.1', 9300)]);
    let out = '';
    recv.stdout.on('data', (d) => { out += d; });
    await until(() => out.includes('up'), 10_000);
    const py = `import socket\ns = socket.create_connection(('100.64.0.1', 9300))\nb = bytes(1 << 20)\nfor _ in range(${bytes >> 20}): s.sendall(b)\ns.close()`;
    spawnSync('ip', ['netns', 'exec', b, 'python3', '-c', py]);
    await until(() => out.trim().split('\n').length >= 2, 600_000);
    const [, secs] = out.trim().split('\n')[1].split(' ').map(Number);
    return bytes / 1e6 / secs;
  } catch (e) {
    return String(e);
  } finally {
    spawnSync('ip', ['netns', 'del', a]); spawnSync('ip', ['netns', 'del', b]);
  }
}

export async function netIpSection(): Promise<string> {
  const load = loadavg()[0];
  const rows: string[][] = [];
  const add = (r: string[]) => { rows.push(r); console.log(r.join('  ')); };
  add(['IpStack → IpStack, one process, 64 MiB, no loss', `${inProcess(64 << 20, {}).toFixed(0)} MB/s`]);
  add(['IpStack → IpStack, one process, 16 MiB, 1% loss, 5% reordered', `${inProcess(16 << 20, { loss: 0.01, reorder: 0.05, reorderMs: 5, delayMs: 1 }).toFixed(0)} MB/s`]);
  const big = 100 << 20;
  const l = await withLinux(big);
  if (typeof l === 'string') add(['IpStack ↔ Linux over TUN', `skipped: ${l}`]);
  else {
    add(['Linux → IpStack over TUN (MTU 1280), 100 MiB', `${l.down.toFixed(0)} MB/s`]);
    add(['IpStack → Linux over TUN (MTU 1280), 100 MiB', `${l.up.toFixed(0)} MB/s`]);
    const anchor = await linuxToLinux(big);
    add(['anchor: Linux → Linux over veth (MTU 1280), 100 MiB', typeof anchor === 'string' ? `skipped: ${anchor}` : `${anchor.toFixed(0)} MB/s`]);
  }
  return `
## TCP/IP stack (src/net/ip)

TCP throughput of the user-space stack, one connection, one direction at a time. The in-process rows
join two IpStacks by an in-memory link on a simulated clock with zero delay, so the number is the
CPU cost of both stacks' code (segmenting, checksums, copies, ACK processing) in wall time. The TUN
rows run Linux's TCP (Python's sendfile / recv) in a network namespace whose TUN device is the
stack's link (test/support/tun-link.ts; packets cross a pipe to a relay process); the anchor is
Linux talking to Linux over a veth pair with the same MTU, with the same Python on both ends.
1-minute load average ${load.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end (on a shared machine the
numbers move by 2-3x between runs).

| transfer | throughput |
|---|---:|
${rows.map((r) => `| ${r.join(' | ')} |`).join('\n')}

Reproduce with \`node --import tsx bench/net-ip.ts\` (or \`npm run bench\`).
`;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await netIpSection());
