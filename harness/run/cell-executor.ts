import type { CellPlan } from '../config/matrix.js';

/**
 * Where a run's cells are run: here (LocalCellExecutor: the CellRunner in this process) or by
 * workers on a queue (queue/queue-cell-executor.ts). Either way a cell's final record ends in the
 * run's store and journal, and its events reach the run's reporters, before `run` resolves.
 */
export interface CellExecutor {
  /** How many cells to hand it at once. */
  readonly concurrency: number;
  /** Run one cell to its end (retries included); its record is then in run.json and the journal. */
  run(cell: CellPlan): Promise<void>;
  close(): Promise<void>;
}
