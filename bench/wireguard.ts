/**
 * WireGuard and DERP benchmark (src/net/wireguard, src/net/derp) on loopback against the real
 * derper (tailscale.com/cmd/derper v1.102.5, built by test/net/fixtures.ts): DERP round trip,
 * WireGuard handshake through DERP, one-way packet throughput over raw DERP and over
 * WireGuard-on-DERP, and the AEAD rate that bounds it. Both ends run in this one process, so
 * the throughput rows pay for sealing and opening on the same core.
 * `npm run bench` appends the section to docs/BENCHMARKS.md; run alone
 * (`node --import tsx bench/wireguard.ts`) it prints the table and replaces that section.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Device } from '../src/net/wireguard/device.js';
import { parsePrefix } from '../src/net/wireguard/allowedips.js';
import { DerpClient } from '../src/net/derp/client.js';
import { DerpRegions, type DERPMap } from '../src/net/derp/regions.js';
import { DerpBind, type DerpEndpoint } from '../src/net/derp/bind.js';
import { aeadOpen, aeadSeal, generatePrivateKey, nonce96, publicKey, randomBytes } from '../src/net/crypto/index.js';
import { goUnavailable, startDerper, type Derper } from '../test/net/fixtures.js';
import { udp4 } from '../test/net/packets.js';

const ROOT = new URL('..', import.meta.url).pathname;
export const WIREGUARD_HEADING = '## WireGuard and DERP on loopback';

const PAYLOAD = 1200;
const PACKETS = 6000;
const WINDOW = 64;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const tick = () => new Promise((r) => setImmediate(r));

async function until(f: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error('bench: timed out');
    await new Promise((r) => setTimeout(r, 1));
  }
}

/**
 * Windowed one-way transfer: at most WINDOW packets unacknowledged, the receiver acknowledging
 * every 16 (a stand-in for TCP's window, which derper's 32-deep per-client queue needs).
 * Returns payload Mbit/s and the packets lost.
 */
async function pump(send: () => void, sendAck: (n: number) => void, onData: (f: () => void) => void, onAck: (f: (n: number) => void) => void) {
  let received = 0, acked = 0, sent = 0;
  onData(() => { received++; if (received % 16 === 0) sendAck(received); });
  onAck((n) => { acked = Math.max(acked, n); });
  let lastProgress = Date.now();
  const t0 = performance.now();
  while (received < PACKETS) {
    while (sent < PACKETS && sent - acked < WINDOW) { send(); sent++; }
    const before = received;
    await tick();
    if (received !== before) lastProgress = Date.now();
    else if (Date.now() - lastProgress > 300) {
      if (sent >= PACKETS) break;
      acked = received; // a window's worth was dropped: go on
      lastProgress = Date.now();
    }
  }
  const secs = (performance.now() - t0) / 1000;
  return { mbps: (received * PAYLOAD * 8) / secs / 1e6, lost: PACKETS - received };
}

async function rawDerp(d: Derper) {
  const ka = generatePrivateKey(), kb = generatePrivateKey();
  const pa = publicKey(ka), pb = publicKey(kb);
  let dataCb = () => {}, ackCb = (_n: number) => {};
  let echo: (() => void) | null = null;
  const a = new DerpClient({ url: d.url, privateKey: ka, onPacket: (_s, p) => { if (p.length === 4) ackCb(new DataView(p.buffer, p.byteOffset).getUint32(0)); else echo?.(); } });
  const b = new DerpClient({ url: d.url, privateKey: kb, onPacket: (_s, p) => { if (p.length === 8) b.send(pa, p); else dataCb(); } });
  await Promise.all([a.connected(), b.connected()]);
  // Round trip: an 8-byte packet a → b → a.
  const rtts: number[] = [];
  for (let i = 0; i < 50; i++) {
    let back = false;
    echo = () => { back = true; };
    const t = performance.now();
    a.send(pb, new Uint8Array(8));
    await until(() => back);
    rtts.push(performance.now() - t);
  }
  echo = null;
  const data = randomBytes(PAYLOAD);
  const r = await pump(
    () => a.send(pb, data),
    (n) => { const m = new Uint8Array(4); new DataView(m.buffer).setUint32(0, n); b.send(pa, m); },
    (f) => { dataCb = f; },
    (f) => { ackCb = f; },
  );
  a.close(); b.close();
  return { rtt: median(rtts), ...r };
}

