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

/** The suite with a run's own number of boot cycles (a rollout ring's soak), when it has one. */
export function withCycles(suite: Suite, cycles: number | undefined): Suite {
  return cycles === undefined ? suite : { ...suite, boot: { ...suite.boot, cycles } };
}

/** Each cell boots its baselines, then every boot cycle after each lifecycle step. */
export function bootCostOf(suite: Suite): BootCost {
  return { perCell: suite.boot.baseline + suite.boot.cycles * (suite.lifecycle?.length ?? 1), perImage: 0 };
}

/** The cells of one run: the matrix over the selected images, narrowed by --cells, then sliced by --shard. */
export function planRun(suite: Suite, images: string[], sel: RunSelection = {}): RunPlan {
  suite = withCycles(suite, sel.cycles);
  const matrix = filterCells(expandMatrix(suite, images), sel.cells ?? []);
  const cost = bootCostOf(suite);
  const cells = sel.shard ? shardCells(matrix, sel.shard, cost) : matrix;
  const used = new Set(cells.map((c) => c.image));
  return { matrix, cells, images: images.filter((n) => used.has(n)), cost, boots: bootsOf(cells, cost) };
}
