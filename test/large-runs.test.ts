/**
 * Runs with 200k cycles, crashes and samples (issue #14): judged, compared and reported without
 * "Maximum call stack size exceeded" (no spread of a long array into a call) and in linear time.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareRuns } from '../harness/gate/compare.js';
import { evaluateGate } from '../harness/gate/evaluate.js';
import { createReporter } from '../harness/report/registry.js';
import { withSummary } from '../harness/results/run-store.js';
import { booted, crashedCycle, makeRun, noisy, passCell } from './compare-fixtures.js';

const N = 200_000;
const policy = { bootSuccess: 1, maxCrashes: 0, minCycles: 1, overheadBound: 'upper' as const };

describe(`a run of ${N} cycles`, () => {
  const up = noisy(4200, N, 0.02);
  const a = withSummary(makeRun('A', [passCell('img', '290', { cycles: up.map((u, i) => booted('agent', i + 1, u)) })]));
  const b = withSummary(makeRun('B', [passCell('img', '290', { cycles: up.map((u, i) => (i % 2 ? crashedCycle(i + 1, `BUG: crash ${i}`) : booted('agent', i + 1, u + 90))), verdict: 'fail', reason: 'crashes' })]));

  it('is judged and compared in seconds', () => {
    expect(b.crashes).toHaveLength(N / 2);
    const t0 = Date.now();
    expect(evaluateGate(b, policy, { now: new Date(), policySource: 'test' }).verdict).toBe('fail');
    const r = compareRuns(a, b);
    expect(r.verdict).toBe('regression');
    expect(r.overall.newCrashes).toHaveLength(N / 2);
    expect(r.cells[0]!.bootTime.estimate!.nB).toBe(N / 2);
    expect(Date.now() - t0).toBeLessThan(30_000);
  }, 60_000);

  it('is reported (HTML, Markdown)', async () => {
    // Every cycle charted, one crash in a hundred listed (each listed crash is a table row).
    const c = withSummary(makeRun('C', [passCell('img', '290', { cycles: up.map((u, i) => (i % 100 === 99 ? crashedCycle(i + 1, `BUG: crash ${i}`) : booted('agent', i + 1, u))), verdict: 'fail', reason: 'crashes' })]));
    const dir = mkdtempSync(join(tmpdir(), 'bootgate-large-'));
    const gate = evaluateGate(c, policy, { now: new Date(), policySource: 'test' });
    for (const name of ['markdown', 'html'] as const) {
      const [file] = await createReporter(name).onEnd!(c, dir, { gate });
      expect(readFileSync(file!, 'utf8')).toContain('crash 199999');
    }
  }, 120_000);
});
