import { Command } from 'commander';
import { cp, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { mergeRuns, type ShardRun } from '../results/merge-runs.js';
import { loadRun, runDirOf } from '../results/run-files.js';
import { RunStore } from '../results/run-store.js';
import { recordRunVerdict } from '../run/run-end.js';
import { runId } from '../run/run-suite.js';
import { LabError } from '../util/errors.js';
import { reportPath } from './report.js';

export interface MergeOptions {
  results: string;
  reporter: string[];
}

/**
 * `bootgate merge RUN...`: the runs of one suite's shards as one run under --results, judged once
 * under the suite's policy (run.json, gate.json, the asked reports), each cell's files copied in.
 * Its exit code is the gate's, as `bootgate run` would have given on one machine.
 */
export async function mergeCommandRun(dirs: string[], o: MergeOptions, out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  const parts: ShardRun[] = [];
  for (const d of dirs) {
    const { run } = await loadRun(resolve(d));
    parts.push({ run, dir: runDirOf(d) });
  }
  const id = runId(`${parts[0]?.run.suite.name ?? 'merge'}-merged`);
  const merged = mergeRuns(parts, id, new Date());
  const dir = join(resolve(o.results), id);
  const store = new RunStore(dir, merged);
  await store.init();
  for (const p of parts) {
    for (const cell of p.run.cells) {
      const from = join(resolve(p.dir), 'cells', cell.id);
      if (!(await stat(from).catch(() => undefined))?.isDirectory()) continue;
      try {
        await cp(from, join(dir, 'cells', cell.id), { recursive: true, errorOnExist: true, force: false });
      } catch (e) {
        throw new LabError('MERGE_COPY', `cannot copy ${from} into ${dir}: ${(e as Error).message}`, { cause: e });
      }
    }
  }
  // Runs that record a selection (all a merge takes) store their policy too.
  const gate = await recordRunVerdict(store, merged.gate!);
  err(`merged ${parts.length} run(s), ${merged.cells.length} cells, into ${dir}\n`);
  const reports = await reportPath(dir, { reporter: o.reporter }, out, err);
  out(`${join(dir, 'run.json')}\n`);
  return reports !== 0 ? reports : gate.exitCode;
}

const collect = (v: string, prev: string[]) => [...prev, v];

export function mergeCommand(setCode: (c: number) => void): Command {
  return new Command('merge')
    .description('join the runs of one suite\'s shards (--shard i/n) into one run with one gate verdict: exit codes as for run')
    .argument('<runs...>', 'run folders (results/<run-id>), one per shard')
    .option('--results <dir>', 'where the merged run is written', 'results')
    .option('--reporter <names>', 'junit, tap, markdown, html, plain: reports of the merged run (comma-separated or repeated)', collect, [])
    .action(async (runs: string[], o: MergeOptions) => {
      setCode(await mergeCommandRun(runs, o));
    });
}
