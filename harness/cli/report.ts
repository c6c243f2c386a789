import { Command } from 'commander';
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { evaluateGate } from '../gate/evaluate.js';
import { ReporterMux } from '../report/multiplexer.js';
import { runVerdictOf } from '../report/model.js';
import { createReporter, parseReporterNames } from '../report/registry.js';
import type { ReportContext } from '../report/reporter.js';
import { listRuns, loadGate, loadRun, RUN_FILE, runDirOf, type RunListing } from '../results/run-files.js';
import { ConfigError, EXIT } from '../util/errors.js';
import { maxOf } from '../util/arrays.js';
import { jsonText } from '../util/json-text.js';
import { printableLine } from '../util/printable.js';

export interface ReportOptions {
  reporter?: string[];
  json?: boolean;
}

type Write = (s: string) => void;

function verdictWord(l: RunListing): string {
  const run = l.run!;
  if (run.status === 'running') return 'running';
  const v = runVerdictOf(run, l.gate).verdict;
  return run.status === 'interrupted' ? `${v} (interrupted)` : v;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => maxOf(rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}

/** Every run under a results folder, newest first. */
async function list(dir: string, o: ReportOptions, out: Write, err: Write): Promise<number> {
  const runs = await listRuns(dir);
  if (o.json) {
    out(
      jsonText(
        runs.map((l) =>
          l.run
            ? { dir: l.dir, id: l.run.id, suite: l.run.suite.name, startedAt: l.run.startedAt, status: l.run.status, verdict: verdictWord(l), pass: l.run.summary.pass, fail: l.run.summary.fail, error: l.run.summary.error, cells: l.run.summary.cells }
            : { dir: l.dir, problem: l.problem },
        ),
      ) + '\n',
    );
    return EXIT.pass;
  }
  if (runs.length === 0) {
    err(`no runs under ${dir}\n`);
    return EXIT.pass;
  }
  const rows = [['ID', 'SUITE', 'STARTED', 'VERDICT', 'PASS', 'FAIL', 'ERROR', 'CELLS']];
  for (const l of runs) {
    if (!l.run) {
      err(`${printableLine(`skipped ${l.dir}: ${l.problem}`)}\n`);
      continue;
    }
    const s = l.run.summary;
    rows.push([l.run.id, l.run.suite.name, l.run.startedAt.replace('T', ' ').slice(0, 19), verdictWord(l), String(s.pass), String(s.fail), String(s.error), String(s.cells)]);
  }
  out(table(rows.map((r) => r.map(printableLine))));
  return EXIT.pass;
}

/** Rebuild reporters' output from a stored run.json (and its gate.json, or the stored policy's verdict). */
async function rebuild(runPath: string, o: ReportOptions, out: Write, err: Write): Promise<number> {
  const { run, runDir } = await loadRun(runPath);
  const names = parseReporterNames(o.reporter ?? []);
  // A stored run has no events to stream: the stream is written while a run goes on.
  if (names.includes('json')) throw new ConfigError('USAGE', 'the json reporter streams the events of a run as it goes (bootgate run --reporter json); a stored run has its run.json, or bootgate export', { field: '--reporter' });
  const ctx: ReportContext = { gate: (await loadGate(runDir)) ?? (run.gate ? evaluateGate(run, run.gate, { now: new Date(), policySource: 'run.json' }) : undefined) };
  const stream = { write: (s: string) => err(s), isTTY: false };
  // Console reporters have no events to follow here: both print the run's summary.
  const reporters = (names.length ? names : (['plain'] as const)).filter((n, i, a) => !(n === 'live' && a.includes('plain'))).map((n) => createReporter(n === 'live' ? 'plain' : n, { stream }));
  const { files, failed } = await new ReporterMux(reporters, (l) => err(l + '\n')).end(run, runDir, ctx);
  for (const f of files) out(`${f}\n`);
  return failed.length ? EXIT.lab : EXIT.pass;
}

/**
 * `bootgate report [DIR]`: DIR a results folder lists its runs; DIR a run folder (or its
 * run.json) rebuilds the reporters' output from the stored run, with no booting.
 */
export async function reportPath(path: string, o: ReportOptions, out: Write = (s) => process.stdout.write(s), err: Write = (s) => process.stderr.write(s)): Promise<number> {
  const p = resolve(path);
  const st = await stat(p).catch(() => undefined);
  if (!st) throw new ConfigError('FILE_UNREADABLE', 'no such file or folder', { file: path });
  const isRun = !st.isDirectory() || (await stat(join(p, RUN_FILE)).catch(() => undefined))?.isFile();
  if (isRun) return rebuild(runDirOf(p), o, out, err);
  if (o.reporter?.length) throw new ConfigError('USAGE', `not a run folder (no ${RUN_FILE}): --reporter rebuilds one run's reports; give results/<run-id>`, { file: path });
  return list(p, o, out, err);
}

const collect = (v: string, prev: string[]) => [...prev, v];

export function reportCommand(setCode: (c: number) => void): Command {
  return new Command('report')
    .description('list past runs under a results folder (newest first), or rebuild reports of one run from its run.json')
    .argument('[dir]', 'a results folder, or one run folder (results/<run-id>)', 'results')
    .option('--reporter <names>', 'with a run folder: junit, tap, markdown, html, plain (comma-separated or repeated; files go into the run folder)', collect, [])
    .option('--json', 'list runs as JSON')
    .action(async (dir: string, o: ReportOptions) => {
      setCode(await reportPath(dir, o));
    });
}
