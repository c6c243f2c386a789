import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gatePolicySchema, suiteSchema, type GatePolicy } from '../harness/config/suite-schema.js';
import { signatureOf } from '../harness/results/crash-record.js';
import { evaluateGate } from '../harness/gate/evaluate.js';
import { loadPolicyFile } from '../harness/config/policy-file.js';
import { gateSchema, type GateResult } from '../harness/results/gate-schema.js';
import type { CycleResult } from '../harness/results/schema.js';
import { ConfigError } from '../harness/util/errors.js';
import { cell, crashed, fixtureRun, ok, run, TITLE } from './fixtures/report-run.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const policy = (p: Partial<GatePolicy> = {}): GatePolicy => gatePolicySchema.parse(p);
const evaluate = (r: ReturnType<typeof run>, p: GatePolicy = policy(), now = NOW) => {
  const g = evaluateGate(r, p, { now, policySource: 'test' });
  gateSchema.parse(g); // always a valid bootgate.gate/v1
  return g;
};
const rule = (g: GateResult, name: string) => g.rules.find((r) => r.rule === name)!;
const loop = (id = 'loop') => cell('img', id, { verdict: 'fail', bootLoop: true, cycles: [crashed(1), crashed(2)] });
const passing = (id = 'good', n = 3) => cell('img', id, { cycles: Array.from({ length: n }, (_, i) => ok('agent', i + 1)) });

describe('evaluateGate: the verdict and its rules', () => {
  it('judges the fixture run: fail, with the failed cells behind each failed rule and one line per reason', () => {
    const r = fixtureRun();
    const g = evaluate(r, r.gate!);
    expect(g).toMatchObject({ schema: 'bootgate.gate/v1', verdict: 'fail', exitCode: 1 });
    expect(rule(g, 'bootLoop')).toMatchObject({ threshold: 0, actual: 1, outcome: 'fail', cells: [{ id: 'debian-6.1-generic__sensor-2.1.0__content-291' }] });
    expect(rule(g, 'bootSuccess')).toMatchObject({ threshold: 1, actual: 0, outcome: 'fail' });
    expect(rule(g, 'bootSuccess').cells.map((c) => c.id)).toEqual(['debian-6.1-generic__sensor-2.1.0__content-291', 'debian-6.12-cloud__sensor-2.1.0__content-291']);
    expect(rule(g, 'maxCrashes')).toMatchObject({ threshold: 0, actual: 2, outcome: 'fail' });
    expect(rule(g, 'lab')).toMatchObject({ actual: 1, outcome: 'error', cells: [{ id: 'debian-6.12-cloud__sensor-2.1.0__content-290' }] });
    expect(rule(g, 'maxBootOverheadPct')).toMatchObject({ threshold: 10, actual: 5, outcome: 'pass' }); // measured in the one cell with 3 baseline boots
    for (const line of g.reasons) expect(line).not.toMatch(/\n/);
    expect(g.reasons[0]).toMatch(/^bootLoop: boot loop in 1 cell .*: BUG: kernel NULL pointer dereference in sensor_parse_channel$/);
    expect(g.reasons.at(-1)).toMatch(/^lab: the lab failed in 1 cell/);
    expect(g.cells.map((c) => c.verdict)).toEqual(['pass', 'fail', 'error', 'fail']);
  });

  it('with no allow list, gives the verdict of the run itself (judgeCell per cell, any fail, then any error)', () => {
    const cases = [[passing()], [passing(), loop()], [passing(), cell('img', 'lab', { verdict: 'error', baseline: [{ ...ok('baseline', 1), booted: false, outcome: 'timeout' }], cycles: [] })], [loop()], fixtureRun().cells];
    // A run's verdict from its cells' own: any fail is fail (exit 1), else any error is error (exit 3), else pass.
    const expected = (vs: (string | undefined)[]) => (vs.includes('fail') ? { verdict: 'fail', exitCode: 1 } : vs.every((v) => v === 'pass') && vs.length ? { verdict: 'pass', exitCode: 0 } : { verdict: 'error', exitCode: 3 });
    for (const cells of cases) {
      const r = run(cells);
      const g = evaluate(r, r.gate!);
      expect({ verdict: g.verdict, exitCode: g.exitCode }).toEqual(expected(r.cells.map((c) => c.verdict)));
    }
  });

  it('is pure: the same run, policy and day give the same result, and the run is not touched', () => {
    const r = fixtureRun();
    const before = structuredClone(r);
    const p = policy({ allow: [{ title: TITLE, reason: 'r', expires: '2026-12-31' }] });
    expect(evaluate(r, p)).toEqual(evaluate(r, p));
    expect(r).toEqual(before);
  });

  it('passes a clean run and says which rules were skipped', () => {
    const g = evaluate(run([passing()]), policy({ maxWorkloadOverheadPct: 5 }));
    expect(g.verdict).toBe('pass');
    expect(g.exitCode).toBe(0);
    expect(g.reasons).toEqual(['pass: all 1 cell passed every rule (skipped: maxWorkloadOverheadPct)']);
  });
});

