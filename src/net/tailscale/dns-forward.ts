/**
 * Forwarding the DNS queries MagicDNS does not answer (names outside the tailnet), as
 * tailscaled's quad-100 resolver does (tailscale.com v1.102.5: ipnlocal dnsConfigForNetmap
 * chooses the upstreams, net/dns/resolver/forwarder.go sends to them):
 *
 * 1. With an exit node in use that can proxy DNS (its capability version is at least 26, or its
 *    Hostinfo lists the "peerapi-dns-proxy" service: ipnlocal peerCanProxyDNS), every such query
 *    goes to the exit node's peerapi as DNS over HTTPS (RFC 8484): POST
 *    http://EXIT-IP:PEERAPI-PORT/dns-query through the tunnel (peerAPIBase: the IPv4 address and
 *    its "peerapi4" port when we have IPv4). The exit node resolves with its own resolver.
 * 2. Otherwise the netmap's DNSConfig.Resolvers (then FallbackResolvers, since a page has no
 *    resolvers of its own for Go's "OS config"): an address ("1.2.3.4", "1.2.3.4:53",
 *    "[v6]:53") gets the query over UDP through the VM's stack (so it must be a tailnet address,
 *    or any address with an exit node in use); an "https://" resolver gets DoH with the
 *    platform's fetch (in a page the resolver must allow CORS).
 * 3. With neither, SERVFAIL: there is nobody to ask.
 *
 * Split DNS comes first: DNSConfig.Routes maps a suffix to its own resolvers, and a name under
 * a suffix (the longest wins) goes to those instead (dnsConfigForNetmap's addSplitDNSRoutes).
 * A suffix with no resolvers is answered by MagicDNS itself (NXDOMAIN for what it does not
 * know, magicdns.ts). With an exit node that proxies DNS, only resolvers marked
 * UseWithExitNode count (useWithExitNodeRoutes): a suffix left with none is no route.
 *
 * Each upstream has 5 s (forwarder.go responseTimeout), tried in order; a query nobody
 * answers, or answers with garbage, gets SERVFAIL and the reason is logged. The answer's ID is
 * the query's.
 */
import type { NetStack, StreamConn } from '../../engine/net/stack.js';
import { bareAddr, type NetMap } from './control/netmap.js';
import type { DNSResolver, Node } from './control/tailcfg.js';
import { parseIP } from '../wireguard/allowedips.js';

/** forwarder.go responseTimeout. */
export const UPSTREAM_TIMEOUT_MS = 5000;
/** tailcfg.PeerAPIDNS, PeerAPI4, PeerAPI6. */
const SVC_DNS = 'peerapi-dns-proxy', SVC_API4 = 'peerapi4', SVC_API6 = 'peerapi6';

export type Upstream =
  | { kind: 'doh-tunnel'; addr: Uint8Array; port: number; url: string }
  | { kind: 'udp'; addr: Uint8Array; port: number; text: string }
  | { kind: 'doh-fetch'; url: string };

/** The split-DNS route covering `name` (lower case, no trailing dot): the longest matching suffix of DNSConfig.Routes and its resolvers; null when none covers it. */
export function splitRoute(nm: NetMap, exit: Node | null, name: string): { suffix: string; resolvers: DNSResolver[] } | null {
  const routes = nm.dns?.Routes;
  if (!routes || typeof routes !== 'object') return null;
  const viaExit = !!exit && canProxyDNS(exit) && !!peerDoh(nm, exit);
  let best: { suffix: string; resolvers: DNSResolver[] } | null = null;
  for (const [s, rs] of Object.entries(routes)) {
    const suffix = s.toLowerCase().replace(/\.$/, '');
    if (suffix && name !== suffix && !name.endsWith(`.${suffix}`)) continue;
    let list = Array.isArray(rs) ? rs.filter((r) => r && typeof r.Addr === 'string') : [];
    if (viaExit && list.length) { list = list.filter((r) => r.UseWithExitNode); if (!list.length) continue; }
    if (!best || suffix.length > best.suffix.length) best = { suffix, resolvers: list };
  }
  return best;
}

