/**
 * `webx86 run --net tailscale`: join the tailnet before the program starts, so its first
 * connect() already has a route. The login URL (no auth key) and state changes go to stderr;
 * keys go to --ts-state FILE when given (the same node next run), else nowhere.
 */
import { FileStateStore } from '../../net/tailscale/store-file.node.js';
import { IPN_STATE_NAMES, IpnState, MemoryStore } from '../../net/tailscale/ipn.js';
import { TailscaleNetwork } from '../../net/tailscale/network.js';
import { NodeUdpTransport } from '../../net/tailscale/udp-transport.node.js';
import type { NetStack } from '../../engine/net/stack.js';

/** How long to wait for state 6 before giving up with the last message (an interactive login waits for the user). */
const JOIN_TIMEOUT_MS = 60_000;

export interface JoinOptions { controlUrl?: string; authKey?: string; statePath?: string; hostname?: string; exitNode?: string; /** --ts-udp: ADDR[:PORT] for direct paths, or 'none' (default 0.0.0.0, any port). */ udp?: string; debug: boolean }

/** The tailnet as the machine's network, or a message saying why it could not join. */
export async function joinTailnet(o: JoinOptions): Promise<{ stack: NetStack; close(): void } | string> {
  let store;
  try { store = o.statePath ? new FileStateStore(o.statePath) : new MemoryStore(); } catch (e) { return (e as Error).message; }
  const say = (m: string) => process.stderr.write(`webx86: tailscale: ${m}\n`);
  let ip = '';
  let udp: NodeUdpTransport | null = null;
  if (o.udp !== 'none') {
    const at = parseUdpAddress(o.udp ?? '0.0.0.0');
    if (!at) return `--ts-udp wants ADDR, ADDR:PORT, [ADDR6]:PORT or none, got '${o.udp}'`;
    try { udp = await NodeUdpTransport.listen(at.addr, at.port); } catch (e) { return (e as Error).message; }
  }
  const net = new TailscaleNetwork({
    udp,
    controlUrl: o.controlUrl, authKey: o.authKey, hostname: o.hostname, store, 
    exitNode: o.exitNode === undefined ? 'auto' : o.exitNode === 'none' ? null : o.exitNode,
    onLoginUrl: (url) => say(`to log in, visit ${url}`),
    onState: (s, m) => { if (o.debug) say(`${IPN_STATE_NAMES[s]}${m ? `: ${m}` : ''}`); },
    onNetMap: (v) => { ip = v.self.addresses[0] ?? ''; },
    log: o.debug ? say : undefined,
  });
  await net.start();
  if (net.state !== IpnState.Starting) await net.login();
  const end = Date.now() + JOIN_TIMEOUT_MS;
  while (net.state !== IpnState.Running) {
    // A refusal (wrong key, not a control server) leaves NeedsLogin with no login in progress.
    if (net.state === IpnState.NeedsLogin && /refused|failed|expired/.test(net.backend.message)) { const m = net.backend.message; net.close(); return `cannot join the tailnet: ${m}`; }
    if (Date.now() > end) { const m = net.backend.message; net.close(); return `cannot join the tailnet within ${JOIN_TIMEOUT_MS / 1000} s (${IPN_STATE_NAMES[net.state]}${m ? `: ${m}` : ''})`; }
    await new Promise((r) => setTimeout(r, 50));
  }
  say(`joined as ${ip}${net.backend.exitNode ? ` (exit node ${net.backend.exitNode.Name})` : ''}`);
  return { stack: net.stack, close: () => net.close() };
}

/** "1.2.3.4", "1.2.3.4:41641", "::", "[::1]:41641" → address and port (0: any); null for anything else. */
function parseUdpAddress(s: string): { addr: string; port: number } | null {
  const m = /^(\d+\.\d+\.\d+\.\d+)(?::(\d{1,5}))?$/.exec(s) ?? /^\[([0-9a-fA-F:.]+)\](?::(\d{1,5}))?$/.exec(s) ?? /^([0-9a-fA-F]*:[0-9a-fA-F:.]*)()$/.exec(s);
  if (!m || Number(m[2] || 0) > 65535) return null;
  return { addr: m[1], port: Number(m[2] || 0) };
}
