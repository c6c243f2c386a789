import type { CellComparison, ComparePolicy, CompareResult, CompareVerdict, CrashSig, Estimate, Mismatch } from '../results/compare-schema.js';
import type { CellResult, CycleResult, RunResult } from '../results/schema.js';
import { median, pct, ratioOfMedians } from '../util/stats.js';
import { roundTo } from '../util/round.js';
import { plural } from '../util/text.js';
import { pushAll } from '../util/arrays.js';
import { classifyDifferences, DEFAULT_FAIL_ON } from './flake.js';

/**
 * Build comparison: what run B breaks or slows down that run A did not. Pure, no I/O: the same
 * two runs and policy always give the same result (the bootstrap is seeded).
 *
 * Cells are matched by image and content, and by build too when both runs hold the same
 * builds; when the builds differ (the usual case: A ran 2.1.0, B ran 2.2.0) the cells of A's
 * build are matched with those of B's by image and content, and `builds` says which pairs
 * were compared. Whatever lines up on one side only (an image, a content version, a build,
 * a cell) is reported in `mismatches` and not compared.
 *
 * B regresses (exit 1) when a compared cell: went from pass to fail; has an agent-boot crash
 * signature the same cell of A did not have; booted a smaller share of its agent cycles (beyond
 * `bootSuccessDrop`); or is significantly slower (95% bootstrap interval of the ratio of medians
 * above 1) by more than the policy's percent, in guest boot time or in a workload. Nothing
 * compared is exit 3, otherwise exit 0. With reruns of B's regressed cells (`--confirm N`), each
 * difference is classified by the rerun's boots (gate/flake.ts) and only the classes the policy's
 * failOn names make the cell regress.
 */

export const DEFAULT_COMPARE_POLICY: ComparePolicy = { maxWorkloadOverheadPct: 5, maxBootTimeIncreasePct: 10, bootSuccessDrop: 0 };

export const COMPARE_EXIT: Record<CompareVerdict, 0 | 1 | 3> = { 'no-regression': 0, regression: 1, inconclusive: 3 };

/** Samples of one workload in one cell: with the agent, and without it when the run measured that too. */
export interface WorkloadSamples {
  agent: number[];
  baseline: number[];
}

type WorkloadField = Record<string, number[] | { a?: number[]; b?: number[] }>;

const nums = (x: unknown): number[] => (Array.isArray(x) ? x.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)) : []);

/**
 * The workload samples of a cell, per workload name, read from its cycles' optional `workloads`
 * field (not in bootgate.run/v1 yet; read defensively so runs without it compare as before).
 * Accepted shapes per workload: an array of samples (an agent cycle's go to `agent`, a
 * baseline cycle's to `baseline`), or `{ a, b }` measured within one boot, read as a = without
 * the agent, b = with it. Runs A and B are compared on `agent`.
 */
export function cellWorkloads(cell: Pick<CellResult, 'baseline' | 'cycles'>): Map<string, WorkloadSamples> {
  const out = new Map<string, WorkloadSamples>();
  const add = (c: CycleResult) => {
    const w = (c as CycleResult & { workloads?: WorkloadField }).workloads;
    if (!w || typeof w !== 'object') return;
    for (const [name, v] of Object.entries(w)) {
      const s = out.get(name) ?? { agent: [], baseline: [] };
      if (Array.isArray(v)) pushAll(c.phase === 'baseline' ? s.baseline : s.agent, nums(v));
      else if (v && typeof v === 'object') {
        pushAll(s.baseline, nums(v.a));
        pushAll(s.agent, nums(v.b));
      }
      out.set(name, s);
    }
  };
  for (const c of cell.baseline) add(c);
  for (const c of cell.cycles) add(c);
  return out;
}

interface Options {
  /** Bootstrap resamples and seed for the intervals (ratioOfMedians defaults otherwise). */
  resamples?: number;
  seed?: number;
  /** Where the runs were read from, for the result. */
  dirA?: string;
  dirB?: string;
  /** Reruns of B's cells (`--confirm N`), by B's cell id: the rerun cell and its run folder. */
  confirm?: { boots: number; runs: string[]; cells: Map<string, { run: string; cell: CellResult }> };
}

const rate = (booted: number, cycles: number) => (cycles ? roundTo(booted / cycles, 3) : undefined);
const sortStr = (xs: Iterable<string>) => [...xs].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));

