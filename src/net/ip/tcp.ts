/**
 * One TCP connection: the RFC 9293 state machine with
 * - retransmission timeout per RFC 6298 (SRTT/RTTVAR, Karn's algorithm through a single
 *   timed segment, exponential backoff), minimum 200 ms as Linux (TCP_RTO_MIN), maximum 120 s;
 * - NewReno congestion control (RFC 5681 slow start and congestion avoidance with
 *   appropriate byte counting, RFC 6582 fast retransmit / fast recovery on 3 duplicate ACKs),
 *   initial window 10 segments (RFC 6928, Linux's default);
 * - flow control with window scaling (RFC 7323 §2), receiver and sender silly-window
 *   avoidance (RFC 9293 §3.8.6.2), Nagle (§3.7.4) unless TCP_NODELAY;
 * - zero-window probing and keepalive as Linux does them: an ACK whose sequence number is
 *   SND.UNA - 1, which the peer must answer with an ACK (tcp_xmit_probe_skb);
 * - delayed ACK: every second full-sized segment is acknowledged at once, otherwise after
 *   40 ms (Linux's TCP_ATO_MIN); the first 16 segments, out-of-order segments and FIN are
 *   acknowledged at once (Linux's quickack mode);
 * - an out-of-order queue; RST checks and challenge ACKs per RFC 5961 §3-4;
 * - TIME-WAIT shortened to 2 s (RFC 9293 says 2 MSL = 4 min; Linux uses 60 s): the stack's
 *   ephemeral ports are chosen to avoid recent 4-tuples, so the long wait buys little here.
 * Not implemented: SACK, timestamps/PAWS, urgent data (URG is ignored, its bytes are
 * ordinary data), TCP Fast Open, ECN.
 */
import type { InetAddr, SockOpts, StreamConn, Watched } from '../../engine/net/stack.js';
import { EAGAIN, ECONNREFUSED, ECONNRESET, EPIPE, ETIMEDOUT } from '../../engine/linux/errno.js';
import { checksum, pseudoSum } from './checksum.js';
import type { Clock } from './clock.js';
import { Timer } from './clock.js';
import { PROTO_TCP } from './packet.js';
import { ByteRing } from './ring.js';
import {
  ACK, FIN, PSH, RST, SYN, TCP_HEADER, seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt, synOptions, writeHeader, type Segment,
} from './tcp-segment.js';

export const enum St { Closed, SynSent, SynReceived, Established, FinWait1, FinWait2, CloseWait, Closing, LastAck, TimeWait }
export const STATE_NAMES = ['CLOSED', 'SYN-SENT', 'SYN-RECEIVED', 'ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2', 'CLOSE-WAIT', 'CLOSING', 'LAST-ACK', 'TIME-WAIT'];

/** Tunables, with Linux's defaults where Linux has one. */
export interface TcpParams {
  /** SO_RCVBUF / SO_SNDBUF default in bytes. */
  rcvBuf: number;
  sndBuf: number;
  timeWaitMs: number;
  /** tcp_syn_retries (6) and tcp_retries2 (15). */
  synRetries: number;
  retries: number;
  /** tcp_keepalive_time 7200 s, tcp_keepalive_intvl 75 s, tcp_keepalive_probes 9. */
  keepIdleMs: number;
  keepIntvlMs: number;
  keepCnt: number;
  /** tcp_fin_timeout: how long an orphaned connection stays in FIN-WAIT-2 (60 s). */
  finTimeoutMs: number;
  rtoMinMs: number;
  rtoMaxMs: number;
  rtoInitialMs: number;
  delAckMs: number;
}

export const DEFAULT_TCP: TcpParams = {
  rcvBuf: 1 << 20, sndBuf: 1 << 20, timeWaitMs: 2000, synRetries: 6, retries: 15,
  keepIdleMs: 7_200_000, keepIntvlMs: 75_000, keepCnt: 9, finTimeoutMs: 60_000,
  rtoMinMs: 200, rtoMaxMs: 120_000, rtoInitialMs: 1000, delAckMs: 40,
};

/** What a connection needs from its stack. */
export interface TcpHost {
  readonly clock: Clock;
  readonly params: TcpParams;
  /** Bytes of IP header in front of a segment. */
  ipHeaderLen(v6: boolean): number;
  /** Fill in the IP header of `pkt` (whose segment starts at ipHeaderLen) and send it. */
  sendTcp(conn: TcpConn, pkt: Uint8Array): void;
  /** The connection reached CLOSED: forget its 4-tuple. */
  release(conn: TcpConn): void;
  /** A passive connection completed its handshake. */
  established(conn: TcpConn): void;
  /** Whether the listener of a passive connection has no room in its accept queue. */
  acceptQueueFull(conn: TcpConn): boolean;
  /** Call the watcher's onChange now or, inside packet processing, when it ends. */
  wake(w: Watched): void;
  /** An initial sequence number for the connection's 4-tuple (RFC 6528). */
  isn(conn: TcpConn): number;
}

const QUICKACK_SEGMENTS = 16;

interface OooSeg { seq: number; data: Uint8Array; fin: boolean }

export class TcpConn implements StreamConn {
  onChange: (() => void) | null = null;
  st: St = St.Closed;
  readonly local: InetAddr;
  readonly remote: InetAddr;

