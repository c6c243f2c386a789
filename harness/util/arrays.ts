/**
 * `Math.max(...xs)` and `a.push(...xs)` pass every element as an argument, and a run's arrays
 * (events, cycles, samples, crash groups) can be long enough to exceed the call stack
 * ("Maximum call stack size exceeded" near 100k elements). These loop instead.
 */

/** Append every item of xs to target; returns target. */
export function pushAll<T>(target: T[], xs: Iterable<T>): T[] {
  for (const x of xs) target.push(x);
  return target;
}

/** The largest of xs and `floor` (-Infinity by default, as Math.max() is). */
export function maxOf(xs: Iterable<number>, floor = -Infinity): number {
  let m = floor;
  for (const x of xs) if (x > m || Number.isNaN(x)) m = x;
  return m;
}

/** The smallest of xs and `ceiling` (Infinity by default, as Math.min() is). */
export function minOf(xs: Iterable<number>, ceiling = Infinity): number {
  let m = ceiling;
  for (const x of xs) if (x < m || Number.isNaN(x)) m = x;
  return m;
}
