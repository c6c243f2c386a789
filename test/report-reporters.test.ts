import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluateGate } from '../harness/gate/evaluate.js';
import { gatePolicySchema } from '../harness/config/suite-schema.js';
import { HtmlReporter, renderHtml } from '../harness/report/html-reporter.js';
import { JunitReporter, renderJunit } from '../harness/report/junit-reporter.js';
import { LiveReporter } from '../harness/report/live-reporter.js';
import { renderMarkdown } from '../harness/report/markdown-reporter.js';
import { cdata, escapeHtml, relHref } from '../harness/report/model.js';
import { PlainReporter } from '../harness/report/plain-reporter.js';
import { consoleEnv, parseReporterNames, runReporterNames } from '../harness/report/registry.js';
import { renderTap } from '../harness/report/tap-reporter.js';
import { ConfigError } from '../harness/util/errors.js';
import { cell, EVIL_EXCERPT, EVIL_TITLE, fixtureRun, IMG, ok, run, TITLE } from './fixtures/report-run.js';

/** The project's own JUnit schema, and the one Jenkins' xUnit plugin validates JUnit input with (vendored, see fixtures/README.md). */
const XSD = new URL('./fixtures/junit.xsd', import.meta.url).pathname;
const JENKINS_XSD = new URL('./fixtures/jenkins-junit-10.xsd', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'bootgate-report-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const gateOf = (r = fixtureRun(), p = r.gate!) => evaluateGate(r, p, { now: new Date('2026-03-01T00:00:00Z'), policySource: 'run.json' });
/** The excerpt as reports must show it: ANSI colours gone, NUL visible as \x00, everything else as it was. */
const SHOWN = EVIL_EXCERPT.replace(/\u001b\[[0-9;]*m/g, '').replace('\u0000', '\\x00');

function xmllint(args: string[]): string {
  const out = execFileSync('xmllint', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return args[0] === '--xpath' ? out.replace(/\n$/, '') : out; // xmllint ends an --xpath answer with a newline
}

describe('escaping helpers', () => {
  it('HTML-escapes everything that opens markup or an attribute', () => {
    expect(escapeHtml(`${IMG}"'\`&`)).toBe('&lt;/textarea&gt;&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&#96;&amp;');
  });
  it('CDATA splits ]]> and shows characters XML forbids', () => {
    expect(cdata('a]]>b\u0000c')).toBe('<![CDATA[a]]]]><![CDATA[>b\\x00c]]>');
  });
  it('links stay relative paths: no scheme, quotes and brackets encoded', () => {
    expect(relHref('javascript:alert(1)')).toBe('./javascript%3Aalert(1)');
    expect(relHref('cells/a b/"><x>.log')).toBe('./cells/a%20b/%22%3E%3Cx%3E.log');
    expect(relHref('../../etc/passwd')).toBe('./%2E%2E/%2E%2E/etc/passwd');
  });
});

describe('junit reporter', () => {
  const file = join(tmp, 'junit.xml');
  const r = fixtureRun();
  const xml = renderJunit(r, { gate: gateOf(r) });
  writeFileSync(file, xml);

  it('is valid against the common JUnit schema (xmllint --schema test/fixtures/junit.xsd)', () => {
    expect(() => xmllint(['--noout', '--schema', XSD, file])).not.toThrow();
  });
  it("is valid against Jenkins xUnit's JUnit schema (xmllint --schema test/fixtures/jenkins-junit-10.xsd)", () => {
    expect(() => xmllint(['--noout', '--schema', JENKINS_XSD, file])).not.toThrow();
  });
  it('keeps what the root may not carry: skipped per testsuite, the run start as a property', () => {
    expect(xmllint(['--xpath', 'string(//testsuite[1]/@skipped)', file])).toBe('0');
    expect(xmllint(['--xpath', 'string(//testsuite[1]/properties/property[@name="bootgate.run.startedAt"]/@value)', file])).toBe(r.startedAt);
    expect(xmllint(['--xpath', 'string(//testsuite[1]/@timestamp)', file])).toMatch(/^2026-01-10T10:\d\d:\d\d$/);
  });
  it('one testsuite per image, a cell is a testcase, with the counts', () => {
    expect(xmllint(['--xpath', 'string(/testsuites/@tests)', file])).toBe('4');
    expect(xmllint(['--xpath', 'string(/testsuites/@failures)', file])).toBe('2');
    expect(xmllint(['--xpath', 'string(/testsuites/@errors)', file])).toBe('1');
    expect(xmllint(['--xpath', 'count(//testsuite)', file])).toBe('2');
    expect(xmllint(['--xpath', 'string(//testcase[@classname="fixture.debian-6.1-generic"][2]/@name)', file])).toBe('sensor 2.1.0 / content 291');
  });
  it('a crash is a <failure> with the console excerpt in CDATA, exactly, even with ]]> inside', () => {
    expect(xml).toContain(']]]]><![CDATA[>');
    const failure = xmllint(['--xpath', 'string(//testsuite[1]/testcase[2]/failure)', file]);
    expect(failure).toContain(SHOWN);
    expect(failure.startsWith(`${TITLE}\nclass null-deref, module sensor`)).toBe(true);
    expect(xmllint(['--xpath', 'string(//testsuite[1]/testcase[2]/failure/@type)', file])).toBe('null-deref');
    expect(xmllint(['--xpath', 'string(//testsuite[1]/testcase[2]/failure/@message)', file])).toBe(`boot loop: ${TITLE}`);
    // The hostile title survives as text in an attribute.
    expect(xmllint(['--xpath', 'string(//testsuite[2]/testcase[2]/failure/@message)', file])).toBe(`bootSuccess, maxCrashes: ${EVIL_TITLE}`);
  });
  it('an error verdict is an <error>, a passing cell has neither', () => {
    expect(xmllint(['--xpath', 'string(//testsuite[2]/testcase[1]/error/@type)', file])).toBe('lab-error');
    expect(xmllint(['--xpath', 'count(//testsuite[1]/testcase[1]/failure | //testsuite[1]/testcase[1]/error)', file])).toBe('0');
  });
  it('an unfinished cell is <skipped>; a crash the gate allowed is no failure', async () => {
    const r2 = run([cell('img', '1', { status: 'running', verdict: undefined, cycles: [] }), fixtureRun().cells[1]!], { status: 'interrupted' });
    const g = evaluateGate(r2, gatePolicySchema.parse({ allow: [{ title: TITLE, reason: 'known', expires: '2026-12-31' }] }), { now: new Date('2026-03-01T00:00:00Z'), policySource: 'x' });
    const dir = mkdtempSync(join(tmp, 'junit-'));
    const [f] = await new JunitReporter().onEnd(r2, dir, { gate: g });
    expect(f).toBe(join(dir, 'junit.xml'));
    expect(() => xmllint(['--noout', '--schema', XSD, f!])).not.toThrow();
    expect(() => xmllint(['--noout', '--schema', JENKINS_XSD, f!])).not.toThrow();
    expect(xmllint(['--xpath', 'count(//testcase[1]/skipped)', f!])).toBe('1');
    expect(xmllint(['--xpath', 'string(//testsuite[1]/@skipped)', f!])).toBe('1');
    expect(xmllint(['--xpath', 'count(//failure)', f!])).toBe('0');
  });
});

describe('tap reporter', () => {
  const r = fixtureRun();
  const tap = renderTap(r, { gate: gateOf(r) });
  const lines = tap.split('\n');

  it('TAP version 14, a plan, one test point per cell', () => {
    expect(lines[0]).toBe('TAP version 14');
    expect(lines).toContain('1..4');
    expect(lines.filter((l) => /^(not )?ok \d+ - /.test(l))).toEqual([
      'ok 1 - debian-6.1-generic, sensor 2.1.0, content 290',
      'not ok 2 - debian-6.1-generic, sensor 2.1.0, content 291',
      'not ok 3 - debian-6.12-cloud, sensor 2.1.0, content 290',
      'not ok 4 - debian-6.12-cloud, sensor 2.1.0, content 291',
    ]);
  });
  it('YAML diagnostics with the crash, parseable, the excerpt intact', () => {
    const start = lines.indexOf('not ok 2 - debian-6.1-generic, sensor 2.1.0, content 291') + 1;
    expect(lines[start]).toBe('  ---');
    const end = lines.indexOf('  ...', start);
    const d = parse(lines.slice(start + 1, end).map((l) => l.slice(2)).join('\n')) as { severity: string; crashes: { title: string; excerpt: string; boots: string[]; consoleLog: string }[] };
    expect(d.severity).toBe('fail');
    expect(d.crashes[0]).toMatchObject({ title: TITLE, boots: ['agent 1', 'agent 2'], consoleLog: 'cells/debian-6.1-generic__sensor-2.1.0__content-291/agent-1.log' });
    expect(d.crashes[0]!.excerpt).toBe(SHOWN);
  });
  it('escapes # in descriptions', () => {
    const t = renderTap(run([cell('img#1', '290')]));
    expect(t).toContain('ok 1 - img\\#1, sensor 2.1.0, content 290');
  });
});

describe('markdown reporter', () => {
  const r = fixtureRun();
  const md = renderMarkdown(r, { gate: gateOf(r) });
  it('verdict, matrix table, crash table', () => {
    expect(md.split('\n')[0]).toBe('## ❌ bootgate fixture: FAIL (exit 1)');
    expect(md).toContain('| image | sensor 2.1.0 / content 290 | sensor 2.1.0 / content 291 |');
    expect(md).toContain('| debian-6.1-generic | ✅ pass 3/3 | ❌ fail 0/2 boot loop |');
    expect(md).toContain('| debian-6.12-cloud | ⚠️ error 0/0 | ❌ fail 2/3 |');
    expect(md).toMatch(/\| BUG: kernel NULL pointer dereference in sensor\\_parse\\_channel \| null-deref \| sensor \| 2 \|/);
  });
  it('guest text is never markup', () => {
    const outsideFences = md.replace(/^(`{3,})text\n[\s\S]*?\n\1$/gm, '');
    expect(outsideFences).not.toMatch(/<script|<img|<\/textarea/i);
    expect(md).toContain('```text\n' + SHOWN);
  });
});

describe('html reporter', () => {
  const r = fixtureRun();
  const html = renderHtml(r, { gate: gateOf(r) });
  it('is one file with no script and no external asset, under a CSP that forbids both', () => {
    expect(html).not.toMatch(/<(script|img|link|iframe|object|embed|base)\b|\ssrc="|@import|url\(/i);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">`);
  });
  it('every piece of guest text is escaped', () => {
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&lt;/textarea&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain(escapeHtml(EVIL_TITLE));
    expect(html).toContain('2.1.0\n291 &lt;/textarea&gt;&lt;img');
    expect(html).toContain('href="./cells/debian-6.12-cloud__sensor-2.1.0__content-291/agent-2%20%22%3E%3Cscript%3Ex%3C/script%3E.log"');
    expect(html).not.toContain('\u001b');
  });
  it('the grid (images x build/content) coloured by verdict, charts, crash table, console log links', () => {
    expect([...html.matchAll(/<td class="cell v-(\w+)" data-cell="([^"]+)"/g)].map((m) => [m[2], m[1]])).toEqual([
      ['debian-6.1-generic__sensor-2.1.0__content-290', 'pass'],
      ['debian-6.1-generic__sensor-2.1.0__content-291', 'fail'],
      ['debian-6.12-cloud__sensor-2.1.0__content-290', 'error'],
      ['debian-6.12-cloud__sensor-2.1.0__content-291', 'fail'],
    ]);
    expect(html.match(/<svg class="boot-chart"/g)).toHaveLength(4);
    expect(html).toContain('<svg class="overhead-chart"');
    expect(html).toContain(`<strong>${TITLE}</strong>`);
    expect(html).toContain('<a class="console-log" href="./cells/debian-6.1-generic__sensor-2.1.0__content-291/agent-1.log">');
  });
  it('writes report.html in the run folder', async () => {
    const dir = mkdtempSync(join(tmp, 'html-'));
    const files = await new HtmlReporter().onEnd(r, dir, {});
    expect(files).toEqual([join(dir, 'report.html')]);
    expect(readFileSync(files[0]!, 'utf8')).toMatch(/^<!doctype html>/);
  });
});

describe('plain reporter', () => {
  it('implements Reporter: a line per event; at the end, the gate in one line per reason', async () => {
    const out: string[] = [];
    const p = new PlainReporter((l) => out.push(l));
    p.onEvent({ type: 'cell-end', cell: fixtureRun().cells[1]! });
    const r = fixtureRun();
    await p.onEnd(r, '/x', { gate: gateOf(r) });
    expect(out[0]).toMatch(/^\[00:00\] debian-6.1-generic__sensor-2.1.0__content-291: FAIL: boot loop: BUG/);
    expect(out[1]).toMatch(/^\[00:00\] gate FAIL \(exit 1\), policy from run.json:$/);
    expect(out.slice(2).every((l) => /^\[00:00\]   (bootLoop|bootSuccess|maxCrashes|lab): /.test(l))).toBe(true);
  });
  it('from a stored run (no events): a line per cell and per crash', async () => {
    const out: string[] = [];
    await new PlainReporter((l) => out.push(l)).onEnd(fixtureRun(), '/x');
    expect(out).toContain(`debian-6.1-generic__sensor-2.1.0__content-291: FAIL: boot loop: ${TITLE}`);
    expect(out).toContain(`crash x2: ${TITLE} [null-deref, sensor]`);
  });
});

describe('live reporter', () => {
  it('redraws one line per running cell and a summary with elapsed time and time left, in place', async () => {
    let now = 0;
    let out = '';
    const live = new LiveReporter({ write: (s: string) => (out += s), columns: 200 }, { now: () => now, tickMs: 3_600_000 });
    const tick = () => new Promise((r) => setImmediate(r));
    live.onEvent({ type: 'run-start', suite: 'fixture', runId: 'r1', runDir: '/res/r1', cells: 2, accel: 'TCG' });
    live.onEvent({ type: 'cell-start', cell: 'A' });
    live.onEvent({ type: 'cell-start', cell: 'B' });
    live.onEvent({ type: 'cycle-start', cell: 'A', phase: 'baseline', index: 1, kind: 'cold' });
    await tick();
    expect(out).toContain('\u001b[?25l'); // cursor hidden while drawing
    expect(out).toContain('  A  boots 0, agent 0 ok: baseline 1 booting (cold)');
    expect(out).toContain('0/2 cells done: 0 pass, 0 fail, 0 error; 2 running, 0 queued | elapsed 0s | estimating time left');
    now = 20_000;
    out = '';
    live.onEvent({ type: 'cycle-end', cell: 'A', cycle: ok('baseline', 1) });
    live.onEvent({ type: 'cycle-end', cell: 'B', cycle: { ...ok('agent', 1), booted: false, outcome: 'crash', crash: { os: 'linux', source: 'console', class: 'null-deref', title: TITLE, signature: 'x' } } });
    live.onEvent({ type: 'cell-end', cell: { ...fixtureRun().cells[1]!, id: 'B' } });
    await tick();
    expect(out.startsWith('\r\u001b[3A\u001b[J')).toBe(true); // the block drawn before (2 cells + summary) is erased
    expect(out).toContain(`[   20s] B: agent 1 (warm): CRASH: ${TITLE}`);
    expect(out).toContain('[   20s] B: FAIL: boot loop:');
    expect(out).toContain('  A  boots 1, agent 0 ok: baseline 1 ready');
    expect(out).toMatch(/1\/2 cells done: 0 pass, 1 fail, 0 error; 1 running, 0 queued \| elapsed 20s \| about \d+s left/);
    expect(live.estimateMs()).toBeGreaterThan(0);
    out = '';
    live.onEvent({ type: 'run-end', runDir: '/res/r1', verdict: 'fail', exitCode: 1 });
    expect(out).toContain('\u001b[?25h');
    expect(out.trimEnd().split('\n').at(-1)).toBe('verdict FAIL (exit 1); run.json: /res/r1/run.json');
  });
  it('cuts lines to the terminal width so the redraw stays in place', async () => {
    let out = '';
    const live = new LiveReporter({ write: (s: string) => (out += s), columns: 40 }, { now: () => 0, tickMs: 3_600_000 });
    live.onEvent({ type: 'run-start', suite: 'fixture', runId: 'r', runDir: '/r', cells: 1, accel: 'TCG' });
    live.onEvent({ type: 'cell-start', cell: 'a-very-long-cell-id-that-will-not-fit-the-terminal' });
    await new Promise((r) => setImmediate(r));
    const drawn = out.split('\n').filter((l) => l.includes('a-very-long'));
    expect(drawn[0]!.replace(/\u001b\[[^a-zA-Z]*[a-zA-Z]/g, '').length).toBeLessThanOrEqual(39);
    live.onEvent({ type: 'run-end', runDir: '/r', verdict: 'pass', exitCode: 0 });
  });
});

describe('choosing reporters', () => {
  it('--reporter: comma-separated or repeated, deduplicated, unknown names refused', () => {
    expect(parseReporterNames(['junit,html', 'tap', ' junit '])).toEqual(['junit', 'html', 'tap']);
    expect(() => parseReporterNames(['junit,xml'])).toThrow(ConfigError);
    expect(() => parseReporterNames(['xml'])).toThrow(/unknown reporter "xml" \(known: live, plain, junit, tap, markdown, html, json\)/);
  });
  it('default: live on a TTY, plain otherwise and under CI; file reporters keep a console reporter', () => {
    const env = (isTTY: boolean, ci: boolean) => ({ isTTY, ci, dumb: false });
    expect(runReporterNames([], env(true, false))).toEqual(['live']);
    expect(runReporterNames([], env(false, false))).toEqual(['plain']);
    expect(runReporterNames([], env(true, true))).toEqual(['plain']);
    expect(runReporterNames(['live', 'junit'], env(false, false))).toEqual(['plain', 'junit']);
    expect(runReporterNames(['junit', 'html'], env(true, false))).toEqual(['live', 'junit', 'html']);
    expect(runReporterNames(['plain', 'live'], env(true, false))).toEqual(['live']);
  });
  it('CI=true (or 1) counts as CI; CI=false does not', () => {
    expect(consoleEnv({ isTTY: true }, { CI: 'true' })).toEqual({ isTTY: true, ci: true, dumb: false });
    expect(consoleEnv({ isTTY: true }, { CI: '1' }).ci).toBe(true);
    expect(consoleEnv({ isTTY: true }, { CI: 'false' }).ci).toBe(false);
    expect(consoleEnv({ isTTY: undefined }, {})).toEqual({ isTTY: false, ci: false, dumb: false });
  });
});