  // Send sequence space (RFC 9293 §3.3.1). sndBuf holds the bytes from SND.UNA on (after the SYN).
  private iss = 0;
  private sndUna = 0;
  private sndNxt = 0;
  /** Highest SND.NXT so far: after a timeout SND.NXT goes back to SND.UNA (go-back-N). */
  private sndMax = 0;
  private sndWnd = 0;
  private maxSndWnd = 0;
  private sndWl1 = 0;
  private sndWl2 = 0;
  private sndScale = 0;
  private readonly sndBuf: ByteRing;
  private finQueued = false;

  // Receive sequence space.
  private irs = 0;
  private rcvNxt = 0;
  /** Right edge of the window last advertised: it never moves left (RFC 9293 §3.8.6.2.2). */
  private rcvAdvEdge = 0;
  private rcvScale = 0;
  private readonly rcvBuf: ByteRing;
  private ooo: OooSeg[] = [];
  private oooBytes = 0;
  private finRcvd = false;

  /** Segment size we send (peer's MSS option, bounded by our MTU) and the one we advertise. */
  mss: number;
  private readonly ourMss: number;

  // RFC 6298.
  private srtt = 0;
  private rttvar = 0;
  private rto: number;
  private timing = false;
  private rttSeq = 0;
  private rttStart = 0;
  private retries = 0;

  // RFC 5681 / 6582.
  cwnd = 0;
  ssthresh = 0x7fffffff;
  private dupAcks = 0;
  private inRecovery = false;
  private recover = 0;
  private bytesAckedCa = 0;

  // Delayed ACK: bytes received and not yet acknowledged; the largest segment seen (Linux's rcv_mss).
  private ackPending = 0;
  private rcvMss = 536;
  private quickAcks = QUICKACK_SEGMENTS;

  private readonly rtxTimer: Timer;
  private readonly delAckTimer: Timer;
  private readonly persistTimer: Timer;
  private readonly keepTimer: Timer;
  private readonly waitTimer: Timer;
  private persistBackoff = 0;
  private keepProbes = 0;
  private lastRecv = 0;

  private noDelay = false;
  private keepAlive = false;
  private shutRd = false;
  private shutWr = false;
  /** close() was called: nobody will read, so arriving data resets the connection. */
  private orphan = false;
  private error = 0;
  /** An ICMP error seen while connected (Linux's sk_err_soft), reported if the connection then times out. */
  private softError = 0;
  /** The listener a passive connection belongs to until accept(). */
  listener: unknown = null;

  constructor(private readonly host: TcpHost, readonly v6: boolean, readonly localAddr: Uint8Array, readonly localPort: number,
    readonly remoteAddr: Uint8Array, readonly remotePort: number, family: 2 | 10, mtu: number, opts: SockOpts) {
    const view = (a: Uint8Array) => (family === 10 && !v6 ? v4Mapped(a) : a);
    this.local = { family, addr: view(localAddr), port: localPort };
    this.remote = { family, addr: view(remoteAddr), port: remotePort };
    const p = host.params;
    this.rcvBuf = new ByteRing(opts.rcvBuf ? opts.rcvBuf : p.rcvBuf);
    this.sndBuf = new ByteRing(opts.sndBuf ? opts.sndBuf : p.sndBuf);
    this.ourMss = mtu - host.ipHeaderLen(v6) - TCP_HEADER;
    // RFC 9293 §3.7.1: without an MSS option the peer takes 536 (IPv4) or 1220 (IPv6).
    this.mss = Math.min(this.ourMss, v6 ? 1220 : 536);
    this.rto = p.rtoInitialMs;
    const c = host.clock;
    this.rtxTimer = new Timer(c, () => this.onRtxTimeout());
    this.delAckTimer = new Timer(c, () => { if (this.ackPending) this.sendAck(); });
    this.persistTimer = new Timer(c, () => this.onPersist());
    this.keepTimer = new Timer(c, () => this.onKeepalive());
    this.waitTimer = new Timer(c, () => this.onWaitTimeout());
    this.setOptions(opts);
    // Our window scale: the smallest shift that lets the largest receive buffer be advertised (RFC 7323 §2.3).
    while ((this.rcvBuf.capacity >> this.rcvScale) > 0xffff && this.rcvScale < 14) this.rcvScale++;
  }

  // ---- StreamConn -------------------------------------------------------------------------

  get state(): 'connecting' | 'connected' | 'closed' {
    if (this.st === St.SynSent || this.st === St.SynReceived) return 'connecting';
    return this.st === St.Closed || this.st === St.TimeWait ? 'closed' : 'connected';
  }

  get eof(): boolean { return this.rcvBuf.length === 0 && (this.finRcvd || this.shutRd || this.st === St.Closed || this.st === St.TimeWait); }

  readable(): number { return this.shutRd ? 0 : this.rcvBuf.length; }

  read(buf: Uint8Array, peek = false): number {
    const n = Math.min(buf.length, this.readable());
    if (n === 0) {
      if (this.error) return -this.takeError();
      if (this.eof) return 0;
      return -EAGAIN;
    }
    this.rcvBuf.copy(0, n, buf, 0);
    if (!peek) { this.rcvBuf.drop(n); this.windowOpened(); }
    return n;
  }

  writable(): number {
    if (this.st !== St.Established && this.st !== St.CloseWait) return 0;
    return this.shutWr ? 0 : this.sndBuf.free;
  }

