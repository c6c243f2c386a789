import { EVENTS_VERSION, type EventLine } from '../results/events-schema.js';
import type { RunEvent } from '../run/events.js';

/** Drops the keys whose value is undefined: JSON leaves them out anyway, and a test compares lines whole. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * The lines of the event stream (bootgate.events/v1) for one event of the runner, stamped `at`.
 * The runner's own events, renamed for readers outside: a cycle is a boot, and a boot that
 * crashed is followed by a `crash` line with the whole crash record. Pure: the reporter writes.
 */
export function eventLines(e: RunEvent, at: Date): EventLine[] {
  const head = { version: EVENTS_VERSION, at: at.toISOString() } as const;
  switch (e.type) {
    case 'prepare':
      return [{ type: 'prepare', ...head, message: e.message }];
    case 'run-start':
      return [
        defined({
          type: 'run-start',
          ...head,
          suite: e.suite,
          runId: e.runId,
          runDir: e.runDir,
          cells: e.cells,
          accel: e.accel,
          bootsPerCell: e.bootsPerCell,
          expectedBoots: e.boots ?? (e.bootsPerCell === undefined ? undefined : e.bootsPerCell * e.cells),
          shard: e.shard,
          resumedDone: e.resumedDone,
        }),
      ];
    case 'cell-start':
      return [{ type: 'cell-start', ...head, cell: e.cell }];
    case 'cycle-start':
      return [defined({ type: 'boot-start', ...head, cell: e.cell, phase: e.phase, cycle: e.index, baseline: e.shared, kind: e.kind })];
    case 'cycle-end': {
      const c = e.cycle;
      const key = defined({ cell: e.cell, phase: c.phase, cycle: c.index, baseline: e.shared });
      const end: EventLine = defined({
        type: 'boot-end',
        ...head,
        ...key,
        kind: c.kind,
        booted: c.booted,
        outcome: c.outcome,
        startedAt: c.startedAt,
        bootMs: c.bootMs,
        readyMs: c.readyMs,
        guestReadyUptimeMs: c.guestReadyUptimeMs,
        bootId: c.bootId,
        phases: c.phases,
        consoleLog: c.consoleLog,
        error: c.error,
        health: c.health,
        step: c.step,
        workloadError: c.workloadError,
        crash: c.crash ? { signature: c.crash.signature, title: c.crash.title } : undefined,
      });
      return c.crash ? [end, { type: 'crash', ...head, ...key, crash: c.crash }] : [end];
    }
    case 'install':
      return [defined({ type: 'install', ...head, cell: e.cell, ok: e.ok, ms: e.ms, error: e.error })];
    case 'cell-end': {
      const c = e.cell;
      return [
        defined({
          type: 'cell-end',
          ...head,
          cell: c.id,
          image: c.image.name,
          agent: c.agent.name,
          build: c.agent.build,
          content: c.content.version,
          // The runner always asks the judge before it says a cell ended; a cell without a verdict is no answer.
          verdict: c.verdict ?? 'error',
          reason: c.reason,
          bootLoop: c.bootLoop,
          stopped: c.stopped,
          booted: c.cycles.filter((x) => x.booted).length,
          boots: c.cycles.length,
        }),
      ];
    }
    case 'cell-retry':
      return [{ type: 'cell-retry', ...head, cell: e.cell, attempt: e.attempt, reason: e.reason }];
    case 'run-end':
      return [{ type: 'run-end', ...head, runDir: e.runDir, verdict: e.verdict, exitCode: e.exitCode }];
  }
}
