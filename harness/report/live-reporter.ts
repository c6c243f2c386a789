import type { CellResult, RunResult } from '../results/schema.js';
import type { RunEvent } from '../run/events.js';
import { describeCycle, gateLines } from './plain-reporter.js';
import { printableLine } from '../util/printable.js';
import { plural } from '../util/text.js';
import { displayWidth, fitWidth } from '../util/text-width.js';
import type { ReportContext, Reporter } from './reporter.js';

/** The part of a terminal stream the live reporter needs (process.stderr, or a fake in tests). */
export interface LiveStream {
  write(s: string): unknown;
  columns?: number;
  /** A TTY stream says 'resize' when the terminal changed size (SIGWINCH). */
  on?(event: 'resize', listener: () => void): unknown;
  off?(event: 'resize', listener: () => void): unknown;
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
 * Use it on a TTY only; `createReporters` gives the plain reporter elsewhere, under CI and on a
 * dumb terminal. Lines are cut to the terminal's width (wide characters and emoji count two
 * columns, util/text-width.ts) so that each takes one row; when the terminal is resized the block
 * is erased as the terminal reflowed it and drawn again at the new width.
 */
export class LiveReporter implements Reporter {
  readonly name = 'live';
  private readonly now: () => number;
  private readonly started: number;
  private total = 0;
  private readonly cells = new Map<string, CellState>();
  private readonly done: CellState[] = [];
  /** The block on screen: its lines, and the columns it was drawn for. */
  private drawn: string[] = [];
  private drawnColumns = 0;
  private pending: string[] = [];
  private status = 'preparing';
  private timer?: NodeJS.Timeout;
  private scheduled = false;
  private learnedBoots = 0;
  private ended = false;
  private readonly restoreCursor = () => this.stream.write(`${ESC}?25h`);
  private readonly onResize = () => {
    if (!this.ended) this.render();
  };

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
        // A shared baseline is no cell of the table: its boots are said in the scrolling lines.
        if (e.shared) {
          this.status = `shared baseline ${e.shared}: boot ${e.index} (${e.kind})`;
          return;
        }
        const c = this.cell(e.cell);
        c.state = `${e.phase} ${e.index}${e.of && e.of >= e.index ? `/${e.of}` : ''} booting (${e.kind})`;
        c.cycleStarted = this.now();
        return;
      }
      case 'cycle-end': {
        if (e.shared) {
          this.log(`shared baseline ${e.shared}: ${describeCycle(e.cycle)}`);
          return;
        }
        const c = this.cell(e.cell);
        c.boots++;
        c.cycleStarted = undefined;
        const good = e.cycle.booted && e.cycle.outcome !== 'unhealthy';
        if (e.cycle.phase === 'agent') good ? c.agentOk++ : c.agentFailed++;
        c.state = `${e.cycle.phase} ${e.cycle.index} ${e.cycle.outcome === 'ready' ? 'ready' : e.cycle.outcome}`;
        if (!good || e.cycle.crash) this.log(`${e.cell}: ${describeCycle(e.cycle)}`);
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
    this.stream.on?.('resize', this.onResize);
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

  /** The terminal's width; a pseudo-terminal may report 0 columns: then a common width. */
  private columns(): number {
    return this.stream.columns && this.stream.columns > 0 ? this.stream.columns : 120;
  }

  /** One column short of the width: a line that fills the last column wraps on some terminals. */
  private fit(line: string, columns: number): string {
    return fitWidth(line, Math.max(1, columns - 1));
  }

  /** Erase the block drawn last, print the lines that scroll by, draw the block again. */
  render(): void {
    let s = this.erase();
    for (const l of this.pending) s += `${l}\n`;
    this.pending = [];
    const columns = this.columns();
    const block = this.lines().map((l) => this.fit(l, columns));
    for (const l of block) s += `${l}\n`;
    this.drawn = block;
    this.drawnColumns = columns;
    this.stream.write(s);
  }

  /**
   * Back to the start of the block drawn last and clear below. After a resize to fewer columns
   * the terminal has reflowed each line of the block onto as many rows as it now needs; those
   * rows are erased.
   */
  private erase(): string {
    const columns = this.columns();
    const rows = this.drawn.reduce((n, l) => n + (columns < this.drawnColumns ? Math.max(1, Math.ceil(displayWidth(l) / columns)) : 1), 0);
    this.drawn = [];
    return rows > 0 ? `\r${ESC}${rows}A${ESC}J` : '';
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
    this.stream.off?.('resize', this.onResize);
  }
}
