/**
 * Issue #14: a crash title is guest text, and a guest controls its console. Control characters in
 * it (ESC sequences, NUL, BEL, CR, U+009B CSI) reach no human-facing output raw: not the terminal
 * (live, plain, `bootgate gate`, `bootgate detect`, `bootgate compare`), not Markdown, HTML, JUnit
 * or TAP. run.json keeps the raw text, JSON-escaped.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluateGate } from '../harness/gate/evaluate.js';
import { renderHtml } from '../harness/report/html-reporter.js';
import { renderJunit } from '../harness/report/junit-reporter.js';
import { LiveReporter } from '../harness/report/live-reporter.js';
import { renderMarkdown } from '../harness/report/markdown-reporter.js';
import { PlainReporter } from '../harness/report/plain-reporter.js';
import { renderTap } from '../harness/report/tap-reporter.js';
import { RunStore } from '../harness/results/run-store.js';
import type { RunResult } from '../harness/results/schema.js';
import { bootgate } from './cli-helpers.js';
import { HOSTILE_TITLE, hostileRun, RAW_CONTROL, run } from './fixtures/report-run.js';

const tmp = mkdtempSync(join(tmpdir(), 'bootgate-hostile-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const r = hostileRun();
const gate = evaluateGate(r, r.gate!, { now: new Date('2026-03-01T00:00:00Z'), policySource: 'run.json' });
/** What the reader sees of the title: sequences gone, the other controls as \xNN. */
const SHOWN = 'BUG: sensor cleared reset title nul\\x00 bel\\x07 cr\\x0dFAKE PASS csired del\\x7f';

const clean = (out: string, what: string) => {
  expect(out, what).not.toMatch(RAW_CONTROL);
  expect(out, what).not.toContain('\u001b');
};

describe('a hostile crash title in every human-facing output', () => {
  it('the gate says why with the title in it (so every output below gets it)', () => {
    expect(gate.reasons.join('\n')).toContain(HOSTILE_TITLE);
  });

  it.each([
    ['Markdown', () => renderMarkdown(r, { gate })],
    ['HTML', () => renderHtml(r, { gate })],
    ['JUnit', () => renderJunit(r, { gate })],
    ['TAP', () => renderTap(r, { gate })],
  ])('%s: no control character raw, the title shown', (what, render) => {
    const out = render();
    clean(out, what);
    // Markdown escapes the backslash of \xNN once more.
    expect(out).toContain(what === 'Markdown' ? 'nul\\\\x00 bel\\\\x07' : 'nul\\x00 bel\\x07');
  });

  it('plain reporter: every line printable, events and the gate at the end', async () => {
    const lines: string[] = [];
    const p = new PlainReporter((l) => lines.push(l));
    p.onEvent({ type: 'cycle-end', cell: r.cells[0]!.id, cycle: r.cells[0]!.cycles[1]! });
    p.onEvent({ type: 'cell-end', cell: r.cells[0]! });
    await p.onEnd(r, tmp, { gate });
    clean(lines.join('\n'), 'plain');
    expect(lines.some((l) => l.includes(SHOWN))).toBe(true);
    expect(lines.join('\n').split('\n')).toHaveLength(lines.length); // no line of the guest's own
  });

  it('live reporter: its own cursor sequences only, the title shown', async () => {
    let out = '';
    const live = new LiveReporter({ write: (s: string) => (out += s), columns: 400 }, { now: () => 0, tickMs: 3_600_000 });
    live.onEvent({ type: 'prepare', message: `preparing ${HOSTILE_TITLE}` });
    live.onEvent({ type: 'run-start', suite: 'fixture', runId: 'r', runDir: tmp, cells: 1, accel: 'TCG' });
    live.onEvent({ type: 'cycle-end', cell: r.cells[0]!.id, cycle: r.cells[0]!.cycles[1]! });
    live.onEvent({ type: 'cell-end', cell: r.cells[0]! });
    await new Promise((res) => setImmediate(res));
    live.onEvent({ type: 'run-end', runDir: tmp, verdict: 'fail', exitCode: 1 });
    await live.onEnd(r, tmp, { gate });
    const own = /\r\u001b\[\d+A\u001b\[J|\u001b\[\?25[lh]/g;
    clean(out.replace(own, ''), 'live');
    expect(out).toContain(SHOWN);
  });

  it('run.json keeps the raw title, JSON-escaped: the file has no raw control, reading it back gives the title', async () => {
    const dir = join(tmp, 'run');
    mkdirSync(dir);
    await new RunStore(dir, r).init();
    const text = readFileSync(join(dir, 'run.json'), 'utf8');
    expect(text.replaceAll('\n', '')).not.toMatch(RAW_CONTROL);
    expect((JSON.parse(text) as RunResult).cells[0]!.cycles[1]!.crash!.title).toBe(HOSTILE_TITLE);
  });
});

describe('a hostile crash title through the CLI', () => {
  const write = (name: string, run: RunResult) => {
    const d = join(tmp, name);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'run.json'), JSON.stringify(run, null, 2));
    return d;
  };

  it('bootgate gate: its reasons on stderr are printable; gate.json and --json keep the raw title', async () => {
    const d = write('gate', r);
    const c = await bootgate(['gate', d]);
    expect(c.code).toBe(1);
    clean(c.stderr, 'gate stderr');
    expect(c.stderr).toContain(SHOWN);
    const j = await bootgate(['gate', d, '--json']);
    clean(j.stdout.replaceAll('\n', ''), 'gate --json');
    expect(JSON.stringify(JSON.parse(j.stdout))).toContain(JSON.stringify(HOSTILE_TITLE).slice(1, -1));
  });

  it('bootgate compare: a new crash signature with a hostile title is printed printable', async () => {
    const a = write('A', run([{ ...r.cells[0]!, verdict: 'pass', reason: 'ok', cycles: [r.cells[0]!.cycles[0]!] }], { id: 'A' }));
    const b = write('B', r);
    const c = await bootgate(['compare', a, b, '--markdown', join(tmp, 'cmp.md')]);
    clean(c.stdout, 'compare stdout');
    expect(c.stdout).toContain(SHOWN);
    clean(readFileSync(join(tmp, 'cmp.md'), 'utf8'), 'compare markdown');
  });

  it('bootgate detect: a console whose crash line carries control sequences prints them as text', async () => {
    const log = join(tmp, 'console.log');
    writeFileSync(log, `[    1.000000] Linux version 6.1.0\n[    3.449904] Kernel panic - not syncing: sensor \u001b[2Jcleared \u001bcreset nul\u0000 bel\u0007 cr\rFAKE csi\u009b31mred\n`);
    const c = await bootgate(['detect', log]);
    expect(c.code).toBe(1);
    clean(c.stdout, 'detect');
    expect(c.stdout).toMatch(/kernel panic: sensor cleared reset/);
    const j = await bootgate(['detect', '--json', log]);
    clean(j.stdout.replaceAll('\n', ''), 'detect --json');
  });
});
