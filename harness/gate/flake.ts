import type { ComparePolicy, Difference, FlakeClass } from '../results/compare-schema.js';
import type { CellResult, CycleResult } from '../results/schema.js';

/**
 * Telling a flake from a real change: a difference B showed (a new crash signature, a drop in
 * boot success, a slower boot or workload) is looked for again in the agent boots of a rerun of
 * B's cell, each boot one observation. Seen in every boot: deterministic; in some: flaky; in
 * none: not reproduced. A rerun that made no observation (its cell never got to an agent boot)
 * leaves the difference inconclusive, and it keeps counting as B showed it.
 */
export function flakeClass(seen: number, of: number): FlakeClass {
  if (of === 0) return 'inconclusive';
  return seen === of ? 'deterministic' : seen > 0 ? 'flaky' : 'not-reproduced';
}

/** Which classes fail a comparison when the policy does not say: a crash that comes back now and then is still a crash. */
export const DEFAULT_FAIL_ON: readonly FlakeClass[] = ['deterministic', 'flaky', 'inconclusive'];

/** How one boot of the rerun is judged against A's cell for a metric: the caller's estimate, as the comparison made it for B's whole cell. */
export type MetricCheck = (aSamples: number[], bSamples: number[], thresholdPct: number) => boolean;

/** What B's cell showed that A's did not, as compareCell found it. */
export interface Shown {
  newCrashes: { signature: string; title: string }[];
  bootSuccess: boolean;
  bootTime: boolean;
  workloads: string[];
}

const agentSamples = (c: CycleResult, name: string): number[] => {
  const w = (c as CycleResult & { workloads?: Record<string, unknown> }).workloads?.[name];
  if (Array.isArray(w)) return w.filter((x): x is number => typeof x === 'number');
  const b = (w as { b?: unknown } | undefined)?.b;
  return Array.isArray(b) ? b.filter((x): x is number => typeof x === 'number') : [];
};

/**
 * Each difference B showed, looked for in the rerun's agent boots. Boot time is one figure per
 * boot, too few for an interval: it is judged once over the rerun's boots (one observation).
 * A workload is judged per boot, that boot's samples against all of A's.
 */
export function classifyDifferences(shown: Shown, a: Pick<CellResult, 'cycles'>, rerun: Pick<CellResult, 'cycles'>, policy: ComparePolicy, check: MetricCheck, failOn: readonly FlakeClass[] = DEFAULT_FAIL_ON): Difference[] {
  const boots = rerun.cycles;
  const out: Difference[] = [];
  const add = (kind: Difference['kind'], what: string, seen: number, of: number) => {
    const cls = flakeClass(seen, of);
    out.push({ kind, what, seen, of, class: cls, fails: failOn.includes(cls) });
  };
  for (const s of shown.newCrashes) add('crash', s.title, boots.filter((c) => c.crash?.signature === s.signature).length, boots.length);
  if (shown.bootSuccess) add('boot-success', 'agent boots that failed', boots.filter((c) => !c.booted).length, boots.length);
  if (shown.bootTime) {
    const times = (cs: CycleResult[]) => cs.filter((c) => c.booted).map((c) => c.guestReadyUptimeMs).filter((x): x is number => typeof x === 'number');
    const tb = times(boots);
    add('boot-time', 'guest boot time', tb.length >= 2 && check(times(a.cycles), tb, policy.maxBootTimeIncreasePct) ? 1 : 0, tb.length >= 2 ? 1 : 0);
  }
  for (const name of shown.workloads) {
    const aS = a.cycles.flatMap((c) => agentSamples(c, name));
    const per = boots.map((c) => agentSamples(c, name)).filter((s) => s.length >= 2);
    add('workload', name, per.filter((s) => check(aS, s, policy.maxWorkloadOverheadPct)).length, per.length);
  }
  return out;
}
