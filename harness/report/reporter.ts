import type { GateResult } from '../results/gate-schema.js';
import type { RunResult } from '../results/schema.js';
import type { RunEvent } from '../run/events.js';

/**
 * The plug-in point for output: live reporters follow events while a run goes on; file
 * reporters write their file when it ends, and can be re-run later from a stored run.json
 * (`bootgate report`). One class per format.
 */
export interface Reporter {
  readonly name: string;
  onEvent?(e: RunEvent): void;
  /** Write this reporter's output for a finished (or interrupted) run; returns the files written. */
  onEnd?(run: RunResult, runDir: string, context?: ReportContext): Promise<string[]>;
}

/** What a reporter may show beside the run itself. */
export interface ReportContext {
  /** The release gate's decision on this run (gate.json), when there is one. */
  gate?: GateResult;
}
