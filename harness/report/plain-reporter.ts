import type { CycleResult, RunResult } from '../results/schema.js';
import type { RunEvent } from '../run/events.js';
import type { ReportContext, Reporter } from './reporter.js';
import { secs, unhealthyReason } from './model.js';
import { selftestLine } from '../results/selftest-record.js';
import { printableLine } from '../util/printable.js';

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

/** One line per event, for logs, pipes and CI: nothing is redrawn. */
export class PlainReporter implements Reporter {
  readonly name = 'plain';
  private readonly started = Date.now();
  private sawEvents = false;
  private readonly write: (line: string) => void;
  constructor(write: (line: string) => void = (l) => process.stderr.write(l + '\n')) {
    // Every line passes here: guest text in it is made printable once, for all events.
    this.write = (l) => write(printableLine(l));
  }

  onEvent(e: RunEvent): void {
    this.on(e);
  }

  async onEnd(run: RunResult, _runDir: string, ctx: ReportContext = {}): Promise<string[]> {
    const lines = [...(this.sawEvents ? [] : runLines(run)), ...gateLines(ctx)];
    for (const l of lines) this.write(this.sawEvents ? `${this.stamp()} ${l}` : l);
    return [];
  }

  private stamp(): string {
    const s = Math.round((Date.now() - this.started) / 1000);
    return `[${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}]`;
  }

  on = (e: RunEvent): void => {
    this.sawEvents = true;
    const w = (l: string) => this.write(`${this.stamp()} ${l}`);
    switch (e.type) {
      case 'prepare':
        return w(e.message);
      case 'run-start':
        return w(`run ${e.runId}: ${e.cells} cell(s), guests under ${e.accel}; results in ${e.runDir}`);
      case 'cell-start':
        return w(`${e.cell}: start`);
      case 'cycle-end':
        return w(`${e.cell}: ${describeCycle(e.cycle)}`);
      case 'install':
        return w(`${e.cell}: install ${e.ok ? `done in ${secs(e.ms)}` : `FAILED: ${e.error}`}`);
      case 'cell-end':
        return w(`${e.cell.id}: ${String(e.cell.verdict).toUpperCase()}: ${e.cell.reason ?? ''}`);
      case 'run-end':
        return w(`verdict ${e.verdict.toUpperCase()} (exit ${e.exitCode}); run.json: ${e.runDir}/run.json`);
      default:
        return;
    }
  };
}
