import { resolve } from 'node:path';
import { loadSuite } from '../config/suite.js';
import type { RunResult } from '../results/schema.js';
import { ConfigError } from '../util/errors.js';
import { changesSince } from './resume.js';
import { runSuite, type RunSuiteOptions, type SuiteRun } from './run-suite.js';

export interface RerunOptions extends Pick<RunSuiteOptions, 'resultsDir' | 'cacheDir' | 'root' | 'concurrency' | 'emit' | 'signal' | 'provider'> {
  /** The run whose cells are rerun, and where its run.json was read (for messages). */
  run: RunResult;
  runDir: string;
  /** Its cell ids to rerun. */
  cells: string[];
  /** Agent boots each rerun cell makes: each one an observation of what B showed. */
  boots: number;
}

/**
 * B's cells again, as B ran them: the same suite (its file unchanged since, by sha256), narrowed
 * to the cells, each booting `boots` agent cycles on a fresh machine. A rerun of another build,
 * content or image would confirm nothing about B, so a change is refused (exit 2), naming it.
 */
export async function rerunCells(o: RerunOptions): Promise<SuiteRun> {
  const suiteFile = resolve(o.root, o.run.suite.file);
  const s = await loadSuite(suiteFile);
  if (s.sha256 !== o.run.suite.sha256) {
    throw new ConfigError('CONFIRM_CHANGED', `the suite changed since run ${o.run.id} (sha256 ${o.run.suite.sha256.slice(0, 12)} -> ${s.sha256.slice(0, 12)}): a rerun would not be the run it confirms`, { file: suiteFile });
  }
  const r = await runSuite({ suiteFile, resultsDir: o.resultsDir, cacheDir: o.cacheDir, root: o.root, provider: o.provider, concurrency: o.concurrency, selection: { cells: o.cells, cycles: o.boots }, emit: o.emit, signal: o.signal });
  const was = o.run.cells.filter((c) => o.cells.includes(c.id));
  const changed = changesSince(was, r.run.cells);
  if (changed.length) throw new ConfigError('CONFIRM_CHANGED', `${changed.join('; ')} since run ${o.run.id}: the rerun in ${r.runDir} confirms nothing about it`, { file: o.runDir });
  return r;
}
