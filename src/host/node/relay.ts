/**
 * `webx86 relay`: the server end of the `relay` network backend (protocol: docs/NETWORK.md,
 * "Relay"; frames: src/net/relay/frames.ts). Each WebSocket is one machine; each stream on it
 * a TCP connection (node:net) or a UDP flow (node:dgram) from this host to a destination the
 * allow-list names. Without an allow-list it refuses to start: it must never be an open proxy.
 *
 * Matching (see allowed()): the client names a destination (an address, or a name that the
 * relay resolves with the host's resolver, every address); the relay connects only to an
 * address it checked, so a name cannot resolve differently between check and connect. An
 * address is allowed when the port matches an entry's (or the entry says `*`) and the address
 * equals the entry's address, lies in its CIDR prefix, or is one of the addresses the entry's
 * name resolves to now (or the entry's host is `*`). A name sent by the client also matches
 * an entry with that same name. IPv4-mapped IPv6 addresses count as IPv4.
 */
import * as net from 'node:net';
import * as dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { parseArgs } from 'node:util';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  CLOSE_POLICY, CLOSE_PROTOCOL, CLOSE_TRY_LATER, CLOSE_UNSUPPORTED, Code, DEFAULT_WINDOW, encodeAddr, frame, HELLO_MAGIC, MAX_DATA,
  parseFrame, readAddr, Reader, RELAY_SUBPROTOCOL, RELAY_VERSION, T, text, u32,
} from '../../net/relay/frames.js';
import { addrText, parseAddr } from '../../engine/net/addr.js';

export interface AllowEntry { host: string; port: number | '*'; kind: 'any' | 'addr' | 'cidr' | 'name'; prefix?: number }

/** Parse `HOST:PORT,HOST:*,[V6]:PORT,CIDR:PORT,*:PORT`; a string names the first bad entry. */
export function parseAllowList(spec: string): AllowEntry[] | string {
  const out: AllowEntry[] = [];
  for (const raw of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(?:\[([^\]]+)\]|([^:[\]]+|[0-9a-fA-F:.]+\/\d+)):(\d+|\*)$/.exec(raw) ?? /^\[([^\]]+)\](?::(\d+|\*))$/.exec(raw);
    if (!m) return `'${raw}' is not HOST:PORT or HOST:* (IPv6 addresses in brackets: [::1]:80)`;
    const host = (m[1] ?? m[2]).toLowerCase();
    const portText = m[3] ?? m[2];
    const port = portText === '*' ? '*' : Number(portText);
    if (port !== '*' && !(port >= 1 && port <= 65535)) return `'${raw}': port ${portText} is not 1-65535 or *`;
    const slash = host.indexOf('/');
    if (host === '*') out.push({ host, port, kind: 'any' });
    else if (slash >= 0) {
      const a = host.slice(0, slash), len = Number(host.slice(slash + 1));
      const v = net.isIP(a);
      if (!v || !(len >= 0 && len <= (v === 4 ? 32 : 128))) return `'${raw}': ${host} is not an address prefix`;
      out.push({ host: a, port, kind: 'cidr', prefix: len });
    } else if (net.isIP(host)) out.push({ host, port, kind: 'addr' });
    else if (/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(host)) out.push({ host, port, kind: 'name' });
    else return `'${raw}': '${host}' is neither an address nor a host name`;
  }
  return out.length ? out : 'the allow-list is empty';
}

/** IPv4-mapped IPv6 (::ffff:a.b.c.d) counts as IPv4. */
const plain = (a: string): string => (/^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(a) ? a.slice(7) : a);

function inPrefix(addr: string, e: AllowEntry): boolean {
  const list = new net.BlockList();
  const v = net.isIP(e.host) === 4 ? 'ipv4' : 'ipv6';
  list.addSubnet(e.host, e.prefix ?? (v === 'ipv4' ? 32 : 128), v);
  return list.check(addr, net.isIP(addr) === 4 ? 'ipv4' : 'ipv6');
}

/** Is `addr:port` allowed? `asked` is what the client named (an address or a name). */
export async function allowed(list: AllowEntry[], addr: string, port: number, asked = addr): Promise<boolean> {
  addr = plain(addr);
  for (const e of list) {
    if (e.port !== '*' && e.port !== port) continue;
    if (e.kind === 'any') return true;
    if (e.kind === 'addr' || e.kind === 'cidr') { if (inPrefix(addr, e)) return true; continue; }
    if (asked.toLowerCase() === e.host) return true;
    try {
      const all = await lookup(e.host, { all: true });
      if (all.some((r) => plain(r.address) === addr)) return true;
    } catch { /* a name that does not resolve allows nothing */ }
  }
  return false;
}

