/**
 * A WireGuard device (WireGuard paper, Donenfeld NDSS 2017; wire-compatible with
 * wireguard-go): peers with cryptokey routing, the Noise_IKpsk2 handshake as initiator and
 * responder, cookie replies under load, keypair rotation (current / previous / next), the
 * timer state machine of §6, a replay window, and padding. It moves raw IP packets:
 *
 *   device.send(ipPacket)           an IP packet from our stack → the peer that owns its
 *                                   destination (longest prefix), encrypted
 *   bind → device.receive(msg, ep)  an encrypted message from the network
 *   onPacket(ipPacket, peer)        a decrypted packet whose source the peer may use
 *
 * How messages travel is a `Bind` (UDP in Node: bind-udp.node.ts; DERP: ../derp/bind.ts),
 * with an endpoint type `E` (a host:port, or a peer's node key on DERP).
 *
 * Time comes from an injectable clock; `tick()` runs the timers, so a test can move time
 * forward and call it (rekey after 120 s, reject after 180 s) without waiting.
 * No DOM and no Node APIs: this runs in the engine's worker.
 */
import { HandshakeState, NoiseError } from '../crypto/noise.js';
import { aeadOpen, aeadSeal, nonce96, publicKey, randomBytes } from '../crypto/primitives.js';
import { keyId, shortKey } from '../crypto/keys.js';
import { AllowedIPs, type Prefix } from './allowedips.js';
import {
  COOKIE_REPLY_SIZE, HANDSHAKE_INITIATION_RATE, INITIATION_SIZE, KEEPALIVE_TIMEOUT, MAX_STAGED_PACKETS,
  MAX_TIMER_HANDSHAKES, MSG_COOKIE_REPLY, MSG_INITIATION, MSG_RESPONSE, MSG_TRANSPORT, NOISE_CONSTRUCTION,
  PADDING_MULTIPLE, REJECT_AFTER_MESSAGES, REJECT_AFTER_MESSAGES_N, REJECT_AFTER_TIME, REKEY_AFTER_MESSAGES, REKEY_AFTER_TIME,
  REKEY_TIMEOUT, REKEY_TIMEOUT_JITTER_MAX, RESPONSE_SIZE, TAILSCALE_MTU, TRANSPORT_HEADER_SIZE,
  TRANSPORT_MIN_SIZE, WG_IDENTIFIER,
} from './constants.js';
import { CookieChecker, CookieGenerator, messageType, readU32, tai64n, timestampAfter, writeU32 } from './messages.js';
import { ReplayFilter } from './replay.js';

const PROLOGUE = new TextEncoder().encode(WG_IDENTIFIER);
const EMPTY = new Uint8Array(0);

/** How encrypted messages leave the device. */
export interface Bind<E> {
  send(msg: Uint8Array, endpoint: E): void;
  /** Bytes naming the endpoint for the cookie MAC: source IP and port, or a DERP node key. */
  endpointBytes(endpoint: E): Uint8Array;
}

