/**
 * Where a socket is bound, as the wire sees it. An AF_INET6 socket carries IPv4 as
 * v4-mapped addresses (RFC 4291 §2.5.5.2, RFC 3493 §3.7): bound to `::` it also receives
 * IPv4 unless IPV6_V6ONLY; bound or connected to `::ffff:a.b.c.d` it is an IPv4 socket on
 * the wire. Applications see their own family back (v4-mapped on AF_INET6 sockets).
 */
import type { InetAddr, InetFamily } from '../../engine/net/stack.js';
import { equal, isAny, isV4Mapped, v4Mapped } from './addr.js';

export interface Binding {
  /** The family the application sees. */
  family: InetFamily;
  /** A specific local address (4 or 16 bytes, wire form), or null for the wildcard. */
  addr: Uint8Array | null;
  port: number;
  v6only: boolean;
  reuseAddr: boolean;
  reusePort: boolean;
}

/** The wire form of an application address: IPv4 for AF_INET and v4-mapped, else IPv6. */
export function wire(a: InetAddr): { v6: boolean; addr: Uint8Array } {
  if (a.family === 2) return { v6: false, addr: a.addr.subarray(0, 4) };
  if (isV4Mapped(a.addr)) return { v6: false, addr: a.addr.slice(12, 16) };
  return { v6: true, addr: a.addr };
}

/** The application's view of a wire address. */
export function view(family: InetFamily, addr: Uint8Array, port: number): InetAddr {
  return { family, addr: family === 10 && addr.length === 4 ? v4Mapped(addr) : addr, port };
}

export function bindingOf(local: InetAddr, v6only: boolean, reuseAddr: boolean, reusePort: boolean): Binding {
  const w = wire(local);
  // `::ffff:0.0.0.0` binds the IPv4 wildcard only; `::` both unless v6only.
  const any = isAny(w.addr);
  return {
    family: local.family,
    addr: any ? (local.family === 10 && !w.v6 ? new Uint8Array(4) : null) : w.addr,
    port: local.port, v6only: local.family === 10 && v6only, reuseAddr, reusePort,
  };
}

/** Whether a packet for (v6, dst) reaches a socket bound as `b` (port already matched). */
export function accepts(b: Binding, v6: boolean, dst: Uint8Array): boolean {
  if (b.addr === null) return v6 ? b.family === 10 : b.family === 2 || !b.v6only;
  if (b.addr.length === 4 && isAny(b.addr)) return !v6; // ::ffff:0.0.0.0
  return b.addr.length === (v6 ? 16 : 4) && equal(b.addr, dst);
}

/** Whether a specific match beats a wildcard one (Linux's compute_score prefers the bound address). */
export function specificity(b: Binding): number { return b.addr === null || isAny(b.addr) ? 0 : 1; }

/** Whether two bindings on one port overlap (the same address, or either the wildcard of a shared family). */
export function overlaps(a: Binding, b: Binding): boolean {
  const fams = (x: Binding): [boolean, boolean] => {
    if (x.addr === null) return [x.family === 2 || !x.v6only, x.family === 10];
    return [x.addr.length === 4, x.addr.length === 16];
  };
  const [a4, a6] = fams(a), [b4, b6] = fams(b);
  if (!((a4 && b4) || (a6 && b6))) return false;
  if (a.addr === null || b.addr === null || isAny(a.addr) || isAny(b.addr)) return true;
  return equal(a.addr, b.addr);
}
