/** Throughput of boot loops running together: the scaling section of `npm run bench`. */
import type { Loop } from './lockstep.js';

/**
 * Throughput of `loops` running together for `spanMs`: the sum over loops of cycles per minute,
 * each loop's from the cycles it finished inside the span (cycles per minute of cycle time).
 */
export async function throughputTogether(loops: Loop[], spanMs: number, signal: AbortSignal): Promise<{ perMinute: number; cycles: number }> {
  const to = performance.now() + spanMs;
  const one = async (l: Loop): Promise<number[]> => {
    const kept: number[] = [];
    while (performance.now() < to) {
      signal.throwIfAborted();
      const r = await l.next();
      // A loop whose first cycle outlasts the span still counts that cycle.
      if (performance.now() <= to || kept.length === 0) kept.push(r.ms);
    }
    return kept;
  };
  const settled = await Promise.allSettled(loops.map(one));
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  const all = settled.map((r) => (r as PromiseFulfilledResult<number[]>).value);
  let perMinute = 0;
  for (const ms of all) if (ms.length) perMinute += (60_000 * ms.length) / ms.reduce((x, y) => x + y, 0);
  return { perMinute, cycles: all.reduce((n, ms) => n + ms.length, 0) };
}
