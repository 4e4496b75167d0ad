/** Two IpStacks joined by an impaired in-memory link, on one simulated clock. */
import type { InetAddr, StreamConn, StreamListener } from '../../src/engine/net/stack.js';
import { ManualClock } from '../../src/net/ip/clock.js';
import { parse } from '../../src/net/ip/addr.js';
import { IpStack } from '../../src/net/ip/stack.js';
import type { TcpParams } from '../../src/net/ip/tcp.js';
import { linkPair, rng, type Impairment } from '../support/net-link.js';

export const A4 = '100.64.0.1', B4 = '100.64.0.2', A6 = 'fd7a:115c:a1e0::1', B6 = 'fd7a:115c:a1e0::2';

export function addr(s: string, port: number): InetAddr {
  const a = parse(s);
  return { family: a.length === 4 ? 2 : 10, addr: a, port };
}

export interface PairOpts { ab?: Impairment; ba?: Impairment; seed?: number; tcp?: Partial<TcpParams>; tcpB?: Partial<TcpParams>; mtu?: number }

export function pair(o: PairOpts = {}) {
  const clock = new ManualClock();
  const seed = o.seed ?? 1;
  const [la, lb] = linkPair(clock, o.mtu ?? 1280, seed, o.ab, o.ba);
  const r = rng(seed * 7919);
  const random32 = () => Math.floor(r() * 2 ** 32);
  const routes = ['100.64.0.0/10', 'fd7a:115c:a1e0::/48'];
  const a = new IpStack(la, { addresses: [`${A4}/32`, `${A6}/128`], routes, clock, tcp: o.tcp, random32 });
  const b = new IpStack(lb, { addresses: [`${B4}/32`, `${B6}/128`], routes, clock, tcp: o.tcpB ?? o.tcp, random32 });
  return { clock, a, b, la, lb };
}

export function ok<T>(x: T | number): T {
  if (typeof x === 'number') throw new Error(`stack call failed: errno ${-x}`);
  return x;
}

/** Listen on b, connect from a, run until the connection is up and accepted. */
export function connected(p: ReturnType<typeof pair>, v6 = false, port = 8080): { client: StreamConn; server: StreamConn; listener: StreamListener } {
  const listener = ok(p.b.listen(addr(v6 ? '::' : '0.0.0.0', port), 16, {}));
  const client = ok(p.a.connect(addr(v6 ? B6 : B4, port), null, {}));
  let server: StreamConn | null = null;
  p.clock.run(() => client.state === 'connected' && (server ??= listener.accept()) !== null, 120_000);
  if (!server) throw new Error(`no connection: client ${client.state}`);
  return { client, server, listener };
}
