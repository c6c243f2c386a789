import type { CellResult, CycleResult } from '../results/schema.js';

/** What the runner tells reporters while a run goes on. */
export type RunEvent =
  | { type: 'run-start'; runId: string; runDir: string; cells: number; accel: string; /** Boots a cell runs when none fails: for estimates. */ bootsPerCell?: number }
  | { type: 'prepare'; message: string }
  | { type: 'cell-start'; cell: string }
  | { type: 'cycle-start'; cell: string; phase: 'baseline' | 'agent'; index: number; kind: 'cold' | 'warm'; /** Boots the phase has when none fails (for `agent 3/10`). */ of?: number }
  | { type: 'cycle-end'; cell: string; cycle: CycleResult }
  | { type: 'install'; cell: string; ok: boolean; ms: number; error?: string }
  | { type: 'cell-end'; cell: CellResult }
  | { type: 'run-end'; runDir: string; verdict: string; exitCode: number };

export type RunEventSink = (e: RunEvent) => void;
