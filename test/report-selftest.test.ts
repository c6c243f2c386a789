import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluateGate } from '../harness/gate/evaluate.js';
import { judgeCell } from '../harness/gate/cell-verdict.js';
import { selftestOf } from '../harness/measure/selftest.js';
import { renderHtml } from '../harness/report/html-reporter.js';
import { renderJunit } from '../harness/report/junit-reporter.js';
import { renderMarkdown } from '../harness/report/markdown-reporter.js';
import { describeCycle } from '../harness/report/plain-reporter.js';
import { renderTap } from '../harness/report/tap-reporter.js';
import { runSchema, type CycleResult } from '../harness/results/schema.js';
import { cell, ok, RAW_CONTROL, run } from './fixtures/report-run.js';

const XSD = new URL('./fixtures/junit.xsd', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'bootgate-report-st-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A self-test whose point names carry markup and terminal sequences, failing on the second boot. */
const EVIL_POINT = 'counter <b>2</b> ]]> \u001b[2Jcleared \u0000nul';
const passed = selftestOf('TAP version 14\n1..2\nok 1 - sensor loaded\nok 2 - counter 1\n', { code: 0, ms: 40 });
const failed = selftestOf(`TAP version 14\n1..2\nok 1 - sensor loaded\nnot ok 2 - ${EVIL_POINT}\n  ---\n  message: "expected 1 <script>"\n  ...\n`, { code: 1, ms: 40, stderr: 'sh: \u001b[31mred' });

function selftestRun() {
  const id = 'img__sensor-2.1.0__content-290';
  const cycles: CycleResult[] = [
    { ...ok('agent', 1, { cell: id }), selftest: passed },
    { ...ok('agent', 2, { cell: id }), outcome: 'unhealthy', selftest: failed },
  ];
  const c = cell('img', '290', { cycles });
  const j = judgeCell(c, { bootSuccess: 1, maxCrashes: 0, minCycles: 1, overheadBound: 'upper' });
  return run([{ ...c, verdict: j.verdict, reason: j.reason, rules: j.rules }]);
}

describe('reports show a failing self-test: its boot and its failing points, as text', () => {
  const r = selftestRun();
  const gate = evaluateGate(r, r.gate!, { now: new Date('2026-03-01T00:00:00Z'), policySource: 'run.json' });

  it('the record fits run.json, and the verdict names the boot and the point', () => {
    expect(() => runSchema.parse(r)).not.toThrow();
    expect(r.cells[0]!.verdict).toBe('fail');
    expect(r.cells[0]!.reason).toMatch(/^agentHealth: the agent's health check and self-test failed on 1 boot\(s\): agent 2: self-test failed: exited 1 \(and 1 more\)$/);
  });

  it('junit: the failure lists the failing points, valid against the JUnit schema', () => {
    const xml = renderJunit(r, { gate });
    const f = join(tmp, 'junit.xml');
    writeFileSync(f, xml);
    execFileSync('xmllint', ['--noout', '--schema', XSD, f], { stdio: 'pipe' });
    const failure = execFileSync('xmllint', ['--xpath', 'string(//failure)', f], { encoding: 'utf8' });
    expect(failure).toContain('self-test:\nagent 2: exited 1\nagent 2: not ok 2 - counter <b>2</b> ]]> cleared \\x00nul: expected 1 <script>');
    expect(xml).not.toMatch(RAW_CONTROL);
  });

  it('markdown: a self-test section, one row per problem, no markup', () => {
    const md = renderMarkdown(r, { gate });
    expect(md).toContain('### Self-test failures');
    expect(md).toContain('| img\\_\\_sensor-2.1.0\\_\\_content-290 | agent 2: not ok 2 - counter &lt;b&gt;2&lt;/b&gt; \\]\\]&gt; cleared \\\\x00nul: expected 1 &lt;script&gt; |');
    expect(md).not.toMatch(RAW_CONTROL);
  });

  it('html: each boot says its self-test; a failed one lists its points and stderr, escaped', () => {
    const html = renderHtml(r, { gate });
    expect(html).toContain('<span class="selftest">self-test ok: 2/2 points passed</span>');
    expect(html).toContain('<li><code>not ok 2 - counter &lt;b&gt;2&lt;/b&gt; ]]&gt; cleared \\x00nul: expected 1 &lt;script&gt;</code></li>');
    expect(html).toContain('<pre class="excerpt">sh: red</pre>');
    expect(html).not.toContain('<b>2</b>');
    expect(html).not.toMatch(RAW_CONTROL);
  });

  it('tap: the unhealthy boot carries the self-test problems in its YAML diagnostics', () => {
    const tap = renderTap(r, { gate });
    const yaml = tap.split('\n').slice(tap.split('\n').findIndex((l) => l === '  ---') + 1, tap.split('\n').findIndex((l) => l === '  ...'));
    const d = parse(yaml.map((l) => l.slice(2)).join('\n')) as { unhealthy: { cycle: number; selftest: string[] }[] };
    expect(d.unhealthy).toEqual([{ cycle: 2, output: '2.1.0\n290', selftest: ['exited 1', 'not ok 2 - counter <b>2</b> ]]> cleared \\x00nul: expected 1 <script>'] }]);
    expect(tap).not.toMatch(RAW_CONTROL);
  });

  it('plain and live lines: the boot says why it is unhealthy', () => {
    const [good, bad] = r.cells[0]!.cycles;
    expect(describeCycle(good!)).toMatch(/: booted, ready in [\d.]+s, self-test ok: 2\/2 points passed$/);
    expect(describeCycle(bad!)).toMatch(/agent unhealthy: self-test failed: exited 1 \(and 1 more\)$/);
  });
});
