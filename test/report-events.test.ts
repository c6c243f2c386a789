import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eventLines } from '../harness/report/event-lines.js';
import { EVENTS_FILE, JsonEventsReporter } from '../harness/report/json-reporter.js';
import { parseReporterNames, parseReporterSpecs, runReporterNames } from '../harness/report/registry.js';
import type { RunEvent } from '../harness/run/events.js';
import { ConfigError } from '../harness/util/errors.js';
import { bootgate, ROOT } from './cli-helpers.js';
import { cell, crashed, fixtureRun, HOSTILE_TITLE, ok, RAW_CONTROL } from './fixtures/report-run.js';
import { schemaFile, schemaValidator } from './schema-validator.js';

const tmp = mkdtempSync(join(tmpdir(), 'bootgate-events-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const validLine = schemaValidator(schemaFile(join(ROOT, 'schemas/events.schema.json')));

const CELL = 'img__sensor-2.1.0__content-291';
/** Guest text with every character a line reader or a terminal could trip on, U+2028 included. */
const GUEST = `${HOSTILE_TITLE} ls\u2028ps\u2029 "q" \\ end`;

/** A run as the runner tells it: one cell, a good baseline, install, a good boot, a crash (hostile title), the verdict. */
function recorded(runDir: string): RunEvent[] {
  const bad = crashed(2, { cell: CELL, title: GUEST, excerpt: `[ 8.2] ${GUEST}` });
  const c = cell('img', '291', { verdict: 'fail', reason: `maxCrashes: ${GUEST}`, cycles: [ok('agent', 1, { cell: CELL }), bad] });
  return [
    { type: 'prepare', message: 'image debian-6.1-generic: cached' },
    { type: 'run-start', suite: 'fixture', runId: 'fixture-1', runDir, cells: 1, accel: 'TCG', bootsPerCell: 4 },
    { type: 'cell-start', cell: CELL },
    { type: 'cycle-start', cell: CELL, phase: 'baseline', index: 1, kind: 'cold' },
    { type: 'cycle-end', cell: CELL, cycle: c.baseline[0]! },
    { type: 'install', cell: CELL, ok: true, ms: 1500 },
    { type: 'cycle-start', cell: CELL, phase: 'agent', index: 1, kind: 'warm' },
    { type: 'cycle-end', cell: CELL, cycle: c.cycles[0]! },
    { type: 'cycle-start', cell: CELL, phase: 'agent', index: 2, kind: 'warm' },
    { type: 'cycle-end', cell: CELL, cycle: bad },
    { type: 'cell-end', cell: c },
    { type: 'run-end', runDir, verdict: 'fail', exitCode: 1 },
  ];
}
const TYPES = ['prepare', 'run-start', 'cell-start', 'boot-start', 'boot-end', 'install', 'boot-start', 'boot-end', 'boot-start', 'boot-end', 'crash', 'cell-end', 'run-end'];

const parse = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('event lines (bootgate.events/v1)', () => {
  const at = new Date('2026-01-10T10:00:00.000Z');
  const lines = recorded('/res/fixture-1').flatMap((e) => eventLines(e, at));

  it('one line per event, a crash line after the boot that crashed; each fits schemas/events.schema.json', () => {
    expect(lines.map((l) => l.type)).toEqual(TYPES);
    for (const l of lines) {
      expect(l).toMatchObject({ version: 'bootgate.events/v1', at: '2026-01-10T10:00:00.000Z' });
      expect(validLine(l), JSON.stringify(l)).toEqual([]);
    }
  });
  it('says what a dashboard needs: expected boots, cycle and outcome, the crash record, verdicts and exit code', () => {
    expect(lines[1]).toMatchObject({ suite: 'fixture', runId: 'fixture-1', cells: 1, bootsPerCell: 4, expectedBoots: 4 });
    expect(lines[9]).toMatchObject({ type: 'boot-end', cell: CELL, phase: 'agent', cycle: 2, outcome: 'crash', booted: false, crash: { title: GUEST } });
    expect(lines[7]).toMatchObject({ type: 'boot-end', cycle: 1, outcome: 'ready', bootMs: 15_500, readyMs: 15_900 });
    expect(lines[10]).toMatchObject({ type: 'crash', cycle: 2, crash: { class: 'null-deref', module: 'sensor', title: GUEST } });
    expect(lines[11]).toMatchObject({ type: 'cell-end', verdict: 'fail', image: 'img', agent: 'sensor', build: '2.1.0', content: '291', booted: 1, boots: 2 });
    expect(lines[12]).toMatchObject({ type: 'run-end', verdict: 'fail', exitCode: 1 });
  });
  it('the schema refuses a line without its version, or of a type it does not know', () => {
    const { version: _v, ...bare } = lines[2]!;
    expect(validLine(bare)).not.toEqual([]);
    expect(validLine({ ...lines[2], type: 'cell-begin' })).not.toEqual([]);
  });
});

describe('json reporter', () => {
  it('writes each event to the file as it happens: a reader sees every line at once, raw text escaped onto one line', async () => {
    const file = join(tmp, 'stream.ndjson');
    const r = new JsonEventsReporter(file);
    const events = recorded(join(tmp, 'run'));
    const seen: number[] = [];
    for (const e of events) {
      r.onEvent(e);
      seen.push(parse(readFileSync(file, 'utf8')).length);
    }
    // Flushed per event: the count grows with every event (two lines for the crashed boot).
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13]);
    expect(await r.onEnd()).toEqual([file]);
    const text = readFileSync(file, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(text).not.toMatch(RAW_CONTROL);
    expect(text).not.toMatch(/[\u2028\u2029]/);
    const back = parse(text);
    expect(back.map((l) => l.type)).toEqual(TYPES);
    // Escaped, never altered: the guest's text reads back exactly.
    expect((back[10]!.crash as { title: string }).title).toBe(GUEST);
    for (const l of back) expect(validLine(l)).toEqual([]);
  });

  it('with no target: events.ndjson in the run folder, with what came before the folder existed', async () => {
    const runDir = join(tmp, 'run-default');
    mkdirSync(runDir);
    const r = new JsonEventsReporter();
    for (const e of recorded(runDir)) r.onEvent(e);
    expect(await r.onEnd()).toEqual([join(runDir, EVENTS_FILE)]);
    expect(parse(readFileSync(join(runDir, EVENTS_FILE), 'utf8')).map((l) => l.type)).toEqual(TYPES);
  });

  it('- writes to standard output, line by line', async () => {
    const chunks: string[] = [];
    const r = new JsonEventsReporter('-', (t) => chunks.push(t));
    for (const e of recorded(join(tmp, 'run'))) r.onEvent(e);
    expect(await r.onEnd()).toEqual([]);
    expect(chunks).toHaveLength(12);
    expect(chunks.every((c) => c.endsWith('\n'))).toBe(true);
    expect(parse(chunks.join('')).map((l) => l.type)).toEqual(TYPES);
  });

  it('a file it cannot create is a configuration error naming it, before the run starts', () => {
    const file = join(tmp, 'no-such-folder', 'events.ndjson');
    expect(() => new JsonEventsReporter(file)).toThrow(ConfigError);
    expect(() => new JsonEventsReporter(file)).toThrow(/cannot write the event stream \(ENOENT/);
  });
});

describe('--reporter json[=TARGET]', () => {
  it('a target runs to the end of the value, commas included; other reporters take none', () => {
    expect(parseReporterSpecs(['html,json=out/a,b.ndjson', 'junit'])).toEqual([{ name: 'html' }, { name: 'json', target: 'out/a,b.ndjson' }, { name: 'junit' }]);
    expect(parseReporterSpecs(['json=-', 'json=-'])).toEqual([{ name: 'json', target: '-' }]);
    expect(parseReporterSpecs(['json'])).toEqual([{ name: 'json' }]);
    expect(() => parseReporterSpecs(['html=report.html'])).toThrow(/reporter html takes no target/);
    expect(() => parseReporterSpecs(['json='])).toThrow(/json= needs a file, or - for standard output/);
    expect(() => parseReporterSpecs(['json=a', 'json=b'])).toThrow(/given twice with different targets \(a, b\)/);
    expect(parseReporterNames(['plain,json=x'])).toEqual(['plain', 'json']);
  });
  it('a run with the stream keeps its console reporter (on stderr)', () => {
    expect(runReporterNames(['json'], { isTTY: false, ci: true, dumb: false })).toEqual(['plain', 'json']);
  });
  it('bootgate run and report refuse what they cannot do: exit 2, one line', async () => {
    const html = await bootgate(['run', 'suites/quickstart.yaml', '--reporter', 'html=x.html']);
    expect(html.code).toBe(2);
    expect(html.stderr).toBe('bootgate: error: --reporter: reporter html takes no target ("html=x.html"): only json does, as json=FILE or json=-\n');
    const bad = await bootgate(['run', 'suites/quickstart.yaml', '--reporter', `json=${join(tmp, 'missing', 'e.ndjson')}`]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(`bootgate: error: ${join(tmp, 'missing', 'e.ndjson')}: cannot write the event stream (ENOENT: no such file or folder)\n`);
    mkdirSync(join(tmp, 'stored'));
    writeFileSync(join(tmp, 'stored', 'run.json'), JSON.stringify(fixtureRun()));
    const stored = await bootgate(['report', join(tmp, 'stored'), '--reporter', 'json']);
    expect(stored.code).toBe(2);
    expect(stored.stderr).toMatch(/^bootgate: error: --reporter: the json reporter streams the events of a run as it goes/);
  });
});
