import type { AllowEntry, GatePolicy } from '../results/policy-schema.js';
import type { CrashRecord } from '../results/crash-record.js';
import type { GateResult, GateRule, GateVerdict } from '../results/gate-schema.js';
import type { CellResult, CycleResult, RunResult } from '../results/schema.js';
import { judgeCell, type CellJudgement, type RuleResult } from './cell-verdict.js';
import { plural } from '../util/text.js';
import { maxOf, minOf } from '../util/arrays.js';

export interface EvaluateOptions {
  /** The moment of evaluation: allow entries expire against this day (UTC). Passed in, so evaluation stays pure. */
  now: Date;
  /** Where the policy came from, recorded in gate.json: `run.json` or a policy file's path. */
  policySource: string;
}

export const GATE_EXIT: Record<GateVerdict, 0 | 1 | 3> = { pass: 0, fail: 1, error: 3 };

const list = (ids: string[], max = 2) => (ids.length <= max ? ids.join(', ') : `${ids.slice(0, max).join(', ')} and ${ids.length - max} more`);

interface AllowState {
  entry: AllowEntry;
  expired: boolean;
  matched: number;
}

function matches(e: AllowEntry, crash: CrashRecord): boolean {
  if (e.signature !== undefined) return crash.signature.toLowerCase().startsWith(e.signature);
  return e.title !== undefined && e.title.trim() === crash.title.trim();
}

const describeEntry = (e: AllowEntry) => (e.signature !== undefined ? `signature:${e.signature}` : `title:${e.title}`);

/** The first entry that allows this crash now; an expired entry that matches is counted but allows nothing. */
function allowFor(states: AllowState[], crash: CrashRecord): AllowState | undefined {
  let hit: AllowState | undefined;
  for (const s of states) {
    if (!matches(s.entry, crash)) continue;
    if (!s.expired) {
      s.matched++;
      return s;
    }
    hit ??= s;
  }
  if (hit) hit.matched++;
  return undefined;
}

interface CellEval {
  cell: CellResult;
  /** pending: not finished; runner: ended by the runner as an error; judged: judgeCell decided. */
  kind: 'pending' | 'runner' | 'judged';
  verdict: 'pass' | 'fail' | 'error';
  reason: string;
  judgement?: CellJudgement;
  allowed: { cycle: CycleResult; by: AllowEntry }[];
  /** The first crash after install that no entry allowed. */
  firstCrash?: CrashRecord;
}

/**
 * The cell as the gate sees it: an agent boot whose crash is allowed counts as a boot that
 * succeeded, and a boot loop stands only when none of its failed boots is allowed.
 */
function excuse(cell: CellResult, states: AllowState[]): { view: Parameters<typeof judgeCell>[0]; allowed: CellEval['allowed'] } {
  const allowed: CellEval['allowed'] = [];
  const excused = new Set<CycleResult>();
  const cycles = cell.cycles.map((c) => {
    if (!c.crash) return c;
    const by = allowFor(states, c.crash);
    if (!by) return c;
    allowed.push({ cycle: c, by: by.entry });
    excused.add(c);
    const { crash: _crash, ...rest } = c;
    return { ...rest, booted: true, outcome: c.outcome === 'crash' || c.outcome === 'timeout' ? ('ready' as const) : c.outcome };
  });
  let bootLoop = cell.bootLoop;
  if (bootLoop) {
    // The loop is the run of failed boots the cell ended on.
    const tail: CycleResult[] = [];
    for (let i = cell.cycles.length - 1; i >= 0 && !cell.cycles[i]!.booted; i--) tail.push(cell.cycles[i]!);
    if (tail.some((c) => excused.has(c))) bootLoop = false;
  }
  return { view: { baseline: cell.baseline, cycles, install: cell.install, bootLoop }, allowed };
}