  write(data: Uint8Array): number {
    if (this.error) return -this.takeError();
    if (this.st === St.SynSent || this.st === St.SynReceived) return -EAGAIN;
    if (this.shutWr || (this.st !== St.Established && this.st !== St.CloseWait)) return -EPIPE;
    if (data.length === 0) return 0;
    const n = this.sndBuf.push(data);
    if (n === 0) return -EAGAIN;
    this.output();
    return n;
  }

  shutdown(how: 0 | 1 | 2): void {
    if (how !== 1) { this.shutRd = true; this.rcvBuf.drop(this.rcvBuf.length); }
    if (how !== 0 && !this.shutWr) {
      this.shutWr = true;
      this.queueFin();
    }
    this.host.wake(this);
  }

  close(lingerZero = false): void {
    this.orphan = true;
    this.onChange = null;
    if (this.st === St.Closed || this.st === St.TimeWait) return;
    if (this.st === St.SynSent) { this.finish(0); return; }
    // RFC 2525 §2.17 and Linux: closing with unread data, or SO_LINGER 0, resets the connection.
    if (lingerZero || this.rcvBuf.length > 0) {
      this.sendRst(this.sndMax);
      this.finish(0);
      return;
    }
    this.shutRd = true;
    if (!this.shutWr) { this.shutWr = true; this.queueFin(); }
    if (this.st === St.FinWait2) this.waitTimer.set(this.host.params.finTimeoutMs);
  }

  takeError(): number { const e = this.error; this.error = 0; return e; }

  setOptions(o: SockOpts): void {
    if (o.noDelay !== undefined) { this.noDelay = o.noDelay; if (o.noDelay) this.output(); }
    if (o.keepAlive !== undefined && o.keepAlive !== this.keepAlive) {
      this.keepAlive = o.keepAlive;
      if (o.keepAlive && this.st === St.Established) this.keepTimer.set(this.host.params.keepIdleMs);
      else this.keepTimer.clear(true);
    }
    if (o.rcvBuf) this.rcvBuf.setCapacity(o.rcvBuf);
    if (o.sndBuf) this.sndBuf.setCapacity(o.sndBuf);
  }

  // ---- Opening ----------------------------------------------------------------------------

  /** Active open: send SYN (RFC 9293 §3.10.1). */
  connect(): void {
    this.iss = this.host.isn(this);
    this.sndUna = this.iss;
    this.sndNxt = this.sndMax = this.recover = this.iss;
    this.st = St.SynSent;
    this.sendSyn();
  }

  /** Passive open from a SYN that reached a listener: reply SYN-ACK (§3.10.7.2). */
  acceptSyn(seg: Segment): void {
    this.irs = seg.seq;
    this.rcvNxt = this.rcvAdvEdge = seqAdd(seg.seq, 1);
    this.synOptionsFrom(seg);
    this.sndWnd = seg.window; // a SYN's window is never scaled
    this.maxSndWnd = this.sndWnd;
    this.sndWl1 = seg.seq;
    this.iss = this.host.isn(this);
    this.sndUna = this.iss;
    this.sndNxt = this.sndMax = this.recover = this.iss;
    this.st = St.SynReceived;
    this.sendSyn();
  }

  private synOptionsFrom(seg: Segment): void {
    if (seg.mss !== null) this.mss = Math.max(64, Math.min(this.ourMss, seg.mss));
    else this.mss = Math.min(this.ourMss, this.v6 ? 1220 : 536);
    if (seg.wscale !== null) this.sndScale = seg.wscale;
    else { this.sndScale = 0; this.rcvScale = 0; this.peerNoWscale = true; }
    this.cwnd = 10 * this.mss;
  }

  private peerNoWscale = false;

  private sendSyn(): void {
    // Offer window scaling in a SYN; in a SYN-ACK only when the peer offered it (RFC 7323 §2.2).
    const ws = this.st === St.SynSent || !this.peerNoWscale ? this.rcvScale : null;
    const flags = this.st === St.SynSent ? SYN : SYN | ACK;
    this.emit(this.iss, flags, null, 0, 0, synOptions(this.ourMss, ws));
    this.sndNxt = this.sndMax = seqAdd(this.iss, 1);
    if (!this.rtxTimer.armed) this.rtxTimer.set(this.rto);
    if (!this.timing && this.retries === 0) { this.timing = true; this.rttSeq = this.sndNxt; this.rttStart = this.host.clock.now(); }
  }

  // ---- Output -----------------------------------------------------------------------------

  /** The window to advertise, in bytes, with receiver SWS avoidance; moves rcvAdvEdge. */
  private windowToAdvertise(): number {
    const space = Math.max(0, this.rcvBuf.free - this.oooBytes);
    const current = Math.max(0, seqDiff(this.rcvAdvEdge, this.rcvNxt));
    let wnd = space;
    // Advertise an increase only when it is worth a segment or half the buffer (§3.8.6.2.2).
    if (wnd - current < Math.min(this.rcvBuf.capacity >> 1, this.mss)) wnd = current;
    wnd = Math.min(wnd, 0xffff << this.rcvScale);
    wnd = (wnd >> this.rcvScale) << this.rcvScale;
    if (wnd < current) wnd = current; // never shrink the window
    this.rcvAdvEdge = seqAdd(this.rcvNxt, wnd);
    return wnd;
  }

