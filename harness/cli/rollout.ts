import { Command } from 'commander';
import { resolve } from 'node:path';
import { ReporterMux, exitAfterReports } from '../report/multiplexer.js';
import { consoleEnv, createReporter, parseReporterNames, runReporterNames, STREAM_REPORTERS } from '../report/registry.js';
import { rolloutLines } from '../report/rollout-lines.js';
import { runRollout } from '../run/rollout.js';
import { ConfigError } from '../util/errors.js';
import { cacheRoot, projectRoot } from '../util/paths.js';
import { parseConcurrency } from './concurrency-option.js';
import { providerFromOption } from './provider-option.js';

export interface RolloutCommandOptions {
  results: string;
  concurrency?: number;
  reporter: string[];
  provider?: string;
}

/**
 * `bootgate rollout SUITE`: the suite's rollout: section, ring by ring for each content version.
 * Each ring's run gets the console view and the file reports asked for, in its own folder; the
 * rollout's summary goes to stderr and the path of rollout.json to stdout. Exit 0 when every
 * content reached the last ring, 1 when a ring failed the gate, 3 when the lab failed in one.
 */
export async function rolloutCommandRun(suite: string, o: RolloutCommandOptions, signal: AbortSignal, out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  const names = parseReporterNames(o.reporter);
  // A stream reporter writes one run's events; a rollout is many runs.
  const stream = names.find((n) => (STREAM_REPORTERS as readonly string[]).includes(n));
  if (stream) throw new ConfigError('USAGE', `--reporter ${stream} streams one run's events; a rollout runs one per ring: use bootgate run for it`, { field: '--reporter' });
  const failed: string[] = [];
  const r = await runRollout({
    suiteFile: resolve(suite),
    resultsDir: resolve(o.results),
    cacheDir: cacheRoot(),
    root: projectRoot(),
    concurrency: o.concurrency,
    ...(o.provider ? { provider: providerFromOption(o.provider) } : {}),
    signal,
    note: (l) => err(`rollout: ${l}\n`),
    ring: () => {
      const mux = new ReporterMux(runReporterNames(names, consoleEnv()).map((n) => createReporter(n)));
      return {
        emit: (e) => mux.onEvent(e),
        end: async (run) => {
          failed.push(...(await mux.end(run.run, run.runDir, { gate: run.gate })).failed);
        },
      };
    },
  });
  for (const l of rolloutLines(r.result)) err(`${l}\n`);
  out(`${r.file}\n`);
  return exitAfterReports(r.result.exitCode, failed);
}

export function rolloutCommand(setCode: (c: number) => void, signal: () => AbortSignal): Command {
  return new Command('rollout')
    .description('simulate a staged rollout (the suite\'s rollout: rings): each content version goes ring by ring, the next ring only when the gate passed; writes rollout.json: exit 0 all promoted, 1 a ring failed, 2 bad input, 3 inconclusive')
    .argument('<suite>', 'suite file (YAML) with a rollout: section')
    .option('--results <dir>', 'where the rollout folder (its rings\' runs and rollout.json) is written', 'results')
    .option('-j, --concurrency <n>', 'cells at once (default: the suite, else one per core)', parseConcurrency)
    .option('--reporter <names>', 'live, plain, junit, tap, markdown, html: comma-separated or repeated; file reports go into each ring\'s run folder', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--provider <name>', 'the VM backend of every ring: qemu or docker; default: the suite\'s provider:, else qemu')
    .action(async (suite: string, o: RolloutCommandOptions) => {
      setCode(await rolloutCommandRun(suite, o, signal()));
    });
}
