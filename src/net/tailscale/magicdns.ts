/**
 * MagicDNS at 100.100.100.100 (and fd7a:115c:a1e0::53), answered inside the VM's IP stack
 * as tailscaled's quad-100 resolver does (net/dns/resolver): tailnet names from the netmap —
 * "host.<suffix>", the bare "host" (the suffix is the search domain), and the control
 * server's ExtraRecords — as A and AAAA records. A name in the tailnet's domain that does not
 * exist gets NXDOMAIN. Anything else is for the upstream resolvers (dns-forward.ts): with
 * `forward`, answerQuery says so instead of answering, otherwise it answers SERVFAIL.
 *
 * DNS message format: RFC 1035 §4.1 (header, question, resource records; name compression
 * by 0xc0 pointers).
 */
import { bareAddr, magicDNSSuffix, type NetMap } from './control/netmap.js';
import { splitRoute } from './dns-forward.js';

export const QUAD100_V4 = '100.100.100.100';
export const QUAD100_V6 = 'fd7a:115c:a1e0::53';

const TYPE_A = 1, TYPE_AAAA = 28, TYPE_ANY = 255;
const RCODE_OK = 0, RCODE_FORMERR = 1, RCODE_SERVFAIL = 2, RCODE_NXDOMAIN = 3, RCODE_NOTIMP = 4;
/** Tailscale answers tailnet names with TTL 600 (net/dns/resolver/tsdns.go). */
const TTL = 600;

/** Parse "a.b.c" into address bytes (IPv4 dotted, or IPv6). */
function addrBytes(s: string): Uint8Array | null {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(s)) return Uint8Array.from(s.split('.').map(Number));
  if (!s.includes(':')) return null;
  const [head, tail] = s.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined ? (tail ? tail.split(':') : []) : [];
  const groups = tail !== undefined ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  if (groups.length !== 8) return null;
  const out = new Uint8Array(16);
  groups.forEach((g, i) => { const v = parseInt(g, 16); out[2 * i] = v >> 8; out[2 * i + 1] = v & 0xff; });
  return out;
}

/** name (lowercase, no trailing dot) → addresses. */
export function tailnetRecords(nm: NetMap): Map<string, Uint8Array[]> {
  const m = new Map<string, Uint8Array[]>();
  const add = (name: string, addr: string) => {
    const b = addrBytes(bareAddr(addr));
    if (!b) return;
    const k = name.toLowerCase().replace(/\.$/, '');
    const list = m.get(k) ?? [];
    if (!list.some((x) => x.length === b.length && x.every((v, i) => v === b[i]))) list.push(b);
    m.set(k, list);
  };
  const suffix = nm.self ? magicDNSSuffix(nm.self.Name) : '';
  for (const n of [nm.self, ...nm.peers.values()]) {
    if (!n?.Name) continue;
    for (const a of n.Addresses ?? []) {
      add(n.Name, a);
      const host = n.Name.replace(/\.$/, '');
      if (suffix && host.endsWith(`.${suffix}`)) add(host.slice(0, -suffix.length - 1), a);
    }
  }
  for (const r of nm.dns?.ExtraRecords ?? []) if (!r.Type || r.Type === 'A' || r.Type === 'AAAA') add(r.Name, r.Value);
  return m;
}

/** A query the tailnet's names do not answer: forward it upstream. */
export const FORWARD = 'forward';

/**
 * Answer one DNS query message; null when it is not worth an answer (a response, too short);
 * FORWARD (only when `forward` is set) for a well-formed query about a name outside the tailnet.
 */
