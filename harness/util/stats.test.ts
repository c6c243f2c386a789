import { describe, expect, it } from 'vitest';
import { median, ratioOfMedians } from './stats.js';

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