export interface Clock {
  /** Milliseconds since the Unix epoch (also the TAI64N handshake timestamp). */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface DeviceOptions<E> {
  privateKey: Uint8Array;
  bind: Bind<E>;
  clock?: Clock;
  /** Inner MTU; padding never makes a packet larger than this (Tailscale: 1280). */
  mtu?: number;
  onPacket?: (packet: Uint8Array, peer: Peer<E>) => void;
  /**
   * Whether we are under load, so handshake messages must carry a valid mac2 (else we answer
   * with a cookie reply). Default: more than `handshakesPerSecondUnderLoad` handshake
   * messages arrived in the last second (wireguard-go uses its queue depth instead).
   */
  underLoad?: () => boolean;
  handshakesPerSecondUnderLoad?: number;
  /** Run tick() from a timer (default true). Tests with a fake clock turn it off. */
  autoTimers?: boolean;
  log?: (msg: string) => void;
}

export interface PeerConfig<E> {
  publicKey: Uint8Array;
  allowedIPs?: Prefix[];
  endpoint?: E | null;
  /** Seconds; 0 or absent = off. */
  persistentKeepalive?: number;
  presharedKey?: Uint8Array;
}

/** Session keys from one handshake (WireGuard paper §5.4.5). */
export class Keypair {
  sendCounter = 0;
  readonly replay = new ReplayFilter();
  constructor(
    readonly sendKey: Uint8Array,
    readonly recvKey: Uint8Array,
    readonly isInitiator: boolean,
    readonly created: number,
    readonly localIndex: number,
    readonly remoteIndex: number,
  ) {}
}

type HandshakePhase = 'none' | 'initiation-sent' | 'initiation-received';

export interface PeerStats {
  txBytes: number;
  rxBytes: number;
  txPackets: number;
  rxPackets: number;
  /** ms epoch of the last completed handshake; 0 = never. */
  lastHandshake: number;
  handshakesInitiated: number;
  handshakesCompleted: number;
  cookieRepliesReceived: number;
}

export class Peer<E> {
  readonly id: string;
  endpoint: E | null;
  persistentKeepalive: number;
  presharedKey: Uint8Array;
  current: Keypair | null = null;
  previous: Keypair | null = null;
  next: Keypair | null = null;
  readonly stats: PeerStats = {
    txBytes: 0, rxBytes: 0, txPackets: 0, rxPackets: 0, lastHandshake: 0, handshakesInitiated: 0,
    handshakesCompleted: 0, cookieRepliesReceived: 0,
  };
  /** @internal handshake in progress */
  hs: HandshakeState | null = null;
  /** @internal */
  phase: HandshakePhase = 'none';
  /** @internal our index for the handshake in progress */
  hsLocalIndex = 0;
  /** @internal */
  lastInitiationSent = -Infinity;
  /** @internal greatest TAI64N timestamp accepted from this peer */
  lastTimestamp: Uint8Array = new Uint8Array(12);
  /** @internal */
  lastInitiationConsumed = -Infinity;
  /** @internal retransmission deadline and attempts of our initiation */
  retransmitAt = Infinity;
  handshakeAttempts = 0;
  /** @internal send a keepalive at this time unless something else is sent first */
  keepaliveAt = Infinity;
  /** @internal start a new handshake at this time unless a packet arrives first */
  newHandshakeAt = Infinity;
  /** @internal zero the keys at this time (3 × REJECT_AFTER_TIME after the last session) */
  zeroKeysAt = Infinity;
  /** @internal */
  lastSent = -Infinity;
  /** @internal a "last minute" handshake was started for the current initiator keypair */
  sentLastMinuteHandshake = false;
  /** @internal packets waiting for a session */
  staged: Uint8Array[] = [];
  readonly cookies: CookieGenerator;

  constructor(readonly publicKey: Uint8Array, now: () => number, cfg: PeerConfig<E>) {
    this.id = keyId(publicKey);
    this.endpoint = cfg.endpoint ?? null;
    this.persistentKeepalive = cfg.persistentKeepalive ?? 0;
    this.presharedKey = cfg.presharedKey ?? new Uint8Array(32);
    this.cookies = new CookieGenerator(publicKey, now);
  }