/** Node's error codes → the relay's failure codes. */
const CODE_OF: Record<string, Code> = {
  ECONNREFUSED: Code.REFUSED, EHOSTUNREACH: Code.HOST_UNREACHABLE, ENETUNREACH: Code.NET_UNREACHABLE, ETIMEDOUT: Code.TIMED_OUT,
  ENOTFOUND: Code.NO_SUCH_NAME, EAI_AGAIN: Code.NO_SUCH_NAME, ECONNRESET: Code.RESET_BY_PEER, EPIPE: Code.RESET_BY_PEER,
};
const codeOf = (e: unknown): Code => CODE_OF[(e as NodeJS.ErrnoException).code ?? ''] ?? Code.OTHER;

export interface RelayServerOptions {
  port: number;
  host: string;
  allow: AllowEntry[];
  maxConnections?: number;
  maxStreams?: number;
  /** Connect timeout for TCP destinations. */
  connectTimeoutMs?: number;
  log: (line: string) => void;
  verbose?: boolean;
}

const HELLO_TIMEOUT_MS = 10_000;

interface TcpStream { kind: 'tcp'; sock: net.Socket | null; credit: number; window: number; granted: number; held: Buffer[]; finIn: boolean; finOut: boolean; sentFin?: boolean; what: string }
interface UdpStream { kind: 'udp'; sock: dgram.Socket; sentTo: Set<string>; checked: Map<string, Promise<boolean>>; what: string }

/** One machine's WebSocket. */
class Session {
  private hello = false;
  private readonly streams = new Map<number, TcpStream | UdpStream>();
  private highest = 0;
  private closed = false;
  private readonly timer: ReturnType<typeof setTimeout>;

  constructor(private readonly ws: WebSocket, private readonly peer: string, private readonly o: RelayServerOptions) {
    this.timer = setTimeout(() => this.fail(CLOSE_POLICY, `no HELLO within ${HELLO_TIMEOUT_MS / 1000} s`), HELLO_TIMEOUT_MS);
    ws.on('message', (data, isBinary) => {
      if (!isBinary) { this.fail(CLOSE_UNSUPPORTED, 'text message (the relay protocol is binary)'); return; }
      const b = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      const bad = this.onMessage(new Uint8Array(b.buffer, b.byteOffset, b.length));
      if (bad) this.fail(CLOSE_PROTOCOL, bad);
    });
    ws.on('close', () => this.teardown());
    ws.on('error', () => this.teardown());
  }

  private send(f: Uint8Array): void { if (!this.closed) this.ws.send(f); }

  private fail(code: number, reason: string): void {
    if (this.closed) return;
    this.o.log(`relay: ${this.peer}: closing: ${reason}`);
    this.ws.close(code, reason.slice(0, 120));
    this.teardown();
  }

  private teardown(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    for (const s of this.streams.values()) this.drop(s);
    this.streams.clear();
  }

  private drop(s: TcpStream | UdpStream): void {
    if (s.kind === 'tcp') s.sock?.resetAndDestroy();
    else { try { s.sock.close(); } catch { /* closed */ } }
  }

  private verbose(line: string): void { if (this.o.verbose) this.o.log(`relay: ${this.peer}: ${line}`); }

