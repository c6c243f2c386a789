/**
 * Statistics for overhead: medians, and a 95% confidence interval for the ratio of two
 * medians (agent / baseline) by the percentile bootstrap, resampling each side on its own.
 * The generator is seeded, so the same samples always give the same interval.
 */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** mulberry32: small, fast, good enough to resample. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RatioEstimate {
  /** median(b) / median(a): 1.05 is 5% slower when the samples are durations. */
  ratio: number;
  ciLow: number;
  ciHigh: number;
  nA: number;
  nB: number;
  /** The interval excludes 1: the difference is unlikely to be noise. */
  significant: boolean;
  method: 'bootstrap-percentile';
}

/**
 * Samples up to this many per side are resampled draw by draw, as always (the same intervals as
 * before for every run of ordinary size). Above it, a resample's median is drawn directly from its
 * order statistic: the same distribution, O(1) per resample after one sort, so a cell with 200k
 * cycles compares in well under a second instead of hours.
 */
export const DIRECT_RESAMPLE_MAX = 1000;

/** The k-th smallest (0-based) of a[lo..hi], in place (Hoare selection, median-of-three pivot). */
function select(a: Float64Array, k: number, lo = 0, hi = a.length - 1): number {
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    const x = a[lo]!, y = a[mid]!, z = a[hi]!;
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i++] = a[j]!;
        a[j--] = t;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}

/** Median of a scratch array (reordered): linear time. */
function medianInPlace(a: Float64Array): number {
  const m = a.length >> 1;
  const upper = select(a, m);
  if (a.length % 2) return upper;
  // The lower middle is the largest of what selection left below m.
  let lower = -Infinity;
  for (let i = 0; i < m; i++) if (a[i]! > lower) lower = a[i]!;
  return (lower + upper) / 2;
}

/** Standard normal (Box-Muller) and Gamma(shape >= 1) (Marsaglia-Tsang), from the seeded generator. */
function normal(next: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
}
function gamma(shape: number, next: () => number): number {
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(next);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = next();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/**
 * The median of n draws (with replacement) from sorted s, without drawing them: draw i is
 * s[floor(n U_i)] with U_i uniform, floor keeps order, so the k-th smallest draw is
 * s[floor(n U_(k))] with U_(k) ~ Beta(k, n-k+1); the next one up is U_(k) plus the least of
 * the n-k uniforms above it.
 */
function orderStatMedian(s: Float64Array, next: () => number): number {
  const n = s.length;
  const at = (u: number) => s[Math.min(n - 1, Math.floor(n * u))]!;
  const k = n % 2 ? (n + 1) / 2 : n / 2;
  const x = gamma(k, next);
  const u = x / (x + gamma(n - k + 1, next));
  if (n % 2) return at(u);
  const u2 = u + (1 - u) * (1 - (1 - next()) ** (1 / (n - k)));
  return (at(u) + at(u2)) / 2;
}

export function ratioOfMedians(a: readonly number[], b: readonly number[], opts: { resamples?: number; seed?: number; level?: number } = {}): RatioEstimate | undefined {
  if (a.length < 2 || b.length < 2) return undefined;
  const n = opts.resamples ?? 4000;
  const level = opts.level ?? 0.95;
  const next = rng(opts.seed ?? 0x5eed);
  const drawer = (xs: readonly number[]) => {
    if (xs.length > DIRECT_RESAMPLE_MAX) {
      const sorted = Float64Array.from(xs).sort();
      return () => orderStatMedian(sorted, next);
    }
    const out = new Float64Array(xs.length);
    return () => {
      for (let i = 0; i < xs.length; i++) out[i] = xs[Math.floor(next() * xs.length)]!;
      return medianInPlace(out);
    };
  };
  const drawA = drawer(a);
  const drawB = drawer(b);
  const ratios = new Float64Array(n);
  for (let i = 0; i < n; i++) ratios[i] = drawB() / drawA();
  ratios.sort();
  const lo = ratios[Math.floor(((1 - level) / 2) * n)]!;
  const hi = ratios[Math.min(n - 1, Math.ceil((1 - (1 - level) / 2) * n) - 1)]!;
  const ratio = median(b) / median(a);
  return { ratio, ciLow: lo, ciHigh: hi, nA: a.length, nB: b.length, significant: lo > 1 || hi < 1, method: 'bootstrap-percentile' };
}

/** Overhead in percent from a ratio: 1.052 -> 5.2. */
export const pct = (ratio: number) => Math.round((ratio - 1) * 1000) / 10;

export interface PairedRatioEstimate {
  /** The geometric mean of b_i / a_i over the pairs. */
  ratio: number;
  ciLow: number;
  ciHigh: number;
  pairs: number;
  significant: boolean;
  method: 'paired-bootstrap-geomean';
}

/**
 * The ratio of b to a from samples taken in pairs (a_i and b_i measured one after the other, in
 * the same round): the geometric mean of the per-pair ratios, with a percentile bootstrap over
 * the pairs. A slow round (the host busy) lengthens both sides of its pair alike and cancels out,
 * where it widens the interval of a ratio of medians: on a shared host this is what makes a few
 * percent visible with a few dozen boots.
 */
export function pairedRatio(a: readonly number[], b: readonly number[], opts: { resamples?: number; seed?: number; level?: number } = {}): PairedRatioEstimate | undefined {
  const n = Math.min(a.length, b.length);
  const logs: number[] = [];
  for (let i = 0; i < n; i++) if (a[i]! > 0 && b[i]! > 0) logs.push(Math.log(b[i]! / a[i]!));
  if (logs.length < 2) return undefined;
  const resamples = opts.resamples ?? 4000;
  const level = opts.level ?? 0.95;
  const next = rng(opts.seed ?? 0x5eed);
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let i = 0; i < logs.length; i++) s += logs[Math.floor(next() * logs.length)]!;
    means[r] = s / logs.length;
  }
  means.sort();
  const lo = Math.exp(means[Math.floor(((1 - level) / 2) * resamples)]!);
  const hi = Math.exp(means[Math.min(resamples - 1, Math.ceil((1 - (1 - level) / 2) * resamples) - 1)]!);
  const ratio = Math.exp(logs.reduce((x, y) => x + y, 0) / logs.length);
  return { ratio, ciLow: lo, ciHigh: hi, pairs: logs.length, significant: lo > 1 || hi < 1, method: 'paired-bootstrap-geomean' };
}