  /** A keypair we may send with: the current one, if young enough and not exhausted. */
  sendKeypair(now: number): Keypair | null {
    const kp = this.current;
    if (!kp) return null;
    if (now - kp.created >= REJECT_AFTER_TIME || kp.sendCounter >= REJECT_AFTER_MESSAGES) return null;
    return kp;
  }
}

/** What `receive` did with a message, for tests and stats. */
export type ReceiveResult =
  | 'initiation' | 'response' | 'cookie-reply' | 'cookie-sent' | 'data' | 'keepalive'
  | 'dropped';

export class Device<E> {
  readonly publicKey: Uint8Array;
  readonly mtu: number;
  /** Device-wide counters (cookie replies are sent before the sender's identity is known). */
  readonly counters = { cookieRepliesSent: 0, handshakeMessagesDropped: 0 };
  onPacket: ((packet: Uint8Array, peer: Peer<E>) => void) | null;
  private readonly privateKey: Uint8Array;
  private readonly bind: Bind<E>;
  private readonly clock: Clock;
  private readonly peers = new Map<string, Peer<E>>();
  private readonly routes = new AllowedIPs<Peer<E>>();
  /** Receiver index → the peer and, for sessions, the keypair. */
  private readonly indices = new Map<number, { peer: Peer<E>; keypair: Keypair | null }>();
  private readonly cookieChecker: CookieChecker;
  private readonly underLoadFn: () => boolean;
  private readonly handshakeTimes: number[] = [];
  private readonly loadThreshold: number;
  private timer: unknown = null;
  private readonly log: (msg: string) => void;
  private closed = false;

  constructor(o: DeviceOptions<E>) {
    this.privateKey = o.privateKey;
    this.publicKey = publicKey(o.privateKey);
    this.bind = o.bind;
    this.clock = o.clock ?? systemClock;
    this.mtu = o.mtu ?? TAILSCALE_MTU;
    this.onPacket = o.onPacket ?? null;
    this.log = o.log ?? (() => {});
    this.loadThreshold = o.handshakesPerSecondUnderLoad ?? 200;
    this.underLoadFn = o.underLoad ?? (() => this.recentHandshakes() > this.loadThreshold);
    this.cookieChecker = new CookieChecker(this.publicKey, () => this.clock.now());
    if (o.autoTimers ?? true) {
      // 100 ms granularity is well inside the jitter WireGuard adds to its 5 s retry timer.
      const t: unknown = setInterval(() => this.tick(), 100);
      (t as { unref?: () => void }).unref?.();
      this.timer = t;
    }
  }

  // ---- configuration ----

  /** Add or update a peer (as `wg set peer`); allowed IPs given replace the old ones. */
  setPeer(cfg: PeerConfig<E>): Peer<E> {
    const id = keyId(cfg.publicKey);
    let p = this.peers.get(id);
    if (!p) {
      p = new Peer<E>(cfg.publicKey.slice(), () => this.clock.now(), cfg);
      this.peers.set(id, p);
    } else {
      if (cfg.endpoint !== undefined) p.endpoint = cfg.endpoint;
      if (cfg.persistentKeepalive !== undefined) p.persistentKeepalive = cfg.persistentKeepalive;
      if (cfg.presharedKey) p.presharedKey = cfg.presharedKey;
    }
    if (cfg.allowedIPs) {
      this.routes.removeValue(p);
      for (const pre of cfg.allowedIPs) this.routes.insert(pre, p);
    }
    return p;
  }

  removePeer(pub: Uint8Array): void {
    const p = this.peers.get(keyId(pub));
    if (!p) return;
    this.routes.removeValue(p);
    this.zeroKeys(p);
    this.peers.delete(p.id);
  }

  peer(pub: Uint8Array): Peer<E> | undefined {
    return this.peers.get(keyId(pub));
  }

  allPeers(): Peer<E>[] {
    return [...this.peers.values()];
  }

  allowedIPs(p: Peer<E>): Prefix[] {
    return this.routes.prefixesOf(p);
  }

  /** The peer that owns `addr` (4 or 16 bytes) by longest-prefix match. */
  route(addr: Uint8Array): Peer<E> | null {
    return this.routes.lookup(addr);
  }

  close(): void {
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer as ReturnType<typeof setInterval>);
    this.timer = null;
    for (const p of this.peers.values()) this.zeroKeys(p);
  }

  // ---- sending ----

