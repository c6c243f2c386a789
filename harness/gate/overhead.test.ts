import { describe, expect, it } from 'vitest';
import { memoryOverhead, workloadOverhead } from './overhead.js';

const wave = (mean: number, n: number) => Array.from({ length: n }, (_, i) => mean * (1 + 0.002 * Math.sin(i * 2.4)));

describe('overhead of a cell', () => {
  it('pools a/b samples of every boot per workload: a real 13% exec cost is significant, tcp is not', () => {
    const cycles = [1, 2].map(() => ({ workloads: { exec: { a: wave(7_400_000, 10), b: wave(8_400_000, 10) }, tcp: { a: wave(1_030_000, 10), b: wave(1_030_000, 10).reverse() } } }));
    const o = workloadOverhead(cycles);
    const exec = o.find((x) => x.workload === 'exec')!;
    expect(exec).toMatchObject({ nA: 20, nB: 20, significant: true });
    expect(exec.pct).toBeCloseTo(13.5, 0);
    expect(exec.pctUpper).toBeGreaterThanOrEqual(exec.pct);
    expect(o.find((x) => x.workload === 'tcp')!.significant).toBe(false);
  });
  it('memory: what the agent adds to slab and takes from MemAvailable, median over boots', () => {
    const m = (a: number, b: number, sa: number, sb: number) => ({ memory: { memAvailableKiB: { a, b }, slabKiB: { a: sa, b: sb }, agentBytes: 16384 } });
    expect(memoryOverhead([m(424840, 424800, 17324, 17356), m(426300, 426176, 17312, 17344), m(425000, 424990, 17300, 17330)])).toEqual({ slabKiB: 32, memAvailableKiB: 40, agentBytes: 16384 });
    expect(memoryOverhead([{}])).toBeUndefined();
  });
  it('memory over an even number of boots: the mean of the two middle boots', () => {
    const m = (slab: number) => ({ memory: { memAvailableKiB: { a: 1000, b: 1000 }, slabKiB: { a: 0, b: slab } } });
    expect(memoryOverhead([m(30), m(10), m(40), m(20)])!.slabKiB).toBe(25);
  });
});
