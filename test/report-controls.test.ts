/**
 * Issue #17: NUL, ESC, BEL and Unicode's right-to-left override from a guest console reach no
 * human-facing output raw: summary.md, report.html, junit.xml, results.tap, the plain and live
 * views, `bootgate gate` reasons, `bootgate report` listings, `bootgate detect`. Each is shown
 * visibly (`\x00`, `\x07`, `\u202e`; escape sequences removed). run.json and gate.json keep the
 * raw text, JSON-escaped. Every output is made by the real CLI from a run folder on disk.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveReporter } from '../harness/report/live-reporter.js';
import { evaluateGate } from '../harness/gate/evaluate.js';
import { RunStore } from '../harness/results/run-store.js';
import type { RunResult } from '../harness/results/schema.js';
import { bootgate } from './cli-helpers.js';
import { cell, crashed, ok, run } from './fixtures/report-run.js';

/** What a guest console can print into a crash title: NUL, a clear-screen sequence, BEL, a right-to-left override. */
const T = 'BUG: sensor nul\u0000 esc\u001b[2J bel\u0007 rlo\u202egnp.exe end';
/** Any control but line feed and tab, and every bidirectional formatting character. */
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
/** Each of them, as the reader sees it. */
const VISIBLE = ['nul\\x00', 'bel\\x07', 'rlo\\u202egnp.exe'];

const tmp = mkdtempSync(join(tmpdir(), 'bootgate-controls-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const results = join(tmp, 'results');
const dir = join(results, 'hostile-20260110-100000-abcd');

/** Guest text everywhere a run carries it: title, excerpt, module, function, health output, boot error, install error, reason. */
function hostileRun(): RunResult {
  const bad = 'img__sensor-2.1.0__content-291';
  const c = crashed(2, { cell: bad, title: T, excerpt: `[    8.2] ${T}\n[    8.3] more ${T}` });
  return run(
    [
      cell('img', '291', {
        verdict: 'fail',
        reason: `maxCrashes: ${T}`,
        cycles: [ok('agent', 1, { cell: bad, health: T }), { ...c, crash: { ...c.crash!, module: `sensor\u202e`, function: `parse\u0000${T}` } }],
      }),
      cell('img', '290', {
        verdict: 'error',
        reason: `baseline boot 1 failed: ${T}`,
        baseline: [{ ...ok('baseline', 1), booted: false, outcome: 'lab-error', error: T }],
        cycles: [],
        install: { ok: false, ms: 10, error: T },
      }),
    ],
    { id: 'hostile-20260110-100000-abcd' },
  );
}
const r = hostileRun();

const shownEverywhere = (out: string, what: string) => {
  expect(out, what).not.toMatch(RAW);
  for (const v of VISIBLE) expect(out, `${what}: ${v}`).toContain(v);
};

beforeAll(async () => {
  mkdirSync(dir, { recursive: true });
  await new RunStore(dir, r).init(); // run.json as a run writes it
});

describe('control and bidi characters from a guest, through every human-facing output', () => {
  it('run.json keeps the raw text, JSON-escaped: no raw control or override in the file', () => {
    const text = readFileSync(join(dir, 'run.json'), 'utf8');
    expect(text.replaceAll('\n', '')).not.toMatch(RAW);
    expect(text).toContain('\\u202e');
    expect((JSON.parse(text) as RunResult).cells[0]!.cycles[1]!.crash!.title).toBe(T);
  });

  it('bootgate report RUN --reporter junit,tap,markdown,html: each file shows them, none raw', async () => {
    const c = await bootgate(['report', dir, '--reporter', 'junit,tap,markdown,html']);
    expect(c.code, c.stderr).toBe(0);
    for (const f of ['summary.md', 'report.html', 'junit.xml', 'results.tap']) {
      const text = readFileSync(join(dir, f), 'utf8');
      // Markdown escapes the backslash of \x00 once more: what it renders is \x00.
      shownEverywhere(f === 'summary.md' ? text.replaceAll('\\\\', '\\') : text, f);
    }
    for (const xsd of ['junit.xsd', 'jenkins-junit-10.xsd'].map((x) => new URL(`./fixtures/${x}`, import.meta.url).pathname)) {
      expect(() => execFileSync('xmllint', ['--noout', '--schema', xsd, join(dir, 'junit.xml')], { stdio: 'pipe' }), xsd).not.toThrow();
    }
  });

  it('bootgate report RUN (the plain view) and bootgate report RESULTS (the listing)', async () => {
    const plain = await bootgate(['report', dir]);
    shownEverywhere(plain.stderr, 'report plain');
    const listing = await bootgate(['report', results]);
    expect(listing.stdout + listing.stderr).not.toMatch(RAW);
  });

  it('bootgate gate: reasons on stderr shown, gate.json and --json keep the raw text JSON-escaped', async () => {
    const g = await bootgate(['gate', dir]);
    expect(g.code).toBe(1);
    shownEverywhere(g.stderr, 'gate stderr');
    const file = readFileSync(join(dir, 'gate.json'), 'utf8');
    expect(file.replaceAll('\n', '')).not.toMatch(RAW);
    expect(file).toContain('\\u202e');
    const j = await bootgate(['gate', dir, '--json']);
    expect(j.stdout.replaceAll('\n', '')).not.toMatch(RAW);
    expect((JSON.parse(j.stdout) as { reasons: string[] }).reasons.join('\n')).toContain(T);
  });

  it('the live view: its own cursor sequences only', async () => {
    let out = '';
    const live = new LiveReporter({ write: (s: string) => (out += s), columns: 400 }, { now: () => 0, tickMs: 3_600_000 });
    live.onEvent({ type: 'run-start', suite: 'fixture', runId: r.id, runDir: dir, cells: 2, accel: 'TCG' });
    live.onEvent({ type: 'cycle-end', cell: r.cells[0]!.id, cycle: r.cells[0]!.cycles[1]! });
    live.onEvent({ type: 'cell-end', cell: r.cells[0]! });
    await new Promise((res) => setImmediate(res));
    live.onEvent({ type: 'run-end', runDir: dir, verdict: 'fail', exitCode: 1 });
    await live.onEnd(r, dir, { gate: evaluateGate(r, r.gate!, { now: new Date('2026-03-01T00:00:00Z'), policySource: 'run.json' }) });
    shownEverywhere(out.replace(/\r\u001b\[\d+A\u001b\[J|\u001b\[\?25[lh]/g, ''), 'live');
  });

  it('bootgate detect: a console log with them in the crash line', async () => {
    const log = join(tmp, 'console.log');
    writeFileSync(log, `[    1.000000] Linux version 6.1.0\n[    3.449904] Kernel panic - not syncing: sensor nul\u0000 esc\u001b[2J bel\u0007 rlo\u202egnp.exe end\n`);
    const c = await bootgate(['detect', log]);
    expect(c.code).toBe(1);
    // The console reader drops NUL (serial line noise) before it titles the crash; the rest is shown.
    expect(c.stdout).not.toMatch(RAW);
    expect(c.stdout).toContain('kernel panic: sensor nul esc bel\\x07 rlo\\u202egnp.exe end');
    const j = await bootgate(['detect', '--json', log]);
    expect(j.stdout.replaceAll('\n', '')).not.toMatch(RAW);
  });
});
