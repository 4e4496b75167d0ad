/**
 * Crypto shared by the Tailscale pieces (src/net): primitives from @noble, key text codecs,
 * and a generic Noise HandshakeState (IK for ts2021, IKpsk2 for WireGuard).
 */
export * from './primitives.js';
export * from './keys.js';
export * from './noise.js';
