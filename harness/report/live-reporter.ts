import type { CellResult, RunResult } from '../results/schema.js';
import type { RunEvent } from '../run/events.js';
import { describeCycle, gateLines } from './plain-reporter.js';
import { printableLine } from '../util/printable.js';
import { plural } from '../util/text.js';
import type { ReportContext, Reporter } from './reporter.js';

/** The part of a terminal stream the live reporter needs (process.stderr, or a fake in tests). */
export interface LiveStream {
  write(s: string): unknown;
  columns?: number;
}

export interface LiveOptions {
  /** Boots a cell runs when nothing stops it early (baseline + cycles): makes the estimate right from the start. */
  bootsPerCell?: number;
  /** Redraw period for the clock, ms. */
  tickMs?: number;
  now?: () => number;
}

interface CellState {
  id: string;
  state: string;
  boots: number;
  agentOk: number;
  agentFailed: number;
  cycleStarted?: number;
  verdict?: string;
}

const ESC = '\u001B[';
const fmt = (ms: number) => {
  const s = Math.max(0, Math.round(ms / 1000));
  const m = Math.floor(s / 60);
  return m >= 60 ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m` : m ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
};

/**
 * The terminal view of a run: finished cells and crashes scroll by as lines; below them, one
 * line per running cell (its boots so far and what it is doing) and a summary line with the
 * elapsed time and an estimate of the time left, redrawn in place with ANSI sequences.
 * Use it on a TTY only; `createReporters` gives the plain reporter elsewhere and under CI.
 */
export class LiveReporter implements Reporter {
  readonly name = 'live';
  private readonly now: () => number;
  private readonly started: number;
  private total = 0;
  private readonly cells = new Map<string, CellState>();
  private readonly done: CellState[] = [];
  private drawn = 0;
  private pending: string[] = [];
  private status = 'preparing';
  private timer?: NodeJS.Timeout;
  private scheduled = false;
  private learnedBoots = 0;
  private ended = false;
  private readonly restoreCursor = () => this.stream.write(`${ESC}?25h`);

  constructor(
    private readonly stream: LiveStream = process.stderr,
    private readonly opts: LiveOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.started = this.now();
  }

  onEvent(e: RunEvent): void {
    if (e.type === 'run-end') {
      this.apply(e);
      this.finish();
      this.stream.write(`${printableLine(`verdict ${e.verdict.toUpperCase()} (exit ${e.exitCode}); run.json: ${e.runDir}/run.json`)}\n`);
      return;
    }
    if (this.ended) return;
    this.apply(e);
    this.schedule();
  }

  /** Close the live block (if the run-end event has not) and print the gate's reasons. */
  async onEnd(_run: RunResult, _runDir: string, ctx: ReportContext = {}): Promise<string[]> {
    this.finish();
    for (const l of gateLines(ctx)) this.stream.write(`${l}\n`);
    return [];
  }

  private cell(id: string): CellState {
    let c = this.cells.get(id);
    if (!c) {
      c = { id, state: 'starting', boots: 0, agentOk: 0, agentFailed: 0 };
      this.cells.set(id, c);
    }
    return c;
  }

  /** A line that scrolls by; its text (guest text among it) is made printable before any sequence of ours is added. */
  private log(line: string): void {
    this.pending.push(`[${fmt(this.now() - this.started).padStart(6)}] ${printableLine(line)}`);
  }

  private apply(e: RunEvent): void {
    switch (e.type) {
      case 'prepare':
        this.status = e.message;
        this.log(e.message);
        return;
      case 'run-start':
        this.total = e.cells;
        if (e.bootsPerCell && this.opts.bootsPerCell === undefined) this.opts.bootsPerCell = e.bootsPerCell;
        this.status = 'running';
        this.log(`run ${e.runId}: ${e.cells} cell(s)${e.boots !== undefined ? `, ${plural(e.boots, 'boot')} expected` : ''}${e.shard ? ` (shard ${e.shard.index}/${e.shard.total})` : ''}${e.resumedDone ? `, resumed: ${e.resumedDone} finished before, kept` : ''}, guests under ${e.accel}`);
        this.log(`results in ${e.runDir}`);
        this.start();
        return;
      case 'cell-start':
        this.cell(e.cell).state = 'starting';
        return;
      case 'cycle-start': {
        const c = this.cell(e.cell);
        c.state = `${e.phase} ${e.index} booting (${e.kind})`;
        c.cycleStarted = this.now();
        return;
      }
      case 'cycle-end': {
        const c = this.cell(e.cell);
        c.boots++;
        c.cycleStarted = undefined;
        if (e.cycle.phase === 'agent') e.cycle.booted ? c.agentOk++ : c.agentFailed++;
        c.state = `${e.cycle.phase} ${e.cycle.index} ${e.cycle.booted ? 'ready' : e.cycle.outcome}`;
        if (!e.cycle.booted || e.cycle.crash) this.log(`${e.cell}: ${describeCycle(e.cycle)}`);
        return;
      }
      case 'install': {
        const c = this.cell(e.cell);
        c.state = e.ok ? 'installed' : 'install failed';
        if (!e.ok) this.log(`${e.cell}: install FAILED: ${e.error}`);
        return;
      }
      case 'cell-end':
        this.endCell(e.cell);
        return;
      case 'cell-retry': {
        const c = this.cell(e.cell);
        c.state = `lab error, attempt ${e.attempt}`;
        this.log(`${e.cell}: lab error (${e.reason}); running it again, attempt ${e.attempt}`);
        return;
      }
      case 'run-end':
        this.status = 'finished';
        return;
      default:
        return;
    }
  }

  private endCell(r: CellResult): void {
    const c = this.cell(r.id);
    c.verdict = r.verdict ?? 'error';
    this.cells.delete(r.id);
    this.done.push(c);
    this.learnedBoots = Math.max(this.learnedBoots, r.baseline.length + r.cycles.length);
    this.log(`${r.id}: ${String(r.verdict).toUpperCase()}: ${r.reason ?? ''}`);
  }

  /** Seconds left, from the share of work done so far; undefined until there is a basis. */
  estimateMs(): number | undefined {
    if (!this.total) return undefined;
    const per = this.opts.bootsPerCell ?? this.learnedBoots;
    let progress = this.done.length;
    if (per > 0) for (const c of this.cells.values()) progress += Math.min(0.95, c.boots / per);
    if (progress <= 0 || (per === 0 && this.done.length === 0)) return undefined;
    const elapsed = this.now() - this.started;
    return (elapsed / progress) * (this.total - progress);
  }

  /** The live block: a line per running cell, then the summary. */
  lines(final = false): string[] {
    const out: string[] = [];
    for (const c of this.cells.values()) {
      const t = c.cycleStarted !== undefined ? ` ${fmt(this.now() - c.cycleStarted)}` : '';
      out.push(`  ${c.id}  boots ${c.boots}, agent ${c.agentOk} ok${c.agentFailed ? ` ${c.agentFailed} failed` : ''}: ${c.state}${t}`);
    }
    const count = (v: string) => this.done.filter((c) => c.verdict === v).length;
    const queued = Math.max(0, this.total - this.done.length - this.cells.size);
    const eta = this.estimateMs();
    const summary = this.total
      ? `${this.done.length}/${this.total} cells done: ${count('pass')} pass, ${count('fail')} fail, ${count('error')} error; ${this.cells.size} running, ${queued} queued`
      : this.status;
    const elapsed = fmt(this.now() - this.started);
    out.push(final ? `${summary} | took ${elapsed}` : `${summary} | elapsed ${elapsed} | ${eta === undefined ? 'estimating time left' : `about ${fmt(eta)} left`}`);
    return out.map(printableLine);
  }

  private start(): void {
    this.stream.write(`${ESC}?25l`);
    process.once('exit', this.restoreCursor);
    this.timer = setInterval(() => this.render(), this.opts.tickMs ?? 1000);
    this.timer.unref();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.ended) this.render();
    });
  }

  private fit(line: string): string {
    // A pseudo-terminal may report 0 columns: then assume a common width.
    const w = this.stream.columns && this.stream.columns > 0 ? this.stream.columns : 120;
    return line.length > w - 1 ? `${line.slice(0, Math.max(1, w - 2))}…` : line;
  }

  /** Erase the block drawn last, print the lines that scroll by, draw the block again. */
  render(): void {
    let s = this.erase();
    for (const l of this.pending) s += `${l}\n`;
    this.pending = [];
    const block = this.lines().map((l) => this.fit(l));
    for (const l of block) s += `${l}\n`;
    this.drawn = block.length;
    this.stream.write(s);
  }

  private erase(): string {
    const s = this.drawn > 0 ? `\r${ESC}${this.drawn}A${ESC}J` : '';
    this.drawn = 0;
    return s;
  }

  /** Once: the block gives way to the lines still pending and the final summary line. */
  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.timer) clearInterval(this.timer);
    let s = this.erase();
    for (const l of this.pending) s += `${l}\n`;
    this.pending = [];
    s += `${ESC}?25h${this.lines(true).at(-1)!}\n`;
    this.stream.write(s);
    process.removeListener('exit', this.restoreCursor);
  }
}
