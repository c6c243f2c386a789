import type { CycleResult, RunResult } from '../results/schema.js';
import type { RunEvent } from '../run/events.js';
import type { ReportContext, Reporter } from './reporter.js';
import { secs, unhealthyReason } from './model.js';
import { selftestLine } from '../results/selftest-record.js';
import { printableLine } from '../util/printable.js';
import { plural } from '../util/text.js';

export function describeCycle(c: CycleResult): string {
  const what = `${c.phase} ${c.index} (${c.kind})`;
  if (c.outcome === 'ready') return `${what}: booted, ready in ${secs(c.readyMs)}${c.selftest ? `, ${selftestLine(c.selftest)}` : ''}${c.crash ? `, but: ${c.crash.title}` : ''}`;
  if (c.outcome === 'unhealthy') return `${what}: booted in ${secs(c.bootMs)}, agent unhealthy: ${unhealthyReason(c)}`;
  if (c.outcome === 'lab-error') return `${what}: LAB ERROR: ${c.error ?? 'unknown'}`;
  return `${what}: ${c.outcome.toUpperCase()}: ${c.crash?.title ?? c.error ?? ''}`;
}

/** The gate's reasons, one line each (printable), as the plain and live reporters and `bootgate gate` end with them. */
export function gateLines(ctx: ReportContext): string[] {
  const g = ctx.gate;
  if (!g) return [];
  return [`gate ${g.verdict.toUpperCase()} (exit ${g.exitCode}), policy from ${g.policy.source}:`, ...g.reasons.map((r) => `  ${r}`)].map(printableLine);
}

/** What a stored run comes to, for `bootgate report RUN --reporter plain`: a line per cell and per crash. */
export function runLines(run: RunResult): string[] {
  const lines = [`run ${run.id} (${run.suite.name}), ${run.status}, started ${run.startedAt}: ${run.summary.cells} cell(s), ${run.summary.pass} pass, ${run.summary.fail} fail, ${run.summary.error} error`];
  for (const c of run.cells) lines.push(`${c.id}: ${c.status === 'done' ? String(c.verdict).toUpperCase() : c.status.toUpperCase()}: ${c.reason ?? ''}`);
  for (const g of run.crashes) lines.push(`crash x${g.count}: ${g.title} [${g.class}${g.module ? `, ${g.module}` : ''}]`);
  return lines;
}

/** How often the plain view says that a boot is still going: a CI log is never silent for long. */
export const STILL_BOOTING_MS = 30_000;

/** `agent 3/10`: a boot and, when known, how many its phase has. */
const bootName = (phase: string, index: number, of?: number) => `${phase} ${index}${of && of >= index ? `/${of}` : ''}`;

/**
 * One line per event, for logs, pipes and CI: nothing is redrawn. A boot says when it starts and,
 * every 30 s until it ends, that it is still going (timers unref'd: they never keep the process up).
 */
export class PlainReporter implements Reporter {
  readonly name = 'plain';
  private readonly started = Date.now();
  private sawEvents = false;
  private readonly write: (line: string) => void;
  /** The boot each cell waits on, with its notice timer. */
  private readonly waiting = new Map<string, NodeJS.Timeout>();
  constructor(
    write: (line: string) => void = (l) => process.stderr.write(l + '\n'),
    private readonly stillBootingMs = STILL_BOOTING_MS,
  ) {
    // Every line passes here: guest text in it is made printable once, for all events.
    this.write = (l) => write(printableLine(l));
  }

  onEvent(e: RunEvent): void {
    this.on(e);
  }

  async onEnd(run: RunResult, _runDir: string, ctx: ReportContext = {}): Promise<string[]> {
    this.stopWaiting();
    const lines = [...(this.sawEvents ? [] : runLines(run)), ...gateLines(ctx)];
    for (const l of lines) this.write(this.sawEvents ? `${this.stamp()} ${l}` : l);
    return [];
  }

  private stamp(): string {
    const s = Math.round((Date.now() - this.started) / 1000);
    return `[${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}]`;
  }

  /** Say every stillBootingMs that the cell's boot goes on, until it ends. */
  private waitOn(cell: string, boot: string): void {
    this.stopWaiting(cell);
    const since = Date.now();
    const timer = setInterval(() => this.write(`${this.stamp()} ${cell}: still booting ${boot}, ${Math.round((Date.now() - since) / 1000)} s`), this.stillBootingMs);
    timer.unref();
    this.waiting.set(cell, timer);
  }

  /** The notices of one cell, or of all. */
  private stopWaiting(cell?: string): void {
    for (const [c, timer] of this.waiting) {
      if (cell !== undefined && c !== cell) continue;
      clearInterval(timer);
      this.waiting.delete(c);
    }
  }

  /** Cells whose boot is being waited on (for tests: no timer is left behind). */
  get waitingCells(): string[] {
    return [...this.waiting.keys()];
  }

  on = (e: RunEvent): void => {
    this.sawEvents = true;
    const w = (l: string) => this.write(`${this.stamp()} ${l}`);
    switch (e.type) {
      case 'prepare':
        return w(e.message);
      case 'run-start':
        return w(`run ${e.runId}: ${e.cells} cell(s)${e.boots !== undefined ? `, ${plural(e.boots, 'boot')} expected` : ''}${e.shard ? ` (shard ${e.shard.index}/${e.shard.total})` : ''}${e.resumedDone ? `, resumed: ${e.resumedDone} finished before, kept` : ''}, guests under ${e.accel}; results in ${e.runDir}`);
      case 'cell-start':
        return w(`${e.cell}: start`);
      case 'cycle-start': {
        const boot = bootName(e.phase, e.index, e.of);
        this.waitOn(e.cell, boot);
        return w(`${e.cell}: ${boot} (${e.kind}): booting`);
      }
      case 'cycle-end':
        this.stopWaiting(e.cell);
        return w(`${e.cell}: ${describeCycle(e.cycle)}`);
      case 'install':
        return w(`${e.cell}: install ${e.ok ? `done in ${secs(e.ms)}` : `FAILED: ${e.error}`}`);
      case 'cell-end':
        this.stopWaiting(e.cell.id);
        return w(`${e.cell.id}: ${String(e.cell.verdict).toUpperCase()}: ${e.cell.reason ?? ''}`);
      case 'cell-retry':
        return w(`${e.cell}: lab error (${e.reason}); running it again, attempt ${e.attempt}`);
      case 'run-end':
        this.stopWaiting();
        return w(`verdict ${e.verdict.toUpperCase()} (exit ${e.exitCode}); run.json: ${e.runDir}/run.json`);
      default:
        return;
    }
  };
}
