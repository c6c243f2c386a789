import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareSchema } from '../harness/results/compare-schema.js';
import { bootgate, printedRun } from './cli-helpers.js';

/**
 * bootgate compare --confirm 3 on real guests: B's regressed cells are rerun with three agent
 * boots, and each difference is classified by the boots that show it again. A crash injected
 * once per machine (test/fixtures/suites/flake-one-off.yaml) is flaky; the 1 ms per exec of
 * sensor 2.2.0-slow is deterministic.
 */
async function runDir(suite: string, results: string): Promise<string> {
  const r = await bootgate(['run', suite, '-j', '1', '--results', results]);
  expect([0, 1], r.stderr.slice(-2000)).toContain(r.code);
  return join(r.stdout.trim().split('\n').at(-1)!, '..');
}

describe('compare --confirm: flakes told from regressions', () => {
  it('an injected one-off crash is flaky: a regression without reruns, none under a policy that fails on deterministic alone', async () => {
    const results = mkdtempSync(join(tmpdir(), 'bootgate-confirm-'));
    const t0 = Date.now();
    const a = await runDir('test/fixtures/suites/flake-reference.yaml', results);
    const b = await runDir('test/fixtures/suites/flake-one-off.yaml', results);
    const plain = await bootgate(['compare', a, b]);
    expect(plain.code, plain.stdout).toBe(1);
    expect(plain.stdout).toMatch(/new crash: kernel panic: sysrq triggered crash/);

    const c = await bootgate(['compare', a, b, '--json', '--confirm', '3', '--fail-on', 'deterministic', '-j', '1', '--results', results]);
    expect(c.code, c.stderr.slice(-3000)).toBe(0);
    const cmp = compareSchema.parse(JSON.parse(c.stdout));
    expect(cmp.confirm).toMatchObject({ boots: 3, failOn: ['deterministic'] });
    const cell = cmp.cells[0]!;
    expect(cell.confirm!.boots).toBe(3);
    expect(cell.confirm!.differences).toEqual([
      { kind: 'crash', what: 'kernel panic: sysrq triggered crash', seen: 1, of: 3, class: 'flaky', fails: false },
      { kind: 'boot-success', what: 'agent boots that failed', seen: 1, of: 3, class: 'flaky', fails: false },
    ]);
    expect(cell.regression).toBe(false);
    expect(cmp.reasons.join('\n')).toMatch(/crash kernel panic: sysrq triggered crash is flaky \(1 of 3\), not failing under the policy/);
    // The rerun is a run of its own: B's cell, three agent boots, the first one crashed.
    const rerun = printedRun({ code: 0, stdout: `${cmp.confirm!.runs[0]}/run.json\n`, stderr: '' });
    expect(rerun.cells.map((x) => [x.id, x.cycles.map((y) => y.outcome)])).toEqual([[cell.ids.b, ['crash', 'ready', 'ready']]]);
    console.log(`one-off crash, runs and rerun in ${((Date.now() - t0) / 1000).toFixed(0)} s: ${cell.confirm!.differences.map((d) => `${d.kind} ${d.class} ${d.seen}/${d.of}`).join('; ')}`);
  });

  it('the 2.2.0-slow overhead is deterministic: every rerun boot is slower, and the comparison regresses', async () => {
    const results = mkdtempSync(join(tmpdir(), 'bootgate-confirm-'));
    const t0 = Date.now();
    const a = await runDir('suites/compare-sensor-2.1.0.yaml', results);
    const b = await runDir('suites/compare-sensor-2.2.0-slow.yaml', results);
    const c = await bootgate(['compare', a, b, '--json', '--confirm', '3', '--fail-on', 'deterministic', '-j', '1', '--results', results]);
    expect(c.code, c.stderr.slice(-3000)).toBe(1);
    const cmp = compareSchema.parse(JSON.parse(c.stdout));
    const cell = cmp.cells[0]!;
    const exec = cell.confirm!.differences.find((d) => d.kind === 'workload' && d.what === 'exec');
    expect(exec).toEqual({ kind: 'workload', what: 'exec', seen: 3, of: 3, class: 'deterministic', fails: true });
    expect(cell.regression).toBe(true);
    expect(cmp.verdict).toBe('regression');
    console.log(`2.2.0-slow, runs and rerun in ${((Date.now() - t0) / 1000).toFixed(0)} s: ${cell.confirm!.differences.map((d) => `${d.kind} ${d.what} ${d.class} ${d.seen}/${d.of}`).join('; ')}`);
  });
});
