import { describe, expect, it } from 'vitest';
import { sideBySide, throughputTogether, type Loop } from '../scripts/bench/side-by-side.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A loop whose cycles take `ms` of wall time and report `reported` (default: the wall time). */
function fake(label: string, ms: number, reported?: number): Loop<number> & { calls: number } {
  const l = {
    label,
    calls: 0,
    async next() {
      l.calls++;
      await sleep(ms);
      return { ms: reported ?? ms, detail: l.calls };
    },
  };
  return l;
}

describe('sideBySide', () => {
  it('runs both loops at the same time and keeps only cycles that ended inside the span', async () => {
    const a = fake('a', 30);
    const b = fake('b', 45);
    const r = await sideBySide(a, b, 300, 100, new AbortController().signal);
    // Together, not one after the other: b's first cycle began before a's last one ended.
    expect(r.b[0]!.start).toBeLessThan(r.a.at(-1)!.end);
    for (const s of [...r.a, ...r.b]) expect(s.start).toBeGreaterThanOrEqual(r.a[0]!.start - 1);
    expect(r.a.length).toBeGreaterThan(2);
    expect(r.pairs.a.length).toBeGreaterThan(0);
    expect(r.pairs.a.length).toBe(r.pairs.b.length);
    // The last cycle of each loop ran past the span: waited for, recorded, not paired.
    const end = r.a[0]!.start + 300;
    expect(r.pairs.dropped).toBeGreaterThanOrEqual([...r.a, ...r.b].filter((s) => s.end > end + 5).length);
    expect(r.a.map((s) => s.detail)).toEqual(r.a.map((_, i) => i + 1));
  });

  it('lets the other loop finish when one fails, then fails', async () => {
    const good = fake('good', 20);
    const bad: Loop = {
      label: 'bad',
      next: async () => {
        await sleep(10);
        throw new Error('QEMU exited 1 before the ready marker');
      },
    };
    await expect(sideBySide(good, bad, 120, 60, new AbortController().signal)).rejects.toThrow(/ready marker/);
    const calls = good.calls;
    await sleep(60);
    expect(good.calls).toBe(calls);
  });

  it('stops at an abort', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('stopped by the user')), 50);
    await expect(sideBySide(fake('a', 20), fake('b', 20), 10_000, 1000, ac.signal)).rejects.toThrow(/stopped by the user/);
  });
});

describe('throughputTogether', () => {
  it('adds the loops\' cycles per minute of cycle time', async () => {
    const r = await throughputTogether([fake('a', 20, 500), fake('b', 20, 1000)], 150, new AbortController().signal);
    // 500 ms cycles are 120 per minute, 1000 ms cycles 60.
    expect(r.perMinute).toBeCloseTo(180, 6);
    expect(r.cycles).toBeGreaterThan(2);
  });

  it('counts the first cycle of a loop that outlasts the span', async () => {
    const r = await throughputTogether([fake('slow', 80, 6000)], 20, new AbortController().signal);
    expect(r).toEqual({ perMinute: 10, cycles: 1 });
  });
});
