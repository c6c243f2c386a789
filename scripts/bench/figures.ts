/** How `npm run bench` states a comparison: medians, a ratio with its 95% interval, sample counts. */
import { median, ratioOfMedians } from '../../harness/util/stats.js';

export interface Comparison {
  what: string;
  /** median(b) / median(a), and its 95% bootstrap interval. */
  ratio: number;
  ciLow: number;
  ciHigh: number;
  a: { label: string; n: number; medianMs: number };
  b: { label: string; n: number; medianMs: number };
  target?: string;
}

export function compare(what: string, a: { label: string; xs: number[] }, b: { label: string; xs: number[] }, target?: string): Comparison | undefined {
  const r = ratioOfMedians(a.xs, b.xs);
  if (!r) return undefined;
  return {
    what,
    ratio: round(r.ratio),
    ciLow: round(r.ciLow),
    ciHigh: round(r.ciHigh),
    a: { label: a.label, n: a.xs.length, medianMs: Math.round(median(a.xs)) },
    b: { label: b.label, n: b.xs.length, medianMs: Math.round(median(b.xs)) },
    ...(target ? { target } : {}),
  };
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

export function line(c: Comparison | undefined): string {
  if (!c) return '  (too few samples)';
  return `  ${c.what}: ${c.ratio.toFixed(3)} (95% CI ${c.ciLow.toFixed(3)}..${c.ciHigh.toFixed(3)}); ${c.b.label} ${(c.b.medianMs / 1000).toFixed(2)} s (n=${c.b.n}) / ${c.a.label} ${(c.a.medianMs / 1000).toFixed(2)} s (n=${c.a.n})${c.target ? `; target ${c.target}` : ''}`;
}

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
