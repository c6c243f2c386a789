import type { CycleResult } from '../results/schema.js';
import type { RunEvent } from '../run/events.js';

const secs = (ms?: number) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)}s`);

export function describeCycle(c: CycleResult): string {
  const what = `${c.phase} ${c.index} (${c.kind})`;
  if (c.outcome === 'ready') return `${what}: booted, ready in ${secs(c.readyMs)}${c.crash ? `, but: ${c.crash.title}` : ''}`;
  if (c.outcome === 'unhealthy') return `${what}: booted in ${secs(c.bootMs)}, agent unhealthy: ${c.health?.output ?? ''}`;
  if (c.outcome === 'lab-error') return `${what}: LAB ERROR: ${c.error ?? 'unknown'}`;
  return `${what}: ${c.outcome.toUpperCase()}: ${c.crash?.title ?? c.error ?? ''}`;
}

/** One line per event, for logs, pipes and CI: nothing is redrawn. */
export class PlainReporter {
  private readonly started = Date.now();
  constructor(private readonly write: (line: string) => void = (l) => process.stderr.write(l + '\n')) {}

  private stamp(): string {
    const s = Math.round((Date.now() - this.started) / 1000);
    return `[${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}]`;
  }

  on = (e: RunEvent): void => {
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
