/**
 * The relay backend against a real `webx86 relay` process, real Node servers and Debian's
 * curl and python3 (i386) in the engine. Run by relay.test.ts inside a network namespace
 * where 192.0.2.1 is a local address (not loopback to the guest: RoutedStack keeps
 * 127.0.0.0/8 inside the VM, so only a non-loopback destination goes through the relay).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { WebSocket, WebSocketServer } from 'ws';
import { netUserlandRoot } from './userland-root.js';
import { HostFs } from '../../src/host/node/hostfs.js';
import { RelayStack } from '../../src/net/relay/stack.js';
import { allowed, parseAllowList } from '../../src/host/node/relay.js';
import { frame, HELLO_MAGIC, RELAY_SUBPROTOCOL, RELAY_VERSION, T, text, u16, u32 } from '../../src/net/relay/frames.js';
import { ECONNRESET } from '../../src/engine/abi/errno.js';
import { runGuest, type GuestResult } from '../support/guest.js';
import { ROOT_ENV } from '../support/debian-root.js';

const BIN = new URL('../../bin/webx86.js', import.meta.url).pathname;
const DEST = '192.0.2.1';

const ENV = Object.entries(ROOT_ENV).map(([k, v]) => `${k}=${v}`);
const BIG = 20 * 1024 * 1024;
const big = randomBytes(BIG);

let root = '';
let server: Server;
let port = 0;
let otherServer: Server;
let otherPort = 0;
let otherHits = 0;
let udpPort = 0;
const udp = createSocket('udp4');
let relay: ChildProcess;
let relayUrl = '';
let relayLog = '';

async function listen(s: Server): Promise<number> {
  await new Promise<void>((r) => s.listen(0, DEST, r));
  return (s.address() as AddressInfo).port;
}

before(async () => {
  root = netUserlandRoot();
  server = createServer((req, res) => {
    if (req.url === '/big') { res.setHeader('content-length', BIG); res.end(big); return; }
    if (req.url === '/sha256') {
      const h = createHash('sha256');
      req.on('data', (d: Buffer) => h.update(d));
      req.on('end', () => res.end(h.digest('hex')));
      return;
    }
    res.setHeader('x-path', req.url ?? '');
    res.end('hello through the relay\n');
  });
  port = await listen(server);
  otherServer = createServer((_req, res) => { otherHits++; res.end('not for you\n'); });
  otherPort = await listen(otherServer);
  await new Promise<void>((r) => udp.bind(0, DEST, r));
  udpPort = udp.address().port;
  udp.on('message', (m, r) => udp.send(Buffer.concat([Buffer.from('echo: '), m]), r.port, r.address));
  relay = spawn(process.execPath, [BIN, 'relay', '--listen', '0', '--allow', `${DEST}:${port},${DEST}:${udpPort}`, '--verbose'], { stdio: ['ignore', 'ignore', 'pipe'] });
  relay.stderr!.on('data', (d: Buffer) => { relayLog += d; });
  for (let i = 0; i < 300 && !relayUrl; i++) {
    const m = /listening on (ws:\/\/\S+)/.exec(relayLog);
    if (m) relayUrl = m[1]; else await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(relayUrl, `the relay did not start: ${relayLog}`);
}, { timeout: 600_000 });

after(() => { relay?.kill(); server?.close(); otherServer?.close(); udp.close(); });

async function guest(argv: string[], url = relayUrl): Promise<GuestResult & { ms: number }> {
  const net = new RelayStack({ url });
  const t0 = Date.now();
  try {
    const g = await runGuest(argv, { root: new HostFs(root), env: ENV, cwd: '/', network: net });
    return { ...g, ms: Date.now() - t0 };
  } finally { net.close(); }
}

test('curl in the guest fetches a page through the relay', async () => {
  const g = await guest(['/usr/bin/curl', '-sS', '-D', '-', `http://${DEST}:${port}/some/path`]);
  assert.equal(g.status, 0, g.stderr);
  assert.match(g.stdout, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(g.stdout, /x-path: \/some\/path\r\n/i);
  assert.ok(g.stdout.endsWith('\r\n\r\nhello through the relay\n'), g.stdout);
  assert.match(relayLog, new RegExp(`tcp ${DEST.replace(/\./g, '\\.')}:${port}: connected to ${DEST.replace(/\./g, '\\.')}`));
});

test('a destination outside the allow-list is refused: curl says Permission denied, the relay logs it', async () => {
  const g = await guest(['/usr/bin/curl', '-sSv', `http://${DEST}:${otherPort}/`]);
  assert.equal(g.status, 7, `curl should fail to connect: ${g.stdout} ${g.stderr}`);
  // curl -v names connect(2)'s errno: EACCES.
  assert.match(g.stderr, new RegExp(`connect to ${DEST.replace(/\./g, '\\.')} port ${otherPort} failed: Permission denied`), g.stderr);
  assert.match(relayLog, new RegExp(`${DEST.replace(/\./g, '\\.')}:${otherPort} is not in the relay's allow-list`));
  assert.equal(otherHits, 0);
});

test('a relay that is not running: connect fails at once with Network is unreachable', async () => {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const dead = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  const g = await guest(['/usr/bin/curl', '-sSv', `http://${DEST}:${port}/`], `ws://127.0.0.1:${dead}/`);
  assert.equal(g.status, 7, g.stderr);
  assert.match(g.stderr, /failed: Network is unreachable/, g.stderr);
  assert.ok(g.ms < 5_000, `took ${g.ms} ms`);
});

test('UDP echo through the relay (python3 in the guest)', async () => {
  const py = `import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.settimeout(30)\ns.sendto(b'ping relay',('${DEST}',${udpPort}))\nd,a=s.recvfrom(100)\nprint(d.decode(),a[0],a[1]==${udpPort})\n`;
  const g = await guest(['/usr/bin/python3', '-c', py]);
  assert.equal(g.status, 0, g.stderr);
  assert.equal(g.stdout, `echo: ping relay ${DEST} True\n`);
});

test('20 MB down and a 4 MB file up through the relay, sha256 equal', async () => {
  const down = await guest(['/usr/bin/curl', '-sS', '-o', '-', `http://${DEST}:${port}/big`]);
  assert.equal(down.status, 0, down.stderr);
  assert.equal(down.stdoutBytes!.length, BIG);
  assert.equal(createHash('sha256').update(down.stdoutBytes!).digest('hex'), createHash('sha256').update(big).digest('hex'));
  const file = '/usr/lib/i386-linux-gnu/libcrypto.so.3';
  const up = await guest(['/usr/bin/curl', '-sS', '--data-binary', `@${file}`, `http://${DEST}:${port}/sha256`]);
  assert.equal(up.status, 0, up.stderr);
  assert.equal(up.stdout, createHash('sha256').update(readFileSync(join(root, file))).digest('hex'));
  console.log(`20 MB down in ${down.ms} ms (${(BIG / 1048576 / (down.ms / 1000)).toFixed(1)} MB/s, curl start-up included)`);
});

/** Send `msgs` to the relay on a fresh WebSocket; resolve with the close code and reason. */
function rawSession(msgs: Uint8Array[]): Promise<{ code: number; reason: string; got: number[] }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(relayUrl, RELAY_SUBPROTOCOL);
    const got: number[] = [];
    ws.on('open', () => { for (const m of msgs) ws.send(m); });
    ws.on('message', (d: Buffer) => got.push(d[0]));
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString(), got }));
  });
}