describe('evaluateGate: each rule', () => {
  const flaky = () => cell('img', 'flaky', { verdict: 'fail', cycles: [ok('agent', 1), crashed(2), ok('agent', 3), ok('agent', 4)] });

  it('bootSuccess: the lowest share of booted agent cycles against the minimum', () => {
    expect(rule(evaluate(run([flaky()]), policy({ bootSuccess: 0.7, maxCrashes: 1 })), 'bootSuccess')).toMatchObject({ threshold: 0.7, actual: 0.75, outcome: 'pass' });
    const g = evaluate(run([flaky(), passing()]), policy({ bootSuccess: 0.8, maxCrashes: 1 }));
    expect(rule(g, 'bootSuccess')).toMatchObject({ threshold: 0.8, actual: 0.75, outcome: 'fail', cells: [{ id: 'img__sensor-2.1.0__content-flaky', actual: 0.75 }] });
    expect(g.verdict).toBe('fail');
  });

  it('maxCrashes: crashes after install, per cell', () => {
    expect(evaluate(run([flaky()]), policy({ bootSuccess: 0.5, maxCrashes: 1 })).verdict).toBe('pass');
    const g = evaluate(run([flaky()]), policy({ bootSuccess: 0.5, maxCrashes: 0 }));
    expect(rule(g, 'maxCrashes')).toMatchObject({ threshold: 0, actual: 1, outcome: 'fail' });
    expect(rule(g, 'maxCrashes').cells[0]!.reason).toContain(TITLE);
  });

  it('bootLoop: a boot loop fails whatever the thresholds', () => {
    const g = evaluate(run([loop(), passing()]), policy({ bootSuccess: 0, maxCrashes: 10 }));
    expect(rule(g, 'bootLoop')).toMatchObject({ actual: 1, outcome: 'fail' });
    expect(g.verdict).toBe('fail');
  });

  it('agentHealth: an unhealthy agent fails', () => {
    const sick: CycleResult = { ...ok('agent', 2), outcome: 'unhealthy', health: { ok: false, output: 'sensor not loaded' } };
    const g = evaluate(run([cell('img', 'sick', { cycles: [ok('agent', 1), sick, ok('agent', 3)] })]));
    expect(rule(g, 'agentHealth')).toMatchObject({ actual: 1, outcome: 'fail' });
  });

  it('maxBootOverheadPct: median guest boot against the baseline, once there are 3 of each', () => {
    const base = [1, 2, 3].map((i) => ok('baseline', i, { uptime: 3000 }));
    const slow = [1, 2, 3].map((i) => ok('agent', i, { uptime: 3600 }));
    const r = run([cell('img', 'slow', { baseline: base, cycles: slow })]);
    expect(rule(evaluate(r, policy({ maxBootOverheadPct: 10 })), 'maxBootOverheadPct')).toMatchObject({ threshold: 10, actual: 20, outcome: 'fail' });
    expect(evaluate(r, policy({ maxBootOverheadPct: 25 })).verdict).toBe('pass');
    expect(rule(evaluate(run([passing()]), policy({ maxBootOverheadPct: 10 })), 'maxBootOverheadPct').outcome).toBe('skipped');
    expect(evaluate(r, policy({})).rules.some((x) => x.rule === 'maxBootOverheadPct')).toBe(false);
  });

  it('maxWorkloadOverheadPct: may be declared; skipped until workloads are measured', () => {
    const g = evaluate(run([passing()]), policy({ maxWorkloadOverheadPct: 3 }));
    expect(rule(g, 'maxWorkloadOverheadPct')).toMatchObject({ threshold: 3, outcome: 'skipped' });
    expect(g.verdict).toBe('pass');
  });

  it('lab: a cell whose baseline did not boot, or that the runner ended on a lab error, is inconclusive (exit 3)', () => {
    const noBase = cell('img', 'nobase', { verdict: 'error', baseline: [{ ...ok('baseline', 1), booted: false, outcome: 'timeout' }], cycles: [] });
    const died = cell('img', 'died', { verdict: 'error', reason: 'lab error: the VM process exited', stopped: { cause: 'lab', message: 'the VM process exited' }, cycles: [ok('agent', 1)] });
    const g = evaluate(run([passing(), noBase, died]));
    expect(g).toMatchObject({ verdict: 'error', exitCode: 3 });
    expect(rule(g, 'lab')).toMatchObject({ actual: 2, outcome: 'error' });
    expect(rule(g, 'lab').cells.map((c) => c.id)).toEqual(['img__sensor-2.1.0__content-nobase', 'img__sensor-2.1.0__content-died']);
    expect(evaluate(run([noBase, loop()])).verdict).toBe('fail'); // a failure beats an inconclusive cell
  });

  it('complete: a run still going, interrupted, or empty is inconclusive', () => {
    const pending = cell('img', 'p', { status: 'pending', verdict: undefined, cycles: [] });
    expect(rule(evaluate(run([passing(), pending], { status: 'running' })), 'complete')).toMatchObject({ outcome: 'error', cells: [{ id: 'img__sensor-2.1.0__content-p' }] });
    const stopped = cell('img', 's', { verdict: 'error', reason: 'interrupted: the run was stopped before this cell finished', stopped: { cause: 'interrupted', message: 'the run was stopped' } });
    const g = evaluate(run([passing(), stopped], { status: 'interrupted' }));
    expect(g.verdict).toBe('error');
    expect(rule(g, 'complete').reason).toMatch(/interrupted with 1 cell unfinished/);
    expect(evaluate(run([])).verdict).toBe('error');
  });
});

