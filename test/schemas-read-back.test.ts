/**
 * Issue #17: the published JSON Schemas describe what the readers accept, not only what this
 * version writes. A run.json (or gate.json) that leaves out fields with a default, as another
 * version or a person may write it, validates against schemas/*.schema.json (the files on disk,
 * with a real JSON Schema validator) and is read by the store: `bootgate gate` and
 * `bootgate report` work on it.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluateGate } from '../harness/gate/evaluate.js';
import { loadGate, loadRun } from '../harness/results/run-files.js';
import { bootgate, ROOT } from './cli-helpers.js';
import { fixtureRun } from './fixtures/report-run.js';

const tmp = mkdtempSync(join(tmpdir(), 'bootgate-readback-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats.default(ajv);
const validator = (name: string) => ajv.compile(JSON.parse(readFileSync(join(ROOT, 'schemas', name), 'utf8')) as object);
const validRun = validator('run.schema.json');
const validGate = validator('gate.schema.json');

/** The policy fields that have a default (policy-schema.ts): a reader fills them in. */
const DEFAULTED = ['bootSuccess', 'maxCrashes', 'minCycles', 'overheadBound'] as const;
const withoutDefaults = (policy: Record<string, unknown>) => Object.fromEntries(Object.entries(policy).filter(([k]) => !(DEFAULTED as readonly string[]).includes(k)));

const full = fixtureRun();
const gate = evaluateGate(full, full.gate!, { now: new Date('2026-03-01T00:00:00Z'), policySource: 'run.json' });
// The fixture's policy holds every default's own value, so leaving them out changes no verdict.
const sparseRun = { ...JSON.parse(JSON.stringify(full)), gate: withoutDefaults(full.gate!) };
const sparseGate = { ...JSON.parse(JSON.stringify(gate)), policy: { ...gate.policy, value: withoutDefaults(gate.policy.value) } };

function runDir(name: string, run: unknown, gateJson?: unknown): string {
  const d = join(tmp, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'run.json'), JSON.stringify(run, null, 2));
  if (gateJson) writeFileSync(join(d, 'gate.json'), JSON.stringify(gateJson, null, 2));
  return d;
}

describe('schemas/run.schema.json and gate.schema.json read back files with defaults left out', () => {
  it('the fixture really leaves the defaulted fields out', () => {
    for (const k of DEFAULTED) {
      expect(sparseRun.gate).not.toHaveProperty(k);
      expect(sparseGate.policy.value).not.toHaveProperty(k);
    }
  });

  it('run.json without overheadBound, bootSuccess, maxCrashes, minCycles validates', () => {
    expect(validRun(sparseRun), ajv.errorsText(validRun.errors)).toBe(true);
    expect(validRun(JSON.parse(JSON.stringify(full))), ajv.errorsText(validRun.errors)).toBe(true);
  });

  it('gate.json without them in policy.value validates', () => {
    expect(validGate(sparseGate), ajv.errorsText(validGate.errors)).toBe(true);
  });

  it('the schemas still refuse what no reader accepts: a missing id, a wrong overheadBound', () => {
    const { id: _id, ...noId } = sparseRun;
    expect(validRun(noId)).toBe(false);
    expect(validRun({ ...sparseRun, gate: { ...sparseRun.gate, overheadBound: 'lower' } })).toBe(false);
    expect(validGate({ ...sparseGate, policy: { ...sparseGate.policy, value: { ...sparseGate.policy.value, maxCrashes: -1 } } })).toBe(false);
  });

  it('the store reads both and fills the defaults in', async () => {
    const d = runDir('store', sparseRun, sparseGate);
    const { run } = await loadRun(d);
    expect(run.gate).toEqual(full.gate);
    expect((await loadGate(d))?.policy.value).toEqual(gate.policy.value);
  });

  it('bootgate gate judges it as the full file; bootgate report rebuilds the reports from it', async () => {
    const d = runDir('cli', sparseRun);
    const g = await bootgate(['gate', d, '--json']);
    expect(g.code, g.stderr).toBe(gate.exitCode);
    expect(JSON.parse(g.stdout)).toMatchObject({ verdict: gate.verdict, policy: { source: 'run.json', value: gate.policy.value } });
    const r = await bootgate(['report', d, '--reporter', 'junit,markdown']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${join(d, 'junit.xml')}\n${join(d, 'summary.md')}\n`);
    expect(readFileSync(join(d, 'summary.md'), 'utf8')).toContain(`**Gate** (policy from run.json): **${gate.verdict}**`);
  });
});
