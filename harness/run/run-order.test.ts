import { describe, expect, it } from 'vitest';
import type { CellPlan } from '../config/matrix.js';
import { interleaveByImage } from './run-order.js';

const plan = (image: string, n: number) => ({ id: `${image}/${n}`, image }) as CellPlan;

describe('interleaveByImage', () => {
  it('takes one cell of each image in turn, keeping each image\'s own order', () => {
    const plans = [plan('a', 1), plan('a', 2), plan('a', 3), plan('b', 1), plan('c', 1), plan('c', 2)];
    expect(interleaveByImage(plans).map((p) => p.id)).toEqual(['a/1', 'b/1', 'c/1', 'a/2', 'c/2', 'a/3']);
  });

  it('keeps every cell once, and an empty list empty', () => {
    const plans = [plan('x', 1), plan('y', 1), plan('x', 2)];
    const out = interleaveByImage(plans);
    expect(out).toHaveLength(3);
    expect(new Set(out)).toEqual(new Set(plans));
    expect(interleaveByImage([])).toEqual([]);
  });
});