function estimate(a: number[], b: number[], o: Options): Estimate | undefined {
  const r = ratioOfMedians(a, b, { resamples: o.resamples, seed: o.seed });
  if (!r || !Number.isFinite(r.ratio)) return undefined;
  return { medianA: median(a), medianB: median(b), ratio: roundTo(r.ratio, 4), ciLow: roundTo(r.ciLow, 4), ciHigh: roundTo(r.ciHigh, 4), pct: pct(r.ratio), nA: r.nA, nB: r.nB, significant: r.significant };
}

function metric(a: number[], b: number[], threshold: number, o: Options) {
  const e = estimate(a, b, o);
  if (!e) return { missing: `needs 2 samples on each side, has ${a.length} and ${b.length}`, regression: false, threshold };
  return { estimate: e, regression: e.significant && e.ciLow > 1 && e.pct > threshold, threshold };
}

const readyTimes = (cell: CellResult) => cell.cycles.filter((c) => c.booted).map((c) => c.guestReadyUptimeMs).filter((x): x is number => typeof x === 'number');

/** Agent-boot crashes of some cells, by signature. */
function crashesOf(cells: CellResult[]): Map<string, CrashSig> {
  const m = new Map<string, CrashSig>();
  for (const cell of cells) {
    for (const c of cell.cycles) {
      if (!c.crash) continue;
      const s = m.get(c.crash.signature) ?? { signature: c.crash.signature, title: c.crash.title, class: c.crash.class, count: 0, cells: [] };
      s.count++;
      if (!s.cells.includes(cell.id)) s.cells.push(cell.id);
      m.set(c.crash.signature, s);
    }
  }
  return m;
}

const minus = (x: Map<string, CrashSig>, y: Map<string, CrashSig>) => [...x.values()].filter((s) => !y.has(s.signature));

interface Pair {
  a: CellResult;
  b: CellResult;
  key: string;
}

/** Line the cells up; what does not line up goes to mismatches. */
function pairCells(a: RunResult, b: RunResult, mismatches: Mismatch[]): { pairs: Pair[]; builds: { a: string; b: string }[]; matchBy: CompareResult['matchBy'] } {
  const buildsA = new Set(a.cells.map((c) => c.agent.build));
  const buildsB = new Set(b.cells.map((c) => c.agent.build));
  const common = new Set([...buildsA].filter((x) => buildsB.has(x)));
  const restA = sortStr([...buildsA].filter((x) => !common.has(x)));
  const restB = sortStr([...buildsB].filter((x) => !common.has(x)));
  const builds = sortStr(common).map((x) => ({ a: x, b: x }));
  // Builds of one side only are matched across when each side has exactly one of them.
  const across = restA.length === 1 && restB.length === 1;
  if (across) builds.push({ a: restA[0]!, b: restB[0]! });
  else {
    for (const x of restA) mismatches.push({ kind: 'build', side: 'a', value: x, reason: `build ${x} is only in A${restB.length ? ` (B has ${restB.join(', ')}: several builds on a side cannot be paired)` : ''}` });
    for (const x of restB) mismatches.push({ kind: 'build', side: 'b', value: x, reason: `build ${x} is only in B${restA.length ? ` (A has ${restA.join(', ')}: several builds on a side cannot be paired)` : ''}` });
  }
  const matchBy: CompareResult['matchBy'] = across ? 'image+content' : 'image+content+build';
  const keyOf = (c: CellResult) => {
    const ic = `${c.image.name} / ${c.content.version}`;
    return common.has(c.agent.build) ? `${ic} / ${c.agent.build}` : across ? ic : undefined;
  };
  const index = (cells: CellResult[]) => {
    const m = new Map<string, CellResult>();
    for (const c of cells) {
      const k = keyOf(c);
      // The first of duplicate keys is compared (a run does not repeat a cell).
      if (k !== undefined && !m.has(k)) m.set(k, c);
    }
    return m;
  };
  const ia = index(a.cells);
  const ib = index(b.cells);

  // Images and content versions of one side only: said once each, not per cell.
  const imgA = new Set(a.cells.map((c) => c.image.name));
  const imgB = new Set(b.cells.map((c) => c.image.name));
  const conA = new Set(a.cells.map((c) => c.content.version));
  const conB = new Set(b.cells.map((c) => c.content.version));
  for (const x of sortStr(imgA)) if (!imgB.has(x)) mismatches.push({ kind: 'image', side: 'a', value: x, reason: `image ${x} is only in A` });
  for (const x of sortStr(imgB)) if (!imgA.has(x)) mismatches.push({ kind: 'image', side: 'b', value: x, reason: `image ${x} is only in B` });
  for (const x of sortStr(conA)) if (!conB.has(x)) mismatches.push({ kind: 'content', side: 'a', value: x, reason: `content ${x} is only in A` });
  for (const x of sortStr(conB)) if (!conA.has(x)) mismatches.push({ kind: 'content', side: 'b', value: x, reason: `content ${x} is only in B` });
  const explained = (c: CellResult, other: { img: Set<string>; con: Set<string> }) => !other.img.has(c.image.name) || !other.con.has(c.content.version) || keyOf(c) === undefined;
  for (const [k, c] of ia) if (!ib.has(k) && !explained(c, { img: imgB, con: conB })) mismatches.push({ kind: 'cell', side: 'a', value: c.id, reason: `cell ${k} is only in A` });
  for (const [k, c] of ib) if (!ia.has(k) && !explained(c, { img: imgA, con: conA })) mismatches.push({ kind: 'cell', side: 'b', value: c.id, reason: `cell ${k} is only in B` });

  const pairs: Pair[] = [];
  for (const [k, ca] of ia) {
    const cb = ib.get(k);
    if (cb) pairs.push({ a: ca, b: cb, key: k });
  }
  return { pairs, builds, matchBy };
}