const hello = frame(T.HELLO, 0, text(HELLO_MAGIC), [RELAY_VERSION]);

test('malformed frames to the relay: the WebSocket closes with a reason, the relay keeps serving', async () => {
  let r = await rawSession([Uint8Array.of(0xff)]);
  assert.equal(r.code, 1002);
  assert.match(r.reason, /shorter than its 5-byte header/);
  r = await rawSession([frame(T.OPEN_TCP, 1, u32(1000), u16(80))]);
  assert.equal(r.code, 1002);
  assert.match(r.reason, /before HELLO/);
  r = await rawSession([hello, frame(T.DATA, 7, [1, 2, 3])]);
  assert.equal(r.code, 1002);
  assert.match(r.reason, /stream 7, which was never opened/);
  assert.deepEqual(r.got, [T.HELLO_OK]);
  r = await rawSession([hello, frame(T.OPEN_TCP, 1, [0, 0])]);
  assert.equal(r.code, 1002);
  assert.match(r.reason, /too short/);
  r = await rawSession([frame(T.HELLO, 0, text(HELLO_MAGIC), [99])]);
  assert.equal(r.code, 1008);
  assert.match(r.reason, /version 99 is not supported/);
  assert.match(relayLog, /closing: frame of 1 bytes/);
  const g = await guest(['/usr/bin/curl', '-sS', `http://${DEST}:${port}/again`]);
  assert.equal(g.stdout, 'hello through the relay\n', g.stderr);
});

