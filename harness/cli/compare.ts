import { Command } from 'commander';
import { dirname, resolve } from 'node:path';
import { compareLines, compareMarkdown, compareRuns, DEFAULT_COMPARE_POLICY } from '../gate/compare.js';
import { DEFAULT_FAIL_ON } from '../gate/flake.js';
import { ReporterMux } from '../report/multiplexer.js';
import { consoleEnv, createReporter, runReporterNames } from '../report/registry.js';
import { flakeClassSchema, type ComparePolicy, type CompareResult, type FlakeClass } from '../results/compare-schema.js';
import { rerunCells } from '../run/confirm-reruns.js';
import { cacheRoot, projectRoot } from '../util/paths.js';
import { loadRun } from '../results/run-files.js';
import { ConfigError } from '../util/errors.js';
import { makeDirs, unwritableFile, writeFileAtomic } from '../util/fsutil.js';
import { jsonText } from '../util/json-text.js';
import { printable, printableLine } from '../util/printable.js';

export interface CompareOptions {
  json?: boolean;
  markdown?: string;
  maxWorkloadOverhead?: number;
  maxBootOverhead?: number;
  bootSuccessDrop?: number;
  /** Rerun B's regressed cells with this many agent boots and classify each difference. */
  confirm?: number;
  failOn?: FlakeClass[];
  /** Where the reruns are written. */
  results?: string;
  concurrency?: number;
  signal?: AbortSignal;
}

/**
 * `bootgate compare RUN_A RUN_B`: what B breaks or slows down that A did not. Reads each
 * run's run.json (a missing or malformed one is exit 2, naming the file); prints a summary
 * (or the bootgate.compare/v1 JSON with --json), optionally writes Markdown for a pull request
 * comment. Returns 1 when B regresses, 0 when not, 3 when nothing could be compared.
 */
export async function compareCommandRun(runA: string, runB: string, o: CompareOptions, out: (s: string) => void = (s) => process.stdout.write(s)): Promise<{ exitCode: number; result: CompareResult }> {
  const a = await loadRun(resolve(runA));
  const b = await loadRun(resolve(runB));
  const policy: ComparePolicy = {
    maxWorkloadOverheadPct: o.maxWorkloadOverhead ?? DEFAULT_COMPARE_POLICY.maxWorkloadOverheadPct,
    maxBootTimeIncreasePct: o.maxBootOverhead ?? DEFAULT_COMPARE_POLICY.maxBootTimeIncreasePct,
    bootSuccessDrop: o.bootSuccessDrop ?? DEFAULT_COMPARE_POLICY.bootSuccessDrop,
    ...(o.confirm ? { failOn: o.failOn ?? [...DEFAULT_FAIL_ON] } : {}),
  };
  if (o.failOn && !o.confirm) throw new ConfigError('USAGE', '--fail-on classifies the differences that reruns confirm: give --confirm N too', { field: '--fail-on' });
  let result = compareRuns(a.run, b.run, policy, { dirA: a.runDir, dirB: b.runDir });
  if (o.confirm) {
    // Only what B regressed on is rerun: a cell that did not regress has nothing to confirm.
    const ids = result.cells.filter((c) => c.regression).map((c) => c.ids.b);
    const runs: string[] = [];
    const cells = new Map<string, { run: string; cell: (typeof b.run.cells)[number] }>();
    if (ids.length) {
      const mux = new ReporterMux(runReporterNames([], consoleEnv()).map((n) => createReporter(n)));
      const r = await rerunCells({ run: b.run, runDir: b.runDir, cells: ids, boots: o.confirm, resultsDir: resolve(o.results ?? 'results'), cacheDir: cacheRoot(), root: projectRoot(), concurrency: o.concurrency, emit: (e) => mux.onEvent(e), signal: o.signal ?? new AbortController().signal });
      await mux.end(r.run, r.runDir, { gate: r.gate });
      runs.push(r.runDir);
      for (const c of r.run.cells) cells.set(c.id, { run: r.runDir, cell: c });
    }
    result = compareRuns(a.run, b.run, policy, { dirA: a.runDir, dirB: b.runDir, confirm: { boots: o.confirm, runs, cells } });
  }
  if (o.markdown) {
    const file = resolve(o.markdown);
    try {
      await makeDirs(dirname(file));
      await writeFileAtomic(file, printable(compareMarkdown(result)));
    } catch (e) {
      throw unwritableFile(file, 'the Markdown', e);
    }
  }
  // Crash titles are guest text: shown, never run by the terminal.
  out(o.json ? jsonText(result) + '\n' : compareLines(result).map(printableLine).join('\n') + '\n');
  return { exitCode: result.exitCode, result };
}

