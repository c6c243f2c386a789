/**
 * Pairs two series of timed samples taken side by side (two loops running at the same time)
 * by time window: per window, the mean sample time of each side. On a shared host the speed
 * the machine gives drifts from second to second; two samples taken in the same seconds see
 * the same machine, so the ratio of the window means is steady where samples taken one after
 * the other are not.
 */

export interface TimedSample {
  /** Host clock (ms) when the sample started and ended. */
  start: number;
  end: number;
  /** What the sample measured (ms): the end minus the start, or a part of it. */
  ms: number;
}

export interface WindowPairs {
  /** Mean sample time of side a and of side b in each window; a[i] and b[i] come from window i. */
  a: number[];
  b: number[];
  /** Samples not used: begun before `from`, or ended after `to` (the other side was no longer running beside them). */
  dropped: number;
}

/**
 * A sample belongs to the window that holds its midpoint. A window where one side finished no
 * sample is merged into the next, so every pair holds at least one sample of each side.
 */
export function windowPairs(a: readonly TimedSample[], b: readonly TimedSample[], from: number, to: number, windowMs: number): WindowPairs {
  if (!(windowMs > 0)) throw new RangeError(`windowMs must be positive, got ${windowMs}`);
  const count = Math.max(1, Math.ceil((to - from) / windowMs));
  const sums = [new Float64Array(count), new Float64Array(count)];
  const ns = [new Uint32Array(count), new Uint32Array(count)];
  let dropped = 0;
  [a, b].forEach((xs, side) => {
    for (const s of xs) {
      if (s.start < from || s.end > to) {
        dropped++;
        continue;
      }
      const w = Math.min(count - 1, Math.floor(((s.start + s.end) / 2 - from) / windowMs));
      sums[side]![w] = sums[side]![w]! + s.ms;
      ns[side]![w] = ns[side]![w]! + 1;
    }
  });
  // Group windows until both sides have a sample; a remainder at the end joins the last group.
  const groups: { sum: [number, number]; n: [number, number] }[] = [];
  let open = { sum: [0, 0] as [number, number], n: [0, 0] as [number, number] };
  for (let w = 0; w < count; w++) {
    for (const side of [0, 1] as const) {
      open.sum[side] += sums[side]![w]!;
      open.n[side] += ns[side]![w]!;
    }
    if (open.n[0] > 0 && open.n[1] > 0) {
      groups.push(open);
      open = { sum: [0, 0], n: [0, 0] };
    }
  }
  const last = groups.at(-1);
  if (last) {
    for (const side of [0, 1] as const) {
      last.sum[side] += open.sum[side];
      last.n[side] += open.n[side];
    }
  } else {
    dropped += open.n[0] + open.n[1];
  }
  return { a: groups.map((g) => g.sum[0] / g.n[0]), b: groups.map((g) => g.sum[1] / g.n[1]), dropped };
}
