/**
 * Answering the control server's PingRequests (MapResponse.PingRequest), so control sees the
 * node alive, as tailscale.com/control/controlclient direct.go answerPing does (v1.102.5):
 *
 * - Types "" (a "HEAD ping"): HEAD to the URL, over the Noise connection when URLIsNoise,
 *   otherwise a plain HTTP(S) request (fetch; in a page CORS hides the answer, not the request).
 * - Types "c2n" (control-to-node, always over Noise): Payload is an HTTP/1.1 request; it is
 *   answered by our c2n handler (ipnlocal/c2n.go: "/echo" returns the body, as control's probe
 *   of whether a node is alive; other paths "unknown c2n path", 400) and the HTTP/1.1 response
 *   is POSTed to the URL (feature/c2n answerC2NPing).
 * - Types "TSMP", "disco", "ICMP", "peerapi" (comma-separated): ping pr.IP that way and POST a
 *   PingResponse (JSON) to the URL (doPingerPing, postPingResult). We ping by ICMP echo through
 *   the tunnel; the other kinds answer with Err saying they are not supported here.
 *
 * Nothing here throws: a malformed request, a URL that fails or a server that refuses the answer
 * is logged with its cause (Go logs and carries on too) and reported to `onResult`.
 */
import type { PingRequest, PingResponse } from './tailcfg.js';

export interface PingAnswerer {
  /** A request over the control connection's Noise channel: status and body. */
  noise(method: string, url: string, body?: Uint8Array): Promise<{ status: number; body: Uint8Array }>;
  /** A plain HTTP(S) request outside the Noise channel (fetch). */
  plain(method: string, url: string, body?: Uint8Array): Promise<{ status: number }>;
  /** Ping `ip` by ICMP echo through the tunnel: the answering node's address and name. */
  icmp?(ip: string, timeoutMs: number): Promise<{ nodeIP: string; nodeName: string; seconds: number }>;
  log(msg: string): void;
}

/** What became of one PingRequest (for status displays and tests). */
export interface PingOutcome { kind: string; url: string; ok: boolean; detail: string }

/** c2n requests wait at most this long for our handler, as Go's default C2n-Handler-Timeout (1 min); ours answer at once. */
const PING_TIMEOUT_MS = 10_000;

export async function answerPing(pr: PingRequest, a: PingAnswerer, onResult?: (o: PingOutcome) => void): Promise<void> {
  const report = (kind: string, ok: boolean, detail: string) => {
    a.log(`control ping (${kind}) ${ok ? 'answered' : 'failed'}: ${detail}`);
    try { onResult?.({ kind, url: typeof pr?.URL === 'string' ? pr.URL : '', ok, detail }); } catch { /* the caller's */ }
  };
  if (!pr || typeof pr !== 'object' || typeof pr.URL !== 'string' || !pr.URL) { report('invalid', false, 'a PingRequest with no URL'); return; }
  const types = typeof pr.Types === 'string' ? pr.Types : '';
  try {
    if (types === '') {
      const r = pr.URLIsNoise ? await a.noise('HEAD', pr.URL) : await a.plain('HEAD', pr.URL);
      report('HEAD', true, `HEAD ${pr.URL}: HTTP ${r.status}`);
      return;
    }
    if (types === 'c2n') {
      const req = parseHttpRequest(decodeBase64(pr.Payload));
      const res = typeof req === 'string' ? httpResponse(400, `${req}\n`) : c2n(req);
      const r = await a.noise('POST', pr.URL, res);
      if (r.status >= 300) throw new Error(`the control server refused the c2n answer: HTTP ${r.status} ${text(r.body).trim().slice(0, 200)}`);
      report('c2n', true, `${typeof req === 'string' ? req : `${req.method} ${req.path}`} answered to ${pr.URL}`);
      return;
    }
  } catch (e) {
    report(types || 'HEAD', false, `${pr.URL}: ${(e as Error).message}`);
    return;
  }
  for (const t of types.split(',')) {
    const res: PingResponse = { Type: t, IP: typeof pr.IP === 'string' ? pr.IP : undefined };
    try {
      if (!pr.IP) throw new Error('a ping request with no IP');
      if (t === 'ICMP' && a.icmp) {
        const r = await a.icmp(pr.IP, PING_TIMEOUT_MS);
        res.NodeIP = r.nodeIP; res.NodeName = r.nodeName; res.LatencySeconds = r.seconds;
      } else if (['TSMP', 'disco', 'peerapi', 'ICMP'].includes(t)) {
        res.Err = `${t} pings are not supported by this node (webx86 pings by ICMP only)`;
      } else {
        report(t, false, `unsupported ping request type ${JSON.stringify(t)}`);
        continue;
      }
    } catch (e) {
      res.Err = (e as Error).message;
    }
    try {
      const body = new TextEncoder().encode(JSON.stringify(res));
      const r = pr.URLIsNoise ? await a.noise('POST', pr.URL, body) : await a.plain('POST', pr.URL, body);
      report(t, !res.Err, `${res.Err ?? `${pr.IP} answered in ${((res.LatencySeconds ?? 0) * 1000).toFixed(1)} ms`}; result posted (HTTP ${r.status})`);
    } catch (e) {
      report(t, false, `posting the result to ${pr.URL}: ${(e as Error).message}`);
    }
  }
}

