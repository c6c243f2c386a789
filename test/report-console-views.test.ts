import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LiveReporter } from '../harness/report/live-reporter.js';
import { PlainReporter, STILL_BOOTING_MS } from '../harness/report/plain-reporter.js';
import { consoleEnv, runReporterNames } from '../harness/report/registry.js';
import { displayWidth } from '../harness/util/text-width.js';
import { fixtureRun, ok } from './fixtures/report-run.js';

/** A terminal stream as the live view sees process.stderr: writes, a width, 'resize' events. */
class FakeTerminal extends EventEmitter {
  out = '';
  constructor(public columns: number) {
    super();
  }
  write(s: string) {
    this.out += s;
    return true;
  }
  resize(columns: number) {
    this.columns = columns;
    this.emit('resize');
  }
}

const strip = (s: string) => s.replace(/\u001b\[[^a-zA-Z]*[a-zA-Z]/g, '');
const tick = () => new Promise((r) => setImmediate(r));

describe('live view', () => {
  it('redraws at the new width on a resize, erasing the rows the terminal reflowed the old block onto', async () => {
    const term = new FakeTerminal(100);
    const live = new LiveReporter(term, { now: () => 0, tickMs: 3_600_000 });
    live.onEvent({ type: 'run-start', suite: 'fixture', runId: 'r', runDir: '/r', cells: 1, accel: 'TCG' });
    live.onEvent({ type: 'cell-start', cell: 'debian-6.1-generic__sensor-2.1.0__content-290' });
    live.onEvent({ type: 'cycle-start', cell: 'debian-6.1-generic__sensor-2.1.0__content-290', phase: 'agent', index: 3, kind: 'warm', of: 10 });
    await tick();
    expect(term.listenerCount('resize')).toBe(1);
    const before = strip(term.out).split('\n').filter((l) => l.includes('booting'));
    expect(before[0]).toBe('  debian-6.1-generic__sensor-2.1.0__content-290  boots 0, agent 0 ok: agent 3/10 booting (warm) 0s');
    const widths = strip(term.out).split('\n').slice(-3, -1).map(displayWidth); // the block: a cell line and the summary
    term.out = '';
    term.resize(40);
    // Each line of the old block now takes ceil(width / 40) rows: all of them are erased, then the block is drawn at 40.
    const rows = widths.reduce((n, w) => n + Math.ceil(w / 40), 0);
    expect(rows).toBeGreaterThan(2);
    expect(term.out.startsWith(`\r\u001b[${rows}A\u001b[J`)).toBe(true);
    for (const l of strip(term.out).split('\n').filter(Boolean)) expect(displayWidth(l)).toBeLessThanOrEqual(39);
    // Wider again: the 40-column lines still take one row each.
    term.out = '';
    term.resize(120);
    expect(term.out.startsWith('\r\u001b[2A\u001b[J')).toBe(true);
    live.onEvent({ type: 'run-end', runDir: '/r', verdict: 'pass', exitCode: 0 });
    expect(term.listenerCount('resize')).toBe(0);
    term.out = '';
    term.resize(80);
    expect(term.out).toBe(''); // nothing drawn after the end
  });

  it('cuts wide characters and emoji by their columns, never inside a character', async () => {
    const term = new FakeTerminal(30);
    const live = new LiveReporter(term, { now: () => 0, tickMs: 3_600_000 });
    live.onEvent({ type: 'run-start', suite: 'fixture', runId: 'r', runDir: '/r', cells: 1, accel: 'TCG' });
    live.onEvent({ type: 'cell-start', cell: '中文イメージ✅👨‍👩‍👧__content-290' });
    await tick();
    const line = strip(term.out).split('\n').find((l) => l.includes('中文'))!;
    // 2 + 12 (six wide) + 2 (✅) + 2 (the family, one emoji) + 10 + the ellipsis: 29 of 30 columns.
    expect(line).toBe('  中文イメージ✅👨‍👩‍👧__content-…');
    expect(displayWidth(line)).toBe(29);
    live.onEvent({ type: 'run-end', runDir: '/r', verdict: 'pass', exitCode: 0 });
  });

  it('an unhealthy boot (a failed self-test) counts as failed and scrolls by', async () => {
    const term = new FakeTerminal(200);
    const live = new LiveReporter(term, { now: () => 0, tickMs: 3_600_000 });
    live.onEvent({ type: 'run-start', suite: 'fixture', runId: 'r', runDir: '/r', cells: 1, accel: 'TCG' });
    live.onEvent({ type: 'cycle-end', cell: 'A', cycle: { ...ok('agent', 2), outcome: 'unhealthy', health: { ok: false, output: 'sensor not loaded' } } });
    await tick();
    expect(strip(term.out)).toContain('A: agent 2 (warm): booted in');
    expect(strip(term.out)).toContain('agent unhealthy: sensor not loaded');
    expect(strip(term.out)).toContain('  A  boots 1, agent 0 ok 1 failed: agent 2 unhealthy');
    live.onEvent({ type: 'run-end', runDir: '/r', verdict: 'fail', exitCode: 1 });
  });

  it('TERM=dumb or no TTY: the plain view instead', () => {
    expect(consoleEnv({ isTTY: true }, { TERM: 'dumb' })).toEqual({ isTTY: true, ci: false, dumb: true });
    expect(runReporterNames([], consoleEnv({ isTTY: true }, { TERM: 'dumb' }))).toEqual(['plain']);
    expect(runReporterNames(['live'], consoleEnv({ isTTY: true }, { TERM: 'dumb' }))).toEqual(['plain']);
    expect(runReporterNames(['live'], consoleEnv({ isTTY: false }, { TERM: 'xterm-256color' }))).toEqual(['plain']);
    expect(runReporterNames(['live'], consoleEnv({ isTTY: true }, { TERM: 'xterm-256color' }))).toEqual(['live']);
  });
});

describe('plain view: a boot is never silent for long', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2026-01-10T10:00:00Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('says when a boot starts and every 30 s until it ends; the timer goes with the boot', () => {
    const lines: string[] = [];
    const p = new PlainReporter((l) => lines.push(l));
    p.onEvent({ type: 'cycle-start', cell: 'X', phase: 'agent', index: 3, kind: 'warm', of: 10 });
    expect(lines).toEqual(['[00:00] X: agent 3/10 (warm): booting']);
    vi.advanceTimersByTime(STILL_BOOTING_MS - 1);
    expect(lines).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(lines.at(-1)).toBe('[00:30] X: still booting agent 3/10, 30 s');
    vi.advanceTimersByTime(STILL_BOOTING_MS);
    expect(lines.at(-1)).toBe('[01:00] X: still booting agent 3/10, 60 s');
    p.onEvent({ type: 'cycle-end', cell: 'X', cycle: ok('agent', 3) });
    expect(p.waitingCells).toEqual([]);
    const n = lines.length;
    vi.advanceTimersByTime(10 * STILL_BOOTING_MS);
    expect(lines).toHaveLength(n);
  });

  it('each cell has its own timer; a new boot replaces the cell\'s, cell end and run end clear them', () => {
    const lines: string[] = [];
    const p = new PlainReporter((l) => lines.push(l));
    p.onEvent({ type: 'cycle-start', cell: 'A', phase: 'baseline', index: 1, kind: 'cold', of: 1 });
    p.onEvent({ type: 'cycle-start', cell: 'B', phase: 'baseline', index: 1, kind: 'cold' });
    // A boot the runner does not report the end of (the quiet first boot) is replaced by the next.
    p.onEvent({ type: 'cycle-start', cell: 'A', phase: 'agent', index: 1, kind: 'warm', of: 2 });
    expect(vi.getTimerCount()).toBe(2);
    vi.advanceTimersByTime(STILL_BOOTING_MS);
    expect(lines.slice(-2).sort()).toEqual(['[00:30] A: still booting agent 1/2, 30 s', '[00:30] B: still booting baseline 1, 30 s']);
    p.onEvent({ type: 'cell-end', cell: { ...fixtureRun().cells[0]!, id: 'A' } });
    expect(p.waitingCells).toEqual(['B']);
    p.onEvent({ type: 'run-end', runDir: '/r', verdict: 'pass', exitCode: 0 });
    expect(p.waitingCells).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('the timers never keep the process alive, and onEnd clears them too', async () => {
    const real = setInterval;
    const made: NodeJS.Timeout[] = [];
    const spy = vi.spyOn(globalThis, 'setInterval').mockImplementation(((fn: () => void, ms: number) => {
      const t = real(fn, ms);
      made.push(t);
      return t;
    }) as typeof setInterval);
    const p = new PlainReporter(() => undefined);
    p.onEvent({ type: 'cycle-start', cell: 'A', phase: 'agent', index: 1, kind: 'warm' });
    spy.mockRestore();
    expect(made).toHaveLength(1);
    expect(made[0]!.hasRef()).toBe(false);
    await p.onEnd(fixtureRun(), '/r');
    expect(p.waitingCells).toEqual([]);
  });
});