function compareCell(p: Pair, policy: ComparePolicy, o: Options): CellComparison {
  const { a, b } = p;
  const reasons: string[] = [];
  const notes: string[] = [];
  if (a.image.kernelRelease && b.image.kernelRelease && a.image.kernelRelease !== b.image.kernelRelease) notes.push(`kernel ${a.image.kernelRelease} in A, ${b.image.kernelRelease} in B`);
  if (a.content.sha256 && b.content.sha256 && a.content.sha256 !== b.content.sha256) notes.push(`content ${a.content.version} differs between the runs (sha256 ${a.content.sha256.slice(0, 12)} vs ${b.content.sha256.slice(0, 12)})`);

  const va = a.status === 'done' ? (a.verdict ?? 'error') : a.status;
  const vb = b.status === 'done' ? (b.verdict ?? 'error') : b.status;
  const change: CellComparison['verdict']['change'] = va === vb ? 'same' : va === 'pass' && vb === 'fail' ? 'regression' : va === 'fail' && vb === 'pass' ? 'fixed' : 'changed';

  let status: CellComparison['status'] = 'compared';
  if (a.status !== 'done' || b.status !== 'done') {
    status = 'inconclusive';
    reasons.push(`not finished (A ${a.status}, B ${b.status})`);
  } else if (vb === 'error') {
    status = 'inconclusive';
    reasons.push(`B's cell is a lab error: ${b.reason ?? 'no reason given'}`);
  }

  const crA = crashesOf([a]);
  const crB = crashesOf([b]);
  const newCr = minus(crB, crA);
  const gone = minus(crA, crB);

  const bootedA = a.cycles.filter((c) => c.booted).length;
  const bootedB = b.cycles.filter((c) => c.booted).length;
  const ra = rate(bootedA, a.cycles.length);
  const rb = rate(bootedB, b.cycles.length);
  const delta = ra !== undefined && rb !== undefined ? roundTo(rb - ra, 3) : undefined;
  const bootSuccess = { a: ra, b: rb, bootedA, cyclesA: a.cycles.length, bootedB, cyclesB: b.cycles.length, delta, regression: delta !== undefined && -delta > policy.bootSuccessDrop + 1e-9 };

  const bootTime = metric(readyTimes(a), readyTimes(b), policy.maxBootTimeIncreasePct, o);
  const wa = cellWorkloads(a);
  const wb = cellWorkloads(b);
  const workloads = sortStr(new Set([...wa.keys(), ...wb.keys()])).map((name) => ({ name, ...metric(wa.get(name)?.agent ?? [], wb.get(name)?.agent ?? [], policy.maxWorkloadOverheadPct, o) }));

  let regression = false;
  if (status === 'compared') {
    if (change === 'regression') reasons.push(`verdict pass -> fail: ${b.reason ?? ''}`.trimEnd());
    for (const s of newCr) reasons.push(`new crash: ${s.title} (${plural(s.count, 'boot')}, signature ${s.signature.slice(0, 12)})`);
    if (bootSuccess.regression) reasons.push(`boot success ${ra} -> ${rb} (${bootedA}/${a.cycles.length} -> ${bootedB}/${b.cycles.length} agent boots)`);
    if (bootTime.regression) reasons.push(`guest boot time +${bootTime.estimate!.pct}% (95% CI ${ci(bootTime.estimate!)}), above ${policy.maxBootTimeIncreasePct}%`);
    for (const w of workloads) if (w.regression) reasons.push(`workload ${w.name} +${w.estimate!.pct}% (95% CI ${ci(w.estimate!)}), above ${policy.maxWorkloadOverheadPct}%`);
    regression = change === 'regression' || newCr.length > 0 || bootSuccess.regression || bootTime.regression || workloads.some((w) => w.regression);
  }
  const rerun = regression ? o.confirm?.cells.get(b.id) : undefined;
  let confirm: CellComparison['confirm'];
  if (rerun) {
    const shown = { newCrashes: newCr, bootSuccess: bootSuccess.regression, bootTime: bootTime.regression, workloads: workloads.filter((w) => w.regression).map((w) => w.name) };
    const check = (x: number[], y: number[], threshold: number) => metric(x, y, threshold, o).regression;
    const differences = classifyDifferences(shown, a, rerun.cell, policy, check, policy.failOn ?? DEFAULT_FAIL_ON);
    confirm = { run: rerun.run, cell: rerun.cell.id, boots: rerun.cell.cycles.length, differences };
    for (const d of differences) reasons.push(`rerun: ${d.kind} ${d.what}: ${d.class} (${d.seen} of ${d.of} ${d.kind === 'boot-time' ? 'rerun' : 'rerun boots'})${d.fails ? '' : ', not failing under the policy'}`);
    // A verdict change with nothing classifiable behind it (a failed health check) stands as B showed it.
    regression = differences.some((d) => d.fails) || (differences.length === 0 && change === 'regression');
  }
  return {
    key: p.key,
    image: a.image.name,
    content: a.content.version,
    ids: { a: a.id, b: b.id },
    builds: { a: a.agent.build, b: b.agent.build },
    status,
    regression,
    reasons,
    notes,
    verdict: { a: va, b: vb, change },
    crashes: { new: newCr, gone },
    bootSuccess,
    bootTime,
    workloads,
    ...(confirm ? { confirm } : {}),
  };
}

