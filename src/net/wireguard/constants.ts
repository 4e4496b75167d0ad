/**
 * WireGuard's protocol constants (WireGuard paper §6.1 "Timers"; wireguard-go
 * device/constants.go). Times in milliseconds.
 */
export const REKEY_AFTER_MESSAGES = 2 ** 60;
/** 2^64 − 2^13 − 1: exact as a bigint (wire counters); the number form rounds to 2^64. */
export const REJECT_AFTER_MESSAGES_N = (1n << 64n) - (1n << 13n) - 1n;
export const REJECT_AFTER_MESSAGES = Number(REJECT_AFTER_MESSAGES_N);
export const REKEY_AFTER_TIME = 120_000;
export const REKEY_ATTEMPT_TIME = 90_000;
export const REKEY_TIMEOUT = 5_000;
/** wireguard-go adds up to 334 ms of jitter to each handshake retry (timers.go). */
export const REKEY_TIMEOUT_JITTER_MAX = 334;
export const MAX_TIMER_HANDSHAKES = REKEY_ATTEMPT_TIME / REKEY_TIMEOUT;
export const REJECT_AFTER_TIME = 180_000;
export const KEEPALIVE_TIMEOUT = 10_000;
export const COOKIE_REFRESH_TIME = 120_000;
/** A peer may start at most one handshake per this interval (HandshakeInitationRate = 1 s / 50). */
export const HANDSHAKE_INITIATION_RATE = 20;
/** Packets held per peer while a handshake is in flight (QueueStagedSize in wireguard-go is 128). */
export const MAX_STAGED_PACKETS = 128;

/** Message types and sizes (wireguard-go device/noise-protocol.go). */
export const MSG_INITIATION = 1;
export const MSG_RESPONSE = 2;
export const MSG_COOKIE_REPLY = 3;
export const MSG_TRANSPORT = 4;
export const INITIATION_SIZE = 148;
export const RESPONSE_SIZE = 92;
export const COOKIE_REPLY_SIZE = 64;
export const TRANSPORT_HEADER_SIZE = 16;
export const TRANSPORT_MIN_SIZE = TRANSPORT_HEADER_SIZE + 16;
export const PADDING_MULTIPLE = 16;

/** Noise construction and identifier (WireGuard paper §5.4; used as protocol name and prologue). */
export const NOISE_CONSTRUCTION = 'Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s';
export const WG_IDENTIFIER = 'WireGuard v1 zx2c4 Jason@zx2c4.com';
export const WG_LABEL_MAC1 = 'mac1----';
export const WG_LABEL_COOKIE = 'cookie--';

/** Tailscale's TUN MTU (tailscale.com/net/tstun/mtu.go safeTUNMTU). */
export const TAILSCALE_MTU = 1280;