describe('evaluateGate: minCycles', () => {
  it('too few agent cycles and nothing failed: inconclusive, never a pass', () => {
    const g = evaluate(run([passing('short', 2), passing('long', 5)]), policy({ minCycles: 3 }));
    expect(g).toMatchObject({ verdict: 'error', exitCode: 3 });
    expect(rule(g, 'minCycles')).toMatchObject({ threshold: 3, actual: 2, outcome: 'error', cells: [{ id: 'img__sensor-2.1.0__content-short', actual: 2 }] });
    expect(g.cells.find((c) => c.id.endsWith('short'))!.verdict).toBe('error');
  });
  it('a boot loop proven in 2 cycles still fails under minCycles 3', () => {
    expect(evaluate(run([loop()]), policy({ minCycles: 3 })).verdict).toBe('fail');
  });
  it('enough cycles: pass', () => {
    expect(rule(evaluate(run([passing('a', 3)]), policy({ minCycles: 3 })), 'minCycles')).toMatchObject({ actual: 3, outcome: 'pass' });
  });
});

describe('evaluateGate: allow list (expected failures) with expiry', () => {
  const allowTitle = (expires: string) => policy({ allow: [{ title: TITLE, reason: 'known, fixed in content 292 (JIRA-1)', expires }] });

  it('an allowed crash no longer fails the gate: its boots count as booted, the boot loop is excused', () => {
    const g = evaluate(run([passing(), loop()]), allowTitle('2026-12-31'));
    expect(g).toMatchObject({ verdict: 'pass', exitCode: 0 });
    expect(g.cells[1]).toMatchObject({ verdict: 'pass', allowedCrashes: 2 });
    expect(g.cells[1]!.reason).toBe(`0/2 boots, 2 allowed crashes: ${TITLE}`);
    expect(rule(g, 'allow')).toMatchObject({ actual: 2, outcome: 'pass', cells: [{ id: 'img__sensor-2.1.0__content-loop', actual: 2 }] });
    expect(g.allow).toEqual([{ match: `title:${TITLE}`, reason: 'known, fixed in content 292 (JIRA-1)', expires: '2026-12-31', expired: false, matched: 2 }]);
  });

  it('matches by signature prefix as well', () => {
    const g = evaluate(run([loop()]), policy({ allow: [{ signature: signatureOf(TITLE).slice(0, 16), reason: 'r', expires: '2026-12-31' }] }));
    expect(g.verdict).toBe('pass');
  });

  it('allows through the whole expiry day (UTC), and from the next day allows nothing, and says so', () => {
    expect(evaluate(run([loop()]), allowTitle('2026-03-01'), new Date('2026-03-01T23:59:59Z')).verdict).toBe('pass');
    const g = evaluate(run([loop()]), allowTitle('2026-03-01'), new Date('2026-03-02T00:00:00Z'));
    expect(g.verdict).toBe('fail');
    expect(g.allow[0]).toMatchObject({ expired: true, matched: 2 });
    expect(g.reasons).toContain(`allow: title:${TITLE} expired on 2026-03-01: it no longer allows this crash (2 boots); it was allowed because: known, fixed in content 292 (JIRA-1)`);
    expect(rule(g, 'allow').reason).toMatch(/expired on 2026-03-01 and allows nothing \(2 crashes it matched count again\)/);
    expect(rule(g, 'maxCrashes').outcome).toBe('fail');
  });

  it('allows only what it matches: another crash still fails, and an entry that matches nothing is said to', () => {
    const other = cell('img', 'other', { verdict: 'fail', cycles: [ok('agent', 1), crashed(2, { title: 'general protection fault in sensor_hook' }), ok('agent', 3)] });
    const g = evaluate(run([loop(), other]), allowTitle('2026-12-31'));
    expect(g.verdict).toBe('fail');
    expect(rule(g, 'maxCrashes').cells.map((c) => c.id)).toEqual(['img__sensor-2.1.0__content-other']);
    const none = evaluate(run([passing()]), allowTitle('2026-12-31'));
    expect(none.allow[0]!.matched).toBe(0);
    expect(rule(none, 'allow').reason).toBe('no crash allowed');
  });

  it('a boot loop with one of its boots allowed is no boot loop; its other crashes still count', () => {
    const mixed = cell('img', 'mixed', { verdict: 'fail', bootLoop: true, cycles: [ok('agent', 1), crashed(2, { title: 'oops A' }), crashed(3)] });
    const g = evaluate(run([mixed]), allowTitle('2026-12-31'));
    expect(rule(g, 'bootLoop').outcome).toBe('pass');
    expect(rule(g, 'maxCrashes')).toMatchObject({ actual: 1, outcome: 'fail' });
  });
});

