import { z } from 'zod';
import { isoDateTime } from './iso-time.js';

/**
 * bootgate.compare/v1: what `bootgate compare A B --json` prints: what run B breaks or slows
 * down that run A did not, cell by cell and overall. Add optional fields freely; renaming or
 * removing one is a new schema version.
 */

export const compareVerdictSchema = z.enum(['no-regression', 'regression', 'inconclusive']);
export type CompareVerdict = z.infer<typeof compareVerdictSchema>;

/** How a difference fared in a rerun (`bootgate compare --confirm N`): seen in every rerun boot, in some, in none, or not observable (the rerun never got to an agent boot). */
export const flakeClassSchema = z.enum(['deterministic', 'flaky', 'not-reproduced', 'inconclusive']);
export type FlakeClass = z.infer<typeof flakeClassSchema>;

/** The thresholds a comparison is judged by. */
export const comparePolicySchema = z.object({
  /** A workload whose median time per operation in B is more than this percent over A's, with a 95% interval above 1, is a regression. */
  maxWorkloadOverheadPct: z.number().min(0).describe('A workload whose median time per operation in B is more than this percent over A\'s, with a 95% interval above 1, is a regression.'),
  /** The same for the median guest boot time (kernel uptime at the ready marker) of the agent cycles. */
  maxBootTimeIncreasePct: z.number().min(0).describe('The same for the median guest boot time (kernel uptime at the ready marker) of the agent cycles.'),
  /** How far (0..1) a cell's share of agent boots that succeeded may drop from A to B; 0: any drop is a regression. */
  bootSuccessDrop: z.number().min(0).max(1).describe('How far (0..1) a cell\'s share of agent boots that succeeded may drop from A to B; 0: any drop is a regression.'),
  failOn: z.array(flakeClassSchema).optional().describe('With --confirm: the classes of difference that are regressions. Default deterministic, flaky, inconclusive.'),
});
export type ComparePolicy = z.infer<typeof comparePolicySchema>;

/** ratioOfMedians(A, B): B's median over A's, with its 95% bootstrap interval. */
export const estimateSchema = z.object({
  medianA: z.number(),
  medianB: z.number(),
  /** median(B) / median(A): 1.05 is B 5% slower. */
  ratio: z.number().describe('median(B) / median(A): 1.05 is B 5% slower.'),
  ciLow: z.number(),
  ciHigh: z.number(),
  /** (ratio - 1) in percent, one decimal. */
  pct: z.number().describe('(ratio - 1) in percent, one decimal.'),
  nA: z.number().int(),
  nB: z.number().int(),
  /** The interval excludes 1. */
  significant: z.boolean().describe('The interval excludes 1.'),
});
export type Estimate = z.infer<typeof estimateSchema>;

/** A boot time or workload comparison: the estimate, or why there is none. */
export const metricSchema = z.object({
  estimate: estimateSchema.optional(),
  /** Why there is no estimate (too few samples on a side). */
  missing: z.string().optional().describe('Why there is no estimate (too few samples on a side).'),
  /** Above the policy's threshold and significant. */
  regression: z.boolean().describe('Above the policy\'s threshold and significant.'),
  threshold: z.number(),
});

export const workloadMetricSchema = metricSchema.extend({ name: z.string() });

export const crashSigSchema = z.object({
  signature: z.string(),
  title: z.string(),
  class: z.string(),
  /** Agent boots with this crash, on the side that has it. */
  count: z.number().int().describe('Agent boots with this crash, on the side that has it.'),
  /** Cells (of B for new crashes, of A for crashes gone). */
  cells: z.array(z.string()).describe('Cells (of B for new crashes, of A for crashes gone).'),
});
export type CrashSig = z.infer<typeof crashSigSchema>;

export const bootSuccessSchema = z.object({
  a: z.number().optional(),
  b: z.number().optional(),
  bootedA: z.number().int(),
  cyclesA: z.number().int(),
  bootedB: z.number().int(),
  cyclesB: z.number().int(),
  /** b - a. */
  delta: z.number().optional().describe('b - a.'),
  regression: z.boolean(),
});

export const differenceSchema = z.object({
  kind: z.enum(['crash', 'boot-success', 'boot-time', 'workload']).describe('What B showed: a new crash signature, a drop in boot success, a slower guest boot, a slower workload.'),
  what: z.string().describe('The crash title, or the workload name.'),
  seen: z.number().int().min(0).describe('Rerun observations that showed it (agent boots; one for boot time).'),
  of: z.number().int().min(0).describe('Rerun observations made.'),
  class: flakeClassSchema.describe('deterministic: seen in every observation; flaky: in some; not-reproduced: in none; inconclusive: no observation.'),
  fails: z.boolean().describe('The policy (failOn) makes this class a regression.'),
});
export type Difference = z.infer<typeof differenceSchema>;

