/** How `npm run bench` states a comparison: medians, a ratio with its 95% interval, sample counts. */
import { median, pairedRatio } from '../../harness/util/stats.js';

export interface Comparison {
  what: string;
  /**
   * b over a: the geometric mean of the per-pair ratios b_i / a_i (a pair is a time window in
   * which both sides ran side by side, or a round of sequential windows), and its 95% bootstrap
   * interval over the pairs.
   */
  ratio: number;
  ciLow: number;
  ciHigh: number;
  /** Half the interval's width, in percent of the ratio: the smallest difference this run can show. */
  resolutionPct: number;
  pairs: number;
  method: 'paired-bootstrap-geomean';
  a: { label: string; n: number; medianMs: number };
  b: { label: string; n: number; medianMs: number };
  target?: string;
}

/** Compares two series measured in pairs: a[i] and b[i] come from the same window or round. */
export function compare(what: string, a: { label: string; xs: number[] }, b: { label: string; xs: number[] }, target?: string): Comparison | undefined {
  const r = pairedRatio(a.xs, b.xs);
  if (!r) return undefined;
  return {
    what,
    ratio: round(r.ratio),
    ciLow: round(r.ciLow),
    ciHigh: round(r.ciHigh),
    resolutionPct: Math.round(((r.ciHigh - r.ciLow) / 2 / r.ratio) * 1000) / 10,
    pairs: r.pairs,
    method: r.method,
    a: { label: a.label, n: a.xs.length, medianMs: Math.round(median(a.xs)) },
    b: { label: b.label, n: b.xs.length, medianMs: Math.round(median(b.xs)) },
    ...(target ? { target } : {}),
  };
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

export function line(c: Comparison | undefined): string {
  if (!c) return '  (too few samples)';
  return `  ${c.what}: ${c.ratio.toFixed(3)} (95% CI ${c.ciLow.toFixed(3)}..${c.ciHigh.toFixed(3)}, +-${c.resolutionPct}%, ${c.pairs} pairs); ${c.b.label} ${(c.b.medianMs / 1000).toFixed(2)} s / ${c.a.label} ${(c.a.medianMs / 1000).toFixed(2)} s (medians)${c.target ? `; target ${c.target}` : ''}`;
}

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
