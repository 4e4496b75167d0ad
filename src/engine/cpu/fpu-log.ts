/**
 * y * log2(x) and y * log2(1 + x) to about 2^-100 relative, in double-double arithmetic,
 * for fyl2x/fyl2xp1. The x87 forms these with a 64-bit significand and the result is
 * rounded once when stored as a double; computing log2 in double and multiplying rounds
 * two or three times and was an ulp off for 30% of inputs of libm's log, log10 and log1p
 * (Python's math.log(10) printed 2.3025850929940455, natively 2.302585092994046). With
 * this, what remains is the x87's own double rounding (64-bit, then 53-bit).
 *
 * ln(m) for m in [sqrt(1/2), sqrt(2)] is 2 atanh(s), s = (m - 1) / (m + 1), |s| < 0.172:
 * s and s^3/3 in double-double, the rest of the series (< 2e-4 s) in double.
 */
type DD = [number, number];

const SPLIT = 134217729; // 2^27 + 1 (Dekker)
function twoSum(a: number, b: number): DD {
  const s = a + b, bb = s - a;
  return [s, (a - (s - bb)) + (b - bb)];
}
function twoProd(a: number, b: number): DD {
  const p = a * b;
  let t = SPLIT * a;
  const ah = t - (t - a), al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b), bl = b - bh;
  return [p, ((ah * bh - p) + ah * bl + al * bh) + al * bl];
}
function add(a: DD, b: DD): DD {
  const [s, e] = twoSum(a[0], b[0]);
  return twoSum(s, e + a[1] + b[1]);
}
function mul(a: DD, b: DD): DD {
  const [p, e] = twoProd(a[0], b[0]);
  return twoSum(p, e + a[0] * b[1] + a[1] * b[0]);
}
/** a / b with b = [bh, bl]. */
function div(a: DD, b: DD): DD {
  const q1 = a[0] / b[0];
  const [p, pe] = twoProd(q1, b[0]);
  const r = ((a[0] - p) - pe + a[1]) - q1 * b[1];
  return twoSum(q1, r / b[0]);
}

const LN2: DD = [0.6931471805599453, 2.3190468138462996e-17];
const LOG2E: DD = [1.4426950408889634, 2.0355273740931033e-17];

/** 2 atanh(s) for |s| < 0.18. */
function atanh2(s: DD): DD {
  const s2 = mul(s, s);
  const s3 = mul(s2, s);
  const t3 = div(s3, [3, 0]);
  const z = s2[0];
  let tail = 1 / 25;
  for (let k = 23; k >= 5; k -= 2) tail = 1 / k + z * tail;
  const rest = s3[0] * z * tail;
  const sum = add(add(s, t3), [rest, 0]);
  return [2 * sum[0], 2 * sum[1]];
}

/** ln(x) for finite x > 0 (denormals included). */
function lnDD(x: number): DD {
  let e = Math.min(Math.floor(Math.log2(x)), 1023); // log2 of DBL_MAX rounds to 1024
  let m = x / 2 ** e;
  if (m >= 2) { m /= 2; e++; } else if (m < 1) { m *= 2; e--; }
  if (m > Math.SQRT2) { m /= 2; e++; }
  const s = div([m - 1, 0], twoSum(m, 1)); // m - 1 is exact (Sterbenz)
  return add(mul(LN2, [e, 0]), atanh2(s));
}

/** ln(1 + x) for |x| < 0.3 (fyl2xp1's domain). */
function ln1pDD(x: number): DD {
  if (Math.abs(x) < 2 ** -600) return [x, -x * x / 2]; // s = x / (2 + x) would underflow
  return atanh2(div([x, 0], twoSum(2, x)));
}

/** y * log2(x) rounded once; y as a double-double (the register's exact 80-bit value). */
export function ylog2(y: DD, x: number): number {
  return once(y, lnDD(x));
}

/** y * log2(1 + x) rounded once. */
export function ylog2p1(y: DD, x: number): number {
  return once(y, ln1pDD(x));
}

/** y * log2(e) * l rounded to double; exact zeros keep their sign, overflow gives the infinity. */
function once(y: DD, l: DD): number {
  if (l[0] === 0 || y[0] === 0) return y[0] * l[0];
  // Tiny logs (log1p of a denormal): the x87's wider exponent keeps them; scale through.
  const k = Math.abs(l[0]) < 2 ** -900 ? 2 ** 600 : 1;
  const r = mul(y, mul([l[0] * k, l[1] * k], LOG2E)), v = (r[0] + r[1]) / k;
  return v - v === 0 ? v : y[0] * l[0] * LOG2E[0];
}
