import { bootPhases } from '../measure/boot-phases.js';
import type { CycleResult } from '../results/schema.js';
import type { BootObservation } from './boot-watch.js';

export interface CycleFacts {
  index: number;
  phase: 'baseline' | 'agent';
  kind: 'cold' | 'warm';
  startedAt: string;
  consoleLog: string;
  step?: number;
}

/** What run.json keeps of one boot: the observation, where it stands in the cell, and its phases. */
export function cycleResultOf(obs: BootObservation, f: CycleFacts, extra: Partial<CycleResult> = {}): CycleResult {
  return {
    index: f.index,
    phase: f.phase,
    kind: f.kind,
    ...(obs.restart ? { restart: obs.restart } : {}),
    booted: obs.booted,
    outcome: obs.outcome,
    startedAt: f.startedAt,
    bootMs: obs.markerAt,
    readyMs: obs.readyAt,
    guestReadyUptimeMs: obs.marker?.uptimeMs,
    bootId: obs.marker?.bootId,
    crash: obs.crash,
    health: obs.health,
    ...(obs.selftest ? { selftest: obs.selftest } : {}),
    error: obs.error,
    consoleLog: f.consoleLog,
    step: f.step,
    ...extra,
    phases: obs.booted ? bootPhases({ marks: obs.phaseMarks ?? new Map(), readyUptimeMs: obs.marker?.uptimeMs, bootMs: obs.markerAt, readyMs: obs.readyAt, setupMs: obs.setupAt }) : undefined,
  };
}
