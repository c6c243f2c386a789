import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JunitReporter } from '../harness/report/junit-reporter.js';
import { ReporterMux } from '../harness/report/multiplexer.js';
import { RunStore } from '../harness/results/run-store.js';
import { recordRunVerdict } from '../harness/run/run-end.js';
import { gateSchema, type GateResult } from '../harness/results/gate-schema.js';
import type { RunResult } from '../harness/results/schema.js';
import { bootgate } from './cli-helpers.js';
import { cell, fixtureRun, run, TITLE, EVIL_TITLE } from './fixtures/report-run.js';

const base = mkdtempSync(join(tmpdir(), 'bootgate-gate-cli-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
function runDir(name: string, r: RunResult): string {
  const d = join(base, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'run.json'), JSON.stringify(r, null, 2));
  return d;
}
const readGate = (d: string): GateResult => gateSchema.parse(JSON.parse(readFileSync(join(d, 'gate.json'), 'utf8')));
const withoutTime = ({ evaluatedAt: _t, ...g }: GateResult) => g;
const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at .*:\d+:\d+/);

describe('bootgate gate RUN: the same decision as the run, without booting', () => {
  it('re-evaluation with the stored policy gives what the run wrote at its end (recordRunVerdict, as run-suite calls it)', async () => {
    const d = runDir('fixture', fixtureRun());
    const r = JSON.parse(readFileSync(join(d, 'run.json'), 'utf8')) as RunResult;
    const gate = await recordRunVerdict(new RunStore(d, r), r.gate!);
    const end = await new ReporterMux([new JunitReporter()], () => {}).end(r, d, { gate });
    expect(gate.exitCode).toBe(1);
    expect(end).toEqual({ files: [join(d, 'junit.xml')], failed: [] });
    expect(JSON.parse(readFileSync(join(d, 'run.json'), 'utf8')).summary).toMatchObject({ verdict: 'fail', exitCode: 1 });
    const atRunEnd = readGate(d);

    const c = await bootgate(['gate', d]);
    expect(c.code).toBe(1);
    expect(c.stdout).toBe(`${join(d, 'gate.json')}\n`);
    expect(c.stderr.split('\n')[0]).toBe('gate FAIL (exit 1), policy from run.json:');
    expect(c.stderr).toContain(`  bootLoop: boot loop in 1 cell (debian-6.1-generic__sensor-2.1.0__content-291): ${TITLE}\n`);
    const again = readGate(d);
    expect(withoutTime(again)).toEqual(withoutTime(atRunEnd));
    expect(again.evaluatedAt).not.toBe(atRunEnd.evaluatedAt);
  });

  it('exit 0 on a pass, and the run.json path works as well as the folder', async () => {
    const d = runDir('pass', run([cell('img', '290')]));
    const c = await bootgate(['gate', join(d, 'run.json')]);
    expect(c.code).toBe(0);
    expect(readGate(d)).toMatchObject({ verdict: 'pass', exitCode: 0, policy: { source: 'run.json' } });
  });

  it('--policy FILE: another policy, with an allow list; the lab-error cell keeps the run inconclusive (exit 3)', async () => {
    const d = runDir('allow', fixtureRun());
    const p = join(base, 'allow.yaml');
    writeFileSync(p, `allow:\n  - { title: "${TITLE}", reason: "content 291 withdrawn", expires: 2999-12-31 }\n  - title: '${EVIL_TITLE}'\n    reason: known warning\n    expires: 2999-12-31\n`);
    const c = await bootgate(['gate', d, '--policy', p]);
    expect(c.code, c.stderr).toBe(3);
    const g = readGate(d);
    expect(g).toMatchObject({ verdict: 'error', policy: { source: p } });
    expect(g.cells.map((x) => x.allowedCrashes)).toEqual([0, 2, 0, 1]);
    expect(c.stderr).toMatch(/^ {2}lab: the lab failed in 1 cell: debian-6.12-cloud__sensor-2.1.0__content-290/m);
  });

  it('an expired allow entry no longer allows, and says so', async () => {
    const d = runDir('expired', run([cell('img', '291', { verdict: 'fail', bootLoop: true, cycles: fixtureRun().cells[1]!.cycles })]));
    const p = join(base, 'expired.yaml');
    writeFileSync(p, `allow:\n  - { title: "${TITLE}", reason: "was known", expires: 2001-01-01 }\n`);
    const c = await bootgate(['gate', d, '--policy', p, '--json']);
    expect(c.code).toBe(1);
    const g = gateSchema.parse(JSON.parse(c.stdout));
    expect(g.allow).toEqual([{ match: `title:${TITLE}`, reason: 'was known', expires: '2001-01-01', expired: true, matched: 2 }]);
    expect(c.stderr).toContain(`  allow: title:${TITLE} expired on 2001-01-01: it no longer allows this crash (2 boots); it was allowed because: was known\n`);
  });

  it('bad input exits 2 with one line naming file, line and field', async () => {
    const d = runDir('bad-policy', fixtureRun());
    const p = join(base, 'bad.yaml');
    writeFileSync(p, 'bootSuccess: 1\nallow:\n  - { title: x, reason: y, expires: tomorrow }\n');
    const c = await bootgate(['gate', d, '--policy', p]);
    expect(c.code).toBe(2);
    expect(c.stderr).toBe(`bootgate: error: ${p}:3: allow[0].expires: use a date as YYYY-MM-DD (quote it in YAML if in doubt)\n`);

    const missing = await bootgate(['gate', join(base, 'nope')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`bootgate: error: ${join(base, 'nope')}: no such run folder\n`);

    const { gate: _g, ...old } = fixtureRun();
    const o = runDir('old', old as RunResult);
    const noPolicy = await bootgate(['gate', o]);
    expect(noPolicy.code).toBe(2);
    expect(noPolicy.stderr).toMatch(/stores no gate policy .*--policy FILE/);

    const broken = runDir('broken', fixtureRun());
    writeFileSync(join(broken, 'run.json'), '{"schema":"bootgate.run/v1"}');
    const b = await bootgate(['gate', broken]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/run\.json: id: not a bootgate.run\/v1 file/);
    for (const s of [c.stderr, missing.stderr, noPolicy.stderr, b.stderr]) noStack(s);
  });
});