  /** Build and send one segment; every segment but the first SYN carries the ACK. */
  private emit(seq: number, flags: number, data: ByteRing | null, dataOff: number, len: number, options: Uint8Array | null): void {
    const ipLen = this.host.ipHeaderLen(this.v6);
    const optLen = options ? options.length : 0;
    const segLen = TCP_HEADER + optLen + len;
    const pkt = new Uint8Array(ipLen + segLen);
    let wnd = 0;
    if (flags & ACK) {
      wnd = this.windowToAdvertise();
      wnd = flags & SYN ? Math.min(wnd, 0xffff) : wnd >> this.rcvScale;
    }
    writeHeader(pkt, ipLen, this.localPort, this.remotePort, seq, flags & ACK ? this.rcvNxt : 0, flags, wnd, options);
    if (len > 0 && data) data.copy(dataOff, len, pkt, ipLen + TCP_HEADER + optLen);
    const c = checksum(pkt, ipLen, segLen, pseudoSum(this.localAddr, this.remoteAddr, PROTO_TCP, segLen));
    pkt[ipLen + 16] = c >> 8; pkt[ipLen + 17] = c & 0xff;
    if (flags & ACK) { this.ackPending = 0; this.delAckTimer.clear(); }
    this.host.sendTcp(this, pkt);
  }

  /**
   * A pure ACK carries the highest sequence number sent, not SND.NXT: after a timeout SND.NXT
   * goes back to SND.UNA, and an ACK numbered below the peer's RCV.NXT would be unacceptable
   * to it (both ends retransmitting would then reject each other's ACKs forever). Linux's
   * pure ACKs likewise carry snd_nxt, which it never moves back.
   */
  private sendAck(): void { this.emit(this.sndMax, ACK, null, 0, 0, null); }

  private sendRst(seq: number): void { this.emit(seq, RST | ACK, null, 0, 0, null); }

  private queueFin(): void {
    if (this.finQueued) return;
    if (this.st === St.SynReceived || this.st === St.Established || this.st === St.CloseWait) {
      this.finQueued = true;
      this.output();
    } else if (this.st === St.SynSent) this.finish(0);
  }

  /** Sequence number of our FIN: just after the last byte written. */
  private get finSeq(): number { return seqAdd(this.sndUna, this.sndBuf.length); }

  private get flight(): number { return seqDiff(this.sndNxt, this.sndUna); }

  /** Send what the windows, Nagle and SWS avoidance allow (RFC 9293 §3.8.6.2.1, RFC 5681). */
  output(force = false): void {
    const st = this.st;
    if (st !== St.Established && st !== St.CloseWait && st !== St.FinWait1 && st !== St.Closing && st !== St.LastAck) return;
    let sent = false;
    for (;;) {
      const off = seqDiff(this.sndNxt, this.sndUna);
      const avail = this.sndBuf.length - off;
      const finPending = this.finQueued && seqLe(this.sndNxt, this.finSeq);
      const usable = Math.min(this.sndWnd, this.cwnd) - off;
      let len = Math.max(0, Math.min(avail, this.mss, usable));
      if (force && len === 0 && avail > 0 && this.sndWnd > off) len = Math.min(avail, this.mss, this.sndWnd - off);
      const fin = finPending && len === avail;
      if (len === 0 && !fin) break;
      if (len < this.mss && !fin && !force) {
        // Nagle: a short segment only when nothing is in flight (or TCP_NODELAY) and it carries
        // everything queued; or when it fills at least half the largest window the peer offered.
        const allQueued = len === avail && (this.noDelay || off === 0);
        if (!allQueued && !(len >= this.maxSndWnd / 2 && this.maxSndWnd > 0)) break;
      }
      this.emit(this.sndNxt, ACK | (fin ? FIN : 0) | (len > 0 && len === avail ? PSH : 0), this.sndBuf, off, len, null);
      sent = true;
      if (len > 0 && !this.timing && seqGe(this.sndNxt, this.sndMax)) {
        this.timing = true; this.rttSeq = seqAdd(this.sndNxt, len); this.rttStart = this.host.clock.now();
      }
      this.sndNxt = seqAdd(this.sndNxt, len + (fin ? 1 : 0));
      if (seqGt(this.sndNxt, this.sndMax)) this.sndMax = this.sndNxt;
      if (fin) this.finSent();
      force = false;
      if (fin) break;
    }
    if (sent && !this.rtxTimer.armed) this.rtxTimer.set(this.rto);
    this.updatePersist();
  }

  private finSent(): void {
    if (this.st === St.Established || this.st === St.SynReceived) this.st = St.FinWait1;
    else if (this.st === St.CloseWait) this.st = St.LastAck;
  }

  /** Zero window (or a window too small to use) with data waiting and nothing in flight: probe. */
  private updatePersist(): void {
    const waiting = this.sndBuf.length - seqDiff(this.sndNxt, this.sndUna) > 0;
    if (waiting && this.flight === 0 && !this.rtxTimer.armed) {
      if (!this.persistTimer.armed) this.persistTimer.set(Math.min(this.rto << this.persistBackoff, this.host.params.rtoMaxMs));
    } else {
      this.persistTimer.clear();
      this.persistBackoff = 0;
    }
  }

