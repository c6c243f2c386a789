import { describe, expect, it } from 'vitest';
import { maxOf, minOf, pushAll } from './arrays.js';

describe('arrays: no spread of a long array into a call', () => {
  const big = Array.from({ length: 500_000 }, (_, i) => (i * 7919) % 100_003);
  it('Math.max(...x) and push(...x) overflow the stack on this; these do not', () => {
    expect(() => Math.max(...big)).toThrow(RangeError);
    expect(maxOf(big)).toBe(100_002);
    expect(minOf(big)).toBe(0);
    expect(pushAll([1], big)).toHaveLength(500_001);
  });
  it('behave as Math.max and Math.min do, with a floor or ceiling', () => {
    expect([maxOf([]), minOf([])]).toEqual([-Infinity, Infinity]);
    expect(maxOf([3, 9, 2], 10)).toBe(10);
    expect(minOf([3, 9, 2], 1)).toBe(1);
    expect(maxOf([1, NaN, 3])).toBeNaN();
  });
});
