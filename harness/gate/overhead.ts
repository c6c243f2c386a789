import type { CycleResult } from '../results/schema.js';
import { median, pct, ratioOfMedians, type RatioEstimate } from '../util/stats.js';
import { pushAll } from '../util/arrays.js';

export interface WorkloadOverhead extends RatioEstimate {
  workload: string;
  /** Overhead in percent at the median ratio and at the upper end of the interval. */
  pct: number;
  pctUpper: number;
}

/**
 * Per workload: the agent's cost from samples taken in the same boots, without the agent (a)
 * and with it (b), interleaved a b a b so that drift falls on both sides alike.
 */
export function workloadOverhead(cycles: readonly Pick<CycleResult, 'workloads'>[]): WorkloadOverhead[] {
  const by = new Map<string, { a: number[]; b: number[] }>();
  for (const c of cycles) {
    for (const [name, w] of Object.entries(c.workloads ?? {})) {
      const s = by.get(name) ?? { a: [], b: [] };
      pushAll(s.a, w.a);
      pushAll(s.b, w.b);
      by.set(name, s);
    }
  }
  const out: WorkloadOverhead[] = [];
  for (const [workload, s] of by) {
    const r = ratioOfMedians(s.a, s.b);
    if (r) out.push({ ...r, workload, pct: pct(r.ratio), pctUpper: pct(r.ciHigh) });
  }
  return out;
}

/** Median memory the agent adds (slab and MemAvailable taken, in KiB) over the boots that measured it. */
export function memoryOverhead(cycles: readonly Pick<CycleResult, 'memory'>[]): { slabKiB: number; memAvailableKiB: number; agentBytes?: number } | undefined {
  const m = cycles.map((c) => c.memory).filter((x): x is NonNullable<CycleResult['memory']> => !!x);
  if (m.length === 0) return undefined;
  const agent = m.map((x) => x.agentBytes).filter((x): x is number => x !== undefined);
  return {
    slabKiB: median(m.map((x) => x.slabKiB.b - x.slabKiB.a)),
    memAvailableKiB: median(m.map((x) => x.memAvailableKiB.a - x.memAvailableKiB.b)),
    agentBytes: agent.length ? median(agent) : undefined,
  };
}