  private onMessage(b: Uint8Array): string | null {
    const f = parseFrame(b);
    if (typeof f === 'string') return f;
    const r = new Reader(f.body, `frame type ${f.type}`);
    if (!this.hello) {
      if (f.type !== T.HELLO || f.stream !== 0) return `frame type ${f.type} before HELLO`;
      const magic = new TextDecoder().decode(r.bytes(HELLO_MAGIC.length));
      const v = r.u8(); r.end();
      if (r.bad || magic !== HELLO_MAGIC) return r.bad ?? 'HELLO without the webx86-relay magic';
      if (v !== RELAY_VERSION) { this.fail(CLOSE_POLICY, `version ${v} is not supported (this relay speaks ${RELAY_VERSION})`); return null; }
      this.hello = true;
      clearTimeout(this.timer);
      this.send(frame(T.HELLO_OK, 0, [RELAY_VERSION], [(this.max() >> 8) & 0xff, this.max() & 0xff], u32(DEFAULT_WINDOW)));
      return null;
    }
    if (f.stream === 0) {
      if (f.type === T.PING) { this.send(frame(T.PONG, 0, f.body)); return null; }
      if (f.type === T.PONG) return null;
      return `frame type ${f.type} on stream 0`;
    }
    if (f.type === T.OPEN_TCP || f.type === T.OPEN_UDP) {
      if (this.streams.has(f.stream)) return `stream ${f.stream} opened twice`;
      if (f.stream > this.highest) this.highest = f.stream;
      if (this.streams.size >= this.max()) { this.send(frame(T.FAIL, f.stream, [Code.LIMIT], text(`at most ${this.max()} streams per connection`))); return null; }
      if (f.type === T.OPEN_TCP) {
        const window = r.u32(), port = r.u16(), host = r.str();
        if (r.bad) return r.bad;
        if (!host || port === 0) return `stream ${f.stream}: OPEN_TCP without a host or port`;
        this.openTcp(f.stream, host, port, window);
      } else {
        const fam = r.u8(); r.end();
        if (r.bad) return r.bad;
        if (fam !== 4 && fam !== 6) return `stream ${f.stream}: OPEN_UDP for family ${fam}`;
        this.openUdp(f.stream, fam);
      }
      return null;
    }
    const s = this.streams.get(f.stream);
    if (!s) return f.stream <= this.highest ? null : `frame type ${f.type} for stream ${f.stream}, which was never opened`;
    if (f.type === T.RESET) {
      this.streams.delete(f.stream);
      this.verbose(`${s.what}: reset by the client`);
      this.drop(s);
      return null;
    }
    return s.kind === 'tcp' ? this.onTcp(f.stream, s, f.type, f.body) : this.onUdp(f.stream, s, f.type, f.body);
  }

  private max(): number { return Math.min(this.o.maxStreams ?? 256, 0xffff); }

  private refuse(id: number, code: Code, what: string, why: string): void {
    this.o.log(`relay: ${this.peer}: ${what}: ${why}`);
    this.send(frame(T.FAIL, id, [code], text(why)));
  }

  /** Resolve what the client named to the first address the allow-list allows. */
  private async resolve(host: string, port: number): Promise<{ addr: string } | { code: Code; why: string }> {
    let addrs: string[];
    if (net.isIP(host)) addrs = [host];
    else {
      try { addrs = (await lookup(host, { all: true })).map((a) => a.address); } catch { return { code: Code.NO_SUCH_NAME, why: `${host}: no such name` }; }
    }
    for (const a of addrs) if (await allowed(this.o.allow, a, port, host)) return { addr: plain(a) };
    return { code: Code.NOT_ALLOWED, why: `${host}:${port} is not in the relay's allow-list` };
  }