/** `[lo, hi]` of an estimate as percent changes: `+3.1%..+7.9%`. */
export function ci(e: Pick<Estimate, 'ciLow' | 'ciHigh'>): string {
  const f = (r: number) => {
    const p = pct(r);
    return `${p > 0 ? '+' : ''}${p}%`;
  };
  return `${f(e.ciLow)}..${f(e.ciHigh)}`;
}

function runRef(r: RunResult, dir?: string) {
  return {
    id: r.id,
    ...(dir ? { dir } : {}),
    suite: r.suite.name,
    suiteSha256: r.suite.sha256,
    status: r.status,
    startedAt: r.startedAt,
    builds: sortStr(new Set(r.cells.map((c) => c.agent.build))),
    accel: r.host.accel,
  };
}

export function compareRuns(a: RunResult, b: RunResult, policy: ComparePolicy = DEFAULT_COMPARE_POLICY, o: Options = {}): CompareResult {
  const mismatches: Mismatch[] = [];
  if (a.suite.name !== b.suite.name) mismatches.push({ kind: 'suite', side: 'both', value: `${a.suite.name} / ${b.suite.name}`, reason: `different suites: ${a.suite.name} in A, ${b.suite.name} in B (only cells that line up are compared)` });
  else if (a.suite.sha256 !== b.suite.sha256) mismatches.push({ kind: 'suite', side: 'both', value: a.suite.name, reason: `suite ${a.suite.name} changed between the runs (sha256 ${a.suite.sha256.slice(0, 12)} vs ${b.suite.sha256.slice(0, 12)})` });
  if (a.host.accel !== b.host.accel) mismatches.push({ kind: 'host', side: 'both', value: `${a.host.accel} / ${b.host.accel}`, reason: `A ran under ${a.host.accel}, B under ${b.host.accel}: timings are not comparable across accelerators` });

  const { pairs, builds, matchBy } = pairCells(a, b, mismatches);
  const cells = pairs.map((p) => compareCell(p, policy, o));
  const compared = cells.filter((c) => c.status === 'compared');
  const comparedPairs = pairs.filter((_, i) => cells[i]!.status === 'compared');

  // Overall: crashes new to the whole of A, and the pooled numbers of the compared cells.
  const allA = crashesOf(a.cells);
  const crB = crashesOf(comparedPairs.map((p) => p.b));
  const crA = crashesOf(comparedPairs.map((p) => p.a));
  const newCrashes = minus(crB, allA);
  const goneCrashes = minus(crA, crB);
  const bootedA = comparedPairs.reduce((n, p) => n + p.a.cycles.filter((c) => c.booted).length, 0);
  const cyclesA = comparedPairs.reduce((n, p) => n + p.a.cycles.length, 0);
  const bootedB = comparedPairs.reduce((n, p) => n + p.b.cycles.filter((c) => c.booted).length, 0);
  const cyclesB = comparedPairs.reduce((n, p) => n + p.b.cycles.length, 0);
  const ra = rate(bootedA, cyclesA);
  const rb = rate(bootedB, cyclesB);
  const delta = ra !== undefined && rb !== undefined ? roundTo(rb - ra, 3) : undefined;
  const bootTime = metric(
    comparedPairs.flatMap((p) => readyTimes(p.a)),
    comparedPairs.flatMap((p) => readyTimes(p.b)),
    policy.maxBootTimeIncreasePct,
    o,
  );
  const names = sortStr(new Set(compared.flatMap((c) => c.workloads.map((w) => w.name))));
  const workloads = names.map((name) => ({
    name,
    ...metric(
      comparedPairs.flatMap((p) => cellWorkloads(p.a).get(name)?.agent ?? []),
      comparedPairs.flatMap((p) => cellWorkloads(p.b).get(name)?.agent ?? []),
      policy.maxWorkloadOverheadPct,
      o,
    ),
  }));
  const count = (ch: CellComparison['verdict']['change']) => compared.filter((c) => c.verdict.change === ch).length;
  const regressed = compared.filter((c) => c.regression);

  const verdict: CompareVerdict = regressed.length ? 'regression' : compared.length ? 'no-regression' : 'inconclusive';
  const reasons: string[] = [];
  for (const c of regressed) for (const r of c.reasons) reasons.push(`${c.key}: ${r}`);
  if (verdict === 'no-regression') {
    const what = builds.map((x) => (x.a === x.b ? x.a : `${x.a} -> ${x.b}`)).join(', ');
    reasons.push(`no regression in ${plural(compared.length, 'compared cell')} (builds ${what})`);
  }
  if (verdict === 'inconclusive') {
    reasons.push(pairs.length ? `no cell could be compared: ${cells.map((c) => `${c.key}: ${c.reasons.join('; ')}`).join('; ')}` : `nothing lines up between the runs${mismatches.length ? `: ${mismatches.map((m) => m.reason).join('; ')}` : ''}`);
  }
  // Differences the reruns cleared: said, so a flake is never silently dropped.
  for (const c of compared.filter((x) => !x.regression && x.confirm)) for (const d of c.confirm!.differences) reasons.push(`${c.key}: ${d.kind} ${d.what} is ${d.class} (${d.seen} of ${d.of}), not failing under the policy`);
  const inconclusive = cells.filter((c) => c.status === 'inconclusive');
  if (verdict !== 'inconclusive' && inconclusive.length) reasons.push(`${plural(inconclusive.length, 'cell')} not compared: ${inconclusive.map((c) => `${c.key}: ${c.reasons.join('; ')}`).join('; ')}`);

  return {
    schema: 'bootgate.compare/v1',
    verdict,
    exitCode: COMPARE_EXIT[verdict],
    reasons,
    a: runRef(a, o.dirA),
    b: runRef(b, o.dirB),
    policy,
    matchBy,
    builds,
    mismatches,
    ...(o.confirm ? { confirm: { boots: o.confirm.boots, failOn: [...(policy.failOn ?? DEFAULT_FAIL_ON)], runs: o.confirm.runs } } : {}),
    cells,
    overall: {
      cellsCompared: compared.length,
      cellsInconclusive: inconclusive.length,
      cellsRegressed: regressed.length,
      verdictChanges: { regression: count('regression'), fixed: count('fixed'), changed: count('changed'), same: count('same') },
      newCrashes,
      goneCrashes,
      bootSuccess: { a: ra, b: rb, bootedA, cyclesA, bootedB, cyclesB, delta, regression: delta !== undefined && -delta > policy.bootSuccessDrop + 1e-9 },
      bootTime,
      workloads,
    },
  };
}

