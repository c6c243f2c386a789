import type { CellResult, CycleResult, Verdict } from '../results/schema.js';

/** What the runner tells reporters while a run goes on. */
export type RunEvent =
  | { type: 'run-start'; suite: string; runId: string; runDir: string; cells: number; accel: string; /** Boots a cell runs when none fails: for estimates. */ bootsPerCell?: number; /** Boots the whole run is expected to cost when none fails or is retried. */ boots?: number; /** This run's slice of the suite, when sharded. */ shard?: { index: number; total: number }; /** Cells a resumed run had finished before (kept as they were). */ resumedDone?: number }
  | { type: 'prepare'; message: string }
  | { type: 'cell-start'; cell: string }
  /** `shared`: a boot of the shared baseline with that id (run.json baselines), not of a cell; `cell` is then `baseline:<id>`. */
  | { type: 'cycle-start'; cell: string; phase: 'baseline' | 'agent'; index: number; kind: 'cold' | 'warm'; /** Boots the phase has when none fails (for `agent 3/10`). */ of?: number; shared?: string }
  | { type: 'cycle-end'; cell: string; cycle: CycleResult; shared?: string }
  | { type: 'install'; cell: string; ok: boolean; ms: number; error?: string }
  | { type: 'cell-end'; cell: CellResult }
  /** The cell ended in a lab error and runs again from its start as attempt `attempt` (no cell-end for the one before). */
  | { type: 'cell-retry'; cell: string; attempt: number; reason: string }
  | { type: 'run-end'; runDir: string; verdict: Verdict; exitCode: number };

export type RunEventSink = (e: RunEvent) => void;
