import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gateSchema, type GateResult } from '../harness/results/gate-schema.js';
import { runSchema } from '../harness/results/schema.js';
import { bootgate } from './cli-helpers.js';

const readGate = (d: string): GateResult => gateSchema.parse(JSON.parse(readFileSync(join(d, 'gate.json'), 'utf8')));
const withoutTime = ({ evaluatedAt: _t, ...g }: GateResult) => g;

describe('quickstart for real, with every file reporter, then the gate again', () => {
  it('writes gate.json and the reports at the end; bootgate gate gives the same verdict', async () => {
    const results = mkdtempSync(join(tmpdir(), 'bootgate-qs-gate-'));
    const r = await bootgate(['run', 'suites/quickstart.yaml', '--results', results, '--reporter', 'junit,tap', '--reporter', 'markdown,html'], { env: { CI: 'true' } });
    expect(r.code, r.stderr).toBe(1);
    const runDir = dirname(r.stdout.trim().split('\n').at(-1)!);
    const run = runSchema.parse(JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')));
    expect(run.gate).toEqual({ bootSuccess: 1, maxCrashes: 0, maxBootOverheadPct: 10, minCycles: 1 });

    const atEnd = readGate(runDir);
    expect(atEnd).toMatchObject({ verdict: 'fail', exitCode: 1, policy: { source: 'run.json' } });
    const failed = atEnd.rules.filter((x) => x.outcome === 'fail').map((x) => [x.rule, x.cells.map((c) => c.id)]);
    expect(failed).toEqual([
      ['bootLoop', ['debian-6.1-generic__sensor-2.1.0__content-291']],
      ['bootSuccess', ['debian-6.1-generic__sensor-2.1.0__content-291']],
      ['maxCrashes', ['debian-6.1-generic__sensor-2.1.0__content-291']],
    ]);
    expect(r.stderr).toMatch(/gate FAIL \(exit 1\), policy from run\.json:\n.*  bootLoop: boot loop in 1 cell \(debian-6\.1-generic__sensor-2\.1\.0__content-291\): BUG: kernel NULL pointer dereference in sensor_parse_channel\n/);
    expect(r.stderr).toMatch(/verdict FAIL \(exit 1\); run\.json: /);

    for (const f of ['junit.xml', 'results.tap', 'summary.md', 'report.html']) expect(existsSync(join(runDir, f)), f).toBe(true);
    const xsd = new URL('./fixtures/junit.xsd', import.meta.url).pathname;
    expect(() => execFileSync('xmllint', ['--noout', '--schema', xsd, join(runDir, 'junit.xml')], { stdio: 'pipe' })).not.toThrow();
    expect(readFileSync(join(runDir, 'summary.md'), 'utf8')).toContain('| debian-6.1-generic | ✅ pass 3/3 | ❌ fail 0/2 boot loop |');
    const html = readFileSync(join(runDir, 'report.html'), 'utf8');
    expect(html).toContain('<strong>BUG: kernel NULL pointer dereference in sensor_parse_channel</strong>');
    expect(html).toContain('href="./cells/debian-6.1-generic__sensor-2.1.0__content-291/agent-1.log"');

    const again = await bootgate(['gate', runDir]);
    expect(again.code).toBe(1);
    expect(withoutTime(readGate(runDir))).toEqual(withoutTime(atEnd));
    rmSync(results, { recursive: true, force: true });
  });
});
