/**
 * Two boot loops run at the same time for a fixed span, each starting its next cycle as soon as
 * the last one ends, so the machine carries the same load throughout; their cycle times are
 * then paired by time window (harness/util/window-pairs.ts). Measured here: two raw boots
 * started together differ by 3% (sd of their ratio); two started a few seconds apart, by 18%,
 * because the shared host's speed changes from one boot to the next.
 */
import { windowPairs, type TimedSample, type WindowPairs } from '../../harness/util/window-pairs.js';
import { seconds } from './figures.js';

/** One side: a loop of cycles, each timed by the caller; `detail` is kept with the sample. */
export interface Loop<D = unknown> {
  label: string;
  next(): Promise<{ ms: number; detail?: D }>;
}

export interface SideSamples<D = unknown> extends TimedSample {
  detail?: D;
}

export interface SideBySide<A, B> {
  a: SideSamples<A>[];
  b: SideSamples<B>[];
  pairs: WindowPairs;
  /** The span both loops ran together, ms. */
  spanMs: number;
  windowMs: number;
  /** CPU time of this Node process over the span (user + system), ms: the harness's own share of the host. */
  nodeCpuMs: number;
}

/**
 * Runs `a` and `b` together for `spanMs`. Cycles that end after the span are waited for but not
 * kept: the other loop no longer ran beside them.
 */
export async function sideBySide<A, B>(a: Loop<A>, b: Loop<B>, spanMs: number, windowMs: number, signal: AbortSignal, log?: (s: string) => void): Promise<SideBySide<A, B>> {
  const from = performance.now();
  const to = from + spanMs;
  const cpu0 = process.cpuUsage();
  const run = async <D>(l: Loop<D>): Promise<SideSamples<D>[]> => {
    const out: SideSamples<D>[] = [];
    while (performance.now() < to) {
      signal.throwIfAborted();
      const start = performance.now();
      const r = await l.next();
      const end = performance.now();
      out.push({ start, end, ms: r.ms, ...(r.detail !== undefined ? { detail: r.detail } : {}) });
    }
    return out;
  };
  let ticker: NodeJS.Timeout | undefined;
  if (log) ticker = setInterval(() => log(`    ${a.label} beside ${b.label}: ${Math.round((performance.now() - from) / 1000)} of ${Math.round(spanMs / 1000)} s`), 60_000);
  try {
    // Both loops run to the end of the span even when one fails, so no QEMU is left behind.
    const [ra, rb] = await Promise.allSettled([run(a), run(b)]);
    if (ra.status === 'rejected') throw ra.reason;
    if (rb.status === 'rejected') throw rb.reason;
    const [xa, xb] = [ra.value, rb.value];
    const c = process.cpuUsage(cpu0);
    const pairs = windowPairs(xa, xb, from, to, windowMs);
    log?.(`    ${a.label} beside ${b.label}: ${xa.length} + ${xb.length} cycles in ${seconds(spanMs)}, ${pairs.a.length} windows`);
    return { a: xa, b: xb, pairs, spanMs, windowMs, nodeCpuMs: (c.user + c.system) / 1000 };
  } finally {
    if (ticker) clearInterval(ticker);
  }
}

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
