import { describe, expect, it } from 'vitest';
import { booted, crashedCycle, makeRun, noisy, NULL_DEREF, passCell, UAF } from '../../test/compare-fixtures.js';
import { compareRuns, DEFAULT_COMPARE_POLICY } from './compare.js';
import { flakeClass } from './flake.js';

const IMG = 'debian-6.1-generic';
/** Samples of one boot's workload, agent paused (a) and running (b). */
const exec = (meanB: number, phase = 0) => ({ exec: { a: noisy(1000, 10, 0.02, phase), b: noisy(meanB, 10, 0.02, phase) } });
/** A cell of B whose first agent boot crashed, the others booted. */
const oneOff = (title = UAF) => passCell(IMG, '290', { cycles: [crashedCycle(1, title), booted('agent', 2, 4200), booted('agent', 3, 4210)], verdict: 'fail', reason: `1 crash: ${title}` });

describe('flakeClass', () => {
  it('every observation: deterministic; some: flaky; none: not reproduced; no observation: inconclusive', () => {
    expect(flakeClass(3, 3)).toBe('deterministic');
    expect(flakeClass(1, 3)).toBe('flaky');
    expect(flakeClass(0, 3)).toBe('not-reproduced');
    expect(flakeClass(0, 0)).toBe('inconclusive');
  });
});

describe('compareRuns with reruns of the regressed cells (--confirm)', () => {
  const a = makeRun('A', [passCell(IMG, '290')]);
  const b = makeRun('B', [oneOff()]);
  const bId = b.cells[0]!.id;
  const confirm = (cell: ReturnType<typeof passCell>) => ({ boots: 3, runs: ['results/rerun-1'], cells: new Map([[bId, { run: 'results/rerun-1', cell }]]) });

  it('without reruns, a one-off crash is a regression as before', () => {
    const r = compareRuns(a, b);
    expect(r.verdict).toBe('regression');
    expect(r.cells[0]!.confirm).toBeUndefined();
    expect(r.confirm).toBeUndefined();
  });

  it('a crash seen in one of three rerun boots is flaky: a regression by default, not when the policy fails on deterministic alone', () => {
    const rerun = oneOff();
    const r = compareRuns(a, b, DEFAULT_COMPARE_POLICY, { confirm: confirm(rerun) });
    expect(r.cells[0]!.confirm!.differences).toEqual([
      { kind: 'crash', what: UAF, seen: 1, of: 3, class: 'flaky', fails: true },
      { kind: 'boot-success', what: 'agent boots that failed', seen: 1, of: 3, class: 'flaky', fails: true },
    ]);
    expect(r.verdict).toBe('regression');
    expect(r.confirm).toEqual({ boots: 3, failOn: ['deterministic', 'flaky', 'inconclusive'], runs: ['results/rerun-1'] });

    const lenient = compareRuns(a, b, { ...DEFAULT_COMPARE_POLICY, failOn: ['deterministic'] }, { confirm: confirm(rerun) });
    expect(lenient.verdict).toBe('no-regression');
    expect(lenient.exitCode).toBe(0);
    expect(lenient.cells[0]!.regression).toBe(false);
    expect(lenient.reasons).toContain(`${IMG} / 290 / 2.1.0: crash ${UAF} is flaky (1 of 3), not failing under the policy`);
  });

  it('a crash at every rerun boot is deterministic and fails whatever the policy lets through', () => {
    const loop = passCell(IMG, '290', { cycles: [crashedCycle(1, UAF), crashedCycle(2, UAF)], verdict: 'fail', bootLoop: true });
    const r = compareRuns(a, b, { ...DEFAULT_COMPARE_POLICY, failOn: ['deterministic'] }, { confirm: confirm(loop) });
    expect(r.cells[0]!.confirm!.differences[0]).toMatchObject({ kind: 'crash', seen: 2, of: 2, class: 'deterministic', fails: true });
    expect(r.verdict).toBe('regression');
  });

  it('a crash no rerun boot shows is not reproduced; a rerun with no agent boot leaves it inconclusive', () => {
    const clean = passCell(IMG, '290', { uptimes: [4200, 4190, 4205] });
    const r = compareRuns(a, b, { ...DEFAULT_COMPARE_POLICY, failOn: ['deterministic', 'flaky'] }, { confirm: confirm(clean) });
    expect(r.cells[0]!.confirm!.differences.map((d) => d.class)).toEqual(['not-reproduced', 'not-reproduced']);
    expect(r.verdict).toBe('no-regression');
    const none = passCell(IMG, '290', { cycles: [], verdict: 'error', reason: 'install failed' });
    const n = compareRuns(a, b, DEFAULT_COMPARE_POLICY, { confirm: confirm(none) });
    expect(n.cells[0]!.confirm!.differences.map((d) => d.class)).toEqual(['inconclusive', 'inconclusive']);
    expect(n.verdict).toBe('regression');
  });

  it('another crash in the rerun does not count for the one B showed (signatures, not any crash)', () => {
    const other = passCell(IMG, '290', { cycles: [crashedCycle(1, NULL_DEREF), booted('agent', 2, 4200), booted('agent', 3, 4200)], verdict: 'fail' });
    const r = compareRuns(a, b, DEFAULT_COMPARE_POLICY, { confirm: confirm(other) });
    expect(r.cells[0]!.confirm!.differences[0]).toMatchObject({ kind: 'crash', what: UAF, seen: 0, of: 3, class: 'not-reproduced' });
  });

  it('a workload overhead is judged per rerun boot against all of A: slower at every boot is deterministic', () => {
    const wa = makeRun('A', [passCell(IMG, '290', { uptimes: [4200, 4210], workloads: (i) => exec(1000, i) })]);
    const wb = makeRun('B', [passCell(IMG, '290', { build: '2.2.0', uptimes: [4200, 4210], workloads: (i) => exec(2000, i) })]);
    const slowId = wb.cells[0]!.id;
    const rerun = passCell(IMG, '290', { build: '2.2.0', uptimes: [4200, 4200, 4210], workloads: (i) => exec(i === 1 ? 1000 : 2000, i) });
    const r = compareRuns(wa, wb, DEFAULT_COMPARE_POLICY, { confirm: { boots: 3, runs: ['x'], cells: new Map([[slowId, { run: 'x', cell: rerun }]]) } });
    expect(r.cells[0]!.confirm!.differences).toEqual([{ kind: 'workload', what: 'exec', seen: 2, of: 3, class: 'flaky', fails: true }]);
    const steady = passCell(IMG, '290', { build: '2.2.0', uptimes: [4200, 4200, 4210], workloads: (i) => exec(2000, i) });
    const s = compareRuns(wa, wb, DEFAULT_COMPARE_POLICY, { confirm: { boots: 3, runs: ['x'], cells: new Map([[slowId, { run: 'x', cell: steady }]]) } });
    expect(s.cells[0]!.confirm!.differences[0]).toMatchObject({ seen: 3, of: 3, class: 'deterministic' });
    expect(s.verdict).toBe('regression');
  });
});