test('malformed frames to the client: it closes with a reason and the connection fails with ECONNRESET', async () => {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => RELAY_SUBPROTOCOL });
  await new Promise((r) => wss.once('listening', r));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    wss.on('connection', (ws) => {
      ws.on('message', (d: Buffer) => {
        if (d[0] === T.HELLO) ws.send(frame(T.HELLO_OK, 0, [RELAY_VERSION], u16(16), u32(1 << 18)));
        if (d[0] === T.OPEN_TCP) {
          const id = d.readUInt32BE(1);
          ws.send(frame(T.OPENED, id, u32(1 << 18)));
          ws.send(frame(T.DATA, id, new Uint8Array((1 << 18) + 1)));   // one byte beyond the client's window
        }
      });
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
  });
  const net = new RelayStack({ url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/` });
  try {
    const c = net.connect({ family: 2, addr: Uint8Array.of(192, 0, 2, 1), port: 80 }, null, {});
    assert.ok(typeof c !== 'number');
    const { code, reason } = await closed;
    assert.equal(code, 1002);
    assert.match(reason, /beyond the window of 262144/);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(c.state, 'closed');
    assert.equal(c.takeError(), ECONNRESET);
    assert.match(net.lastError, /protocol error from the relay/);
  } finally {
    net.close();
    wss.close();
  }
});

/** Start `webx86 relay` with `args`; resolve with its URL and a way to read its log and stop it. */
async function startRelayProcess(args: string[]): Promise<{ url: string; log: () => string; stop: () => Promise<void> }> {
  const p = spawn(process.execPath, [BIN, 'relay', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  p.stderr!.on('data', (d: Buffer) => { log += d; });
  let url = '';
  for (let i = 0; i < 300 && !url; i++) {
    const m = /listening on (ws:\/\/\S+)/.exec(log);
    if (m) url = m[1]; else await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(url, `the relay did not start: ${log}`);
  return { url, log: () => log, stop: () => new Promise<void>((r) => { p.once('exit', () => r()); p.kill(); }) };
}

const waitFor = async (cond: () => boolean, ms: number): Promise<void> => {
  for (let t = 0; t < ms && !cond(); t += 10) await new Promise((r) => setTimeout(r, 10));
};

test('flow control: a guest that does not read holds the destination back; then every byte arrives', async () => {
  const TOTAL = 64 * 1024 * 1024;
  const data = randomBytes(TOTAL);
  let written = 0;
  const src = createNetServer((s) => {
    s.on('error', () => { /* the test's assertions report what went wrong */ });
    // Write in 1 MiB pieces, each only after the last left Node's buffer: `written` is what the relay accepted.
    const next = (): void => {
      if (written >= TOTAL) { s.end(); return; }
      const piece = data.subarray(written, written + (1 << 20));
      s.write(piece, () => { written += piece.length; next(); });
    };
    next();
  });
  await new Promise<void>((r) => src.listen(0, DEST, r));
  const srcPort = (src.address() as AddressInfo).port;
  const r = await startRelayProcess(['--listen', '0', '--allow', `${DEST}:${srcPort}`]);
  const net = new RelayStack({ url: r.url });
  try {
    const c = net.connect({ family: 2, addr: Uint8Array.of(192, 0, 2, 1), port: srcPort }, null, {});
    assert.ok(typeof c !== 'number');
    await waitFor(() => c.state === 'connected', 5000);
    await new Promise((res) => setTimeout(res, 2000));
    // Bounded by the client's window (256 KiB) plus socket buffers on the way, not by the 64 MiB on offer.
    assert.ok(c.readable() <= 256 * 1024, `the client holds ${c.readable()} bytes`);
    assert.ok(written < 16 * 1024 * 1024, `the source could write ${written} bytes into a stream nobody reads`);
    const heldAt = written;
    const h = createHash('sha256');
    const buf = new Uint8Array(1 << 16);
    let got = 0;
    while (!c.eof && c.state !== 'closed') {
      const n = c.read(buf);
      if (n > 0) { h.update(buf.subarray(0, n)); got += n; continue; }
      await new Promise<void>((res) => { c.onChange = res; setTimeout(res, 100); });
    }
    console.log(`flow control: the source wrote ${(heldAt / 1048576).toFixed(1)} MiB in 2 s while nobody read (of 64 MiB)`);
    assert.equal(got, TOTAL);
    assert.equal(h.digest('hex'), createHash('sha256').update(data).digest('hex'));
  } finally {
    net.close();
    src.close();
    await r.stop();
  }
});

test('the relay goes away: open streams fail with ECONNRESET, the next connect dials again', async () => {
  const r1 = await startRelayProcess(['--listen', '0', '--allow', `${DEST}:${port}`]);
  const relayPort = Number(new URL(r1.url).port);
  const net = new RelayStack({ url: r1.url });
  try {
    const c = net.connect({ family: 2, addr: Uint8Array.of(192, 0, 2, 1), port }, null, {});
    assert.ok(typeof c !== 'number');
    await waitFor(() => c.state === 'connected', 5000);
    assert.equal(c.state, 'connected');
    await r1.stop();
    await waitFor(() => c.state === 'closed', 5000);
    assert.equal(c.state, 'closed');
    assert.equal(c.takeError(), ECONNRESET);
    const r2 = await startRelayProcess(['--listen', String(relayPort), '--allow', `${DEST}:${port}`]);
    try {
      const d = net.connect({ family: 2, addr: Uint8Array.of(192, 0, 2, 1), port }, null, {});
      assert.ok(typeof d !== 'number');
      await waitFor(() => d.state !== 'connecting', 5000);
      assert.equal(d.state, 'connected');
      d.close();
    } finally { await r2.stop(); }
  } finally { net.close(); }
});

test('webx86 run --net relay --relay-url: Debian curl through the relay from the CLI', async () => {
  const p = spawn(process.execPath, [BIN, 'run', '--mount', `${root}:/`, ...ENV.flatMap((e) => ['--env', e]), '--net', 'relay', '--relay-url', relayUrl, '--', '/usr/bin/curl', '-sS', `http://${DEST}:${port}/cli`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  p.stdout.on('data', (d: Buffer) => { out += d; });
  p.stderr.on('data', (d: Buffer) => { err += d; });
  const code = await new Promise<number>((r) => p.on('close', (c) => r(c ?? 1)));
  assert.equal(code, 0, err);
  assert.equal(out, 'hello through the relay\n');
});