  private openTcp(id: number, host: string, port: number, window: number): void {
    const what = `stream ${id} tcp ${host}:${port}`;
    const s: TcpStream = { kind: 'tcp', sock: null, credit: window, window: DEFAULT_WINDOW, granted: 0, held: [], finIn: false, finOut: false, what };
    this.streams.set(id, s);
    void this.resolve(host, port).then((to) => {
      if (this.streams.get(id) !== s) return;
      if ('code' in to) { this.streams.delete(id); this.refuse(id, to.code, what, to.why); return; }
      const sock = net.connect({ host: to.addr, port, allowHalfOpen: true, timeout: this.o.connectTimeoutMs ?? 15_000 });
      s.sock = sock;
      let opened = false;
      sock.on('timeout', () => { if (!opened) sock.destroy(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' })); });
      sock.on('connect', () => {
        opened = true;
        sock.setTimeout(0);
        sock.setNoDelay(true);
        this.verbose(`${what}: connected to ${to.addr}`);
        this.send(frame(T.OPENED, id, u32(DEFAULT_WINDOW)));
      });
      sock.on('data', (d: Buffer) => { s.held.push(d); this.flush(id, s); });
      sock.on('end', () => { s.finOut = true; this.flush(id, s); });
      sock.on('error', (e) => {
        if (this.streams.get(id) !== s) return;
        this.streams.delete(id);
        if (!opened) this.refuse(id, codeOf(e), what, `${to.addr}:${port}: ${(e as NodeJS.ErrnoException).code ?? e.message}`);
        else { this.verbose(`${what}: ${e.message}`); this.send(frame(T.RESET, id, [codeOf(e)], text(e.message))); }
      });
      sock.on('close', () => {
        if (this.streams.get(id) !== s) return;
        this.streams.delete(id);
        if (!(s.finIn && s.finOut && s.held.length === 0)) this.send(frame(T.RESET, id, [Code.RESET_BY_PEER], text('closed by the destination')));
        else this.verbose(`${what}: closed`);
      });
    });
  }

  /** Pass held data on within the client's window; pause the socket when the window is full. */
  private flush(id: number, s: TcpStream): void {
    while (s.held.length && s.credit > 0) {
      const d = s.held[0];
      const n = Math.min(d.length, s.credit, MAX_DATA);
      this.send(frame(T.DATA, id, d.subarray(0, n)));
      s.credit -= n;
      if (n === d.length) s.held.shift(); else s.held[0] = d.subarray(n);
    }
    if (s.held.length) s.sock?.pause(); else s.sock?.resume();
    if (!s.held.length && s.finOut && s.sock && !s.sentFin) { s.sentFin = true; this.send(frame(T.FIN, id)); }
  }

  private onTcp(id: number, s: TcpStream, type: number, body: Uint8Array): string | null {
    const r = new Reader(body, `stream ${id} frame type ${type}`);
    switch (type) {
      case T.DATA: {
        if (!s.sock || s.finIn) return `stream ${id}: DATA ${s.finIn ? 'after FIN' : 'before OPENED'}`;
        if (body.length > s.window) return `stream ${id}: ${body.length} bytes of DATA beyond the window of ${s.window}`;
        s.window -= body.length;
        const n = body.length;
        // Grant the window back once the bytes have left for the destination: a slow destination holds the client back.
        s.sock.write(body.slice(), () => {
          s.granted += n;
          if (s.granted >= DEFAULT_WINDOW / 2 && this.streams.get(id) === s) { this.send(frame(T.WINDOW, id, u32(s.granted))); s.window += s.granted; s.granted = 0; }
        });
        return null;
      }
      case T.WINDOW: {
        const n = r.u32(); r.end();
        if (r.bad) return r.bad;
        if (s.credit + n > 0xffffffff) return `stream ${id}: window grows past 2^32`;
        s.credit += n;
        this.flush(id, s);
        return null;
      }
      case T.FIN:
        r.end();
        if (r.bad) return r.bad;
        if (!s.sock || s.finIn) return `stream ${id}: unexpected FIN`;
        s.finIn = true;
        s.sock.end();
        return null;
      default:
        return `stream ${id}: frame type ${type} is not a TCP frame`;
    }
  }

  private openUdp(id: number, fam: 4 | 6): void {
    const sock = dgram.createSocket(fam === 4 ? 'udp4' : 'udp6');
    const s: UdpStream = { kind: 'udp', sock, sentTo: new Set(), checked: new Map(), what: `stream ${id} udp${fam}` };
    this.streams.set(id, s);
    sock.on('error', (e) => {
      if (this.streams.get(id) !== s) return;
      this.streams.delete(id);
      this.send(frame(T.RESET, id, [codeOf(e)], text(e.message)));
      try { sock.close(); } catch { /* closed */ }
    });
    sock.on('message', (msg, rinfo) => {
      // Only answers from destinations this flow sent to come back (as a NAT would).
      const from = plain(rinfo.address);
      if (!s.sentTo.has(`${from}|${rinfo.port}`)) return;
      const a = parseAddr(from);
      if (a) this.send(frame(T.DATAGRAM, id, encodeAddr(a.family === 2 ? 4 : 6, a.addr, rinfo.port), msg));
    });
    sock.bind(0, () => {
      if (this.streams.get(id) !== s) return;
      this.verbose(`${s.what}: open`);
      this.send(frame(T.OPENED, id, u32(0)));
    });
  }

  private onUdp(id: number, s: UdpStream, type: number, body: Uint8Array): string | null {
    if (type !== T.DATAGRAM) return `stream ${id}: frame type ${type} is not a UDP frame`;
    const r = new Reader(body, `stream ${id} DATAGRAM`);
    const a = readAddr(r);
    if (!a) return r.bad;
    const data = r.rest().slice();
    const host = addrText(a.family === 4 ? 2 : 10, a.addr);
    const key = `${plain(host)}|${a.port}`;
    let ok = s.checked.get(key);
    if (!ok) { ok = allowed(this.o.allow, host, a.port); s.checked.set(key, ok); }
    void ok.then((yes) => {
      if (this.streams.get(id) !== s) return;
      if (!yes) { this.refuse(id, Code.NOT_ALLOWED, `${s.what} to ${host}:${a.port}`, `${host}:${a.port} is not in the relay's allow-list`); return; }
      s.sentTo.add(key);
      s.sock.send(data, a.port, host);
    });
    return null;
  }
}

/** Start a relay; resolves with the server once it listens. */
export async function startRelay(o: RelayServerOptions): Promise<{ port: number; close(): Promise<void> }> {
  const wss = new WebSocketServer({
    host: o.host, port: o.port, maxPayload: 1 << 20,
    handleProtocols: (protocols) => (protocols.has(RELAY_SUBPROTOCOL) ? RELAY_SUBPROTOCOL : false),
  });
  await new Promise<void>((resolve, reject) => { wss.once('listening', resolve); wss.once('error', reject); });
  let live = 0;
  wss.on('connection', (ws, req) => {
    const peer = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    if (ws.protocol !== RELAY_SUBPROTOCOL) { ws.close(CLOSE_POLICY, `subprotocol ${RELAY_SUBPROTOCOL} required`); return; }
    if (live >= (o.maxConnections ?? 64)) { o.log(`relay: ${peer}: refused: ${live} connections already`); ws.close(CLOSE_TRY_LATER, 'too many connections'); return; }
    live++;
    ws.on('close', () => live--);
    if (o.verbose) o.log(`relay: ${peer}: connected`);
    new Session(ws, peer, o);
  });
  const port = (wss.address() as net.AddressInfo).port;
  return {
    port,
    close: () => new Promise<void>((r) => { for (const c of wss.clients) c.terminate(); wss.close(() => r()); }),
  };
}

const USAGE = `usage: webx86 relay --listen PORT --allow HOST:PORT,HOST:*,... [options]

A WebSocket relay for the relay network backend (webx86 run --net relay, Linux.create({ relay })):
the guest's TCP connections and UDP flows leave from this host, only to the destinations the
allow-list names.

options:
  --listen PORT            port to listen on (0: any free port; the line on stderr says which)
  --host ADDR              address to listen on (default 127.0.0.1)
  --allow LIST             required: comma-separated HOST:PORT, HOST:* (any port), [IPV6]:PORT,
                           ADDR/LEN:PORT (a prefix), *:PORT (any host: an explicit choice);
                           HOST is an address or a name (matches the addresses it resolves to)
  --max-connections N      WebSockets at once (default 64)
  --max-streams N          streams per WebSocket (default 256)
  --verbose                a line per stream on stderr
`;

export async function relayMain(args: string[]): Promise<number> {
  let v;
  try {
    v = parseArgs({
      args, options: {
        listen: { type: 'string' }, host: { type: 'string' }, allow: { type: 'string', multiple: true },
        'max-connections': { type: 'string' }, 'max-streams': { type: 'string' }, verbose: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (e) { process.stderr.write(`webx86 relay: ${(e as Error).message}\n${USAGE}`); return 2; }
  if (v.help) { process.stdout.write(USAGE); return 0; }
  if (v.listen === undefined || !/^\d+$/.test(v.listen) || Number(v.listen) > 65535) { process.stderr.write(`webx86 relay: --listen PORT is required (0-65535)\n${USAGE}`); return 2; }
  if (!v.allow?.length) { process.stderr.write('webx86 relay: --allow is required: name the destinations the relay may reach (e.g. --allow example.com:443); it is never an open proxy\n'); return 2; }
  const allow = parseAllowList(v.allow.join(','));
  if (typeof allow === 'string') { process.stderr.write(`webx86 relay: --allow: ${allow}\n`); return 2; }
  const num = (s: string | undefined, name: string): number | undefined | string => (s === undefined ? undefined : /^\d+$/.test(s) && Number(s) > 0 ? Number(s) : `--${name} wants a positive number, got '${s}'`);
  const maxConnections = num(v['max-connections'], 'max-connections'), maxStreams = num(v['max-streams'], 'max-streams');
  for (const x of [maxConnections, maxStreams]) if (typeof x === 'string') { process.stderr.write(`webx86 relay: ${x}\n`); return 2; }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  let server;
  try {
    server = await startRelay({ port: Number(v.listen), host: v.host ?? '127.0.0.1', allow, maxConnections: maxConnections as number | undefined, maxStreams: maxStreams as number | undefined, log, verbose: v.verbose });
  } catch (e) { process.stderr.write(`webx86 relay: cannot listen on ${v.host ?? '127.0.0.1'}:${v.listen}: ${(e as Error).message}\n`); return 1; }
  log(`webx86 relay: listening on ws://${v.host ?? '127.0.0.1'}:${server.port}/ (allow: ${allow.map((e) => `${e.kind === 'cidr' ? `${e.host}/${e.prefix}` : e.host}:${e.port}`).join(', ')})`);
  await new Promise<void>((resolve) => { process.once('SIGINT', resolve); process.once('SIGTERM', resolve); });
  await server.close();
  return 0;
}
