import type { CellResult, CycleResult, Verdict } from '../results/schema.js';

/** What the runner tells reporters while a run goes on. */
export type RunEvent =
  | { type: 'run-start'; suite: string; runId: string; runDir: string; cells: number; accel: string; /** Boots a cell runs when none fails: for estimates. */ bootsPerCell?: number }
  | { type: 'prepare'; message: string }
  | { type: 'cell-start'; cell: string }
  | { type: 'cycle-start'; cell: string; phase: 'baseline' | 'agent'; index: number; kind: 'cold' | 'warm' }
  | { type: 'cycle-end'; cell: string; cycle: CycleResult }
  | { type: 'install'; cell: string; ok: boolean; ms: number; error?: string }
  | { type: 'cell-end'; cell: CellResult }
  | { type: 'run-end'; runDir: string; verdict: Verdict; exitCode: number };

export type RunEventSink = (e: RunEvent) => void;
