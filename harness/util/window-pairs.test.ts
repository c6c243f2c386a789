import { describe, expect, it } from 'vitest';
import { windowPairs, type TimedSample } from './window-pairs.js';
import { pairedRatio } from './stats.js';

/** Back-to-back samples of one loop from `from`, each `f(t)` ms long. */
function loop(from: number, to: number, f: (t: number) => number): TimedSample[] {
  const out: TimedSample[] = [];
  for (let t = from; ; ) {
    const ms = f(t);
    out.push({ start: t, end: t + ms, ms });
    t += ms;
    if (t > to) break;
  }
  return out;
}

describe('windowPairs', () => {
  it('gives each window the mean of the samples whose midpoint it holds', () => {
    const a = [
      { start: 0, end: 4, ms: 4 },
      { start: 4, end: 8, ms: 4 },
      { start: 10, end: 16, ms: 6 },
    ];
    const b = [
      { start: 0, end: 9, ms: 9 },
      { start: 11, end: 19, ms: 8 },
    ];
    const p = windowPairs(a, b, 0, 20, 10);
    expect(p.a).toEqual([4, 6]);
    expect(p.b).toEqual([9, 8]);
    expect(p.dropped).toBe(0);
  });

  it('drops samples that ran past the end or began before the start', () => {
    const a = [
      { start: -1, end: 3, ms: 4 },
      { start: 3, end: 7, ms: 4 },
      { start: 7, end: 12, ms: 5 },
    ];
    const b = [{ start: 0, end: 6, ms: 6 }];
    const p = windowPairs(a, b, 0, 10, 10);
    expect(p).toEqual({ a: [4], b: [6], dropped: 2 });
  });

  it('merges a window where one side finished nothing into the next, and a remainder into the last', () => {
    // b's samples are long: its first ends in window 1, none ends in window 3.
    const a = loop(0, 40, () => 2).filter((s) => s.end <= 40);
    const b = [
      { start: 0, end: 15, ms: 15 },
      { start: 15, end: 25, ms: 10 },
      { start: 25, end: 40, ms: 15 },
    ];
    const p = windowPairs(a, b, 0, 40, 10);
    // Groups: windows 0-1 (b's 15 ms sample), 2 (b's 10 ms), 3 (b's last 15 ms): every a sample is 2.
    expect(p.a).toEqual([2, 2, 2]);
    expect(p.b).toEqual([15, 10, 15]);
    const q = windowPairs(a, [{ start: 0, end: 8, ms: 8 }], 0, 40, 10);
    expect(q).toEqual({ a: [2], b: [8], dropped: 0 });
  });

  it('refuses a window that is not positive', () => {
    expect(() => windowPairs([], [], 0, 10, 0)).toThrow(RangeError);
  });

  it('cancels a host whose speed swings beside a 3% difference, where one-after-the-other pairs do not', () => {
    // The host's speed swings by +-35% over tens of seconds; side b costs 3% more work.
    const speed = (t: number) => 1 + 0.2 * Math.sin(t / 8000) + 0.15 * Math.sin(t / 2900 + 1);
    const span = 300_000;
    const a = loop(0, span, (t) => 6000 * speed(t));
    const b = loop(0, span, (t) => 6180 * speed(t));
    const side = windowPairs(a, b, 0, span, 30_000);
    const r = pairedRatio(side.a, side.b)!;
    expect(r.ratio).toBeGreaterThan(1.02);
    expect(r.ratio).toBeLessThan(1.04);
    expect(r.ciLow).toBeGreaterThan(1);
    // The same samples paired one after the other (a's i-th against b's i-th) miss it.
    const seq = pairedRatio(
      a.filter((_, i) => i % 2 === 0).map((s) => s.ms),
      a.filter((_, i) => i % 2 === 1).map((s) => s.ms * 1.03),
    )!;
    expect(seq.ciHigh - seq.ciLow).toBeGreaterThan(r.ciHigh - r.ciLow);
  });
});
