import { bootsOf, filterCells, shardCells, type BootCost, type Shard } from '../config/cell-selection.js';
import { expandMatrix, type CellPlan } from '../config/matrix.js';
import type { Suite } from '../config/suite-schema.js';

/** What part of a suite's matrix a run takes: `--cells` globs and `--shard i/n`, both optional. */
export interface RunSelection {
  cells?: string[];
  shard?: Shard;
  /** Boot cycles per cell in place of the suite's boot.cycles: a rollout ring's soak. */
  cycles?: number;
}

export interface RunPlan {
  /** Every cell of the suite's matrix that --cells keeps, in matrix order: what the shards split, and a merge of all of them must give. */
  matrix: CellPlan[];
  /** The cells this run takes. */
  cells: CellPlan[];
  /** The images those cells need, in the suite's order. */
  images: string[];
  cost: BootCost;
  /** Boots this run is expected to cost, retries aside. */
  boots: number;
}

/** Whether the run boots each image's baselines once and starts its cells from them (`boot.sharedBaseline`, or the command line's say). */
export function sharesBaselines(suite: Suite, override?: boolean): boolean {
  return (override ?? suite.boot.sharedBaseline) && suite.boot.baseline > 0;
}

/** The suite with a run's own number of boot cycles (a rollout ring's soak), when it has one. */
export function withCycles(suite: Suite, cycles: number | undefined): Suite {
  return cycles === undefined ? suite : { ...suite, boot: { ...suite.boot, cycles } };
}

/**
 * Each cell boots every boot cycle after each lifecycle step, and its baselines: its own, or its
 * image's shared ones, once per image. (An image with one cell costs the same either way.)
 */
export function bootCostOf(suite: Suite, shared = sharesBaselines(suite)): BootCost {
  const agent = suite.boot.cycles * (suite.lifecycle?.length ?? 1);
  return shared ? { perCell: agent, perImage: suite.boot.baseline } : { perCell: suite.boot.baseline + agent, perImage: 0 };
}

/** The cells of one run: the matrix over the selected images, narrowed by --cells, then sliced by --shard. */
export function planRun(suite: Suite, images: string[], sel: RunSelection = {}, shared = sharesBaselines(suite)): RunPlan {
  suite = withCycles(suite, sel.cycles);
  const matrix = filterCells(expandMatrix(suite, images), sel.cells ?? []);
  const cost = bootCostOf(suite, shared);
  const cells = sel.shard ? shardCells(matrix, sel.shard, cost) : matrix;
  const used = new Set(cells.map((c) => c.image));
  return { matrix, cells, images: images.filter((n) => used.has(n)), cost, boots: bootsOf(cells, cost) };
}