test('webx86 relay refuses to start without an allow-list, and names a bad entry', () => {
  const run = (args: string[]) => spawnSync(process.execPath, [BIN, 'relay', ...args], { encoding: 'utf8' });
  let r = run(['--listen', '0']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--allow is required.*never an open proxy/);
  r = run(['--listen', '0', '--allow', 'example.com']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /'example\.com' is not HOST:PORT or HOST:\*/);
  r = run(['--listen', '0', '--allow', '192.0.2.1:99999']);
  assert.match(r.stderr, /port 99999 is not 1-65535/);
  const cli = spawnSync(process.execPath, [BIN, 'run', '--net', 'relay', '--', '/bin/true'], { encoding: 'utf8' });
  assert.equal(cli.status, 2);
  assert.match(cli.stderr, /--net relay and --relay-url ws:\/\/HOST:PORT go together/);
});

test('allow-list matching: addresses, prefixes, names after resolution, ports', async () => {
  const list = parseAllowList('localhost:80,192.0.2.0/24:*,[::1]:443,*:53');
  assert.ok(typeof list !== 'string', String(list));
  assert.equal(await allowed(list, '127.0.0.1', 80), true);          // localhost resolves to 127.0.0.1
  assert.equal(await allowed(list, '127.0.0.1', 81), false);
  assert.equal(await allowed(list, '192.0.2.77', 8080), true);
  assert.equal(await allowed(list, '::ffff:192.0.2.9', 1), true);    // v4-mapped counts as IPv4
  assert.equal(await allowed(list, '198.51.100.1', 80), false);
  assert.equal(await allowed(list, '::1', 443), true);
  assert.equal(await allowed(list, '203.0.113.5', 53), true);
  assert.equal(await allowed(list, '10.1.2.3', 80, 'localhost'), true); // the name the client sent matches the entry's name
});