function evalCell(cell: CellResult, policy: GatePolicy, states: AllowState[]): CellEval {
  if (cell.status !== 'done') return { cell, kind: 'pending', verdict: 'error', reason: `not finished (${cell.status})`, allowed: [] };
  if (cell.stopped) {
    const j = judgeCell(cell, policy);
    return { cell, kind: 'runner', verdict: j.verdict, reason: j.reason, allowed: [] };
  }
  const { view, allowed } = excuse(cell, states);
  const judgement = judgeCell(view, policy);
  const firstCrash = view.cycles.find((c) => c.crash)?.crash;
  let reason = judgement.reason;
  if (allowed.length) {
    const titles = [...new Set(allowed.map((a) => a.cycle.crash!.title))].join('; ');
    const booted = cell.cycles.filter((c) => c.booted).length;
    const what = plural(allowed.length, 'allowed crash', 'allowed crashes');
    reason = judgement.verdict === 'pass' ? `${booted}/${cell.cycles.length} boots, ${what}: ${titles}` : `${reason} (${what}: ${titles})`;
  }
  return { cell, kind: 'judged', verdict: judgement.verdict, reason, judgement, allowed, firstCrash };
}

type Agg = 'min' | 'max';

/** One run-level rule from the same rule of every judged cell. */
function aggregate(name: string, evals: CellEval[], worst: Agg, describe: (failed: { e: CellEval; r: RuleResult }[], worstActual: number | undefined, threshold: RuleResult['threshold']) => string, passReason: (worstActual: number | undefined) => string): GateRule | undefined {
  const per = evals.flatMap((e) => {
    const r = e.judgement?.rules.find((x) => x.rule === name);
    return r ? [{ e, r }] : [];
  });
  if (per.length === 0) return undefined;
  const threshold = per[0]!.r.threshold;
  const nums = per.filter((p) => p.r.outcome !== 'skipped' && typeof p.r.actual === 'number').map((p) => p.r.actual as number);
  const worstActual = nums.length ? (worst === 'min' ? minOf(nums) : maxOf(nums)) : undefined;
  const failed = per.filter((p) => p.r.outcome === 'fail');
  const judged = per.filter((p) => p.r.outcome !== 'skipped');
  const rule: GateRule = {
    rule: name,
    ...(threshold !== undefined ? { threshold } : {}),
    ...(worstActual !== undefined ? { actual: worstActual } : {}),
    outcome: failed.length ? 'fail' : judged.length ? 'pass' : 'skipped',
    reason: failed.length ? describe(failed, worstActual, threshold) : judged.length ? passReason(worstActual) : `skipped in every cell: ${per[0]!.r.reason}`,
    cells: failed.map(({ e, r }) => ({ id: e.cell.id, ...(r.actual !== undefined ? { actual: r.actual } : {}), reason: r.reason + (e.firstCrash && (name === 'maxCrashes' || name === 'bootLoop' || name === 'bootSuccess') ? `: ${e.firstCrash.title}` : '') })),
  };
  return rule;
}

function crashNote(failed: { e: CellEval }[]): string {
  const titles = [...new Set(failed.map((f) => f.e.firstCrash?.title).filter((t): t is string => !!t))];
  return titles.length ? `: ${titles[0]}${titles.length > 1 ? ` (and ${plural(titles.length - 1, 'other crash', 'other crashes')})` : ''}` : '';
}

/**
 * The release gate: judge a stored run under a policy, with no booting. Pure: the same run,
 * policy and day give the same result, whether at the end of `bootgate run` or later in
 * `bootgate gate`. Every cell is judged again from its cycles with judgeCell (so with no allow
 * list the verdict equals the run's own), after allowed crashes are excused; the cells' rules
 * are then folded into one rule each for the run.
 */
