import { describe, expect, it } from 'vitest';
import { assignShards, bootsOf, filterCells, globRegExp, parseShard, shardCells } from './cell-selection.js';
import type { CellPlan } from './matrix.js';

const plan = (image: string, content: string): CellPlan => ({ id: `${image}__sensor-2.1.0__content-${content}`, image, agent: 'sensor', build: { version: '2.1.0' }, content: { version: content, path: 'c' } });
const matrix = (images: string[], contents: string[]) => images.flatMap((i) => contents.map((c) => plan(i, c)));

describe('parseShard', () => {
  it('reads i/n and refuses what is not a slice', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, total: 4 });
    for (const bad of ['0/2', '3/2', '1/0', '1', 'a/b', '1/2/3', '-1/2', '1/1001']) expect(() => parseShard(bad), bad).toThrow(/takes i\/n/);
  });
});

describe('globRegExp and filterCells', () => {
  it('matches * ? and classes, and nothing else specially', () => {
    expect(globRegExp('debian-6.1-*').test('debian-6.1-generic__x')).toBe(true);
    expect(globRegExp('debian-6.1-*').test('debian-6.12-generic__x')).toBe(false);
    expect(globRegExp('debian-6.1-g*').test('debian-6x1-generic')).toBe(false);
    expect(globRegExp('*content-29[01]').test('a__content-291')).toBe(true);
    expect(globRegExp('*content-29[!01]').test('a__content-291')).toBe(false);
    expect(globRegExp('a?c').test('abc')).toBe(true);
    expect(globRegExp('a(b|c)+').test('a(b|c)+')).toBe(true);
    expect(globRegExp('a(b|c)+').test('ab')).toBe(false);
  });
  it('keeps matrix order, takes any glob, and refuses one that matches nothing', () => {
    const m = matrix(['a', 'b'], ['1', '2']);
    expect(filterCells(m, ['*content-2', 'a__*']).map((c) => c.id)).toEqual(['a__sensor-2.1.0__content-1', 'a__sensor-2.1.0__content-2', 'b__sensor-2.1.0__content-2']);
    expect(filterCells(m, [])).toBe(m);
    expect(() => filterCells(m, ['a*', 'zzz*'])).toThrow(/no cell matches "zzz\*"/);
  });
});

describe('shards', () => {
  const m = matrix(['a', 'b', 'c'], ['1', '2', '3', '4', '5']);
  it('cover every cell exactly once, whatever n', () => {
    for (const n of [1, 2, 3, 4, 7, 15, 20]) {
      const seen = Array.from({ length: n }, (_, i) => shardCells(m, { index: i + 1, total: n }, { perCell: 3, perImage: 0 })).flat().map((c) => c.id);
      expect(seen.sort(), `n=${n}`).toEqual(m.map((c) => c.id).sort());
    }
  });
  it('are deterministic and balanced by boots to within one cell', () => {
    expect(assignShards(m, 4, { perCell: 3, perImage: 0 })).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3]);
    const cost = { perCell: 11, perImage: 0 };
    expect(assignShards(m, 4, cost)).toEqual(assignShards([...m], 4, cost));
    const loads = [1, 2, 3, 4].map((i) => bootsOf(shardCells(m, { index: i, total: 4 }, cost), cost));
    expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(cost.perCell);
  });
  it('keep an image on one machine when its shared boots make that cheaper', () => {
    const cost = { perCell: 2, perImage: 10 };
    const owner = assignShards(m, 3, cost);
    for (const img of ['a', 'b', 'c']) expect(new Set(owner.filter((_, i) => m[i]!.image === img)).size, img).toBe(1);
    // ...and the split is still even: one image per shard.
    expect(new Set(owner).size).toBe(3);
    const loads = [1, 2, 3].map((i) => bootsOf(shardCells(m, { index: i, total: 3 }, cost), cost));
    expect(loads).toEqual([20, 20, 20]);
  });
  it('count an image once per machine', () => {
    expect(bootsOf(matrix(['a', 'b'], ['1', '2', '3']), { perCell: 3, perImage: 5 })).toBe(6 * 3 + 2 * 5);
  });
});