describe('gate policy files and the suite gate: YAML with file:line errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bootgate-policy-'));
  const file = (name: string, text: string) => {
    const f = join(dir, name);
    writeFileSync(f, text);
    return f;
  };
  const fails = async (f: string) => {
    const e = await loadPolicyFile(f).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  };

  it('loads a policy with every field', async () => {
    const p = await loadPolicyFile(
      file(
        'ok.yaml',
        `description: release gate\nbootSuccess: 0.99\nmaxCrashes: 0\nminCycles: 3\nmaxBootOverheadPct: 10\nmaxWorkloadOverheadPct: 5\nallow:\n  - title: "${TITLE}"\n    reason: known\n    expires: 2026-12-31\n  - { signature: ${signatureOf(TITLE).slice(0, 12)}, reason: also, expires: "2027-01-31" }\n`,
      ),
    );
    expect(p).toEqual({ bootSuccess: 0.99, maxCrashes: 0, minCycles: 3, maxBootOverheadPct: 10, maxWorkloadOverheadPct: 5, overheadBound: 'upper', allow: [{ title: TITLE, reason: 'known', expires: '2026-12-31' }, { signature: signatureOf(TITLE).slice(0, 12), reason: 'also', expires: '2027-01-31' }] });
    expect(await loadPolicyFile(file('empty-ish.yaml', 'maxCrashes: 1\n'))).toEqual({ bootSuccess: 1, maxCrashes: 1, minCycles: 1, overheadBound: 'upper' });
  });

  it('names file, line and field of a bad value', async () => {
    const e = await fails(file('bad.yaml', 'bootSuccess: 1\nmaxCrashes: -1\n'));
    expect(e.toString()).toBe(`${join(dir, 'bad.yaml')}:2: maxCrashes: Too small: expected number to be >=0`);
  });
  it('an unknown field', async () => {
    expect((await fails(file('unknown.yaml', 'bootSucess: 1\n'))).toString()).toMatch(/unknown\.yaml:1: .*bootSucess/);
  });
  it('an expiry that is not a date', async () => {
    const e = await fails(file('date.yaml', `allow:\n  - title: x\n    reason: y\n    expires: 2026-02-30\n`));
    expect(e.line).toBe(4);
    expect(e.field).toBe('allow[0].expires');
    expect(e.message).toBe('not a calendar date');
  });
  it('an entry with both signature and title, or neither, or no reason', async () => {
    expect((await fails(file('both.yaml', `allow:\n  - { signature: ${'a'.repeat(12)}, title: x, reason: y, expires: 2026-01-01 }\n`))).toString()).toMatch(/both\.yaml:2: allow\[0\]: give either signature or title/);
    expect((await fails(file('neither.yaml', 'allow:\n  - { reason: y, expires: 2026-01-01 }\n'))).line).toBe(2);
    expect((await fails(file('noreason.yaml', 'allow:\n  - { title: x, expires: 2026-01-01 }\n'))).field).toBe('allow[0].reason');
  });
  it('a missing file or malformed YAML', async () => {
    expect((await fails(join(dir, 'nope.yaml'))).message).toBe('no such file');
    expect((await fails(file('syntax.yaml', 'allow: [\n'))).code).toBe('YAML_SYNTAX');
  });
  it('the suite gate takes the same fields', () => {
    const s = suiteSchema.parse({
      name: 's',
      images: ['x'],
      agent: { name: 'a', kind: 'linux-kmod', builds: [{ version: '1', source: 'x' }] },
      content: [{ version: '1', path: 'x' }],
      gate: { maxWorkloadOverheadPct: 5, allow: [{ title: 't', reason: 'r', expires: '2026-01-01' }] },
    });
    expect(s.gate).toEqual({ bootSuccess: 1, maxCrashes: 0, minCycles: 1, maxWorkloadOverheadPct: 5, overheadBound: 'upper', allow: [{ title: 't', reason: 'r', expires: '2026-01-01' }] });
  });
});