  private onPersist(): void {
    if (this.st === St.Closed) return;
    const off = seqDiff(this.sndNxt, this.sndUna);
    if (this.sndWnd > off) this.output(true); // a small window: send what fits (the override timeout)
    else this.emit(seqAdd(this.sndUna, -1), ACK, null, 0, 0, null); // Linux's window probe
    if (this.persistBackoff < 10) this.persistBackoff++;
    this.updatePersist();
  }

  // ---- Timers -----------------------------------------------------------------------------

  private onRtxTimeout(): void {
    const p = this.host.params;
    if (this.st === St.Closed || this.st === St.TimeWait) return;
    if (this.flight === 0 && this.st !== St.SynSent && this.st !== St.SynReceived) return;
    this.retries++;
    const limit = this.st === St.SynSent || this.st === St.SynReceived ? p.synRetries : p.retries;
    if (this.retries > limit) {
      if (this.st === St.SynReceived && this.listener) { this.finish(0); return; }
      this.finish(this.softError || ETIMEDOUT);
      return;
    }
    this.rto = Math.min(this.rto * 2, p.rtoMaxMs);
    this.timing = false; // Karn: no RTT sample from a retransmitted segment
    if (this.st === St.SynSent || this.st === St.SynReceived) {
      this.sendSyn();
      this.rtxTimer.set(this.rto);
      return;
    }
    // RFC 5681 §3.1 (5.5)/(7): ssthresh = max(FlightSize / 2, 2 * SMSS), cwnd = 1 segment; go back N.
    this.ssthresh = Math.max(this.flight >> 1, 2 * this.mss);
    this.cwnd = this.mss;
    this.bytesAckedCa = 0;
    this.inRecovery = false;
    this.recover = this.sndMax;
    this.dupAcks = 0;
    this.sndNxt = this.sndUna;
    this.rtxTimer.set(this.rto);
    this.output(true);
  }

  private onKeepalive(): void {
    const p = this.host.params;
    if (!this.keepAlive || this.st !== St.Established) return;
    const idle = this.host.clock.now() - this.lastRecv;
    if (this.flight > 0 || this.sndBuf.length > 0) { this.keepProbes = 0; this.keepTimer.set(p.keepIdleMs); return; }
    if (this.keepProbes === 0 && idle < p.keepIdleMs) { this.keepTimer.set(Math.max(1, p.keepIdleMs - idle)); return; }
    if (this.keepProbes >= p.keepCnt) { this.finish(this.softError || ETIMEDOUT); return; }
    this.keepProbes++;
    this.emit(seqAdd(this.sndUna, -1), ACK, null, 0, 0, null);
    this.keepTimer.set(p.keepIntvlMs);
  }

  private onWaitTimeout(): void { this.finish(0); }

  private enterTimeWait(): void {
    this.st = St.TimeWait;
    this.rtxTimer.clear(true); this.persistTimer.clear(true); this.keepTimer.clear(true); this.delAckTimer.clear(true);
    this.waitTimer.set(this.host.params.timeWaitMs);
    this.host.wake(this);
  }

  /** To CLOSED: error (positive errno) for the socket when non-zero. */
  finish(error: number): void {
    if (this.st === St.Closed) return;
    this.st = St.Closed;
    if (error && !this.orphan) this.error = error;
    for (const t of [this.rtxTimer, this.delAckTimer, this.persistTimer, this.keepTimer, this.waitTimer]) t.clear(true);
    this.host.release(this);
    this.host.wake(this);
  }

  /** An ICMP destination unreachable or time exceeded about this connection (RFC 1122 §4.2.3.9). */
  icmpError(errno: number): void {
    // Linux (tcp_v4_err): any such error aborts a connection still opening; later ones are
    // only remembered (sk_err_soft) and reported if the connection then times out.
    if (this.st === St.SynSent || (this.st === St.SynReceived && !this.listener)) { this.finish(errno); return; }
    this.softError = errno;
  }

  /**
   * A SYN for this 4-tuple while in TIME-WAIT with a higher sequence number starts a new
   * connection (RFC 9293 §3.10.7.4 note, RFC 6191; Linux's TCP_TW_SYN): this one goes away.
   */
  yieldsToSyn(seg: Segment): boolean {
    if (this.st !== St.TimeWait || (seg.flags & (SYN | ACK | RST)) !== SYN || !seqGt(seg.seq, this.rcvNxt)) return false;
    this.finish(0);
    return true;
  }

  /** Path MTU from ICMP "fragmentation needed" / "packet too big": shrink the MSS and resend (RFC 1191, 8201). */
  pathMtu(mtu: number): void {
    const mss = mtu - this.host.ipHeaderLen(this.v6) - TCP_HEADER;
    if (mss >= 68 && mss < this.mss) {
      this.mss = mss;
      this.sndNxt = this.sndUna;
      this.output(true);
    }
  }

  // ---- Input (RFC 9293 §3.10.7) ------------------------------------------------------------