/** The name a DNS query asks about (lower case, no trailing dot), or null when the question cannot be read. */
export function queryName(q: Uint8Array): string | null {
  const labels: string[] = [];
  let o = 12;
  while (o < q.length && q[o] !== 0) {
    if (q[o] > 63 || o + 1 + q[o] > q.length) return null;
    labels.push(new TextDecoder().decode(q.subarray(o + 1, o + 1 + q[o])));
    o += 1 + q[o];
  }
  return o < q.length ? labels.join('.').toLowerCase() : null;
}

/** The upstreams for a name outside the tailnet (`name`: the query's, for split DNS), and a line saying where they come from. */
export function chooseUpstreams(nm: NetMap, exit: Node | null, name: string | null = null): { upstreams: Upstream[]; source: string } {
  const route = name === null ? null : splitRoute(nm, exit, name);
  if (route?.resolvers.length) {
    const ups = route.resolvers.map((r) => parseResolver(r.Addr)).filter((u): u is Upstream => u !== null);
    return { upstreams: ups, source: `the split-DNS route for ${route.suffix || '.'} (${route.resolvers.map((r) => r.Addr).join(', ')})` };
  }
  if (exit && canProxyDNS(exit)) {
    const doh = peerDoh(nm, exit);
    if (doh) return { upstreams: [doh], source: `the exit node ${exit.Name} (DoH at ${doh.url})` };
  }
  const out: Upstream[] = [];
  const list = nm.dns?.Resolvers?.length ? nm.dns.Resolvers : nm.dns?.FallbackResolvers ?? [];
  for (const r of list) {
    const u = parseResolver(r?.Addr);
    if (u) out.push(u);
  }
  return { upstreams: out, source: out.length ? `the netmap's resolvers (${list.map((r) => r.Addr).join(', ')})` : 'nowhere (no exit node that proxies DNS, no resolvers in the netmap)' };
}

function canProxyDNS(p: Node): boolean {
  if ((p.Cap ?? 0) >= 26) return true;
  return (p.Hostinfo?.Services ?? []).some((s) => s.Proto === SVC_DNS && s.Port >= 1);
}

/** peerAPIBase + "/dns-query": the peer's IPv4 address with its peerapi4 port, else IPv6 with peerapi6. */
function peerDoh(nm: NetMap, p: Node): Extract<Upstream, { kind: 'doh-tunnel' }> | null {
  const ports = { 4: 0, 6: 0 };
  for (const s of p.Hostinfo?.Services ?? []) {
    if (s.Proto === SVC_API4) ports[4] = s.Port;
    if (s.Proto === SVC_API6) ports[6] = s.Port;
  }
  const selfFamilies = new Set((nm.self?.Addresses ?? []).map((a) => (a.includes(':') ? 6 : 4)));
  for (const fam of [4, 6] as const) {
    if (!ports[fam] || !selfFamilies.has(fam)) continue;
    const a = (p.Addresses ?? []).map(bareAddr).find((x) => (fam === 6) === x.includes(':'));
    if (!a) continue;
    const host = fam === 6 ? `[${a}]` : a;
    return { kind: 'doh-tunnel', addr: parseIP(a), port: ports[fam], url: `http://${host}:${ports[fam]}/dns-query` };
  }
  return null;
}