export const cellComparisonSchema = z.object({
  /** image / content (/ build when both runs have the same builds). */
  key: z.string().describe('image / content (/ build when both runs have the same builds).'),
  image: z.string(),
  content: z.string(),
  /** Cell ids in run.json of each run. */
  ids: z.object({ a: z.string(), b: z.string() }).describe('Cell ids in run.json of each run.'),
  builds: z.object({ a: z.string(), b: z.string() }),
  /** compared; inconclusive when either cell did not finish or B's cell is a lab error (nothing is known of B there). */
  status: z.enum(['compared', 'inconclusive']).describe('compared; inconclusive when either cell did not finish or B\'s cell is a lab error (nothing is known of B there).'),
  regression: z.boolean(),
  /** One line per regression, or why inconclusive. */
  reasons: z.array(z.string()).describe('One line per regression, or why inconclusive.'),
  /** Differences that are not regressions: kernel release, content hash. */
  notes: z.array(z.string()).describe('Differences that are not regressions: kernel release, content hash.'),
  verdict: z.object({
    a: z.string(),
    b: z.string(),
    /** regression: pass -> fail; fixed: fail -> pass; changed: any other change. */
    change: z.enum(['same', 'regression', 'fixed', 'changed']).describe('regression: pass -> fail; fixed: fail -> pass; changed: any other change.'),
  }),
  /** Crash signatures of agent boots that B has and this cell of A has not, and the reverse. */
  crashes: z.object({ new: z.array(crashSigSchema), gone: z.array(crashSigSchema) }).describe('Crash signatures of agent boots that B has and this cell of A has not, and the reverse.'),
  bootSuccess: bootSuccessSchema,
  bootTime: metricSchema,
  workloads: z.array(workloadMetricSchema),
  confirm: z
    .object({
      run: z.string().describe('The rerun\'s run folder.'),
      cell: z.string().describe('The cell id in that run.'),
      boots: z.number().int().describe('Agent boots the rerun made.'),
      differences: z.array(differenceSchema),
    })
    .optional()
    .describe('With --confirm: B\'s cell rerun, and each difference it showed classified by the rerun\'s boots; the cell regresses only by the classes the policy fails on.'),
});
export type CellComparison = z.infer<typeof cellComparisonSchema>;

export const runRefSchema = z.object({
  id: z.string(),
  dir: z.string().optional(),
  suite: z.string(),
  suiteSha256: z.string(),
  status: z.string(),
  startedAt: isoDateTime(),
  builds: z.array(z.string()),
  accel: z.string(),
});

export const mismatchSchema = z.object({
  /** suite: the runs come from different suites (or versions of one); image, content, build, cell: present on one side only, not compared. */
  kind: z.enum(['suite', 'image', 'content', 'build', 'cell', 'host']).describe('suite: the runs come from different suites (or versions of one); image, content, build, cell: present on one side only, not compared.'),
  /** Which run has it: a, b, or both (for a difference). */
  side: z.enum(['a', 'b', 'both']).describe('Which run has it: a, b, or both (for a difference).'),
  value: z.string(),
  reason: z.string(),
});
export type Mismatch = z.infer<typeof mismatchSchema>;

export const compareSchema = z.object({
  schema: z.literal('bootgate.compare/v1'),
  /** regression: exit 1; no-regression: exit 0; inconclusive: exit 3 (no cell could be compared). */
  verdict: compareVerdictSchema.describe('regression: exit 1; no-regression: exit 0; inconclusive: exit 3 (no cell could be compared).'),
  exitCode: z.union([z.literal(0), z.literal(1), z.literal(3)]),
  /** One line per regression; on no regression, a line saying what was compared. */
  reasons: z.array(z.string()).describe('One line per regression; on no regression, a line saying what was compared.'),
  a: runRefSchema,
  b: runRefSchema,
  policy: comparePolicySchema,
  /** image+content+build when both runs have the same builds; image+content when they differ (then `builds` says which were compared). */
  matchBy: z.enum(['image+content+build', 'image+content']).describe('image+content+build when both runs have the same builds; image+content when they differ (then `builds` says which were compared).'),
  /** The build pairs compared (A's build, B's build). */
  builds: z.array(z.object({ a: z.string(), b: z.string() })).describe('The build pairs compared (A\'s build, B\'s build).'),
  /** What does not line up, and so was not compared. */
  mismatches: z.array(mismatchSchema).describe('What does not line up, and so was not compared.'),
  confirm: z
    .object({ boots: z.number().int().min(1), failOn: z.array(flakeClassSchema), runs: z.array(z.string()) })
    .optional()
    .describe('With --confirm N: the agent boots each rerun took, the classes that fail, and the reruns\' run folders.'),
  cells: z.array(cellComparisonSchema),
  overall: z.object({
    cellsCompared: z.number().int(),
    cellsInconclusive: z.number().int(),
    cellsRegressed: z.number().int(),
    verdictChanges: z.object({ regression: z.number().int(), fixed: z.number().int(), changed: z.number().int(), same: z.number().int() }),
    /** Signatures B's agent boots have that A's (whole run) never had. */
    newCrashes: z.array(crashSigSchema).describe('Signatures B\'s agent boots have that A\'s (whole run) never had.'),
    /** Signatures of A's agent boots that B's compared cells no longer have. */
    goneCrashes: z.array(crashSigSchema).describe('Signatures of A\'s agent boots that B\'s compared cells no longer have.'),
    bootSuccess: bootSuccessSchema,
    /** All compared cells' agent boots pooled: informational, regressions are judged per cell. */
    bootTime: metricSchema.describe('All compared cells\' agent boots pooled: informational, regressions are judged per cell.'),
    /** Per workload, all compared cells pooled: informational, regressions are judged per cell. */
    workloads: z.array(workloadMetricSchema).describe('Per workload, all compared cells pooled: informational, regressions are judged per cell.'),
  }),
});
export type CompareResult = z.infer<typeof compareSchema>;