async function wireguardOverDerp(d: Derper) {
  const map: DERPMap = { Regions: { 900: { RegionID: 900, Nodes: [{ Name: 'a', RegionID: 900, HostName: '127.0.0.1', DERPPort: d.port }] } } };
  const mk = () => {
    const priv = generatePrivateKey();
    const regions = new DerpRegions({ privateKey: priv, derpMap: map, homeRegion: 900, plainHttp: true });
    const bind = new DerpBind(regions);
    let cb: (p: Uint8Array) => void = () => {};
    const dev = new Device<DerpEndpoint>({ privateKey: priv, bind, onPacket: (p) => cb(p) });
    bind.attach(dev);
    return { priv, pub: publicKey(priv), regions, dev, on: (f: (p: Uint8Array) => void) => { cb = f; } };
  };
  const a = mk(), b = mk();
  await until(() => a.regions.liveRegions().length === 1 && b.regions.liveRegions().length === 1);
  // Handshakes: fresh peers each time (a new identity for b's peer entry), first packet delivered.
  const hs: number[] = [];
  for (let i = 0; i < 10; i++) {
    a.dev.removePeer(b.pub); b.dev.removePeer(a.pub);
    a.dev.setPeer({ publicKey: b.pub, allowedIPs: [parsePrefix('100.64.0.2/32')], endpoint: { key: b.pub, region: 900 } });
    b.dev.setPeer({ publicKey: a.pub, allowedIPs: [parsePrefix('100.64.0.1/32')], endpoint: { key: a.pub, region: 900 } });
    let got = false;
    b.on(() => { got = true; });
    const t = performance.now();
    a.dev.send(udp4('100.64.0.1', 1, '100.64.0.2', 2, new Uint8Array(8)));
    await until(() => got);
    hs.push(performance.now() - t);
    // A peer's handshake timestamps must increase: wait out the 20 ms flood limit.
    await new Promise((r) => setTimeout(r, 25));
  }
  const data = randomBytes(PAYLOAD);
  const pkt = udp4('100.64.0.1', 1, '100.64.0.2', 2, data);
  const r = await pump(
    () => a.dev.send(pkt),
    (n) => b.dev.send(udp4('100.64.0.2', 2, '100.64.0.1', 1, Uint8Array.of(n >>> 24, n >>> 16, n >>> 8, n))),
    (f) => b.on(() => f()),
    (f) => a.on((p) => f(((p[28] << 24) | (p[29] << 16) | (p[30] << 8) | p[31]) >>> 0)),
  );
  a.dev.close(); b.dev.close(); a.regions.close(); b.regions.close();
  return { handshake: median(hs), ...r };
}

function aeadRate() {
  const k = randomBytes(32), p = randomBytes(PAYLOAD + 32), ad = new Uint8Array(0);
  for (let i = 0; i < 2000; i++) aeadSeal(k, nonce96(i), ad, p); // warm up
  let t = performance.now();
  let c = p;
  for (let i = 0; i < 10_000; i++) c = aeadSeal(k, nonce96(i), ad, p);
  const seal = (10_000 * p.length) / ((performance.now() - t) / 1000) / 1e6;
  t = performance.now();
  for (let i = 0; i < 10_000; i++) aeadOpen(k, nonce96(9999), ad, c);
  const open = (10_000 * p.length) / ((performance.now() - t) / 1000) / 1e6;
  return { seal, open };
}

export async function wireguardSection(): Promise<string> {
  const skip = goUnavailable();
  if (skip) return `\n${WIREGUARD_HEADING}\n\nNot measured: ${skip}.\n`;
  const load = loadavg()[0];
  const d = await startDerper();
  try {
    const raw = await rawDerp(d);
    const wg = await wireguardOverDerp(d);
    const aead = aeadRate();
    const rows = [
      ['DERP round trip (8-byte packet a → derper → b → derper → a), median of 50', `${raw.rtt.toFixed(2)} ms`],
      ['WireGuard handshake + first packet through derper, median of 10', `${wg.handshake.toFixed(1)} ms`],
      [`raw DERP one way, ${PACKETS} × ${PAYLOAD} B, window ${WINDOW}`, `${raw.mbps.toFixed(1)} Mbit/s (${raw.lost} lost)`],
      [`WireGuard over DERP one way, ${PACKETS} × ${PAYLOAD} B UDP payloads, window ${WINDOW}`, `${wg.mbps.toFixed(1)} Mbit/s (${wg.lost} lost)`],
      [`ChaCha20-Poly1305 (@noble/ciphers) seal / open, ${PAYLOAD + 32} B`, `${aead.seal.toFixed(1)} / ${aead.open.toFixed(1)} MB/s`],
    ];
    return `
${WIREGUARD_HEADING}

Latest run: ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} cores (load average
${load.toFixed(1)} at the start). Our WireGuard device and DERP client (src/net) against the real derper
(tailscale.com/cmd/derper v1.102.5) on 127.0.0.1, over WebSocket. Both ends run in the benchmark's
process, so the throughput rows seal and open on one core; the transfer is UDP-sized packets in a
window of ${WINDOW} with an acknowledgement every 16 (a stand-in for TCP until the IP stack carries it).
The AEAD row is the ceiling: every WireGuard packet is sealed once and opened once.

| measurement | result |
|---|---:|
${rows.map((r) => `| ${r.join(' | ')} |`).join('\n')}

Reproduce with \`node --import tsx bench/wireguard.ts\` (or \`npm run bench\`, which runs everything).
`;
  } finally {
    await d.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const section = await wireguardSection();
  process.stdout.write(section);
  const path = join(ROOT, 'docs/BENCHMARKS.md');
  let md = '';
  try { md = readFileSync(path, 'utf8'); } catch { md = '# Benchmarks\n'; }
  const at = md.indexOf(`\n${WIREGUARD_HEADING}`);
  if (at >= 0) {
    const next = md.indexOf('\n## ', at + 1);
    md = md.slice(0, at) + section + (next >= 0 ? md.slice(next) : '');
  } else {
    md = md.trimEnd() + '\n' + section;
  }
  writeFileSync(path, md);
}
