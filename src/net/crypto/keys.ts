/**
 * Tailscale key text forms (tailscale.com/types/key): a prefix, then the key in lowercase hex.
 * One table, one codec. All keys are 32-byte Curve25519 keys except the NL (tailnet lock)
 * key, an ed25519 key that is also 32 bytes in its public form.
 */

/** Prefixes as types/key/{node,machine,disco,nl,chal}.go spell them. */
export const KEY_PREFIX = {
  nodePublic: 'nodekey:',
  machinePublic: 'mkey:',
  discoPublic: 'discokey:',
  /** Node and machine private keys share this prefix in Go's text form. */
  private: 'privkey:',
  discoPrivate: 'privkey:',
  nlPublic: 'nlpub:',
  nlPrivate: 'nlpriv:',
  challengePublic: 'chalpub:',
} as const;

export type KeyKind = keyof typeof KEY_PREFIX;

export function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

export function fromHex(s: string): Uint8Array {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) throw new Error(`not hex: ${JSON.stringify(s.slice(0, 80))}`);
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** `nodekey:0123…` etc. */
export function encodeKey(kind: KeyKind, key: Uint8Array): string {
  if (key.length !== 32) throw new Error(`${kind} key must be 32 bytes, got ${key.length}`);
  return KEY_PREFIX[kind] + toHex(key);
}

/**
 * Parse `prefix + 64 hex digits`. Throws an Error naming the expected prefix or the bad
 * length, so a control server sending a malformed key yields a clear message.
 */
export function parseKey(kind: KeyKind, text: string): Uint8Array {
  const prefix = KEY_PREFIX[kind];
  if (typeof text !== 'string' || !text.startsWith(prefix)) {
    throw new Error(`expected a key starting with ${JSON.stringify(prefix)}, got ${JSON.stringify(String(text).slice(0, 80))}`);
  }
  const hex = text.slice(prefix.length);
  if (hex.length !== 64) throw new Error(`${prefix} key must have 64 hex digits, got ${hex.length}`);
  return fromHex(hex);
}

/** A key as a Map key (hex without prefix). */
export function keyId(key: Uint8Array): string {
  return toHex(key);
}

/** Short form for logs, as Go's ShortString: `[abcde]` from the base64 form would need base64; hex prefix suffices. */
export function shortKey(key: Uint8Array): string {
  return `[${toHex(key.subarray(0, 3))}]`;
}
