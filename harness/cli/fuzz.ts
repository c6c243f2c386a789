import { Command } from 'commander';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fuzzMarkdown, type FuzzCrashFiles } from '../report/fuzz-markdown.js';
import { runFuzz } from '../run/fuzz-session.js';
import { FUZZ_FILE } from '../results/fuzz-files.js';
import { parseDuration } from '../util/duration.js';
import { ConfigError } from '../util/errors.js';
import { cacheRoot, projectRoot } from '../util/paths.js';
import { printable } from '../util/printable.js';

interface FuzzFlags {
  image?: string;
  agent?: string;
  build?: string;
  content: string[];
  template?: string;
  mutants?: number;
  budget?: number;
  seed?: number;
  corpus?: string;
  results: string;
  confirm: boolean;
  untilCrash?: boolean;
}

const wholeNumber = (flag: string, min: number) => (v: string) => {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min) throw new ConfigError('USAGE', `${flag} takes a whole number >= ${min}, not ${v}`, { field: flag });
  return n;
};

const budgetOf = (v: string) => {
  const ms = parseDuration(v);
  if (ms === undefined || ms <= 0) throw new ConfigError('USAGE', `--budget takes a duration (30s, 10m, 1h), not ${v}`, { field: '--budget' });
  return ms;
};

/** fuzz.md beside fuzz.json: the report's section per crash quotes the files the run kept. */
async function writeReport(dir: string, r: Awaited<ReturnType<typeof runFuzz>>['result']): Promise<string> {
  const files = new Map<string, FuzzCrashFiles>();
  for (const c of r.crashes) {
    if (!c.minimized) continue;
    const read = (p: string) => readFile(join(dir, p), 'latin1').catch(() => undefined);
    files.set(c.signature, { content: await read(c.minimized.content), diff: await read(c.minimized.diff) });
  }
  const file = join(dir, 'fuzz.md');
  await writeFile(file, fuzzMarkdown(r, files));
  return file;
}

/**
 * `bootgate fuzz SUITE`: content fuzzing of one agent build on one image of the suite. Progress
 * on stderr, the path of fuzz.json on stdout; exit 0 no crash beyond the gate's maxCrashes, 1 a
 * crash, 2 bad input, 3 the lab failed or the run was interrupted (resume with --corpus DIR).
 */
export function fuzzCommand(setCode: (c: number) => void, interrupt: () => AbortSignal): Command {
  return new Command('fuzz')
    .description('content fuzzing: mutants of the suite\'s content, guided by the agent\'s content template, each loaded into the agent in a real guest; crashes kept minimized and confirmed by booting them. Exit 0 pass, 1 crash found, 2 bad input, 3 inconclusive')
    .argument('<suite>', 'suite file (YAML): its first image, agent and build unless narrowed')
    .option('--image <name>', 'the image to fuzz on (default: the suite\'s first)')
    .option('--agent <name>', 'the agent (default: the suite\'s first)')
    .option('--build <version>', 'the build (default: the agent\'s first)')
    .option('--content <versions>', 'seed content versions, comma-separated (default: all of the suite\'s)', (v: string, prev: string[]) => [...prev, ...v.split(',').filter((x) => x)], [] as string[])
    .option('--template <file>', 'the content template (default: content-template.yaml in the build\'s source folder)')
    .option('--mutants <n>', 'stop after N mutants in all (default 200 when no --budget)', wholeNumber('--mutants', 1))
    .option('--budget <duration>', 'stop after this long of fuzzing (30s, 10m, 1h)', budgetOf)
    .option('--seed <n>', 'the PRNG seed: the same seed makes the same mutants (default: from the clock)', wholeNumber('--seed', 0))
    .option('--corpus <dir>', 'the corpus folder: fuzz.json, crashes/, confirm/; one that holds fuzz.json is resumed (default: a new folder under --results)')
    .option('--results <dir>', 'where new corpus folders go', 'results')
    .option('--until-crash', 'stop at the first crash (it is still minimized and confirmed)')
    .option('--no-confirm', 'do not boot the minimized content of each crash')
    .action(async (suite: string, f: FuzzFlags) => {
      const r = await runFuzz({
        suiteFile: resolve(suite),
        image: f.image,
        agent: f.agent,
        build: f.build,
        content: f.content,
        template: f.template && resolve(f.template),
        mutants: f.mutants,
        budgetMs: f.budget,
        seedValue: f.seed,
        corpusDir: f.corpus && resolve(f.corpus),
        resultsDir: resolve(f.results),
        cacheDir: cacheRoot(),
        root: projectRoot(),
        confirm: f.confirm,
        untilCrash: f.untilCrash,
        progress: (l) => process.stderr.write(`${printable(l)}\n`),
        signal: interrupt(),
      });
      const s = r.result.stats;
      await writeReport(r.dir, r.result);
      process.stderr.write(`${s.mutants} mutants, ${s.mutantsPerMinute}/min: ${s.accepted} loaded, ${s.refused} refused, ${s.crashed} crashed, ${s.distinctCrashes} distinct crash${s.distinctCrashes === 1 ? '' : 'es'}\n`);
      for (const l of r.result.gate?.reasons ?? []) process.stderr.write(`  ${printable(l)}\n`);
      process.stderr.write(`verdict ${(r.result.gate?.verdict ?? 'error').toUpperCase()} (exit ${r.exitCode}); report: ${join(r.dir, 'fuzz.md')}\n`);
      process.stdout.write(`${join(r.dir, FUZZ_FILE)}\n`);
      setCode(r.exitCode);
    });
}