  /**
   * Send an IP packet to the peer that owns its destination. False when no peer does (the
   * stack answers EHOSTUNREACH / ICMP unreachable) or the packet is not IP.
   */
  send(packet: Uint8Array): boolean {
    if (this.closed) return false;
    const dst = ipDestination(packet);
    if (!dst) return false;
    const peer = this.routes.lookup(dst);
    if (!peer) return false;
    this.stage(peer, packet);
    this.flush(peer);
    return true;
  }

  /** Send `packet` to `peer` regardless of its destination address (used for keepalives too). */
  sendToPeer(peer: Peer<E>, packet: Uint8Array): void {
    this.stage(peer, packet);
    this.flush(peer);
  }

  private stage(peer: Peer<E>, packet: Uint8Array): void {
    if (peer.staged.length >= MAX_STAGED_PACKETS) peer.staged.shift();
    peer.staged.push(packet);
  }

  /** Encrypt and send staged packets if a session allows, else start a handshake. */
  private flush(peer: Peer<E>): void {
    const now = this.clock.now();
    const kp = peer.sendKeypair(now);
    if (!kp || peer.endpoint === null) {
      if (peer.endpoint !== null) this.initiateHandshake(peer, false);
      return;
    }
    const batch = peer.staged;
    peer.staged = [];
    for (const pkt of batch) this.encryptAndSend(peer, kp, pkt, now);
    // Rekey initiated by the sender of the current session (paper §6.2).
    if (kp.isInitiator && (now - kp.created >= REKEY_AFTER_TIME || kp.sendCounter >= REKEY_AFTER_MESSAGES)) {
      this.initiateHandshake(peer, false);
    }
  }

  private encryptAndSend(peer: Peer<E>, kp: Keypair, pkt: Uint8Array, now: number): void {
    const padded = new Uint8Array(pkt.length + paddingSize(pkt.length, this.mtu));
    padded.set(pkt);
    const counter = kp.sendCounter++;
    const ct = aeadSeal(kp.sendKey, nonce96(counter), EMPTY, padded);
    const msg = new Uint8Array(TRANSPORT_HEADER_SIZE + ct.length);
    msg[0] = MSG_TRANSPORT;
    writeU32(msg, 4, kp.remoteIndex);
    new DataView(msg.buffer).setBigUint64(8, BigInt(counter), true);
    msg.set(ct, TRANSPORT_HEADER_SIZE);
    this.transmit(peer, msg, now);
    peer.stats.txPackets++;
    peer.stats.txBytes += pkt.length;
    if (pkt.length > 0) {
      // timersDataSent: expect an answer within KEEPALIVE + REKEY_TIMEOUT, else rehandshake.
      if (peer.newHandshakeAt === Infinity) peer.newHandshakeAt = now + KEEPALIVE_TIMEOUT + REKEY_TIMEOUT;
    }
  }

  private transmit(peer: Peer<E>, msg: Uint8Array, now: number): void {
    if (peer.endpoint === null) return;
    peer.lastSent = now;
    // Any authenticated packet sent cancels a pending passive keepalive.
    peer.keepaliveAt = Infinity;
    try {
      this.bind.send(msg, peer.endpoint);
    } catch (e) {
      this.log(`wireguard: send to ${shortKey(peer.publicKey)} failed: ${(e as Error).message}`);
    }
  }

  private sendKeepalive(peer: Peer<E>): void {
    if (peer.staged.length === 0) this.stage(peer, EMPTY);
    this.flush(peer);
  }

  // ---- handshake ----

  private newIndex(peer: Peer<E>, keypair: Keypair | null): number {
    for (;;) {
      const b = randomBytes(4);
      const idx = readU32(b, 0);
      if (idx !== 0 && !this.indices.has(idx)) {
        this.indices.set(idx, { peer, keypair });
        return idx;
      }
    }
  }

