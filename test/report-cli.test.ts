import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../harness/results/schema.js';
import { bootgate } from './cli-helpers.js';
import { cell, fixtureRun, ok, run } from './fixtures/report-run.js';

const results = mkdtempSync(join(tmpdir(), 'bootgate-report-cli-'));
const scratch = mkdtempSync(join(tmpdir(), 'bootgate-report-cli-scratch-'));
afterAll(() => {
  rmSync(results, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});
function put(name: string, r: RunResult | string): string {
  const d = join(results, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'run.json'), typeof r === 'string' ? r : JSON.stringify(r));
  return d;
}
const older = put('fixture-old', fixtureRun());
const newer = put('passing-new', run([cell('img', '290')], { id: 'passing-20260111-090000-beef', startedAt: '2026-01-11T09:00:00.000Z', suite: { name: 'nightly', file: 'suites/nightly.yaml', sha256: 'b'.repeat(64) } }));
put('running', run([cell('img', '290', { status: 'running', verdict: undefined })], { id: 'running-x', status: 'running', startedAt: '2026-01-12T00:00:00.000Z' }));
put('junk', '{ not json');
mkdirSync(join(results, 'not-a-run'));

describe('bootgate report: the runs under a results folder', () => {
  it('lists id, suite, start, verdict and cells pass/fail/error, newest first', async () => {
    const r = await bootgate(['report', results]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+SUITE\s+STARTED\s+VERDICT\s+PASS\s+FAIL\s+ERROR\s+CELLS$/);
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/))).toEqual([
      ['running-x', 'fixture', '2026-01-12 00:00:00', 'running', '0', '0', '0', '1'],
      ['passing-20260111-090000-beef', 'nightly', '2026-01-11 09:00:00', 'pass', '1', '0', '0', '1'],
      ['fixture-20260110-100000-abcd', 'fixture', '2026-01-10 10:00:00', 'fail', '1', '2', '1', '4'],
    ]);
    expect(r.stderr).toMatch(/^skipped .*junk: not valid JSON/m);
  });
  it('--json', async () => {
    const r = await bootgate(['report', results, '--json']);
    const list = JSON.parse(r.stdout) as { id?: string; verdict?: string; problem?: string }[];
    expect(list.filter((x) => x.id).map((x) => [x.id, x.verdict])).toEqual([
      ['running-x', 'running'],
      ['passing-20260111-090000-beef', 'pass'],
      ['fixture-20260110-100000-abcd', 'fail'],
    ]);
  });
  it('the gate verdict wins over the summary once gate.json exists', async () => {
    const d = put('gated', run([cell('img', '290', { cycles: [ok('agent', 1)] })], { id: 'gated-1', startedAt: '2026-01-09T00:00:00.000Z', gate: { bootSuccess: 1, maxCrashes: 0, minCycles: 2, overheadBound: 'upper' } }));
    expect((await bootgate(['gate', d])).code).toBe(3);
    const r = await bootgate(['report', results]);
    expect(r.stdout).toMatch(/^gated-1\s+fixture\s+\S+ \S+\s+error\s+1\s+0\s+0\s+1$/m);
  });
  it('an empty or missing folder', async () => {
    const empty = mkdtempSync(join(scratch, 'empty-'));
    expect(await bootgate(['report', empty])).toMatchObject({ code: 0, stdout: '', stderr: `no runs under ${empty}\n` });
    expect((await bootgate(['report', join(empty, 'nope')])).code).toBe(2);
  });
});

describe('bootgate report RUN --reporter ...: rebuild reports from a stored run.json', () => {
  it('writes each file reporter\'s file into the run folder and lists them', async () => {
    const r = await bootgate(['report', older, '--reporter', 'junit,tap', '--reporter', 'markdown,html']);
    expect(r.code, r.stderr).toBe(0);
    const files = ['junit.xml', 'results.tap', 'summary.md', 'report.html'].map((f) => join(older, f));
    expect(r.stdout).toBe(files.map((f) => `${f}\n`).join(''));
    for (const f of files) expect(existsSync(f)).toBe(true);
    for (const xsd of ['junit.xsd', 'jenkins-junit-10.xsd'].map((f) => new URL(`./fixtures/${f}`, import.meta.url).pathname)) {
      expect(() => execFileSync('xmllint', ['--noout', '--schema', xsd, files[0]!], { stdio: 'pipe' }), xsd).not.toThrow();
    }
    expect(readFileSync(files[3]!, 'utf8')).toContain('<td class="cell v-fail"');
  });
  it('with no --reporter (or plain, or live), a summary of the run on stderr', async () => {
    const r = await bootgate(['report', newer]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('img__sensor-2.1.0__content-290: PASS: 3/3 boots, no crash\n');
    expect(r.stderr).toContain('gate PASS (exit 0), policy from run.json:\n');
    expect((await bootgate(['report', newer, '--reporter', 'live'])).stderr).toContain('PASS: 3/3 boots');
  });
  it('bad input: --reporter on a results folder, an unknown reporter', async () => {
    const a = await bootgate(['report', results, '--reporter', 'html']);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/not a run folder \(no run\.json\)/);
    const b = await bootgate(['report', older, '--reporter', 'pdf']);
    expect(b.code).toBe(2);
    expect(b.stderr).toBe('bootgate: error: --reporter: unknown reporter "pdf" (known: live, plain, junit, tap, markdown, html, json)\n');
  });
  it('bootgate run refuses an unknown reporter before booting anything', async () => {
    const r = await bootgate(['run', 'suites/quickstart.yaml', '--reporter', 'junit,pdf', '--results', mkdtempSync(join(scratch, 'noboot-'))]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('bootgate: error: --reporter: unknown reporter "pdf" (known: live, plain, junit, tap, markdown, html, json)\n');
  });
});
