import { Command } from 'commander';
import { dirname, resolve } from 'node:path';
import { compareLines, compareMarkdown, compareRuns, DEFAULT_COMPARE_POLICY } from '../gate/compare.js';
import type { ComparePolicy, CompareResult } from '../results/compare-schema.js';
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
  };
  const result = compareRuns(a.run, b.run, policy, { dirA: a.runDir, dirB: b.runDir });
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

export function compareCommand(setCode: (c: number) => void): Command {
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
    .action(async (runA: string, runB: string, o: CompareOptions) => {
      setCode((await compareCommandRun(runA, runB, o)).exitCode);
    });
}
