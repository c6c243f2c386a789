import { describe, expect, it } from 'vitest';
import { runAll } from './prepare.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('runAll (agent builds several at once)', () => {
  it('keeps at most `limit` tasks running, and runs them all', async () => {
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    const tasks = Array.from({ length: 7 }, (_, i) => async () => {
      running++;
      peak = Math.max(peak, running);
      await tick(5 + (i % 3) * 5);
      running--;
      done.push(i);
    });
    await runAll(tasks, 3);
    expect(peak).toBe(3);
    expect(done.sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('starts nothing after a failure, and throws the earliest failed task\'s error', async () => {
    const started: number[] = [];
    const tasks = Array.from({ length: 6 }, (_, i) => async () => {
      started.push(i);
      // Task 1 fails after task 0 has: task 0's error is the one said.
      await tick(i === 0 ? 20 : 5);
      if (i <= 1) throw new Error(`build ${i} failed`);
    });
    await expect(runAll(tasks, 2)).rejects.toThrow('build 0 failed');
    expect(started).toEqual([0, 1]);
  });
});