  input(seg: Segment): void {
    this.lastRecv = this.host.clock.now();
    this.keepProbes = 0;
    if (this.st === St.SynSent) { this.inputSynSent(seg); return; }
    const f = seg.flags;
    const dataLen = seg.data.length;
    const segLen = dataLen + (f & SYN ? 1 : 0) + (f & FIN ? 1 : 0);

    // 1. Sequence number acceptable?
    const rcvWnd = Math.max(0, seqDiff(this.rcvAdvEdge, this.rcvNxt));
    let ok: boolean;
    if (segLen === 0) ok = rcvWnd === 0 ? seg.seq === this.rcvNxt : seqGe(seg.seq, this.rcvNxt) && seqLt(seg.seq, seqAdd(this.rcvNxt, rcvWnd));
    else ok = rcvWnd > 0 && ((seqGe(seg.seq, this.rcvNxt) && seqLt(seg.seq, seqAdd(this.rcvNxt, rcvWnd)))
      || (seqGe(seqAdd(seg.seq, segLen - 1), this.rcvNxt) && seqLt(seqAdd(seg.seq, segLen - 1), seqAdd(this.rcvNxt, rcvWnd))));
    if (!ok) {
      if (this.st === St.TimeWait && (f & FIN)) this.waitTimer.set(this.host.params.timeWaitMs); // a retransmitted FIN
      if (!(f & RST)) this.sendAck();
      // RFC 9293 §3.10.7.4: with a zero receive window, still take the ACK (our probe's answer may carry data).
      if (rcvWnd === 0 && (f & ACK) && !(f & RST) && this.st !== St.TimeWait) this.processAck(seg, false);
      return;
    }

    // 2. RST: only exactly at RCV.NXT resets; elsewhere in the window, a challenge ACK (RFC 5961 §3.2).
    if (f & RST) {
      if (seg.seq !== this.rcvNxt) { this.sendAck(); return; }
      if (this.st === St.SynReceived && this.listener) { this.finish(0); return; }
      const err = this.st === St.SynReceived ? ECONNREFUSED : this.st === St.Closing || this.st === St.LastAck || this.st === St.TimeWait ? 0 : ECONNRESET;
      this.rcvBuf.drop(this.rcvBuf.length);
      this.finish(err);
      return;
    }

    // 4. A SYN in a synchronized state: challenge ACK (RFC 5961 §4.2).
    if (f & SYN) {
      if (this.st === St.SynReceived && seg.seq === this.irs) { this.sendSyn(); return; } // our SYN-ACK was lost
      this.sendAck();
      return;
    }

    // 5. ACK.
    if (!(f & ACK)) return;
    if (this.st === St.SynReceived) {
      // Linux (tcp_check_req, tcp_abort_on_overflow = 0): with the accept queue full the final
      // ACK is dropped; the SYN-ACK is retransmitted and the handshake completes later.
      if (this.listener && this.host.acceptQueueFull(this)) return;
      if (seqGt(seg.ack, this.sndUna) && seqLe(seg.ack, this.sndNxt)) {
        // The ACK of our SYN: account for the SYN here so that processAck sees only data.
        this.sampleRtt(seg.ack);
        this.sndUna = seqAdd(this.iss, 1);
        this.st = St.Established;
        this.sndWnd = seg.window << this.sndScale;
        this.maxSndWnd = this.sndWnd;
        this.sndWl1 = seg.seq; this.sndWl2 = seg.ack;
        this.established();
      } else {
        this.emit(seg.ack, RST, null, 0, 0, null);
        return;
      }
    }
    if (!this.processAck(seg, true)) return;
    if (this.st === St.Closed) return;

    // 7-8. Segment text and FIN.
    if (this.st === St.Established || this.st === St.FinWait1 || this.st === St.FinWait2) {
      // Linux: new data for a closed socket, which nobody will read, resets the connection (tcp_rcv_state_process).
      if (dataLen > 0 && this.orphan && seqGt(seqAdd(seg.seq, dataLen), this.rcvNxt)) { this.sendRst(this.sndMax); this.finish(0); return; }
      if (dataLen > 0 || (f & FIN)) this.receiveData(seg.seq, seg.data, (f & FIN) !== 0);
    } else if ((f & FIN) && this.st === St.TimeWait) {
      this.sendAck();
      this.waitTimer.set(this.host.params.timeWaitMs);
    }
  }

  private established(): void {
    this.rtxTimer.clear();
    this.retries = 0;
    if (this.keepAlive) this.keepTimer.set(this.host.params.keepIdleMs);
    if (this.listener) this.host.established(this);
    this.host.wake(this);
  }

  private inputSynSent(seg: Segment): void {
    const f = seg.flags;
    if (f & ACK) {
      if (seqLe(seg.ack, this.iss) || seqGt(seg.ack, this.sndNxt)) {
        if (!(f & RST)) this.emit(seg.ack, RST, null, 0, 0, null);
        return;
      }
    }
    if (f & RST) {
      if (f & ACK) this.finish(ECONNREFUSED);
      return;
    }
    if (!(f & SYN)) return;
    this.irs = seg.seq;
    this.rcvNxt = this.rcvAdvEdge = seqAdd(seg.seq, 1);
    this.synOptionsFrom(seg);
    this.sndWnd = seg.window;
    this.maxSndWnd = this.sndWnd;
    this.sndWl1 = seg.seq; this.sndWl2 = seg.ack;
    if (f & ACK) {
      this.sampleRtt(seg.ack);
      this.sndUna = seg.ack;
      this.st = St.Established;
      this.sendAck();
      this.established();
      this.output();
    } else {
      // Simultaneous open (§3.5, figure 8): SYN-RECEIVED, resend our SYN as a SYN-ACK.
      this.st = St.SynReceived;
      this.emit(this.iss, SYN | ACK, null, 0, 0, synOptions(this.ourMss, this.peerNoWscale ? null : this.rcvScale));
    }
  }

