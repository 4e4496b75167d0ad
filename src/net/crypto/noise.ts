/**
 * The Noise Protocol Framework (noiseprotocol.org/noise.html, rev 34) for the two patterns
 * Tailscale uses, on 25519 / ChaChaPoly / BLAKE2s:
 *
 *   IK      (ts2021 control, tailscale.com/control/controlbase)
 *     <- s
 *     ...
 *     -> e, es, s, ss
 *     <- e, ee, se
 *   IKpsk2  (WireGuard, wireguard-go device/noise-protocol.go; the psk modifier at the end
 *            of the second message)
 *     -> e, es, s, ss
 *     <- e, ee, se, psk
 *
 * CipherState / SymmetricState / HandshakeState follow the spec's §5 objects. The transport
 * nonce encoding is pluggable: Noise and WireGuard put the 64-bit counter little-endian after
 * 4 zero bytes; ts2021 puts it big-endian (controlbase's nonce.Increment).
 *
 * Tested against the cacophony vectors (test/net/vectors/cacophony-ik.json) for both roles.
 */
import { KEY_LEN, TAG_LEN, aeadOpen, aeadSeal, dh, generatePrivateKey, hash, kdf, nonce96, publicKey, type NonceEncoding } from './primitives.js';

const EMPTY = new Uint8Array(0);

/** A Noise message failed to authenticate or was malformed. */
export class NoiseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoiseError';
  }
}

/** Noise §5.1. `n` is a bigint so that the 2^64-1 limit is exact. */
export class CipherState {
  k: Uint8Array | null = null;
  n = 0n;
  constructor(readonly nonceEncoding: NonceEncoding = 'le', key: Uint8Array | null = null) {
    this.k = key;
  }
  hasKey(): boolean {
    return this.k !== null;
  }
  initializeKey(k: Uint8Array | null): void {
    this.k = k;
    this.n = 0n;
  }
  private nextNonce(): Uint8Array {
    if (this.n >= 0xffffffffffffffffn) throw new NoiseError('Noise: nonce exhausted');
    return nonce96(this.n++, this.nonceEncoding);
  }
  encryptWithAd(ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    if (!this.k) return plaintext;
    return aeadSeal(this.k, this.nextNonce(), ad, plaintext);
  }
  /** Throws NoiseError when the tag does not verify; the nonce advances only on success. */
  decryptWithAd(ad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    if (!this.k) return ciphertext;
    const pt = aeadOpen(this.k, nonce96(this.n, this.nonceEncoding), ad, ciphertext);
    if (!pt) throw new NoiseError('Noise: message authentication failed');
    this.n++;
    return pt;
  }
}

/** Noise §5.2 with HASH = BLAKE2s and HKDF = HMAC-BLAKE2s. */
export class SymmetricState {
  ck: Uint8Array;
  h: Uint8Array;
  readonly cs: CipherState;
  constructor(protocolName: string, readonly nonceEncoding: NonceEncoding = 'le') {
    const name = new TextEncoder().encode(protocolName);
    if (name.length <= 32) {
      this.h = new Uint8Array(32);
      this.h.set(name);
    } else {
      this.h = hash(name);
    }
    this.ck = this.h.slice();
    this.cs = new CipherState(nonceEncoding);
  }
  mixKey(input: Uint8Array): void {
    const [ck, k] = kdf(2, this.ck, input);
    this.ck = ck;
    this.cs.initializeKey(k);
  }
  mixHash(data: Uint8Array): void {
    this.h = hash(this.h, data);
  }
  mixKeyAndHash(input: Uint8Array): void {
    const [ck, th, k] = kdf(3, this.ck, input);
    this.ck = ck;
    this.mixHash(th);
    this.cs.initializeKey(k);
  }
  encryptAndHash(plaintext: Uint8Array): Uint8Array {
    const c = this.cs.encryptWithAd(this.h, plaintext);
    this.mixHash(c);
    return c;
  }
  decryptAndHash(ciphertext: Uint8Array): Uint8Array {
    const p = this.cs.decryptWithAd(this.h, ciphertext);
    this.mixHash(ciphertext);
    return p;
  }
  /** The two transport keys: [initiator→responder, responder→initiator]. */
  splitKeys(): [Uint8Array, Uint8Array] {
    const [k1, k2] = kdf(2, this.ck, EMPTY);
    return [k1, k2];
  }
  split(): [CipherState, CipherState] {
    const [k1, k2] = this.splitKeys();
    return [new CipherState(this.nonceEncoding, k1), new CipherState(this.nonceEncoding, k2)];
  }
}

export type HandshakePattern = 'IK' | 'IKpsk2';

export interface HandshakeOptions {
  pattern: HandshakePattern;
  initiator: boolean;
  prologue: Uint8Array;
  /** Our static private key. */
  staticPrivate: Uint8Array;
  /** The responder's static public key (required for the initiator: IK pre-message). */
  remoteStaticPublic?: Uint8Array;
  /** Fixed ephemeral private key (test vectors); a fresh random one otherwise. */
  ephemeralPrivate?: Uint8Array;
  /** The pre-shared key for IKpsk2 (WireGuard's all-zero default when absent). */
  psk?: Uint8Array;
  /** Transport nonce encoding of the CipherStates that split() returns. */
  nonceEncoding?: NonceEncoding;
  /** Override the protocol name (default Noise_<pattern>_25519_ChaChaPoly_BLAKE2s). */
  protocolName?: string;
}