export function evaluateGate(run: RunResult, policy: GatePolicy, o: EvaluateOptions): GateResult {
  const today = o.now.toISOString().slice(0, 10);
  const states: AllowState[] = (policy.allow ?? []).map((entry) => ({ entry, expired: today > entry.expires, matched: 0 }));
  const evals = run.cells.map((c) => evalCell(c, policy, states));
  const judged = evals.filter((e) => e.kind === 'judged');
  const rules: GateRule[] = [];

  // complete: a run still going, interrupted, or with unfinished cells cannot pass.
  const unfinished = evals.filter((e) => e.kind === 'pending' || e.cell.stopped?.cause === 'interrupted');
  const completeOk = run.status === 'finished' && unfinished.length === 0 && run.cells.length > 0;
  rules.push({
    rule: 'complete',
    threshold: 'finished',
    actual: run.cells.length === 0 ? 'no cells' : unfinished.length ? `${run.status}, ${plural(unfinished.length, 'cell')} unfinished` : run.status,
    outcome: completeOk ? 'pass' : 'error',
    reason: completeOk
      ? `the run finished all ${plural(run.cells.length, 'cell')}`
      : run.cells.length === 0
        ? 'the run has no cells'
        : `the run is ${run.status}${unfinished.length ? ` with ${plural(unfinished.length, 'cell')} unfinished (${list(unfinished.map((e) => e.cell.id))})` : ''}`,
    cells: unfinished.map((e) => ({ id: e.cell.id, reason: e.reason })),
  });

  // lab: cells the lab could not judge (baseline did not boot, install or VM failed).
  const lab = evals.filter((e) => (e.kind === 'runner' && !unfinished.includes(e)) || (e.kind === 'judged' && e.verdict === 'error' && e.judgement!.rules.length === 0));
  rules.push({
    rule: 'lab',
    threshold: 0,
    actual: lab.length,
    outcome: lab.length ? 'error' : 'pass',
    reason: lab.length ? `the lab failed in ${plural(lab.length, 'cell')}: ${lab[0]!.cell.id}: ${lab[0]!.reason}` : 'no lab failure',
    cells: lab.map((e) => ({ id: e.cell.id, reason: e.reason })),
  });

  const withRules = judged.filter((e) => e.judgement!.rules.length > 0);
  const agg = [
    aggregate('bootLoop', withRules, 'max', (f) => `boot loop in ${plural(f.length, 'cell')} (${list(f.map((x) => x.e.cell.id))})${crashNote(f)}`, () => 'no boot loop'),
    aggregate(
      'bootSuccess',
      withRules,
      'min',
      (f, w, t) => `boot success ${w} below ${t} in ${plural(f.length, 'cell')} (${list(f.map((x) => `${x.e.cell.id}: ${x.r.reason}`))})`,
      (w) => `every cell booted at least the policy's share of its agent cycles (lowest ${w})`,
    ),
    aggregate('maxCrashes', withRules, 'max', (f, w, t) => `${plural(w ?? 0, 'crash', 'crashes')} in a cell where the policy allows ${t}, in ${plural(f.length, 'cell')} (${list(f.map((x) => x.e.cell.id))})${crashNote(f)}`, (w) => `at most ${plural(w ?? 0, 'crash', 'crashes')} in a cell`),
    aggregate('agentHealth', withRules, 'max', (f) => `the agent's health check failed in ${plural(f.length, 'cell')} (${list(f.map((x) => `${x.e.cell.id}: ${x.r.reason}`))})`, () => 'the agent answered its health check on every boot'),
    aggregate('maxBootOverheadPct', withRules, 'max', (f, w, t) => `median guest boot ${w}% over baseline, above ${t}%, in ${plural(f.length, 'cell')} (${list(f.map((x) => x.e.cell.id))})`, (w) => `highest boot overhead ${w}%`),
    aggregate('maxWorkloadOverheadPct', withRules, 'max', (f, w, t) => `workload overhead ${w}% above ${t}% in ${plural(f.length, 'cell')} (${list(f.map((x) => `${x.e.cell.id}: ${x.r.reason}`))})`, (w) => `highest workload overhead ${w}%`),
  ];
  for (const r of agg) {
    if (!r) continue;
    // judgeCell's bootLoop is a yes/no per cell: the run-level rule counts the cells.
    rules.push(r.rule === 'bootLoop' ? { rule: r.rule, threshold: 0, actual: r.cells.length, outcome: r.outcome, reason: r.reason, cells: r.cells } : r);
  }
  if (policy.maxBootOverheadPct !== undefined && !rules.some((r) => r.rule === 'maxBootOverheadPct')) {
    rules.push({ rule: 'maxBootOverheadPct', threshold: policy.maxBootOverheadPct, outcome: 'skipped', reason: 'no cell was judged', cells: [] });
  }
  if (policy.maxWorkloadOverheadPct !== undefined && !rules.some((r) => r.rule === 'maxWorkloadOverheadPct')) {
    rules.push({ rule: 'maxWorkloadOverheadPct', threshold: policy.maxWorkloadOverheadPct, outcome: 'skipped', reason: 'no cell was judged', cells: [] });
  }

  // minCycles: a cell with too few agent cycles and nothing failed is inconclusive, never a pass.
  const short = withRules.filter((e) => e.verdict === 'error');
  const counts = withRules.filter((e) => e.verdict !== 'fail').map((e) => e.cell.cycles.length);
  rules.push({
    rule: 'minCycles',
    threshold: policy.minCycles,
    ...(counts.length ? { actual: minOf(counts) } : {}),
    outcome: short.length ? 'error' : counts.length ? 'pass' : 'skipped',
    reason: short.length
      ? `too few agent cycles for a verdict in ${plural(short.length, 'cell')} (${list(short.map((e) => `${e.cell.id}: ${e.cell.cycles.length}`))}), the policy needs ${policy.minCycles}`
      : counts.length
        ? `every cell without a failure ran at least ${plural(policy.minCycles, 'agent cycle')}`
        : 'no cell to count',
    cells: short.map((e) => ({ id: e.cell.id, actual: e.cell.cycles.length, reason: e.reason })),
  });

  const expiredHits = states.filter((s) => s.expired && s.matched > 0);
  if (states.length) {
    const allowedCells = judged.filter((e) => e.allowed.length);
    const n = allowedCells.reduce((a, e) => a + e.allowed.length, 0);
    const active = states.filter((s) => !s.expired).length;
    const parts = [n ? `${plural(n, 'crash', 'crashes')} allowed` : 'no crash allowed'];
    for (const s of states.filter((x) => x.expired)) parts.push(`${describeEntry(s.entry)} expired on ${s.entry.expires} and allows nothing${s.matched ? ` (${plural(s.matched, 'crash', 'crashes')} it matched count again)` : ''}`);
    rules.push({
      rule: 'allow',
      threshold: `${active} of ${plural(states.length, 'entry', 'entries')} in force`,
      actual: n,
      outcome: 'pass',
      reason: parts.join('; '),
      cells: allowedCells.map((e) => ({ id: e.cell.id, actual: e.allowed.length, reason: [...new Set(e.allowed.map((a) => `${a.cycle.crash!.title}: ${a.by.reason}`))].join('; ') })),
    });
  }

  const failed = rules.filter((r) => r.outcome === 'fail');
  const errors = rules.filter((r) => r.outcome === 'error');
  const verdict: GateVerdict = failed.length ? 'fail' : errors.length ? 'error' : 'pass';
  const reasons = [...failed, ...errors].map((r) => `${r.rule}: ${r.reason}`);
  for (const s of expiredHits) reasons.push(`allow: ${describeEntry(s.entry)} expired on ${s.entry.expires}: it no longer allows this crash (${plural(s.matched, 'boot')}); it was allowed because: ${s.entry.reason}`);
  if (verdict === 'pass') {
    const skipped = rules.filter((r) => r.outcome === 'skipped').map((r) => r.rule);
    reasons.unshift(`pass: all ${plural(run.cells.length, 'cell')} passed every rule${skipped.length ? ` (skipped: ${skipped.join(', ')})` : ''}`);
  }

  return {
    schema: 'bootgate.gate/v1',
    verdict,
    exitCode: GATE_EXIT[verdict],
    reasons,
    run: { id: run.id, suite: run.suite.name, status: run.status, startedAt: run.startedAt, ...(run.endedAt ? { endedAt: run.endedAt } : {}) },
    evaluatedAt: o.now.toISOString(),
    policy: { source: o.policySource, value: policy },
    rules,
    cells: evals.map((e) => ({
      id: e.cell.id,
      image: e.cell.image.name,
      build: e.cell.agent.build,
      content: e.cell.content.version,
      verdict: e.verdict,
      reason: e.reason,
      allowedCrashes: e.allowed.length,
    })),
    allow: states.map((s) => ({ match: describeEntry(s.entry), reason: s.entry.reason, expires: s.entry.expires, expired: s.expired, matched: s.matched })),
  };
}
