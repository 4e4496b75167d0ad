/**
 * Small applications over the NetStack contract for tests and the bench: send a buffer and
 * shut down, read to EOF hashing what arrives, optionally slowly (one read every few ms on
 * the stack's clock).
 */
import { createHash, type Hash } from 'node:crypto';
import type { StreamConn } from '../../src/engine/net/stack.js';
import type { Clock } from '../../src/net/ip/clock.js';

export interface Drive {
  sent: number;
  received: number;
  /** Read returned 0 (EOF). */
  eof: boolean;
  /** An error from read/write/SO_ERROR (positive errno). */
  error: number;
  sha256(): string;
  /** The first bytes received (up to 64 KiB), for small exchanges. */
  head(): Uint8Array;
  /** Send more (appended to what is pending). */
  write(data: Uint8Array, shutdownAfter?: boolean): void;
  /** Re-check the connection (as after a readiness change). */
  kick(): void;
}

export interface DriveOpts {
  send?: Uint8Array;
  /** shutdown(SHUT_WR) once everything is written (default true when `send` is given). */
  shutdown?: boolean;
  /** Read at most this many bytes per `readEveryMs` (a slow reader); needs clock. */
  readBytes?: number;
  readEveryMs?: number;
  clock?: Clock;
  /** Do not read at all (until kick after setting read = true). */
  noRead?: boolean;
}

export function drive(conn: StreamConn, o: DriveOpts = {}): Drive & { read: boolean } {
  const hash: Hash = createHash('sha256');
  const head: Uint8Array[] = [];
  let headBytes = 0;
  let pending: Uint8Array[] = o.send ? [o.send] : [];
  let shutdownAfter = o.shutdown ?? o.send !== undefined;
  let shut = false;
  let busy = false, again = false;
  const buf = new Uint8Array(65536);
  let slowBudget = o.readBytes ?? Infinity;
  const d = {
    sent: 0, received: 0, eof: false, error: 0, read: !o.noRead,
    sha256: () => hash.copy().digest('hex'),
    head: () => { const out = new Uint8Array(headBytes); let p = 0; for (const h of head) { out.set(h, p); p += h.length; } return out; },
    write(data: Uint8Array, sa = false) { pending.push(data); shutdownAfter = sa; step(); },
    kick: () => step(),
  };
  const step = (): void => {
    if (busy) { again = true; return; }
    busy = true;
    do {
      again = false;
      if (conn.state === 'connecting') break;
      const e = conn.takeError();
      if (e) { d.error ||= e; }
      while (pending.length) {
        const n = conn.write(pending[0]);
        if (n < 0) { if (n !== -11) d.error ||= -n; if (n !== -11) pending = []; break; }
        d.sent += n;
        if (n === pending[0].length) pending.shift(); else { pending[0] = pending[0].subarray(n); break; }
      }
      if (!pending.length && shutdownAfter && !shut && conn.state !== 'closed') { shut = true; conn.shutdown(1); }
      while (d.read && !d.eof) {
        const room = Math.min(buf.length, slowBudget);
        if (room <= 0) break;
        const n = conn.read(buf.subarray(0, room));
        if (n === 0) { d.eof = true; break; }
        if (n < 0) { if (n !== -11) { d.error ||= -n; d.eof = true; } break; }
        const chunk = buf.subarray(0, n);
        hash.update(chunk);
        if (headBytes < 65536) { head.push(chunk.slice()); headBytes += n; }
        d.received += n;
        if (o.readBytes !== undefined) slowBudget -= n;
      }
    } while (again);
    busy = false;
  };
  if (o.readBytes !== undefined && o.clock) {
    const clock = o.clock;
    const tick = () => { slowBudget = o.readBytes!; step(); if (!d.eof && !d.error) clock.setTimer(tick, o.readEveryMs ?? 10); };
    clock.setTimer(tick, o.readEveryMs ?? 10);
  }
  conn.onChange = step;
  step();
  return d;
}

/** Deterministic pseudo-random bytes (a xorshift stream), so both ends can hash the same data. */
export function pattern(len: number, seed: number): Uint8Array {
  const out = new Uint8Array(len);
  let x = seed | 1;
  for (let i = 0; i < len; i += 4) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    out[i] = x; out[i + 1] = x >>> 8; out[i + 2] = x >>> 16; out[i + 3] = x >>> 24;
  }
  return out;
}

export function sha256(b: Uint8Array): string { return createHash('sha256').update(b).digest('hex'); }
