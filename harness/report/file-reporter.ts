import { join } from 'node:path';
import type { RunResult } from '../results/schema.js';
import type { Reporter, ReportContext } from './reporter.js';
import { writeFileAtomic } from '../util/fsutil.js';

/** A reporter that renders one file into the run folder when the run ends (or from a stored run). */
export abstract class FileReporter implements Reporter {
  abstract readonly name: string;
  protected abstract readonly fileName: string;
  protected abstract render(run: RunResult, ctx: ReportContext): string;

  async onEnd(run: RunResult, runDir: string, ctx: ReportContext = {}): Promise<string[]> {
    const file = join(runDir, this.fileName);
    await writeFileAtomic(file, this.render(run, ctx));
    return [file];
  }
}
