/**
 * An in-memory link between two IpStacks with deterministic, seeded impairment: loss,
 * duplication, reordering (random extra delay), fixed delay and bit corruption, scheduled on
 * the stacks' clock (a ManualClock in tests, so a lossy transfer runs in simulated time).
 * This is test plumbing, not a fake of anything real: the stacks on both ends are the real code.
 */
import type { Clock } from '../../src/net/ip/clock.js';
import type { PacketLink } from '../../src/net/ip/stack.js';

export interface Impairment {
  /** Probability that a packet is lost, duplicated, delayed by up to `reorderMs` more, or has a bit flipped. */
  loss?: number;
  duplicate?: number;
  reorder?: number;
  corrupt?: number;
  delayMs?: number;
  reorderMs?: number;
  /** Serialisation rate in bytes per ms (packets queue behind each other); unlimited when absent. */
  bytesPerMs?: number;
  /** Bytes the queue holds before it drops (tail drop), with bytesPerMs. */
  queueBytes?: number;
}

/** mulberry32: a small seeded PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Wire extends PacketLink {
  /** Impairment of packets this end sends; change it at any time. */
  impair: Impairment;
  /** Cut the wire: everything sent is lost. */
  down: boolean;
  sent: number;
  /** Every packet this end sends, when set (tests inspect them). */
  tap: ((p: Uint8Array) => void) | null;
}

export function linkPair(clock: Clock, mtu: number, seed: number, ab: Impairment = {}, ba: Impairment = {}): [Wire, Wire] {
  const rand = rng(seed);
  const mk = (impair: Impairment): Wire & { peer: Wire | null; busyUntil: number; queued: number } => ({
    mtu, impair, down: false, sent: 0, tap: null, onPacket: null, peer: null, busyUntil: 0, queued: 0,
    send(p: Uint8Array) {
      this.sent++;
      this.tap?.(p);
      if (p.length > mtu) throw new Error(`packet of ${p.length} bytes exceeds the link MTU ${mtu}`);
      const im = this.impair;
      if (this.down || rand() < (im.loss ?? 0)) return;
      let delay = im.delayMs ?? 0;
      if (im.bytesPerMs) {
        const now = clock.now();
        if (im.queueBytes && this.queued + p.length > im.queueBytes) return;
        this.busyUntil = Math.max(this.busyUntil, now) + p.length / im.bytesPerMs;
        this.queued += p.length;
        const len = p.length;
        clock.setTimer(() => { this.queued -= len; }, this.busyUntil - now);
        delay += this.busyUntil - now;
      }
      const copies = rand() < (im.duplicate ?? 0) ? 2 : 1;
      for (let i = 0; i < copies; i++) {
        let q = p;
        if (rand() < (im.corrupt ?? 0)) { q = p.slice(); const bit = Math.floor(rand() * q.length * 8); q[bit >> 3] ^= 1 << (bit & 7); }
        const extra = rand() < (im.reorder ?? 0) ? rand() * (im.reorderMs ?? 10) : 0;
        const peer = this.peer!;
        clock.setTimer(() => peer.onPacket?.(q), delay + extra);
      }
    },
  });
  const a = mk(ab), b = mk(ba);
  a.peer = b; b.peer = a;
  return [a, b];
}
