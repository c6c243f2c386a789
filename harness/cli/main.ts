import { Command, CommanderError } from 'commander';
import { resolve } from 'node:path';
import { detectCommand } from './detect.js';
import { BootgateError, ConfigError, ConfigErrors, EXIT } from '../util/errors.js';
import { printable, printableLine } from '../util/printable.js';
import { cacheRoot, projectRoot } from '../util/paths.js';
import { bootgateVersion } from '../util/version.js';
import { parseConcurrency } from './concurrency-option.js';

/**
 * The modules of every command but detect, loaded only when another command (or the help) is
 * asked for: they bring ssh2, yaml and every schema, a third of a second of start-up that
 * `bootgate detect` on a large log would pay for nothing.
 */
async function loadLab() {
  const [doctor, images, gate, compare, report, exporter, multiplexer, registry, runSuite, listCells, cellSelection, merge, resumeTarget, rollout, fuzz, worker, providerOption] = await Promise.all([
    import('./doctor.js'),
    import('./images.js'),
    import('./gate.js'),
    import('./compare.js'),
    import('./report.js'),
    import('./export.js'),
    import('../report/multiplexer.js'),
    import('../report/registry.js'),
    import('../run/run-suite.js'),
    import('./list-cells.js'),
    import('../config/cell-selection.js'),
    import('./merge.js'),
    import('./resume-target.js'),
    import('./rollout.js'),
    import('./fuzz.js'),
    import('./worker.js'),
    import('./provider-option.js'),
  ]);
  return { ...doctor, ...images, ...gate, ...compare, ...report, ...exporter, ...multiplexer, ...registry, ...runSuite, ...listCells, ...cellSelection, ...merge, ...resumeTarget, ...rollout, ...fuzz, ...worker, ...providerOption };
}

/** Ctrl-C aborts the run; every VM is stopped and run.json keeps what finished. A second one exits at once. */
function interruptSignal(): AbortSignal {
  const ac = new AbortController();
  let count = 0;
  const on = (sig: NodeJS.Signals) => {
    count++;
    if (count > 1) process.exit(EXIT.lab);
    process.stderr.write(`\nbootgate: ${sig}: stopping VMs and saving results (again to quit at once)\n`);
    ac.abort(new Error(`interrupted by ${sig}`));
  };
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  return ac.signal;
}

function report(e: unknown): number {
  if (e instanceof ConfigErrors) {
    // Every problem of a file on a line of its own, as editors and CI annotations read them.
    for (const line of e.lines()) process.stderr.write(`bootgate: error: ${printableLine(line)}\n`);
    return e.exitCode;
  }
  if (e instanceof ConfigError) {
    process.stderr.write(`bootgate: error: ${printable(e.toString())}\n`);
    return e.exitCode;
  }
  if (e instanceof BootgateError) {
    // A message may quote a guest's output: shown, never run by the terminal.
    process.stderr.write(`bootgate: ${e.exitCode === EXIT.lab ? 'lab error' : 'error'}: ${printable(e.message)}\n`);
    if (process.env.BOOTGATE_DEBUG && e.cause) process.stderr.write(`cause: ${String((e.cause as Error).stack ?? e.cause)}\n`);
    return e.exitCode;
  }
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(`bootgate: internal error: ${printable(msg)}\n`);
  if (process.env.BOOTGATE_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  return EXIT.lab;
}

export async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.pass;
  const program = new Command('bootgate')
    .description('Boot lab for kernel-level agents: boots guests, installs builds and content, reboots, records crashes.')
    .version(bootgateVersion())
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  const lab = argv[2] === 'detect' ? undefined : await loadLab();
  if (lab) addLabCommands(program, lab, (c) => (code = c));

  program
    .command('detect')
    .description('crash records in console logs, Windows dumps, event exports or QEMU logs (stdin when no file): exit 1 when any crash is found')
    .argument('[files...]', 'evidence files; - for standard input')
    .option('--json', 'for each file, its path and the array of its crash records')
    .action(async (files: string[], o: { json?: boolean }) => {
      code = await detectCommand(files, o);
    });

  if (lab) {
    program.addCommand(lab.imagesCommand((c) => (code = c), interruptSignal));
    program.addCommand(lab.gateCommand((c) => (code = c)));
    program.addCommand(lab.compareCommand((c) => (code = c), interruptSignal));
    program.addCommand(lab.reportCommand((c) => (code = c)));
    program.addCommand(lab.mergeCommand((c) => (code = c)));
    program.addCommand(lab.exportCommand((c) => (code = c)));
    program.addCommand(lab.rolloutCommand((c) => (code = c), interruptSignal));
    program.addCommand(lab.fuzzCommand((c) => (code = c), interruptSignal));
    program.addCommand(lab.workerCommand((c) => (code = c), interruptSignal));
  }

  try {
    // Commands built apart (images, gate, report, compare, export) do not inherit exitOverride:
    // without it a usage error there would exit 1, which the contract keeps for "fail".
    const override = (c: Command) => {
      c.exitOverride();
      c.commands.forEach(override);
    };
    override(program);
    await program.parseAsync(argv);
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? EXIT.pass : EXIT.config;
    }
    return report(e);
  }
}

