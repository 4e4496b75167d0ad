/**
 * Tailscale disco messages (tailscale.com/disco/disco.go) that arrive over DERP and direct UDP
 * next to WireGuard packets:
 *
 *   "TS💬" (6 bytes) | sender disco public key (32) | nonce (24) | naclbox([type][version][payload])
 *
 * A browser client has no direct paths to discover, so by default disco is recognised and
 * dropped (the Go js client never sends disco pings either; peers fall back to DERP).
 * Given our disco private key, a Ping is answered with a Pong whose source is DERP's magic
 * address 127.3.3.40:<region> (tailcfg.DerpMagicIP), as magicsock answers pings via DERP.
 */
import { openFrom, publicKey, sealTo } from '../crypto/primitives.js';

export const DISCO_MAGIC = new Uint8Array([0x54, 0x53, 0xf0, 0x9f, 0x92, 0xac]);
const KEY_LEN = 32;
const NONCE_LEN = 24;

export const DiscoType = { Ping: 1, Pong: 2, CallMeMaybe: 3 } as const;

export function isDisco(p: Uint8Array): boolean {
  if (p.length < DISCO_MAGIC.length + KEY_LEN + NONCE_LEN) return false;
  for (let i = 0; i < DISCO_MAGIC.length; i++) if (p[i] !== DISCO_MAGIC[i]) return false;
  return true;
}

export interface DiscoMessage {
  sender: Uint8Array;
  type: number;
  version: number;
  payload: Uint8Array;
}

/** Open a disco packet addressed to `ourPrivate`; null when it does not open or is empty. */
export function openDisco(ourPrivate: Uint8Array, p: Uint8Array): DiscoMessage | null {
  if (!isDisco(p)) return null;
  const sender = p.slice(DISCO_MAGIC.length, DISCO_MAGIC.length + KEY_LEN);
  const plain = openFrom(ourPrivate, sender, p.subarray(DISCO_MAGIC.length + KEY_LEN));
  if (!plain || plain.length < 2) return null;
  return { sender, type: plain[0], version: plain[1], payload: plain.subarray(2) };
}

/** Seal a disco message from `ourPrivate` to `peerDiscoPublic`. */
export function sealDisco(ourPrivate: Uint8Array, peerDiscoPublic: Uint8Array, type: number, payload: Uint8Array): Uint8Array {
  const plain = new Uint8Array(2 + payload.length);
  plain[0] = type;
  plain.set(payload, 2);
  const sealed = sealTo(ourPrivate, peerDiscoPublic, plain);
  const out = new Uint8Array(DISCO_MAGIC.length + KEY_LEN + sealed.length);
  out.set(DISCO_MAGIC);
  out.set(publicKey(ourPrivate), DISCO_MAGIC.length);
  out.set(sealed, DISCO_MAGIC.length + KEY_LEN);
  return out;
}

/** The Pong payload: TxID (12) | source IP as 16 bytes | source port (BE u16). */
export function pongPayload(txid: Uint8Array, srcIP16: Uint8Array, port: number): Uint8Array {
  const out = new Uint8Array(12 + 16 + 2);
  out.set(txid.subarray(0, 12));
  out.set(srcIP16, 12);
  out[28] = port >> 8;
  out[29] = port & 0xff;
  return out;
}

/** The Ping payload: TxID (12) | the sender's node public key (32), as magicsock sends it (disco.Ping, PingLen). */
export function pingPayload(txid: Uint8Array, nodePublic: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + 32);
  out.set(txid.subarray(0, 12));
  out.set(nodePublic, 12);
  return out;
}

/** A Pong's fields (disco.parsePong: at least 30 bytes); null when too short. */
export function parsePong(payload: Uint8Array): { txid: Uint8Array; src16: Uint8Array; port: number } | null {
  if (payload.length < 30) return null;
  return { txid: payload.subarray(0, 12), src16: payload.subarray(12, 28), port: (payload[28] << 8) | payload[29] };
}

/** disco.CallMeMaybe: the sender's endpoints, 18 bytes each (16-byte IP, BE port); version 0 only, never empty. */
export function callMeMaybePayload(eps: { ip16: Uint8Array; port: number }[]): Uint8Array {
  const out = new Uint8Array(18 * eps.length);
  eps.forEach((e, i) => { out.set(e.ip16, i * 18); out[i * 18 + 16] = e.port >> 8; out[i * 18 + 17] = e.port & 0xff; });
  return out;
}

export function parseCallMeMaybe(m: DiscoMessage): { ip16: Uint8Array; port: number }[] | null {
  const p = m.payload;
  if (m.version !== 0 || p.length === 0 || p.length % 18 !== 0) return null;
  const out = [];
  for (let i = 0; i < p.length; i += 18) out.push({ ip16: p.slice(i, i + 16), port: (p[i + 16] << 8) | p[i + 17] });
  return out;
}

/** ::ffff:127.3.3.40, DERP's magic IP (tailcfg.DerpMagicIP) as a 16-byte address. */
export const DERP_MAGIC_IP16 = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 3, 3, 40]);

/**
 * What to do with a disco packet received over DERP from node `src` in `region`: the Pong to
 * send back (to the same node key, same region), or null to drop.
 */
export function answerDisco(ourPrivate: Uint8Array | null, p: Uint8Array, region: number): Uint8Array | null {
  if (!ourPrivate) return null;
  const m = openDisco(ourPrivate, p);
  if (!m || m.type !== DiscoType.Ping || m.payload.length < 12) return null;
  return sealDisco(ourPrivate, m.sender, DiscoType.Pong, pongPayload(m.payload.subarray(0, 12), DERP_MAGIC_IP16, region));
}