  /** Send a handshake initiation unless one was sent within REKEY_TIMEOUT (retries bypass that). */
  private initiateHandshake(peer: Peer<E>, retry: boolean): void {
    const now = this.clock.now();
    if (peer.endpoint === null) return;
    if (!retry) {
      if (now - peer.lastInitiationSent < REKEY_TIMEOUT) return;
      peer.handshakeAttempts = 0;
    }
    if (peer.hsLocalIndex) this.indices.delete(peer.hsLocalIndex);
    const hs = new HandshakeState({
      pattern: 'IKpsk2', initiator: true, prologue: PROLOGUE, protocolName: NOISE_CONSTRUCTION,
      staticPrivate: this.privateKey, remoteStaticPublic: peer.publicKey, psk: peer.presharedKey,
    });
    const body = hs.writeMessage(tai64n(now));
    const msg = new Uint8Array(INITIATION_SIZE);
    msg[0] = MSG_INITIATION;
    peer.hsLocalIndex = this.newIndex(peer, null);
    writeU32(msg, 4, peer.hsLocalIndex);
    msg.set(body, 8);
    peer.cookies.addMacs(msg);
    peer.hs = hs;
    peer.phase = 'initiation-sent';
    peer.lastInitiationSent = now;
    peer.retransmitAt = now + REKEY_TIMEOUT + Math.floor(Math.random() * REKEY_TIMEOUT_JITTER_MAX);
    peer.stats.handshakesInitiated++;
    this.transmit(peer, msg, now);
  }

  private recentHandshakes(): number {
    const now = this.clock.now();
    while (this.handshakeTimes.length && now - this.handshakeTimes[0] > 1000) this.handshakeTimes.shift();
    return this.handshakeTimes.length;
  }

  /**
   * mac1 always; under load also mac2, else answer with a cookie reply. Returns false when
   * the message must not be processed further.
   */
  private checkMacs(msg: Uint8Array, src: E): 'ok' | 'bad' | 'cookie' {
    if (!this.cookieChecker.checkMac1(msg)) return 'bad';
    this.handshakeTimes.push(this.clock.now());
    if (this.underLoadFn()) {
      const srcBytes = this.bind.endpointBytes(src);
      if (!this.cookieChecker.checkMac2(msg, srcBytes)) {
        const reply = this.cookieChecker.createReply(msg, readU32(msg, 4), srcBytes);
        this.counters.cookieRepliesSent++;
        try {
          this.bind.send(reply, src);
        } catch {
          /* best effort */
        }
        return 'cookie';
      }
    }
    return 'ok';
  }

  private consumeInitiation(msg: Uint8Array, src: E): ReceiveResult {
    const macs = this.checkMacs(msg, src);
    if (macs !== 'ok') return macs === 'cookie' ? 'cookie-sent' : 'dropped';
    const now = this.clock.now();
    const hs = new HandshakeState({
      pattern: 'IKpsk2', initiator: false, prologue: PROLOGUE, protocolName: NOISE_CONSTRUCTION,
      staticPrivate: this.privateKey,
    });
    let ts: Uint8Array;
    try {
      ts = hs.readMessage(msg.subarray(8, INITIATION_SIZE - 32));
    } catch (e) {
      if (e instanceof NoiseError) return 'dropped';
      throw e;
    }
    const peer = this.peers.get(keyId(hs.rs!));
    if (!peer || ts.length !== 12) return 'dropped';
    // Replay and flood protection (paper §5.1): strictly increasing timestamps, at most one
    // initiation per HANDSHAKE_INITIATION_RATE.
    if (!timestampAfter(ts, peer.lastTimestamp)) return 'dropped';
    if (now - peer.lastInitiationConsumed < HANDSHAKE_INITIATION_RATE) return 'dropped';
    peer.lastTimestamp = ts.slice();
    peer.lastInitiationConsumed = now;
    peer.endpoint = src;
    hs.psk = peer.presharedKey;

    // Respond: <- e, ee, se, psk, {}.
    const body = hs.writeMessage(EMPTY);
    const senderIndex = readU32(msg, 4);
    if (peer.hsLocalIndex) this.indices.delete(peer.hsLocalIndex);
    peer.hs = null;
    peer.phase = 'none';
    peer.hsLocalIndex = 0;
    peer.retransmitAt = Infinity;
    const { send, recv } = hs.split();
    const localIndex = this.newIndex(peer, null);
    const kp = new Keypair(send.k!, recv.k!, false, now, localIndex, senderIndex);
    this.indices.set(localIndex, { peer, keypair: kp });
    const resp = new Uint8Array(RESPONSE_SIZE);
    resp[0] = MSG_RESPONSE;
    writeU32(resp, 4, localIndex);
    writeU32(resp, 8, senderIndex);
    resp.set(body, 12);
    peer.cookies.addMacs(resp);
    // The responder may not send until the initiator's first packet confirms the session.
    this.installKeypair(peer, kp);
    this.transmit(peer, resp, now);
    return 'initiation';
  }