interface HttpRequest { method: string; path: string; headers: Map<string, string>; body: Uint8Array }

/** Our c2n handler (ipnlocal/c2n.go): "/echo" answers the body; nothing else is offered. */
function c2n(req: HttpRequest): Uint8Array {
  if (req.path.split('?')[0] === '/echo') return httpResponse(200, req.body);
  return httpResponse(400, 'unknown c2n path\n');
}

const REASONS: Record<number, string> = { 200: 'OK', 400: 'Bad Request' };

function httpResponse(status: number, body: Uint8Array | string): Uint8Array {
  const b = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  const head = new TextEncoder().encode(`HTTP/1.1 ${status} ${REASONS[status] ?? ''}\r\nContent-Length: ${b.length}\r\n${typeof body === 'string' ? 'Content-Type: text/plain; charset=utf-8\r\n' : ''}\r\n`);
  const out = new Uint8Array(head.length + b.length);
  out.set(head); out.set(b, head.length);
  return out;
}

/** An HTTP/1.1 request message (RFC 9112 §3, §6): request line, headers, a Content-Length body. A string says what is wrong. */
export function parseHttpRequest(raw: Uint8Array | null): HttpRequest | string {
  if (!raw) return 'the c2n payload is not base64';
  let end = -1;
  for (let i = 0; i + 3 < raw.length; i++) if (raw[i] === 13 && raw[i + 1] === 10 && raw[i + 2] === 13 && raw[i + 3] === 10) { end = i; break; }
  if (end < 0) return 'the c2n payload is not an HTTP request (no end of headers)';
  const lines = text(raw.subarray(0, end)).split('\r\n');
  const m = /^([A-Z]+) (\S+) HTTP\/1\.[01]$/.exec(lines[0]);
  if (!m) return `the c2n payload is not an HTTP request (${JSON.stringify(lines[0].slice(0, 60))})`;
  const headers = new Map<string, string>();
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i <= 0) return `a bad header line in the c2n request: ${JSON.stringify(l.slice(0, 60))}`;
    headers.set(l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim());
  }
  let body = raw.subarray(end + 4);
  const len = headers.get('content-length');
  if (len !== undefined) {
    if (!/^\d+$/.test(len) || Number(len) > body.length) return `the c2n request's Content-Length (${len}) does not match its body (${body.length} bytes)`;
    body = body.subarray(0, Number(len));
  } else if (headers.has('transfer-encoding')) {
    return 'chunked c2n requests are not supported';
  }
  // An absolute URL ("http://host/echo") has its path taken.
  const path = m[2].replace(/^[a-z]+:\/\/[^/]*/i, '') || '/';
  return { method: m[1], path, headers, body: body.slice() };
}

function decodeBase64(s: unknown): Uint8Array | null {
  if (typeof s !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return null;
  try {
    const bin = atob(s);
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);
