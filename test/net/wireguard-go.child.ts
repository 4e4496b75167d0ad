// Runs INSIDE a private network namespace (started by wireguard-go.test.ts through
// `ip netns exec`): Debian's real wireguard-go on a TUN device wgi0 with 100.64.0.1, and our
// WireGuard device (src/net/wireguard) over UDP on the namespace's loopback as 100.64.0.2,
// as tailscale-protocols.md §6.1.2 describes. Prints one JSON object with what happened; the
// test asserts on it. Every step has a deadline so nothing hangs.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dgram from 'node:dgram';
import { Device, type Clock } from '../../src/net/wireguard/device.js';
import { UdpBind, type UdpEndpoint } from '../../src/net/wireguard/bind-udp.node.js';
import { parsePrefix } from '../../src/net/wireguard/allowedips.js';
import { REKEY_AFTER_TIME } from '../../src/net/wireguard/constants.js';
import { generatePrivateKey, publicKey } from '../../src/net/crypto/index.js';
import { icmpEcho, udp4, parse4, ipv4 } from './packets.js';

const IFACE = 'wgi0';
const THEM = '100.64.0.1', US = '100.64.0.2';
const b64 = (k: Uint8Array) => Buffer.from(k).toString('base64');
const sh = (cmd: string, args: string[], input?: string) => execFileSync(cmd, args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const report: Record<string, unknown> = {};

async function until<T>(what: string, f: () => T | undefined | null | false, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Send `n` datagrams from the namespace's kernel to our UDP echo port; count the answers. */
async function udpEcho(sock: dgram.Socket, n: number, ms: number): Promise<number> {
  let answers = 0;
  const on = (m: Buffer) => { if (m.toString().startsWith('echo ')) answers++; };
  sock.on('message', on);
  for (let i = 0; i < n; i++) sock.send(Buffer.from(`echo ${i}`), 7, US);
  const end = Date.now() + ms;
  while (answers < n && Date.now() < end) await sleep(20);
  sock.off('message', on);
  return answers;
}

class OffsetClock implements Clock {
  offset = 0;
  now(): number { return Date.now() + this.offset; }
}

let wgProc: ChildProcess | null = null;
const dir = mkdtempSync(join(tmpdir(), 'wg-interop-'));
try {
  sh('ip', ['link', 'set', 'lo', 'up']);
  wgProc = spawn('wireguard-go', ['-f', IFACE], { env: { ...process.env, WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD: '1', LOG_LEVEL: 'verbose' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let wgLog = '';
  wgProc.stdout!.on('data', (d) => { wgLog += d; });
  wgProc.stderr!.on('data', (d) => { wgLog += d; });
  await until('wireguard-go interface', () => { try { sh('wg', ['show', IFACE]); return true; } catch { return false; } });

  const theirPriv = generatePrivateKey();
  writeFileSync(join(dir, 'key'), b64(theirPriv) + '\n');
  sh('wg', ['set', IFACE, 'private-key', join(dir, 'key'), 'listen-port', '0']);
  const theirPort = Number(sh('wg', ['show', IFACE, 'listen-port']).trim());
  sh('ip', ['addr', 'add', `${THEM}/32`, 'dev', IFACE]);
  sh('ip', ['link', 'set', IFACE, 'mtu', '1280', 'up']);
  sh('ip', ['route', 'add', `${US}/32`, 'dev', IFACE]);

  const clock = new OffsetClock();
  const bind = await UdpBind.listen(0, '127.0.0.1');
  const got: Uint8Array[] = [];
  let underLoad = false;
  let ourPriv = generatePrivateKey();
  const mkDevice = () => {
    const d = new Device<UdpEndpoint>({
      privateKey: ourPriv, bind, clock, underLoad: () => underLoad,
      onPacket: (p) => {
        got.push(p.slice());
        // Answer ICMP echo requests so the kernel's ping gets replies.
        const ip = parse4(p);
        if (ip.proto === 1 && ip.payload[0] === 8) {
          const reply = ip.payload.slice();
          reply[0] = 0; reply[2] = 0; reply[3] = 0;
          let s = 0;
          for (let i = 0; i < reply.length; i += 2) s += (reply[i] << 8) | (reply[i + 1] ?? 0);
          while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
          const c = ~s & 0xffff; reply[2] = c >> 8; reply[3] = c & 0xff;
          d.send(ipv4(US, ip.src, 1, reply));
        }
        // UDP to port 7 is echoed (RFC 862), so a kernel socket in the namespace gets answers.
        if (ip.proto === 17 && ((ip.payload[2] << 8) | ip.payload[3]) === 7) {
          const sport = (ip.payload[0] << 8) | ip.payload[1];
          d.send(udp4(US, 7, ip.src, sport, ip.payload.subarray(8)));
        }
      },
    });
    bind.attach(d);
    d.setPeer({ publicKey: publicKey(theirPriv), allowedIPs: [parsePrefix(`${THEM}/32`)], endpoint: { address: '127.0.0.1', port: theirPort } });
    return d;
  };
  const setWgPeer = (oldPub: Uint8Array | null) => {
    if (oldPub) sh('wg', ['set', IFACE, 'peer', b64(oldPub), 'remove']);
    sh('wg', ['set', IFACE, 'peer', b64(publicKey(ourPriv)), 'allowed-ips', `${US}/32`, 'endpoint', `127.0.0.1:${bind.port}`]);
  };
  let dev = mkDevice();
  setWgPeer(null);

  // 1. We initiate: ICMP echo through wireguard-go to the namespace's kernel, reply comes back.
  let t0 = performance.now();
  dev.send(icmpEcho(US, THEM, 0x77, 1, new TextEncoder().encode('webx86 wireguard')));
  const reply = await until('ICMP echo reply', () => got.find((p) => parse4(p).proto === 1 && parse4(p).payload[0] === 0));
  report.weInitiate = { handshakeAndEchoMs: performance.now() - t0, replyFrom: parse4(reply).src, replyData: new TextDecoder().decode(parse4(reply).payload.subarray(8)) };

  // 2. A UDP payload to a kernel socket in the namespace, and its answer back through the tunnel.
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, THEM, () => r()));
  const sport = sock.address().port;
  const udpGot = new Promise<string>((r) => sock.once('message', (m, ri) => { sock.send(Buffer.from('pong:' + m.toString()), ri.port, ri.address); r(`${ri.address}:${ri.port} ${m}`); }));
  got.length = 0;
  dev.send(udp4(US, 40000, THEM, sport, new TextEncoder().encode('ping over udp')));
  report.udpAtKernel = await Promise.race([udpGot, sleep(5000).then(() => 'timeout')]);
  const back = await until('UDP answer', () => got.find((p) => parse4(p).proto === 17));
  report.udpBack = new TextDecoder().decode(parse4(back).payload.subarray(8));

  // 3. Rekey by forcing time: our clock jumps past REKEY_AFTER_TIME; the next send starts a new
  //    handshake that wireguard-go accepts, and traffic continues on the new session.
  const peer = dev.allPeers()[0];
  const before = peer.stats.handshakesCompleted;
  const oldKeypair = peer.current;
  clock.offset += REKEY_AFTER_TIME + 1000;
  got.length = 0;
  dev.send(icmpEcho(US, THEM, 0x77, 2, new Uint8Array(32)));
  await until('rekey', () => peer.stats.handshakesCompleted > before && peer.current !== oldKeypair);
  dev.send(icmpEcho(US, THEM, 0x77, 3, new Uint8Array(32)));
  await until('echo on the new session', () => got.some((p) => parse4(p).proto === 1 && parse4(p).payload[0] === 0 && parse4(p).payload[7] === 3));
  report.rekey = { handshakes: peer.stats.handshakesCompleted, previousIsOld: peer.previous === oldKeypair };

  // 4. wireguard-go initiates: a fresh identity for us, so it has no session; the kernel's
  //    ping makes it start the handshake, we respond and answer the echoes.
  dev.close();
  let oldPub = publicKey(ourPriv);
  ourPriv = generatePrivateKey();
  clock.offset = 0;
  dev = mkDevice();
  setWgPeer(oldPub);
  got.length = 0;
  t0 = performance.now();
  const echoes = await udpEcho(sock, 3, 3000);
  report.theyInitiate = { echoes, ms: performance.now() - t0, weResponded: dev.allPeers()[0].stats.handshakesCompleted, icmpSeen: got.filter((p) => parse4(p).proto === 1).length };

  // 5. Cookie under load: we claim load, so wireguard-go's initiation gets a cookie reply;
  //    its retry (after REKEY_TIMEOUT) carries mac2 made from our cookie and is accepted.
  dev.close();
  oldPub = publicKey(ourPriv);
  ourPriv = generatePrivateKey();
  dev = mkDevice();
  setWgPeer(oldPub);
  underLoad = true;
  t0 = performance.now();
  const echoes2 = await udpEcho(sock, 1, 9000);
  const p2 = dev.allPeers()[0];
  report.cookie = { echoes: echoes2, ms: performance.now() - t0, cookieRepliesSent: dev.counters.cookieRepliesSent, completed: p2.stats.handshakesCompleted, wgLogSawCookie: /cookie/i.test(wgLog) };
  underLoad = false;

  dev.close();
  sock.close();
  bind.close();
  report.ok = true;
} catch (e) {
  report.error = (e as Error).stack ?? String(e);
} finally {
  wgProc?.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(report) + '\n');
process.exit(0);