  private sampleRtt(ack: number): void {
    if (!this.timing || !seqGe(ack, this.rttSeq)) return;
    this.timing = false;
    const r = Math.max(1, this.host.clock.now() - this.rttStart);
    if (this.srtt === 0) { this.srtt = r; this.rttvar = r / 2; } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
    const p = this.host.params;
    this.rto = Math.min(p.rtoMaxMs, Math.max(p.rtoMinMs, this.srtt + Math.max(1, 4 * this.rttvar)));
  }

  /** ACK processing (§3.10.7.4 fifth check, RFC 5681, RFC 6582). False: drop the segment. */
  private processAck(seg: Segment, withData: boolean): boolean {
    const ack = seg.ack;
    if (seqGt(ack, this.sndMax)) { this.sendAck(); return false; }
    const wnd = seg.window << this.sndScale;
    if (seqGt(ack, this.sndUna)) {
      let acked = seqDiff(ack, this.sndUna);
      // Our FIN is acknowledged when the ACK passes the last data byte.
      const finAcked = this.finQueued && seqGt(ack, this.finSeq);
      const dataAcked = Math.min(this.sndBuf.length, acked - (finAcked ? 1 : 0));
      this.sndBuf.drop(dataAcked);
      this.sampleRtt(ack);
      this.sndUna = ack;
      if (seqLt(this.sndNxt, this.sndUna)) this.sndNxt = this.sndUna;
      this.retries = 0;
      this.rto = this.srtt ? Math.min(this.host.params.rtoMaxMs, Math.max(this.host.params.rtoMinMs, this.srtt + Math.max(1, 4 * this.rttvar))) : this.rto;
      this.congestionOnAck(acked);
      if (this.flight > 0) this.rtxTimer.set(this.rto); else this.rtxTimer.clear();
      if (dataAcked > 0) this.host.wake(this);
      if (finAcked) {
        if (this.st === St.FinWait1) {
          this.st = St.FinWait2;
          if (this.orphan) this.waitTimer.set(this.host.params.finTimeoutMs);
        } else if (this.st === St.Closing) { this.enterTimeWait(); }
        else if (this.st === St.LastAck) { this.finish(0); return false; }
      }
    } else if (ack === this.sndUna && withData && seg.data.length === 0 && !(seg.flags & (SYN | FIN)) && this.flight > 0
      && wnd === this.sndWnd) {
      this.duplicateAck();
    }
    // Window update (§3.10.7.4): from a newer segment, or the same one with a newer ACK.
    if (seqLt(this.sndWl1, seg.seq) || (this.sndWl1 === seg.seq && seqLe(this.sndWl2, ack))) {
      this.sndWnd = wnd;
      if (wnd > this.maxSndWnd) this.maxSndWnd = wnd;
      this.sndWl1 = seg.seq; this.sndWl2 = ack;
    }
    this.output();
    return true;
  }

  private congestionOnAck(acked: number): void {
    this.dupAcks = this.inRecovery ? this.dupAcks : 0;
    if (this.inRecovery) {
      if (seqGe(this.sndUna, this.recover)) {
        // Full acknowledgment (RFC 6582 §3.2 step 3): deflate to ssthresh.
        this.inRecovery = false;
        this.dupAcks = 0;
        this.cwnd = Math.min(this.ssthresh, Math.max(this.flight, 0) + this.mss);
      } else {
        // Partial acknowledgment (step 4): retransmit the next hole, deflate by the amount acked.
        this.retransmitFirst();
        this.cwnd = Math.max(this.mss, this.cwnd - acked + this.mss);
      }
      return;
    }
    if (this.cwnd < this.ssthresh) {
      // Slow start with appropriate byte counting, L = 2 SMSS (RFC 3465).
      this.cwnd += Math.min(acked, 2 * this.mss);
    } else {
      this.bytesAckedCa += acked;
      if (this.bytesAckedCa >= this.cwnd) { this.bytesAckedCa -= this.cwnd; this.cwnd += this.mss; }
    }
    // Do not let cwnd run far ahead of what the application uses (RFC 7661 in spirit): cap at 2x the peer window.
    this.cwnd = Math.min(this.cwnd, Math.max(2 * this.maxSndWnd, 10 * this.mss));
  }

  private duplicateAck(): void {
    this.dupAcks++;
    if (this.inRecovery) { this.cwnd += this.mss; return; }
    // RFC 6582 §3.2 step 1: a new recovery only when the ACK covers more than `recover`.
    if (this.dupAcks === 3 && seqGt(this.sndUna, this.recover)) {
      this.ssthresh = Math.max(this.flight >> 1, 2 * this.mss);
      this.recover = this.sndMax;
      this.inRecovery = true;
      this.retransmitFirst();
      this.cwnd = this.ssthresh + 3 * this.mss;
    }
  }

  /** Resend the segment at SND.UNA (fast retransmit); SND.NXT stays. */
  private retransmitFirst(): void {
    const len = Math.min(this.sndBuf.length, this.mss);
    const fin = this.finQueued && len === this.sndBuf.length && seqGt(this.sndMax, this.finSeq);
    if (len === 0 && !fin) return;
    this.timing = false;
    this.emit(this.sndUna, ACK | (fin ? FIN : 0), this.sndBuf, 0, len, null);
    this.rtxTimer.set(this.rto);
  }

