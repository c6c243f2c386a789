import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareSchema } from '../harness/results/compare-schema.js';
import type { RunResult } from '../harness/results/schema.js';
import { bootgate } from './cli-helpers.js';
import { loopCell, makeRun, NULL_DEREF, passCell } from './compare-fixtures.js';

/** `bootgate compare` as a user runs it, through bin/bootgate.js, on run folders written here. */
const dir = mkdtempSync(join(tmpdir(), 'bootgate-compare-'));
const writeRun = (name: string, run: RunResult | string) => {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'run.json'), typeof run === 'string' ? run : JSON.stringify(run, null, 2));
  return d;
};

const IMG = 'debian-6.1-generic';
const A = writeRun('A', makeRun('nightly-A', [passCell(IMG, '290'), loopCell(IMG, '291')]));
const B = writeRun('B', makeRun('nightly-B', [loopCell(IMG, '290', { build: '2.2.0' }), loopCell(IMG, '291', { build: '2.2.0' })]));
const A2 = writeRun('A2', makeRun('nightly-A2', [passCell(IMG, '290'), loopCell(IMG, '291')]));
const OTHER = writeRun('other', makeRun('other', [passCell('debian-6.12-generic', '292')], { suite: 'other' }));

const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at .*:\d+:\d+/);

describe('bootgate compare', () => {
  it('B breaks what A did not: exit 1, a readable summary, Markdown for a pull request', async () => {
    const md = join(dir, 'out', 'comment.md');
    const r = await bootgate(['compare', A, join(B, 'run.json'), '--markdown', md]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^compare nightly-A \(A\) -> nightly-B \(B\): REGRESSION \(exit 1\)\n/);
    expect(r.stdout).toContain('builds: 2.1.0 -> 2.2.0; cells matched by image+content; 2 compared, 1 regressed, 0 inconclusive');
    expect(r.stdout).toContain(`✗ ${IMG} / 290 [2.1.0 -> 2.2.0]: pass -> fail`);
    expect(r.stdout).toContain(`    REGRESSION: verdict pass -> fail: boot loop: ${NULL_DEREF}`);
    expect(r.stdout).toContain(`✓ ${IMG} / 291 [2.1.0 -> 2.2.0]: fail -> fail`);
    const text = readFileSync(md, 'utf8');
    expect(text).toMatch(/^### ❌ bootgate compare: regression\n/);
    expect(text).toContain(`| ❌ ${IMG} / 290 (2.1.0 → 2.2.0) | **pass → fail** |`);
  });

  it('--json prints bootgate.compare/v1', async () => {
    const r = await bootgate(['compare', A, B, '--json']);
    expect(r.code).toBe(1);
    const j = compareSchema.parse(JSON.parse(r.stdout));
    expect(j.verdict).toBe('regression');
    expect(j.a).toMatchObject({ id: 'nightly-A', dir: A, builds: ['2.1.0'] });
    expect(j.b).toMatchObject({ id: 'nightly-B', dir: B, builds: ['2.2.0'] });
    expect(j.cells.map((c) => [c.key, c.regression])).toEqual([
      [`${IMG} / 290`, true],
      [`${IMG} / 291`, false],
    ]);
  });

  it('A/A: exit 0', async () => {
    const r = await bootgate(['compare', A, A2]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/NO REGRESSION \(exit 0\)/);
    expect(r.stdout).toContain('no-regression: no regression in 2 compared cells (builds 2.1.0)');
  });

  it('nothing lines up: exit 3, and what does not line up is said', async () => {
    const r = await bootgate(['compare', A, OTHER]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/INCONCLUSIVE \(exit 3\)/);
    expect(r.stdout).toContain('differs: different suites: nightly in A, other in B');
    expect(r.stdout).toContain('not lined up: image debian-6.12-generic is only in B');
  });

  it('a missing run.json, malformed JSON, a file that is not a run: exit 2 naming the file, no stack trace', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty, { recursive: true });
    let r = await bootgate(['compare', empty, B]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`bootgate: error: ${join(empty, 'run.json')}: no such file\n`);

    r = await bootgate(['compare', A, join(dir, 'nope')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`bootgate: error: ${join(dir, 'nope')}: no such run folder\n`);

    const bad = writeRun('bad', '{ "schema": "bootgate.run/v1", ');
    r = await bootgate(['compare', A, bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^bootgate: error: ${join(bad, 'run.json').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not valid JSON: `));
    noStack(r.stderr);

    const wrong = writeRun('wrong', JSON.stringify({ schema: 'bootgate.run/v1', id: 'x' }));
    r = await bootgate(['compare', wrong, B]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/wrong\/run\.json: status: not a bootgate\.run\/v1 file: /);
    noStack(r.stderr);
  });

  it('bad flags are usage errors (exit 2)', async () => {
    expect((await bootgate(['compare', A])).code).toBe(2);
    const r = await bootgate(['compare', A, B, '--boot-success-drop', '2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('bootgate: error: --boot-success-drop takes a number from 0 to 1, not 2\n');
    const half = await bootgate(['compare', A, B, '--confirm', '1.5']);
    expect([half.code, half.stderr]).toEqual([2, 'bootgate: error: --confirm takes a whole number, not 1.5\n']);
    const cls = await bootgate(['compare', A, B, '--confirm', '2', '--fail-on', 'flaky,sometimes']);
    expect([cls.code, cls.stderr]).toEqual([2, 'bootgate: error: --fail-on: --fail-on takes classes of deterministic, flaky, not-reproduced, inconclusive, comma-separated, not "sometimes"\n']);
    // Classes without reruns classify nothing: said, not ignored.
    const alone = await bootgate(['compare', A, B, '--fail-on', 'flaky']);
    expect([alone.code, alone.stderr]).toEqual([2, 'bootgate: error: --fail-on: --fail-on classifies the differences that reruns confirm: give --confirm N too\n']);
  });

  it('--confirm with nothing regressed reruns nothing and says which classes would fail', async () => {
    const r = await bootgate(['compare', A, A2, '--json', '--confirm', '3', '--results', join(dir, 'reruns')]);
    expect(r.code, r.stderr).toBe(0);
    expect(compareSchema.parse(JSON.parse(r.stdout)).confirm).toEqual({ boots: 3, failOn: ['deterministic', 'flaky', 'inconclusive'], runs: [] });
  });

  it('a policy flag changes the verdict: tolerating the drop and the crash is not possible, but thresholds apply', async () => {
    // The pass -> fail and its new crash stay regressions whatever the thresholds.
    const r = await bootgate(['compare', A, B, '--boot-success-drop', '1', '--max-workload-overhead', '50']);
    expect(r.code).toBe(1);
    const j = await bootgate(['compare', A, B, '--json', '--boot-success-drop', '1']);
    expect(JSON.parse(j.stdout).policy).toEqual({ maxWorkloadOverheadPct: 5, maxBootTimeIncreasePct: 10, bootSuccessDrop: 1 });
  });
});