/** dnstype.Resolver.Addr: "ip", "ip:port", "[ip6]:port", or an https:// DoH URL; null for what we cannot use (tls://, sdns://, names). */
export function parseResolver(addr: unknown): Upstream | null {
  if (typeof addr !== 'string' || !addr) return null;
  if (/^https:\/\//i.test(addr)) return { kind: 'doh-fetch', url: addr };
  let host = addr, port = 53;
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(addr) ?? /^([\d.]+):(\d+)$/.exec(addr);
  if (m) { host = m[1]; port = Number(m[2]); }
  if (port < 1 || port > 65535) return null;
  try { return { kind: 'udp', addr: parseIP(host), port, text: addr }; } catch { return null; }
}

/** Sends queries to upstreams through the VM's own stack (or fetch for https:// resolvers). */
export class DnsForwarder {
  constructor(private readonly stack: NetStack, private readonly log: (m: string) => void, private readonly timeoutMs = UPSTREAM_TIMEOUT_MS) {}

  /** The first upstream's answer (its ID set to the query's), or an Error naming why none came. */
  async forward(q: Uint8Array, upstreams: Upstream[]): Promise<Uint8Array | Error> {
    if (!upstreams.length) return new Error('no upstream resolver');
    const errors: string[] = [];
    for (const u of upstreams) {
      try {
        const a = await this.send(q, u);
        if (a.length < 12 || !(a[2] & 0x80)) throw new Error(`the answer is not a DNS response (${a.length} bytes)`);
        const out = a.slice();
        out[0] = q[0]; out[1] = q[1];
        return out;
      } catch (e) {
        errors.push(`${describe(u)}: ${(e as Error).message}`);
      }
    }
    return new Error(errors.join('; '));
  }

  private send(q: Uint8Array, u: Upstream): Promise<Uint8Array> {
    if (u.kind === 'udp') return this.udp(q, u.addr, u.port);
    if (u.kind === 'doh-tunnel') return this.dohTunnel(q, u.addr, u.port, u.url);
    return this.dohFetch(q, u.url);
  }

  private udp(q: Uint8Array, addr: Uint8Array, port: number): Promise<Uint8Array> {
    const family = addr.length === 16 ? 10 : 2;
    const s = this.stack.datagram('udp', { family, addr: new Uint8Array(addr.length), port: 0 }, {});
    if (typeof s === 'number' || s instanceof Promise) return Promise.reject(new Error(`cannot open a UDP socket (${typeof s === 'number' ? `errno ${-s}` : 'asynchronous stack'})`));
    return new Promise((resolve, reject) => {
      const done = (f: () => void) => { clearTimeout(t); s.close(); f(); };
      const t = setTimeout(() => done(() => reject(new Error(`no answer within ${this.timeoutMs / 1000} s`))), this.timeoutMs);
      s.onChange = () => {
        const err = s.takeError();
        if (err) { done(() => reject(new Error(`errno ${err}`))); return; }
        for (let d; (d = s.recv()); ) if (d.data.length >= 2 && d.data[0] === q[0] && d.data[1] === q[1]) { const a = d.data; done(() => resolve(a)); return; }
      };
      const n = s.send(q, { family, addr, port });
      if (n < 0) done(() => reject(new Error(`send failed (errno ${-n})`)));
    });
  }

  /** RFC 8484 POST over one HTTP/1.1 connection through the tunnel (Connection: close: read to EOF). */
  private dohTunnel(q: Uint8Array, addr: Uint8Array, port: number, url: string): Promise<Uint8Array> {
    const family = addr.length === 16 ? 10 : 2;
    const c = this.stack.connect({ family, addr, port }, null, {});
    if (typeof c === 'number' || c instanceof Promise) return Promise.reject(new Error(`connect failed (${typeof c === 'number' ? `errno ${-c}` : 'asynchronous stack'})`));
    const host = new URL(url).host;
    const head = new TextEncoder().encode(`POST /dns-query HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/dns-message\r\nAccept: application/dns-message\r\nContent-Length: ${q.length}\r\nConnection: close\r\n\r\n`);
    const out = [head, q];
    const parts: Uint8Array[] = [];
    const buf = new Uint8Array(4096);
    return new Promise((resolve, reject) => {
      let finished = false;
      const done = (f: () => void) => { if (finished) return; finished = true; clearTimeout(t); c.close(); f(); };
      const t = setTimeout(() => done(() => reject(new Error(`no answer within ${this.timeoutMs / 1000} s`))), this.timeoutMs);
      const step = (conn: StreamConn) => {
        if (conn.state === 'connecting') return;
        if (conn.state === 'closed' && !parts.length) { const e = conn.takeError(); done(() => reject(new Error(`connection to ${host} failed (errno ${e})`))); return; }
        while (out.length) {
          const n = conn.write(out[0]);
          if (n < 0) break;
          if (n === out[0].length) out.shift(); else { out[0] = out[0].subarray(n); break; }
        }
        for (;;) {
          const n = conn.read(buf);
          if (n > 0) { parts.push(buf.slice(0, n)); continue; }
          const eof = n === 0 || conn.state === 'closed';
          // Done at EOF, or as soon as a Content-Length body is complete (the server may linger before closing).
          const r = parseHttpResponse(concat(parts), eof);
          if (r !== null) done(() => (typeof r === 'string' ? reject(new Error(r)) : resolve(r)));
          return;
        }
      };
      c.onChange = () => step(c);
      step(c);
    });
  }

  private async dohFetch(q: Uint8Array, url: string): Promise<Uint8Array> {
    const ctl = new AbortController();
    const t = setTimeout(() => ctl.abort(), this.timeoutMs);
    try {
      const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/dns-message', accept: 'application/dns-message' }, body: q.slice().buffer as ArrayBuffer, signal: ctl.signal });
      if (r.status !== 200) throw new Error(`HTTP ${r.status}`);
      return new Uint8Array(await r.arrayBuffer());
    } catch (e) {
      throw new Error(ctl.signal.aborted ? `no answer within ${this.timeoutMs / 1000} s` : (e as Error).message);
    } finally {
      clearTimeout(t);
    }
  }
}

/**
 * Status line, headers, then the body (Content-Length, or to EOF). A string says what is wrong;
 * null: not complete yet (only before EOF).
 */
function parseHttpResponse(all: Uint8Array, eof: boolean): Uint8Array | string | null {
  let end = -1;
  for (let i = 0; i + 3 < all.length; i++) if (all[i] === 13 && all[i + 1] === 10 && all[i + 2] === 13 && all[i + 3] === 10) { end = i; break; }
  if (end < 0 && !eof) return null;
  if (end < 0) return all.length ? 'the DoH answer is not HTTP' : 'the DoH server closed without answering';
  const lines = new TextDecoder().decode(all.subarray(0, end)).split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
  if (!status) return `the DoH answer is not HTTP (${JSON.stringify(lines[0].slice(0, 60))})`;
  let body = all.subarray(end + 4);
  const len = lines.find((l) => /^content-length:/i.test(l));
  const n = len ? Number(len.slice(len.indexOf(':') + 1).trim()) : NaN;
  if (!eof && !(n <= body.length)) return null;
  if (status[1] !== '200') return `HTTP ${status[1]}: ${new TextDecoder().decode(body.subarray(0, 200)).trim()}`;
  if (len) {
    if (!(n <= body.length)) return `the DoH answer is shorter than its Content-Length (${body.length} < ${n})`;
    body = body.subarray(0, n);
  } else if (lines.some((l) => /^transfer-encoding:\s*chunked/i.test(l))) {
    body = dechunk(body) ?? new Uint8Array(0);
  }
  return body.slice();
}

function dechunk(b: Uint8Array): Uint8Array | null {
  const out: Uint8Array[] = [];
  let o = 0;
  for (;;) {
    let e = o;
    while (e + 1 < b.length && !(b[e] === 13 && b[e + 1] === 10)) e++;
    if (e + 1 >= b.length) return null;
    const n = parseInt(new TextDecoder().decode(b.subarray(o, e)), 16);
    if (!Number.isFinite(n)) return null;
    if (n === 0) return concat(out);
    out.push(b.subarray(e + 2, e + 2 + n));
    o = e + 2 + n + 2;
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

function describe(u: Upstream): string {
  return u.kind === 'udp' ? u.text : u.url;
}