/** run and doctor, the commands defined here that need the lab's modules. */
function addLabCommands(program: Command, lab: Awaited<ReturnType<typeof loadLab>>, setCode: (c: number) => void): void {
  const { consoleEnv, createReporter, doctor, exitAfterReports, listCells, parseQueueTimeout, parseQueueUrl, parseReporterSpecs, parseShard, providerFromOption, REPORTER_NAMES, ReporterMux, resumeTarget, runReporterNames, runSuite, suitePlan } = lab;
  const splitList = (v: string, prev: string[]) => [...prev, ...v.split(',').filter((x) => x !== '')];
  program
    .command('run')
    .description('run a suite: exit 0 pass, 1 fail, 2 configuration error, 3 inconclusive')
    .argument('[suite]', 'suite file (YAML); with --resume RUN it may be left out')
    .option('--results <dir>', 'where runs are written', 'results')
    .option('-j, --concurrency <n>', 'cells at once (default: the suite, else one per core)', parseConcurrency)
    .option(
      '--reporter <names>',
      `${REPORTER_NAMES.join(', ')}: comma-separated or repeated (default: live on a terminal, plain otherwise and under CI, both on stderr; file reporters write into the run folder; json[=FILE|-] streams NDJSON events to the run folder's events.ndjson, FILE, or stdout)`,
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option('--list', 'print the cells this run would take and the boots they cost; build and boot nothing')
    .option('--json', 'with --list: the cells as JSON')
    .option('--cells <globs>', 'only cells whose id matches a glob (* ? [...]): comma-separated or repeated', splitList, [] as string[])
    .option('--shard <i/n>', 'run slice i of n: the same split on every machine, balanced by expected boots (join the shards with `bootgate merge`)', (v: string) => parseShard(v))
    .option('--no-shared-baselines', 'every cell boots its own baselines, whatever the suite says (boot.sharedBaseline)')
    .option('--resume <run>', 'finish a run that was killed or interrupted: a run folder, or `latest` (the newest run of SUITE under --results); finished cells are kept')
    .option('--queue <url>', 'run the cells on workers of this Redis queue (`bootgate worker`): redis://HOST:PORT[/DB]; a resumed run re-attaches to the queue it recorded', (v: string) => parseQueueUrl(v))
    .option('--queue-timeout <duration>', 'with --queue: a cell no worker started within this long is error (e.g. 30m; default: wait, saying so every 15 s)', (v: string) => parseQueueTimeout(v))
    .option('--provider <name>', 'the VM backend: qemu (local QEMU processes) or docker (QEMU in Docker containers); default: the suite\'s provider:, else qemu')
    .action(async (suite: string | undefined, opts: { results: string; concurrency?: number; reporter: string[]; list?: boolean; json?: boolean; cells: string[]; shard?: { index: number; total: number }; resume?: string; sharedBaselines: boolean; queue?: string; queueTimeout?: number; provider?: string }) => {
      const provider = providerFromOption(opts.provider);
      // Commander sets the negated flag true by default: only an explicit --no-shared-baselines overrides the suite.
      const sharedBaselines = opts.sharedBaselines === false ? false : undefined;
      if (opts.resume && (opts.cells.length || opts.shard || opts.list)) throw new ConfigError('USAGE', '--resume takes the part of the suite the run was started with: no --cells, --shard or --list', { field: '--resume' });
      const resume = opts.resume ? await resumeTarget(opts.resume, suite, resolve(opts.results)) : undefined;
      if (!suite && !resume) throw new ConfigError('USAGE', 'which suite? `bootgate run SUITE`, or `bootgate run --resume RUN`', { field: 'suite' });
      const selection = { cells: opts.cells, ...(opts.shard ? { shard: opts.shard } : {}) };
      if (opts.list) {
        await listCells({ suiteFile: resolve(suite!), root: projectRoot(), cacheDir: cacheRoot(), selection, sharedBaselines, json: opts.json }, (s) => process.stdout.write(s));
        setCode(EXIT.pass);
        return;
      }
      if (opts.shard && (await suitePlan({ suiteFile: resolve(suite!), root: projectRoot(), cacheDir: cacheRoot(), selection, sharedBaselines })).plan.cells.length === 0) {
        // More shards than cells: this one has nothing to do, and a merge of the others is whole.
        process.stderr.write(`bootgate: shard ${opts.shard.index}/${opts.shard.total} has no cells; nothing to run\n`);
        setCode(EXIT.pass);
        return;
      }
      const specs = parseReporterSpecs(opts.reporter);
      const mux = new ReporterMux(runReporterNames(specs.map((s) => s.name), consoleEnv()).map((n) => createReporter(n, { target: specs.find((s) => s.name === n)?.target })));
      // With the event stream on stdout, stdout carries nothing else: the closing run.json path goes to stderr.
      const closing = specs.some((s) => s.target === '-') ? process.stderr : process.stdout;
      const r = await runSuite({
        ...(suite ? { suiteFile: resolve(suite) } : {}),
        ...(resume ? { resume } : {}),
        resultsDir: resolve(opts.results),
        cacheDir: cacheRoot(),
        root: projectRoot(),
        ...(provider ? { provider } : {}),
        concurrency: opts.concurrency,
        selection,
        sharedBaselines,
        ...(opts.queue ? { queue: { url: opts.queue, timeoutMs: opts.queueTimeout } } : {}),
        emit: (e) => mux.onEvent(e),
        signal: interruptSignal(),
      });
      // The reporters' files, after the judge wrote gate.json; the run's exit code is the gate's.
      const { failed } = await mux.end(r.run, r.runDir, { gate: r.gate });
      closing.write(`${r.runDir}/run.json\n`);
      setCode(exitAfterReports(r.exitCode, failed));
    });

  program
    .command('doctor')
    .description('check that this host has what the lab needs, and say what to install')
    .action(async () => {
      const r = await doctor();
      process.stdout.write(r.lines.join('\n') + '\n');
      setCode(r.ok ? EXIT.pass : EXIT.lab);
    });
}
