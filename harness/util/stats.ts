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

export function ratioOfMedians(a: readonly number[], b: readonly number[], opts: { resamples?: number; seed?: number; level?: number } = {}): RatioEstimate | undefined {
  if (a.length < 2 || b.length < 2) return undefined;
  const n = opts.resamples ?? 4000;
  const level = opts.level ?? 0.95;
  const next = rng(opts.seed ?? 0x5eed);
  const draw = (xs: readonly number[]) => {
    const out = new Array<number>(xs.length);
    for (let i = 0; i < xs.length; i++) out[i] = xs[Math.floor(next() * xs.length)]!;
    return median(out);
  };
  const ratios = new Float64Array(n);
  for (let i = 0; i < n; i++) ratios[i] = draw(b) / draw(a);
  ratios.sort();
  const lo = ratios[Math.floor(((1 - level) / 2) * n)]!;
  const hi = ratios[Math.min(n - 1, Math.ceil((1 - (1 - level) / 2) * n) - 1)]!;
  const ratio = median(b) / median(a);
  return { ratio, ciLow: lo, ciHigh: hi, nA: a.length, nB: b.length, significant: lo > 1 || hi < 1, method: 'bootstrap-percentile' };
}

/** Overhead in percent from a ratio: 1.052 -> 5.2. */
export const pct = (ratio: number) => Math.round((ratio - 1) * 1000) / 10;
