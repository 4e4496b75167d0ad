/**
 * The cryptographic primitives of Tailscale's protocols, all taken from the audited @noble
 * libraries (no primitive is written here): X25519, BLAKE2s, HMAC-BLAKE2s and the HKDF that
 * Noise and WireGuard build on it, ChaCha20-Poly1305, and NaCl crypto_box (X25519 + HSalsa20 +
 * XSalsa20-Poly1305) for DERP's ClientInfo/ServerInfo and disco.
 *
 * Runs in the engine's worker and in Node: no DOM, no Node APIs (randomness comes from
 * `crypto.getRandomValues` through @noble).
 */
import { x25519 } from '@noble/curves/ed25519.js';
import { blake2s } from '@noble/hashes/blake2.js';
import { hmac as nobleHmac } from '@noble/hashes/hmac.js';
import { chacha20poly1305, xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hsalsa, xsalsa20poly1305 } from '@noble/ciphers/salsa.js';
import { randomBytes as nobleRandom, u32 } from '@noble/ciphers/utils.js';

export const KEY_LEN = 32;
export const TAG_LEN = 16;

export function randomBytes(n: number): Uint8Array {
  return nobleRandom(n);
}

// ---- X25519 ----

/** A new X25519 private key, clamped as RFC 7748 §5 and Go's key.NewNode/NewMachine do. */
export function generatePrivateKey(): Uint8Array {
  const k = randomBytes(32);
  return clamp(k);
}

/** RFC 7748 §5 clamping (x25519 clamps internally too; Tailscale stores keys clamped). */
export function clamp(k: Uint8Array): Uint8Array {
  k[0] &= 248;
  k[31] = (k[31] & 127) | 64;
  return k;
}

export function publicKey(priv: Uint8Array): Uint8Array {
  return x25519.getPublicKey(priv);
}

/**
 * X25519(priv, pub). Throws when the result is all zeros (a low-order peer key), as
 * WireGuard and NaCl reject it; callers treat that as an invalid message.
 */
export function dh(priv: Uint8Array, pub: Uint8Array): Uint8Array {
  const s = x25519.getSharedSecret(priv, pub);
  let acc = 0;
  for (const b of s) acc |= b;
  if (acc === 0) throw new Error('X25519: low-order public key (all-zero shared secret)');
  return s;
}

// ---- BLAKE2s, HMAC, HKDF ----

/** BLAKE2s-256 of the concatenation of `parts`. */
export function hash(...parts: Uint8Array[]): Uint8Array {
  const h = blake2s.create();
  for (const p of parts) h.update(p);
  return h.digest();
}

/** Keyed BLAKE2s with a 16-byte output: WireGuard's MAC (mac1, mac2, cookie). */
export function mac16(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const h = blake2s.create({ key, dkLen: 16 });
  for (const p of parts) h.update(p);
  return h.digest();
}

export function hmacBlake2s(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const h = nobleHmac.create(blake2s, key);
  for (const p of parts) h.update(p);
  return h.digest();
}

/**
 * Noise HKDF (Noise spec §4.3) with HMAC-BLAKE2s, which WireGuard calls KDF1/KDF2/KDF3
 * (wireguard-go device/noise-helpers.go): temp = HMAC(key, input); out1 = HMAC(temp, 0x01);
 * out_i = HMAC(temp, out_{i-1} || i). Returns `n` (1..3) 32-byte outputs.
 */
export function kdf(n: 1 | 2 | 3, key: Uint8Array, input: Uint8Array): Uint8Array[] {
  const temp = hmacBlake2s(key, input);
  const out: Uint8Array[] = [];
  let prev: Uint8Array = new Uint8Array(0);
  for (let i = 1; i <= n; i++) {
    prev = hmacBlake2s(temp, prev, Uint8Array.of(i));
    out.push(prev);
  }
  return out;
}

// ---- ChaCha20-Poly1305 ----

/** How a 64-bit counter becomes the 96-bit AEAD nonce: 4 zero bytes, then the counter. */
export type NonceEncoding = 'le' | 'be';

