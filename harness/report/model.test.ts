import { describe, expect, it } from 'vitest';
import { cell, crashed, ok } from '../../test/fixtures/report-run.js';
import { shownCycles } from './model.js';

describe('shownCycles: what a page draws of a cell with very many boots', () => {
  it('is every boot when there are few', () => {
    const c = cell('img', '290', { cycles: [ok('agent', 1), ok('agent', 2)] });
    expect(shownCycles(c, 500)).toEqual({ cycles: [...c.baseline, ...c.cycles], omitted: 0 });
  });

  it('keeps the first and last boots and every failed one, in order, and counts the rest', () => {
    const cycles = Array.from({ length: 10_000 }, (_, i) => (i === 5000 || i === 7777 ? crashed(i + 1) : ok('agent', i + 1)));
    const c = cell('img', '290', { baseline: [], cycles });
    const s = shownCycles(c, 40);
    expect(s.cycles.length).toBe(22); // 10 first, 10 last, 2 failed
    expect(s.omitted).toBe(10_000 - 22);
    expect(s.cycles.filter((x) => !x.booted).map((x) => x.index)).toEqual([5001, 7778]);
    expect(s.cycles[0]!.index).toBe(1);
    expect(s.cycles.at(-1)!.index).toBe(10_000);
    const idx = s.cycles.map((x) => x.index);
    expect(idx).toEqual([...idx].sort((a, b) => a - b));
  });
});