  private consumeResponse(msg: Uint8Array, src: E): ReceiveResult {
    const macs = this.checkMacs(msg, src);
    if (macs !== 'ok') return macs === 'cookie' ? 'cookie-sent' : 'dropped';
    const entry = this.indices.get(readU32(msg, 8));
    if (!entry || entry.keypair) return 'dropped';
    const peer = entry.peer;
    if (peer.phase !== 'initiation-sent' || !peer.hs) return 'dropped';
    const hs = peer.hs;
    try {
      const payload = hs.readMessage(msg.subarray(12, RESPONSE_SIZE - 32));
      if (payload.length !== 0) return 'dropped';
    } catch (e) {
      // A failed read leaves the Noise state half-advanced: this initiation is spent.
      if (e instanceof NoiseError) {
        peer.hs = null;
        peer.phase = 'none';
        return 'dropped';
      }
      throw e;
    }
    const now = this.clock.now();
    const { send, recv } = hs.split();
    const localIndex = peer.hsLocalIndex;
    const kp = new Keypair(send.k!, recv.k!, true, now, localIndex, readU32(msg, 4));
    this.indices.set(localIndex, { peer, keypair: kp });
    peer.hs = null;
    peer.phase = 'none';
    peer.hsLocalIndex = 0;
    peer.retransmitAt = Infinity;
    peer.handshakeAttempts = 0;
    peer.endpoint = src;
    this.installKeypair(peer, kp);
    this.authenticatedReceive(peer, now);
    // Confirm the session to the responder right away (wireguard-go sends a keepalive).
    this.sendKeepalive(peer);
    return 'response';
  }

  /**
   * Keypair rotation (wireguard-go BeginSymmetricSession): an initiator's new session becomes
   * current at once; a responder's waits in `next` until the initiator's first packet.
   */
  private installKeypair(peer: Peer<E>, kp: Keypair): void {
    const now = this.clock.now();
    if (kp.isInitiator) {
      if (peer.next) {
        this.dropKeypair(peer.previous);
        peer.previous = peer.next;
        peer.next = null;
        this.dropKeypair(peer.current);
      } else {
        this.dropKeypair(peer.previous);
        peer.previous = peer.current;
      }
      peer.current = kp;
      peer.sentLastMinuteHandshake = false;
    } else {
      this.dropKeypair(peer.next);
      peer.next = kp;
      this.dropKeypair(peer.previous);
      peer.previous = null;
    }
    peer.stats.lastHandshake = now;
    peer.stats.handshakesCompleted++;
    peer.zeroKeysAt = now + REJECT_AFTER_TIME * 3;
  }

  private dropKeypair(kp: Keypair | null): void {
    if (kp) this.indices.delete(kp.localIndex);
  }