  /** Queue in-order data, keep out-of-order data, acknowledge (§3.10.7.4 seventh and eighth checks). */
  private receiveData(seq: number, data: Uint8Array, fin: boolean): void {
    // Trim what we already have and what lies beyond the advertised window.
    let start = 0;
    if (seqLt(seq, this.rcvNxt)) { start = seqDiff(this.rcvNxt, seq); seq = this.rcvNxt; }
    const room = Math.max(0, seqDiff(this.rcvAdvEdge, seq));
    let end = data.length;
    if (end - start > room) { end = start + room; fin = false; }
    const d = data.subarray(Math.min(start, end), end);
    if (seq === this.rcvNxt) {
      if (d.length > this.rcvMss) this.rcvMss = Math.min(d.length, this.ourMss);
      if (d.length > 0) {
        if (!this.shutRd) this.rcvBuf.push(d);
        this.rcvNxt = seqAdd(this.rcvNxt, d.length);
      }
      let hadOoo = false;
      if (fin) this.gotFin();
      else {
        // Pull what the out-of-order queue now continues.
        while (this.ooo.length && seqLe(this.ooo[0].seq, this.rcvNxt)) {
          hadOoo = true;
          const o = this.ooo.shift()!;
          this.oooBytes -= o.data.length;
          const skip = seqDiff(this.rcvNxt, o.seq);
          if (skip < o.data.length) {
            const rest = o.data.subarray(skip);
            if (!this.shutRd) this.rcvBuf.push(rest);
            this.rcvNxt = seqAdd(this.rcvNxt, rest.length);
          }
          if (o.fin && skip <= o.data.length) { this.gotFin(); break; }
        }
      }
      if (d.length > 0) this.host.wake(this);
      if (this.finRcvd || hadOoo || this.ooo.length > 0) { this.sendAck(); return; }
      if (d.length === 0) return;
      // Linux (__tcp_ack_snd_check): at once when more than one full segment is unacknowledged.
      this.ackPending += d.length;
      if (this.quickAcks > 0) { this.quickAcks--; this.sendAck(); }
      else if (this.ackPending > this.rcvMss) this.sendAck();
      else if (!this.delAckTimer.armed) this.delAckTimer.set(this.host.params.delAckMs);
      return;
    }
    // Out of order: keep (sorted, without overlaps kept twice) and send a duplicate ACK at once (RFC 5681 §4.2).
    if (d.length > 0 || fin) this.insertOoo(seq, d, fin);
    this.sendAck();
  }

  private insertOoo(seq: number, data: Uint8Array, fin: boolean): void {
    let i = 0;
    while (i < this.ooo.length && seqLt(this.ooo[i].seq, seq)) i++;
    const prev = this.ooo[i - 1], next = this.ooo[i];
    if (prev && seqGe(seqAdd(prev.seq, prev.data.length), seqAdd(seq, data.length)) && !fin) return; // contained in prev
    if (next && next.seq === seq && next.data.length >= data.length && !fin) return;
    this.ooo.splice(i, 0, { seq, data: data.slice(), fin });
    this.oooBytes += data.length;
    // Drop later entries wholly covered by this one.
    const end = seqAdd(seq, data.length);
    let j = i + 1;
    while (j < this.ooo.length && seqLe(seqAdd(this.ooo[j].seq, this.ooo[j].data.length), end) && !this.ooo[j].fin) {
      this.oooBytes -= this.ooo[j].data.length;
      this.ooo.splice(j, 1);
    }
  }

  /** The peer's FIN, in order (the caller acknowledges it). */
  private gotFin(): void {
    if (this.finRcvd) return;
    this.finRcvd = true;
    this.rcvNxt = seqAdd(this.rcvNxt, 1);
    this.ooo = []; this.oooBytes = 0;
    if (this.st === St.Established || this.st === St.SynReceived) this.st = St.CloseWait;
    else if (this.st === St.FinWait1) {
      // Our FIN not yet acknowledged: simultaneous close (§3.6, figure 13).
      this.st = St.Closing;
    } else if (this.st === St.FinWait2) { this.enterTimeWait(); return; }
    this.host.wake(this);
  }

  /** The application read: send a window update when the window grew enough to matter. */
  private windowOpened(): void {
    if (this.st !== St.Established && this.st !== St.FinWait1 && this.st !== St.FinWait2) return;
    const current = Math.max(0, seqDiff(this.rcvAdvEdge, this.rcvNxt));
    const space = Math.max(0, this.rcvBuf.free - this.oooBytes);
    // Linux (tcp_cleanup_rbuf): when the new window is at least twice the one the peer knows, and worth a segment.
    if (space >= 2 * current && space - current >= Math.min(this.mss, this.rcvBuf.capacity >> 1)) this.sendAck();
  }

  /** For diagnostics and tests. */
  get tcpState(): string { return STATE_NAMES[this.st]; }
  get rtoMs(): number { return this.rto; }
}

function v4Mapped(a: Uint8Array): Uint8Array {
  const m = new Uint8Array(16);
  m[10] = 0xff; m[11] = 0xff;
  m.set(a, 12);
  return m;
}
