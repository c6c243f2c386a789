import { describe, expect, it } from 'vitest';
import { median, pairedRatio, ratioOfMedians } from './stats.js';

/** Deterministic noise around a mean: a fixed table of relative deviations. */
const noisy = (mean: number, n: number, spread = 0.03) => Array.from({ length: n }, (_, i) => mean * (1 + spread * Math.sin(i * 2.399963)));

describe('median', () => {
  it('odd, even, empty', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});

describe('ratioOfMedians (calibration)', () => {
  it('A/A: the same distribution on both sides is not significant', () => {
    const a = noisy(1000, 30);
    const b = noisy(1000, 30).reverse();
    const r = ratioOfMedians(a, b)!;
    expect(r.significant).toBe(false);
    expect(r.ciLow).toBeLessThan(1);
    expect(r.ciHigh).toBeGreaterThan(1);
  });
  it('a real 10% slowdown with 3% noise is significant, and the interval holds 1.10', () => {
    const r = ratioOfMedians(noisy(1000, 30), noisy(1100, 30))!;
    expect(r.significant).toBe(true);
    expect(r.ciLow).toBeGreaterThan(1);
    expect(r.ciLow).toBeLessThanOrEqual(1.1);
    expect(r.ciHigh).toBeGreaterThanOrEqual(1.1);
  });
  it('is reproducible (seeded) and refuses too few samples', () => {
    expect(ratioOfMedians([1, 2, 3], [2, 3, 4])).toEqual(ratioOfMedians([1, 2, 3], [2, 3, 4]));
    expect(ratioOfMedians([1], [2, 3])).toBeUndefined();
  });
});

describe('ratioOfMedians on large samples (200k cycles must compare, issue #14)', () => {
  /** The bootstrap as first written: draw every element, sort, take the middle. The reference. */
  function direct(a: number[], b: number[], resamples: number, seed: number): [number, number] {
    let x = seed;
    const next = () => ((x = (x * 16807) % 2147483647) / 2147483647);
    const med = (xs: number[]) => median(Array.from(xs, () => xs[Math.floor(next() * xs.length)]!));
    const r = Array.from({ length: resamples }, () => med(b) / med(a)).sort((p, q) => p - q);
    return [r[Math.floor(0.025 * resamples)]!, r[Math.ceil(0.975 * resamples) - 1]!];
  }
  it('gives the interval the direct bootstrap gives (same distribution, drawn from the order statistic)', () => {
    for (const [na, nb] of [[1001, 1001], [3000, 2500]] as const) {
      const a = Array.from({ length: na }, (_, i) => 1000 * (1 + 0.05 * Math.sin(i * 2.399963)) + (i % 7));
      const b = Array.from({ length: nb }, (_, i) => 1010 * (1 + 0.05 * Math.sin(i * 1.7)) + (i % 5));
      const ref = direct(a, b, 2000, 7);
      const r = ratioOfMedians(a, b, { resamples: 2000 })!;
      const width = ref[1] - ref[0];
      expect(Math.abs(r.ciLow - ref[0])).toBeLessThan(0.15 * width);
      expect(Math.abs(r.ciHigh - ref[1])).toBeLessThan(0.15 * width);
    }
  });
  it('200k samples a side take well under a second, and stay reproducible', () => {
    const a = noisy(1000, 200_000);
    const b = noisy(1020, 200_000);
    const t0 = Date.now();
    const r = ratioOfMedians(a, b)!;
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(r.significant).toBe(true);
    expect(r.ciLow).toBeLessThanOrEqual(r.ratio);
    expect(r.ciHigh).toBeGreaterThanOrEqual(r.ratio);
    expect(ratioOfMedians(a, b)).toEqual(r);
  });
});

describe('pairedRatio', () => {
  // A host whose load swings by up to +-30% from round to round, both sides of a round alike,
  // with 2% of noise of each boot's own: the shape of boot times on this shared machine.
  function rounds(n: number, trueRatio: number, seed: number): { a: number[]; b: number[] } {
    let s = seed;
    const u = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < n; i++) {
      const load = 0.7 + 0.6 * u();
      a.push(6000 * load * (1 + 0.04 * (u() - 0.5)));
      b.push(6000 * trueRatio * load * (1 + 0.04 * (u() - 0.5)));
    }
    return { a, b };
  }

  it('is the geometric mean of the per-pair ratios', () => {
    const r = pairedRatio([100, 200], [110, 180])!;
    expect(r.ratio).toBeCloseTo(Math.sqrt(1.1 * 0.9), 10);
    expect(r.pairs).toBe(2);
  });

  it('sees a 3% difference in 16 rounds of a loaded host, where the ratio of medians does not', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const { a, b } = rounds(16, 1.03, seed);
      const p = pairedRatio(a, b)!;
      expect(p.ciLow, `seed ${seed}`).toBeGreaterThan(1);
      expect(Math.abs(p.ratio - 1.03)).toBeLessThan(0.01);
      expect(p.ciHigh - p.ciLow).toBeLessThan(0.03);
      expect(ratioOfMedians(a, b)!.significant, `seed ${seed}`).toBe(false);
    }
  });

  it('finds nothing in an A/A comparison', () => {
    let hits = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const { a, b } = rounds(16, 1, seed);
      if (pairedRatio(a, b, { seed })!.significant) hits++;
    }
    // About 5% of A/A comparisons exclude 1 by chance at 95%; far more is a broken interval.
    expect(hits).toBeLessThanOrEqual(6);
  });

  it('needs two usable pairs, and pairs by index (the shorter side decides)', () => {
    expect(pairedRatio([1], [2])).toBeUndefined();
    expect(pairedRatio([1, 0, 2], [2, 5, -4])).toBeUndefined();
    expect(pairedRatio([1, 2, 3], [2, 4])!.pairs).toBe(2);
  });
});
