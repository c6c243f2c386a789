import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Limiter } from './limiter.js';

describe('Limiter', () => {
  it('runs at most max tasks at once, all of them, in order, and frees a slot on failure', async () => {
    const l = new Limiter(2);
    let now = 0;
    let peak = 0;
    const started: number[] = [];
    const task = (i: number) => async () => {
      started.push(i);
      peak = Math.max(peak, ++now);
      await sleep(5);
      now--;
      if (i === 1) throw new Error('one fails');
      return i;
    };
    const r = await Promise.allSettled([0, 1, 2, 3, 4].map((i) => l.run(task(i))));
    expect(peak).toBe(2);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(r.map((x) => x.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
  });
  it('refuses a bound that is not a whole number >= 1', () => {
    expect(() => new Limiter(0)).toThrow(RangeError);
  });
});