// ---------------------------------------------------------------- text and Markdown

const fmtMs = (x: number) => (x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x)} ms`);
const fmtNs = (x: number) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)} ms` : x >= 1e3 ? `${(x / 1e3).toFixed(1)} µs` : `${Math.round(x)} ns`);
const signed = (p: number) => `${p > 0 ? '+' : ''}${p}%`;

function describeMetric(m: { estimate?: Estimate; missing?: string }, unit: (x: number) => string): string {
  if (!m.estimate) return `n/a (${m.missing})`;
  const e = m.estimate;
  return `${unit(e.medianA)} -> ${unit(e.medianB)}, ${signed(e.pct)} (95% CI ${ci(e)}${e.significant ? '' : ', not significant'})`;
}

const buildsLine = (r: CompareResult) => r.builds.map((x) => (x.a === x.b ? x.a : `${x.a} -> ${x.b}`)).join(', ') || 'none';

/** A mismatch of something present on one side only (not compared), as opposed to a difference between the runs (suite, host). */
const ONE_SIDE = (m: Mismatch) => m.side !== 'both';

/** The readable summary `bootgate compare` prints. */
export function compareLines(r: CompareResult): string[] {
  const head = { regression: 'REGRESSION', 'no-regression': 'NO REGRESSION', inconclusive: 'INCONCLUSIVE' }[r.verdict];
  const out = [`compare ${r.a.id} (A) -> ${r.b.id} (B): ${head} (exit ${r.exitCode})`, `builds: ${buildsLine(r)}; cells matched by ${r.matchBy}; ${r.overall.cellsCompared} compared, ${r.overall.cellsRegressed} regressed, ${r.overall.cellsInconclusive} inconclusive`];
  for (const m of r.mismatches) out.push(`  ${ONE_SIDE(m) ? 'not lined up' : 'differs'}: ${m.reason}`);
  for (const c of r.cells) {
    const mark = c.status === 'inconclusive' ? '?' : c.regression ? '✗' : '✓';
    const build = c.builds.a === c.builds.b ? '' : ` [${c.builds.a} -> ${c.builds.b}]`;
    out.push(`${mark} ${c.key}${build}: ${c.verdict.a} -> ${c.verdict.b}`);
    for (const x of c.reasons) out.push(`    ${c.regression ? 'REGRESSION: ' : ''}${x}`);
    if (c.status !== 'compared') continue;
    out.push(`    boot success ${c.bootSuccess.bootedA}/${c.bootSuccess.cyclesA} -> ${c.bootSuccess.bootedB}/${c.bootSuccess.cyclesB}; boot time ${describeMetric(c.bootTime, fmtMs)}`);
    for (const w of c.workloads) out.push(`    workload ${w.name}: ${describeMetric(w, fmtNs)}`);
    for (const s of c.crashes.gone) out.push(`    crash gone: ${s.title}`);
    for (const n of c.notes) out.push(`    note: ${n}`);
  }
  for (const s of r.overall.newCrashes) out.push(`new crash signature in B: ${s.title} [${s.signature.slice(0, 12)}] in ${s.cells.join(', ')}`);
  for (const x of r.reasons) out.push(`${r.verdict === 'regression' ? 'regression' : r.verdict}: ${x}`);
  return out;
}

