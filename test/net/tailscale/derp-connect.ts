/**
 * A home-DERP connection for the control tests, until the data plane's DERP client
 * (src/net/derp, net-wg) is wired in by network.ts: the DERP handshake over WebSocket
 * (derp/derp_client.go: ServerKey → ClientInfo sealed with NaCl box → ServerInfo) against
 * the real derper, answering Ping with Pong. It carries no packets; it proves the home region
 * is live, which is what ipn's Running needs.
 */
import { openFrom, publicKey, sealTo } from '../../../src/net/crypto/index.js';
import { openWebSocket } from '../../../src/net/tailscale/control/websocket.js';
import type { DerpConnect, HomeDerp } from '../../../src/net/tailscale/ipn.js';

const MAGIC = new TextEncoder().encode('DERP🔑');
const SERVER_KEY = 1, CLIENT_INFO = 2, SERVER_INFO = 3, PING = 0x12, PONG = 0x13;

function frame(type: number, body: Uint8Array): Uint8Array {
  const f = new Uint8Array(5 + body.length);
  f[0] = type; new DataView(f.buffer).setUint32(1, body.length);
  f.set(body, 5);
  return f;
}

export const derpConnect: DerpConnect = async (region, nodePrivate) => {
  const n = region.Nodes[0];
  const ws = await openWebSocket(`ws://${n.HostName}:${n.DERPPort}/derp`, ['derp']);
  return new Promise<HomeDerp>((resolve, reject) => {
    let buf = new Uint8Array(0);
    let serverKey: Uint8Array | null = null;
    let live = false;
    const h: HomeDerp = { onClose: null, close: () => ws.close() };
    ws.onClose = (r) => { if (!live) reject(new Error(`DERP closed during the handshake: ${r}`)); else h.onClose?.(r); };
    ws.onData = (d) => {
      const nb = new Uint8Array(buf.length + d.length); nb.set(buf); nb.set(d, buf.length); buf = nb;
      while (buf.length >= 5) {
        const len = new DataView(buf.buffer, buf.byteOffset).getUint32(1);
        if (buf.length < 5 + len) return;
        const type = buf[0], body = buf.slice(5, 5 + len);
        buf = buf.slice(5 + len);
        if (type === SERVER_KEY) {
          if (body.length < 40 || !MAGIC.every((x, i) => body[i] === x)) { ws.close(); reject(new Error('not a DERP server')); return; }
          serverKey = body.slice(8, 40);
          const info = sealTo(nodePrivate, serverKey, new TextEncoder().encode(JSON.stringify({ version: 2, CanAckPings: true })));
          const ci = new Uint8Array(32 + info.length); ci.set(publicKey(nodePrivate)); ci.set(info, 32);
          ws.send(frame(CLIENT_INFO, ci));
        } else if (type === SERVER_INFO && serverKey) {
          if (!openFrom(nodePrivate, serverKey, body)) { ws.close(); reject(new Error('DERP ServerInfo does not open')); return; }
          live = true;
          resolve(h);
        } else if (type === PING) {
          ws.send(frame(PONG, body));
        }
      }
    };
  });
};