/**
 * Noise §5.3 for IK and IKpsk2: two messages, then split(). Message 1 is written by the
 * initiator and read by the responder, message 2 the reverse. Payloads are encrypted.
 */
export class HandshakeState {
  readonly ss: SymmetricState;
  readonly initiator: boolean;
  readonly pattern: HandshakePattern;
  readonly s: Uint8Array;
  readonly sPub: Uint8Array;
  e: Uint8Array;
  ePub: Uint8Array;
  rs: Uint8Array | null;
  re: Uint8Array | null = null;
  /** The pre-shared key (mixed in by IKpsk2's second message, so a responder may set it after reading message 1). */
  psk: Uint8Array;
  /** Number of handshake messages processed (0, 1, 2). */
  step = 0;

  constructor(o: HandshakeOptions) {
    this.pattern = o.pattern;
    this.initiator = o.initiator;
    this.ss = new SymmetricState(o.protocolName ?? `Noise_${o.pattern}_25519_ChaChaPoly_BLAKE2s`, o.nonceEncoding ?? 'le');
    this.s = o.staticPrivate;
    this.sPub = publicKey(o.staticPrivate);
    this.e = o.ephemeralPrivate ?? generatePrivateKey();
    this.ePub = publicKey(this.e);
    this.rs = o.remoteStaticPublic ?? null;
    this.psk = o.psk ?? new Uint8Array(32);
    if (this.initiator && !this.rs) throw new NoiseError('Noise IK: the initiator needs the responder static key');
    this.ss.mixHash(o.prologue);
    // Pre-message "<- s": both sides hash the responder's static key.
    this.ss.mixHash(this.initiator ? this.rs! : this.sPub);
  }

  private get isPsk(): boolean {
    return this.pattern === 'IKpsk2';
  }

  /** Write the next message (1 for the initiator, 2 for the responder). */
  writeMessage(payload: Uint8Array = EMPTY): Uint8Array {
    const ss = this.ss;
    const parts: Uint8Array[] = [];
    if (this.step === 0 && this.initiator) {
      // -> e, es, s, ss
      parts.push(this.ePub);
      ss.mixHash(this.ePub);
      if (this.isPsk) ss.mixKey(this.ePub);
      ss.mixKey(dh(this.e, this.rs!));
      parts.push(ss.encryptAndHash(this.sPub));
      ss.mixKey(dh(this.s, this.rs!));
    } else if (this.step === 1 && !this.initiator) {
      // <- e, ee, se [, psk]
      parts.push(this.ePub);
      ss.mixHash(this.ePub);
      if (this.isPsk) ss.mixKey(this.ePub);
      ss.mixKey(dh(this.e, this.re!));
      ss.mixKey(dh(this.e, this.rs!));
      if (this.isPsk) ss.mixKeyAndHash(this.psk);
    } else {
      throw new NoiseError(`Noise: no message to write at step ${this.step} as ${this.initiator ? 'initiator' : 'responder'}`);
    }
    parts.push(ss.encryptAndHash(payload));
    this.step++;
    return concat(parts);
  }

  /** Read the next message; throws NoiseError when it is malformed or not authentic. */
  readMessage(message: Uint8Array): Uint8Array {
    const ss = this.ss;
    let off = 0;
    const take = (n: number): Uint8Array => {
      if (message.length < off + n) throw new NoiseError(`Noise: message too short (${message.length} bytes)`);
      const b = message.subarray(off, off + n);
      off += n;
      return b;
    };
    try {
      if (this.step === 0 && !this.initiator) {
        this.re = take(KEY_LEN).slice();
        ss.mixHash(this.re);
        if (this.isPsk) ss.mixKey(this.re);
        ss.mixKey(dh(this.s, this.re));
        this.rs = ss.decryptAndHash(take(KEY_LEN + TAG_LEN)).slice();
        ss.mixKey(dh(this.s, this.rs));
      } else if (this.step === 1 && this.initiator) {
        this.re = take(KEY_LEN).slice();
        ss.mixHash(this.re);
        if (this.isPsk) ss.mixKey(this.re);
        ss.mixKey(dh(this.e, this.re));
        ss.mixKey(dh(this.s, this.re));
        if (this.isPsk) ss.mixKeyAndHash(this.psk);
      } else {
        throw new NoiseError(`Noise: no message to read at step ${this.step} as ${this.initiator ? 'initiator' : 'responder'}`);
      }
      const payload = ss.decryptAndHash(message.subarray(off));
      this.step++;
      return payload;
    } catch (e) {
      if (e instanceof NoiseError) throw e;
      // dh() throws on a low-order point: an invalid message, not a crash.
      throw new NoiseError(`Noise: ${(e as Error).message}`);
    }
  }

  get complete(): boolean {
    return this.step >= 2;
  }

  /** The handshake hash (channel binding). */
  get handshakeHash(): Uint8Array {
    return this.ss.h;
  }

  /** After both messages: [send, receive] CipherStates for this side. */
  split(): { send: CipherState; recv: CipherState } {
    if (!this.complete) throw new NoiseError('Noise: split before the handshake completed');
    const [c1, c2] = this.ss.split();
    return this.initiator ? { send: c1, recv: c2 } : { send: c2, recv: c1 };
  }
}

export function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