  private zeroKeys(peer: Peer<E>): void {
    this.dropKeypair(peer.current);
    this.dropKeypair(peer.previous);
    this.dropKeypair(peer.next);
    if (peer.hsLocalIndex) this.indices.delete(peer.hsLocalIndex);
    peer.current = peer.previous = peer.next = null;
    peer.hs = null;
    peer.phase = 'none';
    peer.hsLocalIndex = 0;
    peer.retransmitAt = Infinity;
    peer.zeroKeysAt = Infinity;
  }

  private consumeCookieReply(msg: Uint8Array): ReceiveResult {
    if (msg.length !== COOKIE_REPLY_SIZE) return 'dropped';
    const entry = this.indices.get(readU32(msg, 4));
    if (!entry) return 'dropped';
    if (!entry.peer.cookies.consumeReply(msg)) return 'dropped';
    entry.peer.stats.cookieRepliesReceived++;
    return 'cookie-reply';
  }

  private authenticatedReceive(peer: Peer<E>, now: number): void {
    // timersAnyAuthenticatedPacketReceived: the peer is alive.
    peer.newHandshakeAt = Infinity;
    void now;
  }

  private consumeTransport(msg: Uint8Array, src: E): ReceiveResult {
    if (msg.length < TRANSPORT_MIN_SIZE) return 'dropped';
    const entry = this.indices.get(readU32(msg, 4));
    if (!entry || !entry.keypair) return 'dropped';
    const { peer, keypair: kp } = entry;
    const now = this.clock.now();
    if (now - kp.created >= REJECT_AFTER_TIME) return 'dropped';
    const counterBig = new DataView(msg.buffer, msg.byteOffset, msg.byteLength).getBigUint64(8, true);
    if (counterBig >= REJECT_AFTER_MESSAGES_N) return 'dropped';
    // Counters stay far below 2^53 (a rekey every 2^60 messages would take centuries at line
    // rate), so a number is exact for the replay window.
    const counter = Number(counterBig);
    const pt = aeadOpen(kp.recvKey, nonce96(counterBig), EMPTY, msg.subarray(TRANSPORT_HEADER_SIZE));
    if (!pt) return 'dropped';
    if (!kp.replay.validate(counter, Number.MAX_SAFE_INTEGER)) return 'dropped';
    peer.endpoint = src;
    if (kp === peer.next) {
      // The initiator used the new session: it becomes current (ReceivedWithKeypair).
      this.dropKeypair(peer.previous);
      peer.previous = peer.current;
      peer.current = kp;
      peer.next = null;
      if (peer.staged.length) this.flush(peer);
    }
    this.authenticatedReceive(peer, now);
    // Last-minute rekey by the initiator before its session expires (paper §6.2).
    if (kp.isInitiator && kp === peer.current && !peer.sentLastMinuteHandshake &&
        now - kp.created >= REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT) {
      peer.sentLastMinuteHandshake = true;
      this.initiateHandshake(peer, false);
    }
    peer.stats.rxPackets++;
    if (pt.length === 0) return 'keepalive';
    const len = ipLength(pt);
    if (len === 0 || len > pt.length) return 'dropped';
    const packet = pt.subarray(0, len);
    const srcAddr = ipSource(packet);
    if (!srcAddr || this.routes.lookup(srcAddr) !== peer) {
      this.log(`wireguard: packet from ${shortKey(peer.publicKey)} with a source it may not use`);
      return 'dropped';
    }
    peer.stats.rxBytes += len;
    // timersDataReceived: answer within KEEPALIVE_TIMEOUT, with a keepalive if nothing else.
    if (peer.keepaliveAt === Infinity) peer.keepaliveAt = now + KEEPALIVE_TIMEOUT;
    try {
      this.onPacket?.(packet, peer);
    } catch (e) {
      this.log(`wireguard: packet handler threw: ${(e as Error).message}`);
    }
    return 'data';
  }

