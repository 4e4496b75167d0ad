/**
 * Anti-replay sliding window for transport counters (RFC 6479 §2, as wireguard-go
 * replay/replay.go): a ring of bit blocks; the window is (blocks − 1) × block bits wide, so
 * the newest block can be cleared as the window slides without losing history inside the
 * window. 256 blocks of 32 bits → an 8160-counter window (wireguard-go: 128 × 64 − 64 = 8128).
 */
const BLOCK_BITS = 32;
const RING_BLOCKS = 256;
export const REPLAY_WINDOW = (RING_BLOCKS - 1) * BLOCK_BITS;

export class ReplayFilter {
  private last = -1;
  private readonly ring = new Uint32Array(RING_BLOCKS);

  reset(): void {
    this.last = -1;
    this.ring.fill(0);
  }

  /**
   * Accept `counter` (a safe integer: Tailscale rekeys long before 2^53 messages) if it was
   * not seen and is not older than the window; mark it seen. Call only after the packet
   * authenticated, so forged packets cannot move the window.
   */
  validate(counter: number, limit: number): boolean {
    if (counter >= limit) return false;
    let index = Math.floor(counter / BLOCK_BITS);
    if (counter > this.last) {
      const current = this.last < 0 ? -1 : Math.floor(this.last / BLOCK_BITS);
      const diff = Math.min(index - current, RING_BLOCKS);
      for (let i = 1; i <= diff; i++) this.ring[(current + i) % RING_BLOCKS] = 0;
      this.last = counter;
    } else if (this.last - counter > REPLAY_WINDOW) {
      return false;
    }
    index %= RING_BLOCKS;
    const bit = 1 << (counter % BLOCK_BITS);
    if (this.ring[index] & bit) return false;
    this.ring[index] |= bit;
    return true;
  }
}
