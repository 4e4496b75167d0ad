/**
 * The one wall clock (CLOCK_REALTIME): gettimeofday, clock_gettime and file times all read
 * it, so a file touched just now stats at what `date` prints, also after the host's clock
 * steps (NTP, suspend). A leaf: the kernel (linux/clock.ts) and the file systems (fs/,
 * through tmpfs.ts nowTimespec) both use it.
 *
 * Date.now() has only ms resolution, so it is read as a fixed offset from performance.now().
 * The offset is re-synchronised when the host wall clock moves more than 20 ms away from it,
 * so guests see fine resolution and a clock that only jumps when the host's does.
 */
let realOffsetMs = Date.now() - performance.now();

/** Wall-clock time in ns since the epoch (a bigint: ~1.7e18 is past 2^53). */
export function realtimeNs(): bigint {
  const p = performance.now();
  const wall = Date.now();
  if (Math.abs(realOffsetMs + p - wall) > 20) realOffsetMs = wall - p;
  // Whole ms and fraction separately: a double holding ~1.7e12 ms keeps only ~0.2 µs.
  const ms = realOffsetMs + p;
  const whole = Math.floor(ms);
  return BigInt(whole) * 1_000_000n + BigInt(Math.round((ms - whole) * 1e6));
}

/** The same reading as seconds and nanoseconds (a struct timespec), for file times. */
export function realtimeTimespec(): { sec: number; nsec: number } {
  const ns = realtimeNs();
  return { sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) };
}
