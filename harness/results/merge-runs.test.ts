import { describe, expect, it } from 'vitest';
import { cell, crashed, ok, run } from '../../test/fixtures/report-run.js';
import { evaluateGate } from '../gate/evaluate.js';
import { mergeRuns } from './merge-runs.js';
import { withSummary } from './run-store.js';
import type { RunResult } from './schema.js';

const NOW = new Date('2026-01-10T12:00:00Z');
const A = 'img-a__sensor-2.1.0__content-290';
const B = 'img-a__sensor-2.1.0__content-291';
const C = 'img-b__sensor-2.1.0__content-290';
const matrix = [A, B, C];

const WHOLE = run([
    cell('img-a', '290'),
    cell('img-a', '291', { verdict: 'fail', reason: 'crash', cycles: [ok('agent', 1, { cell: B }), crashed(2, { cell: B })] }),
    cell('img-b', '290'),
]);
const whole = () => structuredClone(WHOLE);

function shard(index: number, total: number, ids: string[], o: Partial<RunResult> = {}): RunResult {
  const w = whole();
  return run(
    w.cells.filter((c) => ids.includes(c.id)),
    { id: `fixture-s${index}`, host: { ...w.host, hostname: `lab${index}` }, startedAt: `2026-01-10T10:0${index}:00.000Z`, endedAt: `2026-01-10T10:1${index}:00.000Z`, selection: { matrix, shard: { index, total }, boots: ids.length * 4 }, ...o },
  );
}

describe('mergeRuns', () => {
  it('gives the cells, counts, crash groups and verdict one machine would have', () => {
    const m = withSummary(mergeRuns([{ run: shard(2, 2, [C]), dir: 's2' }, { run: shard(1, 2, [A, B]), dir: 's1' }], 'merged-1', NOW));
    const one = whole();
    expect(m.cells.map((c) => c.id)).toEqual(matrix);
    expect(m.cells).toEqual(one.cells);
    expect(m.crashes).toEqual(one.crashes);
    expect({ ...m.summary, verdict: undefined, exitCode: undefined }).toEqual({ ...one.summary, verdict: undefined, exitCode: undefined });
    const g = evaluateGate(m, m.gate!, { now: NOW, policySource: 'run.json' });
    expect(g.verdict).toBe(evaluateGate(one, one.gate!, { now: NOW, policySource: 'run.json' }).verdict);
    expect(g.verdict).toBe('fail');
    expect(m.mergedFrom!.map((r) => [r.hostname, r.cells, r.shard?.index])).toEqual([['lab2', 1, 2], ['lab1', 2, 1]]);
    expect(m.startedAt).toBe('2026-01-10T10:01:00.000Z');
    expect(m.endedAt).toBe('2026-01-10T10:12:00.000Z');
    expect(m.selection).toEqual({ matrix, boots: 12 });
    expect(m.id).toBe('merged-1');
  });

  it('refuses other suites, other versions of the suite, overlaps, gaps and running shards', () => {
    const s1 = shard(1, 2, [A, B]);
    const s2 = shard(2, 2, [C]);
    const other = (o: Partial<RunResult>) => [{ run: s1, dir: 's1' }, { run: { ...s2, ...o }, dir: 's2' }];
    expect(() => mergeRuns(other({ suite: { ...s2.suite, sha256: 'b'.repeat(64) } }), 'm', NOW)).toThrow(/only shards of one suite version merge/);
    expect(() => mergeRuns(other({ suite: { ...s2.suite, name: 'other' } }), 'm', NOW)).toThrow(/ran suite other/);
    expect(() => mergeRuns(other({ status: 'running' }), 'm', NOW)).toThrow(/still running/);
    expect(() => mergeRuns(other({ selection: undefined }), 'm', NOW)).toThrow(/no cell selection/);
    expect(() => mergeRuns(other({ selection: { matrix: [A, B] } }), 'm', NOW)).toThrow(/different cells/);
    expect(() => mergeRuns([{ run: s1, dir: 's1' }, { run: s1, dir: 's1-again' }], 'm', NOW)).toThrow(/cell img-a__sensor-2.1.0__content-290 is in both s1 and s1-again/);
    expect(() => mergeRuns([{ run: s1, dir: 's1' }], 'm', NOW)).toThrow(/1 of 3 cells .* shard 2\/2 missing/);
    expect(() => mergeRuns([], 'm', NOW)).toThrow(/at least one/);
  });

  it('keeps an interrupted shard interrupted', () => {
    const m = mergeRuns([{ run: shard(1, 2, [A, B], { status: 'interrupted' }), dir: 's1' }, { run: shard(2, 2, [C]), dir: 's2' }], 'm', NOW);
    expect(m.status).toBe('interrupted');
  });
});