const mdEsc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** Markdown for a pull request comment: verdict, the cell table, what regressed, what did not line up. */
export function compareMarkdown(r: CompareResult): string {
  const icon = { regression: '❌', 'no-regression': '✅', inconclusive: '⚠️' }[r.verdict];
  const head = { regression: 'regression', 'no-regression': 'no regression', inconclusive: 'inconclusive' }[r.verdict];
  const L: string[] = [];
  L.push(`### ${icon} bootgate compare: ${head}`, '');
  L.push(`**A** \`${r.a.id}\` (suite ${r.a.suite}) → **B** \`${r.b.id}\` (suite ${r.b.suite}); builds ${buildsLine(r).replace(/ -> /g, ' → ')}; cells matched by ${r.matchBy}.`, '');
  L.push(`${plural(r.overall.cellsCompared, 'cell')} compared, ${r.overall.cellsRegressed} regressed, ${r.overall.cellsInconclusive} inconclusive. Exit ${r.exitCode}.`, '');
  if (r.verdict === 'regression') {
    L.push('**Regressions**', '');
    for (const x of r.reasons) L.push(`- ${mdEsc(x)}`);
    L.push('');
  }
  if (r.cells.length) {
    const wl = [...new Set(r.cells.flatMap((c) => c.workloads.map((w) => w.name)))].sort();
    L.push(`| cell | verdict A → B | boot success | boot time Δ (95% CI) |${wl.map((w) => ` ${w} Δ (95% CI) |`).join('')}`);
    L.push(`|---|---|---|---|${wl.map(() => '---|').join('')}`);
    const cellMetric = (m: { estimate?: Estimate; regression: boolean }) => (m.estimate ? `${m.regression ? '**' : ''}${signed(m.estimate.pct)}${m.regression ? '**' : ''} (${ci(m.estimate)})${m.estimate.significant ? '' : ' ~'}` : 'n/a');
    for (const c of r.cells) {
      const mark = c.status === 'inconclusive' ? '⚠️' : c.regression ? '❌' : '✅';
      const build = c.builds.a === c.builds.b ? '' : ` (${c.builds.a} → ${c.builds.b})`;
      const v = c.verdict.change === 'regression' ? `**${c.verdict.a} → ${c.verdict.b}**` : `${c.verdict.a} → ${c.verdict.b}`;
      const bs = `${c.bootSuccess.bootedA}/${c.bootSuccess.cyclesA} → ${c.bootSuccess.bootedB}/${c.bootSuccess.cyclesB}`;
      const wcols = wl.map((n) => {
        const w = c.workloads.find((x) => x.name === n);
        return ` ${w ? cellMetric(w) : 'n/a'} |`;
      });
      L.push(`| ${mark} ${mdEsc(c.key)}${mdEsc(build)} | ${v} | ${c.bootSuccess.regression ? `**${bs}**` : bs} | ${cellMetric(c.bootTime)} |${wcols.join('')}`);
    }
    L.push('', '~ : the interval holds 0, the difference may be noise.', '');
  }
  if (r.overall.newCrashes.length) {
    L.push('**New crash signatures in B**', '');
    for (const s of r.overall.newCrashes) L.push(`- \`${mdEsc(s.title)}\` (${s.class}, ${plural(s.count, 'boot')}) in ${s.cells.map((x) => `\`${x}\``).join(', ')}`);
    L.push('');
  }
  if (r.overall.goneCrashes.length) {
    L.push('**Crashes of A that B no longer has**', '');
    for (const s of r.overall.goneCrashes) L.push(`- \`${mdEsc(s.title)}\``);
    L.push('');
  }
  const differs = r.mismatches.filter((m) => !ONE_SIDE(m));
  const oneSide = r.mismatches.filter(ONE_SIDE);
  if (differs.length) {
    L.push('**Differences between the runs**', '');
    for (const m of differs) L.push(`- ${mdEsc(m.reason)}`);
    L.push('');
  }
  if (oneSide.length) {
    L.push('**Not compared** (on one side only)', '');
    for (const m of oneSide) L.push(`- ${mdEsc(m.reason)}`);
    L.push('');
  }
  const notes = r.cells.flatMap((c) => [...c.notes.map((n) => `${c.key}: ${n}`), ...(c.status === 'inconclusive' ? [`${c.key}: not compared: ${c.reasons.join('; ')}`] : [])]);
  if (notes.length) {
    L.push('<details><summary>Notes</summary>', '');
    for (const n of notes) L.push(`- ${mdEsc(n)}`);
    L.push('', '</details>', '');
  }
  L.push(`<sub>Policy: workload overhead ≤ ${r.policy.maxWorkloadOverheadPct}%, boot time increase ≤ ${r.policy.maxBootTimeIncreasePct}% (both only when the 95% interval excludes 0), boot success drop ≤ ${r.policy.bootSuccessDrop}. bootgate.compare/v1</sub>`);
  return L.join('\n') + '\n';
}
