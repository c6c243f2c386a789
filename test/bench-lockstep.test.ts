import { describe, expect, it } from 'vitest';
import { lockstep, type Loop } from '../scripts/bench/lockstep.js';
import { throughputTogether } from '../scripts/bench/throughput.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A loop whose cycles take `ms` of wall time and report `reported` (default: the wall time); it notes when each cycle ran. */
function fake(label: string, ms: number, reported?: number): Loop<number> & { runs: [number, number][] } {
  const l = {
    label,
    runs: [] as [number, number][],
    async next() {
      const t = performance.now();
      await sleep(ms);
      l.runs.push([t, performance.now()]);
      return { ms: reported ?? ms, detail: l.runs.length };
    },
  };
  return l;
}

/** A filler that notes when it ran and ends only when stopped. */
function filler() {
  const runs: [number, number | undefined][] = [];
  const f = (stop: AbortSignal) =>
    new Promise<void>((_, reject) => {
      const r: [number, number | undefined] = [performance.now(), undefined];
      runs.push(r);
      stop.addEventListener('abort', () => ((r[1] = performance.now()), reject(new Error('stopped'))), { once: true });
    });
  return { f, runs };
}

describe('lockstep', () => {
  it('starts both sides of each pair together, and pairs what they measured', async () => {
    const a = fake('a', 20, 100);
    const b = fake('b', 60, 130);
    const fl = filler();
    const r = await lockstep(a, b, 4, fl.f, new AbortController().signal);
    expect(r.a.map((s) => s.ms)).toEqual([100, 100, 100, 100]);
    expect(r.b.map((s) => s.ms)).toEqual([130, 130, 130, 130]);
    expect(r.a.map((s) => s.detail)).toEqual([1, 2, 3, 4]);
    for (let i = 0; i < 4; i++) {
      // Started within a few ms of each other; the next pair only after both ended.
      expect(Math.abs(a.runs[i]![0] - b.runs[i]![0])).toBeLessThan(15);
      if (i > 0) expect(a.runs[i]![0]).toBeGreaterThanOrEqual(Math.max(a.runs[i - 1]![1], b.runs[i - 1]![1]));
    }
  });

  it('keeps the machine loaded while the slower side ends: a filler from the first end to the last', async () => {
    const a = fake('fast', 10);
    const b = fake('slow', 80);
    const fl = filler();
    await lockstep(a, b, 3, fl.f, new AbortController().signal);
    expect(fl.runs).toHaveLength(3);
    for (let i = 0; i < 3; i++) {
      const [from, to] = fl.runs[i]!;
      expect(from).toBeGreaterThanOrEqual(a.runs[i]![1] - 1);
      expect(from).toBeLessThan(b.runs[i]![1]);
      expect(to).toBeGreaterThanOrEqual(b.runs[i]![1] - 1);
    }
  });

  it('fails with the side that failed, its filler stopped', async () => {
    const bad: Loop = {
      label: 'bad',
      next: async () => {
        await sleep(30);
        throw new Error('raw QEMU exited 1 before the ready marker');
      },
    };
    const fl = filler();
    await expect(lockstep(fake('good', 5), bad, 2, fl.f, new AbortController().signal)).rejects.toThrow(/ready marker/);
    expect(fl.runs.every(([, to]) => to !== undefined)).toBe(true);
  });

  it('says when the filler itself fails', async () => {
    const broken = async () => {
      throw new Error('qemu-system-x86_64: not found');
    };
    await expect(lockstep(fake('a', 5), fake('b', 40), 1, broken, new AbortController().signal)).rejects.toThrow(/the filler boot failed: qemu-system-x86_64: not found/);
  });

  it('stops at an abort between pairs', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('stopped by the user')), 50);
    await expect(lockstep(fake('a', 20), fake('b', 20), 1000, filler().f, ac.signal)).rejects.toThrow(/stopped by the user/);
  });
});

describe('throughputTogether', () => {
  it("adds the loops' cycles per minute of cycle time", async () => {
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