  /** Feed an encrypted message from the bind. Never throws for bad input. */
  receive(msg: Uint8Array, src: E): ReceiveResult {
    if (this.closed) return 'dropped';
    switch (messageType(msg)) {
      case MSG_INITIATION:
        return msg.length === INITIATION_SIZE ? this.consumeInitiation(msg, src) : 'dropped';
      case MSG_RESPONSE:
        return msg.length === RESPONSE_SIZE ? this.consumeResponse(msg, src) : 'dropped';
      case MSG_COOKIE_REPLY:
        return this.consumeCookieReply(msg);
      case MSG_TRANSPORT:
        return this.consumeTransport(msg, src);
      default:
        return 'dropped';
    }
  }

  // ---- timers ----

  /** Run every timer that is due (WireGuard paper §6; wireguard-go timers.go). */
  tick(): void {
    if (this.closed) return;
    const now = this.clock.now();
    for (const peer of this.peers.values()) {
      if (now >= peer.zeroKeysAt) {
        this.zeroKeys(peer);
        peer.staged = [];
        continue;
      }
      if (peer.phase === 'initiation-sent' && now >= peer.retransmitAt) {
        if (peer.handshakeAttempts >= MAX_TIMER_HANDSHAKES) {
          // Give up after REKEY_ATTEMPT_TIME; drop what was waiting.
          this.log(`wireguard: handshake with ${shortKey(peer.publicKey)} gave up after ${MAX_TIMER_HANDSHAKES + 1} attempts`);
          peer.phase = 'none';
          peer.hs = null;
          peer.retransmitAt = Infinity;
          peer.staged = [];
          peer.newHandshakeAt = Infinity;
        } else {
          peer.handshakeAttempts++;
          this.initiateHandshake(peer, true);
        }
      }
      if (now >= peer.keepaliveAt) {
        peer.keepaliveAt = Infinity;
        if (peer.sendKeypair(now)) this.sendKeepalive(peer);
      }
      if (now >= peer.newHandshakeAt) {
        peer.newHandshakeAt = Infinity;
        this.initiateHandshake(peer, false);
      }
      if (peer.persistentKeepalive > 0 && now - peer.lastSent >= peer.persistentKeepalive * 1000 && peer.endpoint !== null) {
        this.sendKeepalive(peer);
      }
      // A session we initiated that is too old to send with: rekey if traffic is waiting.
      if (peer.staged.length && !peer.sendKeypair(now) && peer.phase !== 'initiation-sent') this.flush(peer);
    }
  }
}

/** Padding to a multiple of 16, never past the MTU (wireguard-go calculatePaddingSize). */
export function paddingSize(len: number, mtu: number): number {
  let last = len;
  if (mtu === 0) return (PADDING_MULTIPLE - (last % PADDING_MULTIPLE)) % PADDING_MULTIPLE;
  if (last > mtu) last %= mtu;
  const padded = Math.min(Math.ceil(last / PADDING_MULTIPLE) * PADDING_MULTIPLE, mtu);
  return padded - last;
}

/** Total length from the IP header; 0 when it is not an IPv4/IPv6 packet. */
export function ipLength(p: Uint8Array): number {
  if (p.length < 1) return 0;
  const v = p[0] >> 4;
  if (v === 4 && p.length >= 20) return (p[2] << 8) | p[3];
  if (v === 6 && p.length >= 40) return 40 + ((p[4] << 8) | p[5]);
  return 0;
}

export function ipSource(p: Uint8Array): Uint8Array | null {
  const v = p[0] >> 4;
  if (v === 4 && p.length >= 20) return p.subarray(12, 16);
  if (v === 6 && p.length >= 40) return p.subarray(8, 24);
  return null;
}

export function ipDestination(p: Uint8Array): Uint8Array | null {
  if (p.length < 1) return null;
  const v = p[0] >> 4;
  if (v === 4 && p.length >= 20) return p.subarray(16, 20);
  if (v === 6 && p.length >= 40) return p.subarray(24, 40);
  return null;
}
