import type { RunEvent } from '../run/events.js';
import type { RunResult } from '../results/schema.js';
import type { ReportContext, Reporter } from './reporter.js';
import { pushAll } from '../util/arrays.js';

/**
 * Many reporters as one: every event to each, and at the end each one's files. A reporter that
 * throws is said on stderr once and never stops the run, the others, or hides the verdict.
 */
export class ReporterMux {
  private readonly broken = new Set<string>();

  constructor(
    readonly reporters: Reporter[],
    private readonly warn: (line: string) => void = (l) => process.stderr.write(l + '\n'),
  ) {}

  onEvent(e: RunEvent): void {
    for (const r of this.reporters) {
      if (!r.onEvent || this.broken.has(r.name)) continue;
      try {
        r.onEvent(e);
      } catch (err) {
        this.broken.add(r.name);
        this.warn(`bootgate: reporter ${r.name} failed and is left out: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  /** Each reporter's output for the finished (or interrupted) run: the files written and the reporters that failed. */
  async end(run: RunResult, runDir: string, ctx: ReportContext): Promise<{ files: string[]; failed: string[] }> {
    const files: string[] = [];
    const failed: string[] = [];
    for (const r of this.reporters) {
      if (!r.onEnd) continue;
      try {
        pushAll(files, await r.onEnd(run, runDir, ctx));
      } catch (e) {
        failed.push(r.name);
        this.warn(`bootgate: reporter ${r.name} failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    return { files, failed };
  }
}

/** The exit code once reporters ran: the gate's, or 3 when the gate passed but a report could not be written. */
export const exitAfterReports = (gateExit: number, failed: string[]) => (failed.length && gateExit === 0 ? 3 : gateExit);