const number = (flag: string, min: number, max = Infinity) => (v: string) => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new ConfigError('USAGE', `${flag} takes a number${max === Infinity ? ` >= ${min}` : ` from ${min} to ${max}`}, not ${v}`);
  return n;
};

const whole = (flag: string, min: number, max = Infinity) => (v: string) => {
  const n = number(flag, min, max)(v);
  if (!Number.isInteger(n)) throw new ConfigError('USAGE', `${flag} takes a whole number, not ${v}`);
  return n;
};

const failOnList = (v: string): FlakeClass[] => {
  const names = v.split(',').map((x) => x.trim()).filter((x) => x !== '');
  const bad = names.find((x) => !(flakeClassSchema.options as readonly string[]).includes(x));
  if (bad !== undefined || names.length === 0) throw new ConfigError('USAGE', `--fail-on takes classes of ${flakeClassSchema.options.join(', ')}, comma-separated, not ${JSON.stringify(bad ?? v)}`, { field: '--fail-on' });
  return [...new Set(names)] as FlakeClass[];
};

export function compareCommand(setCode: (c: number) => void, signal: () => AbortSignal = () => new AbortController().signal): Command {
  // exitOverride: a command added with addCommand does not inherit it, and a usage error must be exit 2 (main), not commander's exit 1.
  return new Command('compare')
    .exitOverride()
    .description('what run B breaks or slows down that run A did not: verdict changes, new crash signatures, boot success, boot time and workload deltas with 95% intervals; exit 0 no regression, 1 regression, 2 bad input, 3 nothing to compare')
    .argument('<runA>', 'the reference run: a run folder (results/<run-id>) or its run.json')
    .argument('<runB>', 'the candidate run')
    .option('--json', 'print the bootgate.compare/v1 JSON instead of the summary')
    .option('--markdown <file>', 'also write the comparison as Markdown, fit for a pull request comment')
    .option('--max-workload-overhead <pct>', `a workload this much slower (percent, significant) is a regression (default ${DEFAULT_COMPARE_POLICY.maxWorkloadOverheadPct})`, number('--max-workload-overhead', 0))
    .option('--max-boot-overhead <pct>', `guest boot time this much longer (percent, significant) is a regression (default ${DEFAULT_COMPARE_POLICY.maxBootTimeIncreasePct})`, number('--max-boot-overhead', 0))
    .option('--boot-success-drop <share>', `tolerated drop of a cell's boot success, 0..1 (default ${DEFAULT_COMPARE_POLICY.bootSuccessDrop})`, number('--boot-success-drop', 0, 1))
    .option('--confirm <n>', 'rerun B\'s regressed cells (as B ran them) with N agent boots each, and classify each difference: deterministic (every boot), flaky (some), not-reproduced (none)', whole('--confirm', 1, 100))
    .option('--fail-on <classes>', `with --confirm: the classes that are regressions, comma-separated, of ${flakeClassSchema.options.join(', ')} (default ${DEFAULT_FAIL_ON.join(',')})`, failOnList)
    .option('--results <dir>', 'with --confirm: where the reruns are written', 'results')
    .option('-j, --concurrency <n>', 'with --confirm: cells at once (default: the suite, else one per core)', whole('--concurrency', 1))
    .action(async (runA: string, runB: string, o: CompareOptions) => {
      setCode((await compareCommandRun(runA, runB, { ...o, signal: signal() })).exitCode);
    });
}
