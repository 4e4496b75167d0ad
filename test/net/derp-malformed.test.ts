// Malformed DERP frames. A FAKE server is legitimate here and only here: the real derper
// never sends garbage, so a `ws` server of the test's own plays a DERP server that does the
// handshake correctly (same NaCl box as derper) and then misbehaves in one chosen way. The
// client must report a clear error, reconnect, and never throw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocketServer, type WebSocket } from 'ws';
import { DerpClient } from '../../src/net/derp/client.js';
import { DERP_MAGIC, Frame, encodeFrame } from '../../src/net/derp/frames.js';
import { generatePrivateKey, publicKey, openFrom, sealTo } from '../../src/net/crypto/index.js';

type Misbehaviour = (ws: WebSocket, clientPub: Uint8Array, serverPriv: Uint8Array) => void;

/** A fake DERP server: correct handshake, then `after(connection#)` decides what to send. */
async function fakeServer(greeting: (serverPub: Uint8Array) => Uint8Array, after: (n: number) => Misbehaviour | null) {
  const serverPriv = generatePrivateKey();
  const serverPub = publicKey(serverPriv);
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: (p) => (p.has('derp') ? 'derp' : false) });
  await new Promise((r) => wss.once('listening', r));
  let conns = 0;
  wss.on('connection', (ws) => {
    const n = ++conns;
    ws.send(greeting(serverPub));
    let buf = new Uint8Array(0);
    ws.on('message', (data: Buffer) => {
      const nb = new Uint8Array(buf.length + data.length);
      nb.set(buf); nb.set(data, buf.length); buf = nb;
      if (buf.length < 5) return;
      const len = new DataView(buf.buffer).getUint32(1);
      if (buf.length < 5 + len) return;
      if (buf[0] === Frame.ClientInfo) {
        const clientPub = buf.slice(5, 37);
        const info = openFrom(serverPriv, clientPub, buf.subarray(37, 5 + len));
        assert.ok(info, 'ClientInfo opens with the server key');
        assert.equal(JSON.parse(new TextDecoder().decode(info!)).version, 2);
        ws.send(encodeFrame(Frame.ServerInfo, sealTo(serverPriv, clientPub, new TextEncoder().encode('{"version":2}'))));
        after(n)?.(ws, clientPub, serverPriv);
      }
      buf = buf.slice(5 + len);
    });
  });
  const port = (wss.address() as { port: number }).port;
  return { url: `ws://127.0.0.1:${port}/derp`, conns: () => conns, close: () => new Promise((r) => wss.close(r)) };
}

const goodGreeting = (pub: Uint8Array) => encodeFrame(Frame.ServerKey, DERP_MAGIC, pub);

function until(what: string, f: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const poll = () => (f() ? resolve() : Date.now() > end ? reject(new Error(`timed out waiting for ${what}`)) : setTimeout(poll, 10));
    poll();
  });
}

const cases: { name: string; greeting?: (pub: Uint8Array) => Uint8Array; bad?: Misbehaviour; error: RegExp; reconnect: boolean }[] = [
  { name: 'a frame claiming 2 GiB', bad: (ws) => ws.send(Uint8Array.of(Frame.RecvPacket, 0x80, 0, 0, 0, 1, 2, 3)), error: /claims 2147483648 bytes/, reconnect: true },
  { name: 'a short RecvPacket frame (dropped, as the Go client does)', bad: (ws) => ws.send(encodeFrame(Frame.RecvPacket, new Uint8Array(5))), error: /malformed DERP frame: short RecvPacket/, reconnect: false },
  { name: 'a short Ping frame', bad: (ws) => ws.send(encodeFrame(Frame.Ping, new Uint8Array(3))), error: /short Ping/, reconnect: false },
  { name: 'a second ServerKey', bad: (ws, _c, priv) => ws.send(encodeFrame(Frame.ServerKey, DERP_MAGIC, publicKey(priv))), error: /second ServerKey/, reconnect: true },
  { name: 'a text message', bad: (ws) => ws.send('hello'), error: /text WebSocket message/, reconnect: true },
  { name: 'a ServerInfo sealed with the wrong key', bad: (ws, clientPub) => ws.send(encodeFrame(Frame.ServerInfo, sealTo(generatePrivateKey(), clientPub, new Uint8Array(2)))), error: /does not open/, reconnect: true },
];

for (const c of cases) {
  test(`malformed DERP from a fake server: ${c.name} → clear error${c.reconnect ? ', reconnect' : ', connection kept'}`, { timeout: 20_000 }, async () => {
    const srv = await fakeServer(c.greeting ?? goodGreeting, (n) => (n === 1 ? c.bad ?? null : null));
    const errors: string[] = [];
    const cl = new DerpClient({ url: srv.url, privateKey: generatePrivateKey(), backoffMinMs: 20, backoffMaxMs: 50, onError: (e) => errors.push(e.message) });
    await cl.connected();
    await until('the error', () => errors.some((e) => c.error.test(e)));
    if (c.reconnect) await until('reconnection', () => srv.conns() === 2 && cl.state === 'connected');
    else {
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(srv.conns(), 1);
      assert.equal(cl.state, 'connected');
    }
    assert.ok(cl.stats.protocolErrors >= 1);
    cl.close();
    await srv.close();
  });
}

test('malformed greetings: bad magic, short ServerKey, a packet before the key → error and retry, never connected', { timeout: 20_000 }, async () => {
  for (const [greeting, pattern] of [
    [(pub: Uint8Array) => encodeFrame(Frame.ServerKey, new TextEncoder().encode('DERP!!!!'), pub), /invalid DERP server greeting/],
    [(pub: Uint8Array) => encodeFrame(Frame.ServerKey, DERP_MAGIC, pub.subarray(0, 10)), /invalid DERP server greeting/],
    [(pub: Uint8Array) => encodeFrame(Frame.RecvPacket, pub, pub), /before its key/],
  ] as const) {
    const srv = await fakeServer(greeting, () => null);
    const errors: string[] = [];
    const cl = new DerpClient({ url: srv.url, privateKey: generatePrivateKey(), backoffMinMs: 20, backoffMaxMs: 50, onError: (e) => errors.push(e.message) });
    cl.start();
    await until('two attempts', () => srv.conns() >= 2 && errors.filter((e) => pattern.test(e)).length >= 2);
    assert.notEqual(cl.state, 'connected');
    cl.close();
    await srv.close();
  }
});

test('Restarting frame: the client waits the advised delay, then reconnects', { timeout: 20_000 }, async () => {
  const srv = await fakeServer(goodGreeting, (n) => (n === 1 ? (ws) => {
    const p = new Uint8Array(8);
    new DataView(p.buffer).setUint32(0, 300);
    new DataView(p.buffer).setUint32(4, 5000);
    ws.send(encodeFrame(Frame.Restarting, p));
    setTimeout(() => ws.close(), 20);
  } : null));
  const cl = new DerpClient({ url: srv.url, privateKey: generatePrivateKey(), backoffMinMs: 1, backoffMaxMs: 2 });
  await cl.connected();
  const t0 = Date.now();
  await until('reconnected', () => srv.conns() === 2 && cl.state === 'connected');
  const waited = Date.now() - t0;
  assert.ok(waited >= 280, `waited ${waited} ms, advised 300`);
  cl.close();
  await srv.close();
});