/**
 * The 12-byte nonce for `counter`. Noise and WireGuard use little-endian; Tailscale's
 * ts2021 (control/controlbase) uses big-endian — the bytes differ from counter 1 on.
 */
export function nonce96(counter: bigint | number, enc: NonceEncoding = 'le'): Uint8Array {
  const n = new Uint8Array(12);
  new DataView(n.buffer).setBigUint64(4, BigInt(counter), enc === 'le');
  return n;
}

export function aeadSeal(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  return chacha20poly1305(key, nonce, ad).encrypt(plaintext);
}

/** Decrypt and authenticate; null when the tag does not verify (never throws for bad input). */
export function aeadOpen(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, ciphertext: Uint8Array): Uint8Array | null {
  if (ciphertext.length < TAG_LEN) return null;
  try {
    return chacha20poly1305(key, nonce, ad).decrypt(ciphertext);
  } catch {
    return null;
  }
}

/** XChaCha20-Poly1305 (24-byte nonce): WireGuard's cookie reply encryption. */
export function xaeadSeal(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  return xchacha20poly1305(key, nonce, ad).encrypt(plaintext);
}

export function xaeadOpen(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, ciphertext: Uint8Array): Uint8Array | null {
  if (ciphertext.length < TAG_LEN) return null;
  try {
    return xchacha20poly1305(key, nonce, ad).decrypt(ciphertext);
  } catch {
    return null;
  }
}

// ---- NaCl crypto_box (X25519 + HSalsa20 + XSalsa20-Poly1305) ----

/** "expand 32-byte k" as little-endian words: the Salsa20 sigma (NaCl crypto_box_beforenm). */
const SIGMA = new Uint32Array([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]);

/** crypto_box_beforenm: HSalsa20(key = X25519(priv, pub), input = 16 zero bytes). */
export function boxKey(priv: Uint8Array, pub: Uint8Array): Uint8Array {
  const shared = Uint8Array.from(dh(priv, pub));
  const out = new Uint32Array(8);
  hsalsa(SIGMA, u32(shared), new Uint32Array(4), out);
  return new Uint8Array(out.buffer.slice(0));
}

export const BOX_NONCE_LEN = 24;

/** crypto_box(msg, nonce, pub, priv): 16-byte tag then ciphertext, as Go's nacl/box.Seal. */
export function boxSeal(priv: Uint8Array, pub: Uint8Array, nonce: Uint8Array, msg: Uint8Array): Uint8Array {
  return xsalsa20poly1305(boxKey(priv, pub), nonce).encrypt(msg);
}

export function boxOpen(priv: Uint8Array, pub: Uint8Array, nonce: Uint8Array, box: Uint8Array): Uint8Array | null {
  if (box.length < TAG_LEN) return null;
  try {
    return xsalsa20poly1305(boxKey(priv, pub), nonce).decrypt(box);
  } catch {
    return null;
  }
}

/** Tailscale's key.NodePrivate.SealTo: a random 24-byte nonce, then the box. */
export function sealTo(priv: Uint8Array, peerPub: Uint8Array, msg: Uint8Array): Uint8Array {
  const nonce = randomBytes(BOX_NONCE_LEN);
  const box = boxSeal(priv, peerPub, nonce, msg);
  const out = new Uint8Array(BOX_NONCE_LEN + box.length);
  out.set(nonce);
  out.set(box, BOX_NONCE_LEN);
  return out;
}

/** Tailscale's key.NodePrivate.OpenFrom: null when too short or not authentic. */
export function openFrom(priv: Uint8Array, peerPub: Uint8Array, sealed: Uint8Array): Uint8Array | null {
  if (sealed.length < BOX_NONCE_LEN + TAG_LEN) return null;
  return boxOpen(priv, peerPub, sealed.subarray(0, BOX_NONCE_LEN), sealed.subarray(BOX_NONCE_LEN));
}

/** Constant-time equality of two byte strings of the same length. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}