export function answerQuery(q: Uint8Array, nm: NetMap, forward: true): Uint8Array | typeof FORWARD | null;
export function answerQuery(q: Uint8Array, nm: NetMap, forward?: false): Uint8Array | null;
export function answerQuery(q: Uint8Array, nm: NetMap, forward = false): Uint8Array | typeof FORWARD | null {
  if (q.length < 12) return null;
  const flags = (q[2] << 8) | q[3];
  if (flags & 0x8000) return null;
  const opcode = (flags >> 11) & 0xf;
  const qd = (q[4] << 8) | q[5];
  const reply = (rcode: number, answers: Uint8Array[] = [], question: Uint8Array | null = null): Uint8Array => {
    const body = [question ?? new Uint8Array(0), ...answers];
    const out = new Uint8Array(12 + body.reduce((a, b) => a + b.length, 0));
    out[0] = q[0]; out[1] = q[1];
    // QR, the query's opcode and RD; RA set (we recurse as far as we can); AA for our own names.
    const f = 0x8000 | (opcode << 11) | (flags & 0x0100) | 0x0080 | (rcode === RCODE_OK || rcode === RCODE_NXDOMAIN ? 0x0400 : 0) | rcode;
    out[2] = f >> 8; out[3] = f & 0xff;
    out[5] = question ? 1 : 0;
    out[7] = answers.length;
    let o = 12;
    for (const b of body) { out.set(b, o); o += b.length; }
    return out;
  };
  if (opcode !== 0) return reply(RCODE_NOTIMP);
  if (qd !== 1) return reply(RCODE_FORMERR);
  // The question: labels, then QTYPE and QCLASS.
  let o = 12;
  const labels: string[] = [];
  while (o < q.length && q[o] !== 0) {
    const len = q[o];
    if (len > 63 || o + 1 + len > q.length) return reply(RCODE_FORMERR);
    labels.push(new TextDecoder().decode(q.subarray(o + 1, o + 1 + len)));
    o += 1 + len;
  }
  if (o + 5 > q.length) return reply(RCODE_FORMERR);
  const question = q.slice(12, o + 5);
  const qtype = (q[o + 1] << 8) | q[o + 2];
  const name = labels.join('.').toLowerCase();
  const records = tailnetRecords(nm);
  const addrs = records.get(name);
  if (!addrs) {
    const suffix = nm.self ? magicDNSSuffix(nm.self.Name).toLowerCase() : '';
    // Our own domain: the name does not exist. Elsewhere: we cannot resolve it (or it is forwarded).
    // A split-DNS route with no resolvers is ours too (dnsConfigForNetmap: "resolve internally").
    const ours = (suffix && (name === suffix || name.endsWith(`.${suffix}`))) || splitRoute(nm, null, name)?.resolvers.length === 0;
    if (!ours && forward) return FORWARD;
    return reply(ours ? RCODE_NXDOMAIN : RCODE_SERVFAIL, [], question);
  }
  const answers: Uint8Array[] = [];
  for (const a of addrs) {
    const t = a.length === 4 ? TYPE_A : TYPE_AAAA;
    if (qtype !== t && qtype !== TYPE_ANY) continue;
    const rr = new Uint8Array(12 + a.length);
    rr[0] = 0xc0; rr[1] = 12; // pointer to the question's name
    rr[2] = t >> 8; rr[3] = t & 0xff;
    rr[5] = 1; // class IN
    rr[6] = TTL >>> 24; rr[7] = (TTL >> 16) & 0xff; rr[8] = (TTL >> 8) & 0xff; rr[9] = TTL & 0xff;
    rr[11] = a.length;
    rr.set(a, 12);
    answers.push(rr);
  }
  // A name we know with no record of the asked type: NOERROR with no answers (NODATA).
  return reply(RCODE_OK, answers, question);
}

/** A SERVFAIL answer to query `q` (its ID, opcode, RD and question kept), for a forward that failed. */
export function servfail(q: Uint8Array): Uint8Array | null {
  if (q.length < 12) return null;
  let o = 12;
  while (o < q.length && q[o] !== 0) o += 1 + q[o];
  const qlen = o + 5 <= q.length && ((q[4] << 8) | q[5]) === 1 ? o + 5 - 12 : 0;
  const out = new Uint8Array(12 + qlen);
  out.set(q.subarray(0, 12 + qlen));
  out[2] = 0x80 | (q[2] & 0x79);
  out[3] = 0x80 | RCODE_SERVFAIL;
  out[4] = 0; out[5] = qlen ? 1 : 0;
  out[6] = out[7] = out[8] = out[9] = out[10] = out[11] = 0;
  return out;
}
