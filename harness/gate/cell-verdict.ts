import type { GatePolicy } from '../results/policy-schema.js';
import type { CellResult, CycleResult, Verdict } from '../results/schema.js';
import { workloadOverhead } from './overhead.js';
import { median, pct } from '../util/stats.js';
import { roundTo } from '../util/round.js';
import { selftestLine } from '../results/selftest-record.js';

export interface RuleResult {
  rule: string;
  threshold?: number | string;
  actual?: number | string;
  outcome: 'pass' | 'fail' | 'skipped' | 'error';
  reason: string;
}

export interface CellJudgement {
  verdict: Verdict;
  reason: string;
  rules: RuleResult[];
}

const firstLine = (s?: string) => (s ?? '').trim().split('\n')[0]!.slice(0, 200);

/** Why a boot was unhealthy: its health output, or, when health passed, its self-test's first problem. */
function unhealthyWhy(c: CycleResult): string {
  if (c.selftest && !c.selftest.ok && (!c.health || c.health.ok)) return `${c.phase} ${c.index}: ${firstLine(selftestLine(c.selftest))}`;
  return firstLine(c.health?.output);
}

/** Fewer baseline boots than this and the boot overhead has no meaning: the rule is skipped. */
export const MIN_OVERHEAD_SAMPLES = 3;

/**
 * The verdict of one finished cell. Pure: the same cell and policy give the same verdict,
 * at run time and when `bootgate gate` re-evaluates a stored run.
 * - error: the lab could not answer (baseline did not boot, a VM died, install failed for the lab);
 * - fail: the agent is to blame (crash, boot loop, boot success below policy, unhealthy agent);
 * - pass: otherwise.
 */
export function judgeCell(cell: Pick<CellResult, 'baseline' | 'cycles' | 'install' | 'bootLoop' | 'stopped'>, policy: GatePolicy): CellJudgement {
  const rules: RuleResult[] = [];
  // The runner ended the cell early: whatever boots it has are no verdict on the agent.
  if (cell.stopped?.cause === 'interrupted') return { verdict: 'error', reason: 'interrupted: the run was stopped before this cell finished', rules };
  if (cell.stopped) return { verdict: 'error', reason: `lab error: ${cell.stopped.message}`, rules };
  const labErr = (c: CycleResult) => c.outcome === 'lab-error';

  const badBaseline = cell.baseline.find((c) => !c.booted);
  if (badBaseline) {
    const why = badBaseline.crash?.title ?? badBaseline.error ?? badBaseline.outcome;
    return { verdict: 'error', reason: `baseline boot ${badBaseline.index} without the agent failed (${why}): the image or the lab is broken`, rules };
  }
  if (cell.install && !cell.install.ok) {
    return { verdict: 'error', reason: `install failed: ${cell.install.error ?? 'unknown'}`, rules };
  }
  const lab = cell.cycles.find(labErr);
  if (lab) return { verdict: 'error', reason: `cycle ${lab.index}: lab error: ${lab.error ?? 'unknown'}`, rules };

  const cycles = cell.cycles;
  const booted = cycles.filter((c) => c.booted).length;
  const crashes = cycles.filter((c) => c.crash).length;
  const rate = cycles.length ? booted / cycles.length : 0;

  rules.push({
    rule: 'bootLoop',
    outcome: cell.bootLoop ? 'fail' : 'pass',
    reason: cell.bootLoop ? 'the guest failed to boot on consecutive cycles after install: boot loop' : 'no boot loop',
  });
  rules.push({
    rule: 'bootSuccess',
    threshold: policy.bootSuccess,
    actual: roundTo(rate, 3),
    outcome: rate >= policy.bootSuccess ? 'pass' : 'fail',
    reason: `${booted}/${cycles.length} agent cycles booted`,
  });
  rules.push({
    rule: 'maxCrashes',
    threshold: policy.maxCrashes,
    actual: crashes,
    outcome: crashes <= policy.maxCrashes ? 'pass' : 'fail',
    reason: `${crashes} crash(es) after install`,
  });
  const unhealthy = cycles.filter((c) => c.outcome === 'unhealthy').length;
  const firstUnhealthy = cycles.find((c) => c.outcome === 'unhealthy');
  const checks = cycles.some((c) => c.selftest) ? 'health check and self-test' : 'health check';
  rules.push({
    rule: 'agentHealth',
    threshold: 0,
    actual: unhealthy,
    outcome: unhealthy === 0 ? 'pass' : 'fail',
    reason:
      unhealthy === 0
        ? `the agent answered its ${checks} on every boot`
        : `the agent's ${checks} failed on ${unhealthy} boot(s): ${unhealthyWhy(firstUnhealthy!)}`,
  });
  if (policy.maxBootOverheadPct !== undefined) {
    const base = cell.baseline.map((c) => c.guestReadyUptimeMs).filter((x): x is number => x !== undefined);
    const agent = cycles.map((c) => c.guestReadyUptimeMs).filter((x): x is number => x !== undefined);
    if (base.length < MIN_OVERHEAD_SAMPLES || agent.length < MIN_OVERHEAD_SAMPLES) {
      rules.push({ rule: 'maxBootOverheadPct', threshold: policy.maxBootOverheadPct, outcome: 'skipped', reason: `needs ${MIN_OVERHEAD_SAMPLES} baseline and agent boots, has ${base.length} and ${agent.length}` });
    } else {
      const over = pct(median(agent) / median(base));
      rules.push({ rule: 'maxBootOverheadPct', threshold: policy.maxBootOverheadPct, actual: over, outcome: over <= policy.maxBootOverheadPct ? 'pass' : 'fail', reason: `median guest boot ${over}% over baseline` });
    }
  }
  if (policy.maxWorkloadOverheadPct !== undefined) {
    const max = policy.maxWorkloadOverheadPct;
    const est = workloadOverhead(cycles);
    if (est.length === 0) {
      rules.push({ rule: 'maxWorkloadOverheadPct', threshold: max, outcome: 'skipped', reason: 'no workload samples in this cell' });
    } else {
      const upper = (policy.overheadBound ?? 'upper') === 'upper';
      const worst = est.reduce((w, e) => ((upper ? e.pctUpper : e.pct) > (upper ? w.pctUpper : w.pct) ? e : w));
      const actual = upper ? worst.pctUpper : worst.pct;
      rules.push({
        rule: 'maxWorkloadOverheadPct',
        threshold: max,
        actual,
        outcome: actual <= max ? 'pass' : 'fail',
        reason: `${worst.workload} +${worst.pct}% (95% CI ${pct(worst.ciLow)}%..${worst.pctUpper}%, ${worst.nA}+${worst.nB} samples${worst.significant ? ', significant' : ''}), judged on the ${upper ? 'upper end' : 'median'}`,
      });
    }
  }
  if (cycles.length < policy.minCycles && !rules.some((r) => r.outcome === 'fail')) {
    return { verdict: 'error', reason: `only ${cycles.length} agent cycle(s), the policy needs ${policy.minCycles}`, rules };
  }
  const failed = rules.filter((r) => r.outcome === 'fail');
  if (failed.length === 0) return { verdict: 'pass', reason: `${booted}/${cycles.length} boots, no crash`, rules };
  const firstCrash = cycles.find((c) => c.crash)?.crash;
  const head = cell.bootLoop ? 'boot loop' : failed.map((r) => r.rule).join(', ');
  return { verdict: 'fail', reason: firstCrash ? `${head}: ${firstCrash.title}` : `${head}: ${failed[0]!.reason}`, rules };
}
