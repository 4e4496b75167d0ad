/**
 * WireGuard message layouts (WireGuard paper §5.4; wireguard-go device/noise-protocol.go),
 * TAI64N timestamps, and the two MACs and cookie of §5.4.4 / §5.4.7
 * (wireguard-go device/cookie.go). Integers on the wire are little-endian.
 *
 *   initiation (148)  type=1 | sender u32 | ephemeral 32 | static 32+16 | timestamp 12+16 | mac1 16 | mac2 16
 *   response    (92)  type=2 | sender u32 | receiver u32 | ephemeral 32 | empty 0+16 | mac1 16 | mac2 16
 *   cookie      (64)  type=3 | receiver u32 | nonce 24 | cookie 16+16
 *   transport  (32+)  type=4 | receiver u32 | counter u64 | packet+16
 *
 * (`type` is one byte followed by three zero bytes.)
 */
import { hash, mac16, equalBytes, randomBytes, xaeadOpen, xaeadSeal } from '../crypto/primitives.js';
import { COOKIE_REFRESH_TIME, COOKIE_REPLY_SIZE, WG_LABEL_COOKIE, WG_LABEL_MAC1 } from './constants.js';

const enc = new TextEncoder();

export function readU32(b: Uint8Array, off: number): number {
  return (b[off] | (b[off + 1] << 8) | (b[off + 2] << 16) | (b[off + 3] << 24)) >>> 0;
}

export function writeU32(b: Uint8Array, off: number, v: number): void {
  b[off] = v & 0xff;
  b[off + 1] = (v >>> 8) & 0xff;
  b[off + 2] = (v >>> 16) & 0xff;
  b[off + 3] = (v >>> 24) & 0xff;
}

/** The message type: byte 0, with bytes 1..3 required to be zero (wireguard-go reads a u32). */
export function messageType(b: Uint8Array): number {
  return b.length >= 4 && b[1] === 0 && b[2] === 0 && b[3] === 0 ? b[0] : 0;
}

/**
 * TAI64N (cr.yp.to/libtai/tai64.html) for `ms` since the Unix epoch: 8 bytes big-endian
 * seconds + 2^62 + 10, then 4 bytes big-endian nanoseconds, whitened to 2^24 ns
 * granularity as wireguard-go tai64n.go does (so the time cannot fingerprint the host).
 */
export function tai64n(ms: number): Uint8Array {
  const out = new Uint8Array(12);
  const dv = new DataView(out.buffer);
  const secs = Math.floor(ms / 1000);
  dv.setBigUint64(0, 0x400000000000000an + BigInt(secs), false);
  const nanos = Math.floor((ms - secs * 1000) * 1e6);
  dv.setUint32(8, (nanos & ~0xffffff) >>> 0, false);
  return out;
}

/** Byte-wise big-endian comparison: a > b. */
export function timestampAfter(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 12; i++) {
    if (a[i] !== b[i]) return a[i] > b[i];
  }
  return false;
}

export function mac1Key(staticPub: Uint8Array): Uint8Array {
  return hash(enc.encode(WG_LABEL_MAC1), staticPub);
}

export function cookieKey(staticPub: Uint8Array): Uint8Array {
  return hash(enc.encode(WG_LABEL_COOKIE), staticPub);
}

/**
 * The receiving side's MAC checks and cookie replies (WireGuard paper §5.4.7). One per device:
 * the keys depend on our static public key; the cookie secret rotates every two minutes.
 */
export class CookieChecker {
  private readonly mac1 : Uint8Array;
  private readonly encKey: Uint8Array;
  private secret: Uint8Array = new Uint8Array(32);
  private secretSetAt = -Infinity;

  constructor(ourPublic: Uint8Array, private readonly now: () => number) {
    this.mac1 = mac1Key(ourPublic);
    this.encKey = cookieKey(ourPublic);
  }

  /** mac1 = MAC(HASH("mac1----" || S_pub), msg[..mac1]). */
  checkMac1(msg: Uint8Array): boolean {
    const m1 = msg.length - 32;
    return equalBytes(mac16(this.mac1, msg.subarray(0, m1)), msg.subarray(m1, m1 + 16));
  }

  private cookieFor(src: Uint8Array): Uint8Array {
    if (this.now() - this.secretSetAt > COOKIE_REFRESH_TIME) {
      this.secret = randomBytes(32);
      this.secretSetAt = this.now();
    }
    return mac16(this.secret, src);
  }

  /** mac2 = MAC(cookie(src), msg[..mac2]) where cookie = MAC(secret, src). */
  checkMac2(msg: Uint8Array, src: Uint8Array): boolean {
    const m2 = msg.length - 16;
    return equalBytes(mac16(this.cookieFor(src), msg.subarray(0, m2)), msg.subarray(m2));
  }

  /** A cookie reply to a handshake message from `src` whose sender index is `senderIndex`. */
  createReply(msg: Uint8Array, senderIndex: number, src: Uint8Array): Uint8Array {
    const out = new Uint8Array(COOKIE_REPLY_SIZE);
    out[0] = 3;
    writeU32(out, 4, senderIndex);
    const nonce = randomBytes(24);
    out.set(nonce, 8);
    const m1 = msg.length - 32;
    out.set(xaeadSeal(this.encKey, nonce, msg.subarray(m1, m1 + 16), this.cookieFor(src)), 32);
    return out;
  }
}

/** The sending side's MACs for one peer: mac1 always, mac2 while a fresh cookie is held. */
export class CookieGenerator {
  private readonly mac1: Uint8Array;
  private readonly decKey: Uint8Array;
  private cookie: Uint8Array | null = null;
  private cookieSetAt = -Infinity;
  private lastMac1: Uint8Array | null = null;

  constructor(peerPublic: Uint8Array, private readonly now: () => number) {
    this.mac1 = mac1Key(peerPublic);
    this.decKey = cookieKey(peerPublic);
  }

  /** Fill the last 32 bytes of a handshake message. */
  addMacs(msg: Uint8Array): void {
    const m1 = msg.length - 32;
    const mac1 = mac16(this.mac1, msg.subarray(0, m1));
    msg.set(mac1, m1);
    this.lastMac1 = mac1;
    if (this.cookie && this.now() - this.cookieSetAt < COOKIE_REFRESH_TIME) {
      msg.set(mac16(this.cookie, msg.subarray(0, m1 + 16)), m1 + 16);
    } else {
      msg.fill(0, m1 + 16);
    }
  }

  /** Accept a cookie reply for our last handshake message; false when it does not decrypt. */
  consumeReply(reply: Uint8Array): boolean {
    if (!this.lastMac1 || reply.length !== COOKIE_REPLY_SIZE) return false;
    const cookie = xaeadOpen(this.decKey, reply.subarray(8, 32), this.lastMac1, reply.subarray(32));
    if (!cookie) return false;
    this.cookie = cookie;
    this.cookieSetAt = this.now();
    return true;
  }

  get hasCookie(): boolean {
    return this.cookie !== null && this.now() - this.cookieSetAt < COOKIE_REFRESH_TIME;
  }
}
