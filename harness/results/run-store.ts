import { join } from 'node:path';
import { groupCrashes } from './crash-groups.js';
import type { RunResult } from './schema.js';
import { LabError } from '../util/errors.js';
import { makeDirs, unwritableFile, writeFileAtomic } from '../util/fsutil.js';
import { jsonText } from '../util/json-text.js';

/**
 * Recompute the counts and crash groups from the cells, so they can never drift from them. The
 * run's verdict is not computed here: the judge (gate/) sets it when the run ends, and it is kept.
 */
export function withSummary(run: RunResult): RunResult {
  const count = (v: string) => run.cells.filter((c) => c.status === 'done' && c.verdict === v).length;
  const pending = run.cells.filter((c) => c.status !== 'done').length;
  const { verdict, exitCode } = run.summary ?? {};
  const summary: RunResult['summary'] = { cells: run.cells.length, pass: count('pass'), fail: count('fail'), error: count('error'), pending, ...(verdict !== undefined ? { verdict } : {}), ...(exitCode !== undefined ? { exitCode } : {}) };
  return { ...run, summary, crashes: groupCrashes(run.cells) };
}

/**
 * results/<run-id>/run.json, rewritten atomically after every change, one write at a time:
 * a killed run leaves the last complete state on disk.
 */
export class RunStore {
  private chain: Promise<void> = Promise.resolve();
  private run: RunResult;

  constructor(
    readonly dir: string,
    initial: RunResult,
  ) {
    this.run = withSummary(initial);
  }

  get path(): string {
    return join(this.dir, 'run.json');
  }

  get current(): RunResult {
    return this.run;
  }

  /** The run folder and its first run.json; a results folder that cannot hold them is the user's (--results), exit 2. */
  async init(): Promise<void> {
    try {
      await makeDirs(this.dir);
      await this.flush();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EIO') throw new LabError('RUN_FOLDER', `cannot write the run folder ${this.dir} (${code})`, { cause: e });
      throw unwritableFile(this.dir, 'the run folder', e);
    }
  }

  update(fn: (r: RunResult) => RunResult | void): Promise<void> {
    const next = fn(this.run);
    this.run = withSummary(next ?? this.run);
    return this.flush();
  }

  private flush(): Promise<void> {
    // The raw guest text, JSON-escaped (C1 controls too): safe to print, the same when read back.
    const snapshot = jsonText(this.run) + '\n';
    this.chain = this.chain.then(() => writeFileAtomic(this.path, snapshot));
    return this.chain;
  }
}
