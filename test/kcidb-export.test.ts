import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluateGate } from '../harness/gate/evaluate.js';
import { kcidbFromRun, type KcidbData } from '../harness/report/kcidb.js';
import type { RunResult } from '../harness/results/schema.js';
import { bootgate } from './cli-helpers.js';
import { cell, crashed, fixtureRun, hostileRun, HOSTILE_TITLE, ok, run, TITLE } from './fixtures/report-run.js';
import { schemaFile, schemaValidator } from './schema-validator.js';

/** KCIDB's own JSON Schema, I/O version 4.5 (see test/fixtures/kcidb/NOTICE). */
const validKcidb = schemaValidator(schemaFile(new URL('./fixtures/kcidb/kcidb.v04_05.schema.json', import.meta.url).pathname));
const tmp = mkdtempSync(join(tmpdir(), 'bootgate-kcidb-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const ID = 'fixture-20260110-100000-abcd';
const byId = (d: KcidbData, id: string) => d.tests.find((t) => t.id === id)!;

/** Every *_id points at an object of the data, and ids are unique per kind. */
function linked(d: KcidbData): string[] {
  const problems: string[] = [];
  const ids = (xs: { id: string }[]) => new Set(xs.map((x) => x.id));
  for (const [kind, xs] of Object.entries({ checkouts: d.checkouts, builds: d.builds, tests: d.tests, issues: d.issues, incidents: d.incidents })) {
    if (ids(xs).size !== xs.length) problems.push(`${kind}: duplicate ids`);
  }
  for (const b of d.builds) if (!ids(d.checkouts).has(b.checkout_id)) problems.push(`build ${b.id}: no checkout ${b.checkout_id}`);
  for (const t of d.tests) if (!ids(d.builds).has(t.build_id)) problems.push(`test ${t.id}: no build ${t.build_id}`);
  for (const i of d.incidents) {
    if (!ids(d.issues).has(i.issue_id)) problems.push(`incident ${i.id}: no issue`);
    if (!ids(d.tests).has(i.test_id)) problems.push(`incident ${i.id}: no test`);
  }
  return problems;
}

describe('KCIDB export of a run (pure)', () => {
  const d = kcidbFromRun(fixtureRun(), { origin: 'bootgate', logBase: 'https://ci.example.org/runs/r1' });

  it("fits KCIDB's published JSON Schema (I/O 4.5), every link resolving", () => {
    expect(validKcidb(d)).toEqual([]);
    expect(linked(d)).toEqual([]);
    expect(d.version).toEqual({ major: 4, minor: 5 });
  });

  it('one checkout for the run, one build per image kernel', () => {
    expect(d.checkouts.map((c) => c.id)).toEqual([`bootgate:${ID}`]);
    expect(d.builds.map((b) => [b.id, b.config_name, b.architecture, b.misc.kernel_release])).toEqual([
      [`bootgate:${ID}/debian-6.1-generic`, 'debian-6.1-generic', 'x86_64', '6.1.0-56-amd64'],
      [`bootgate:${ID}/debian-6.12-cloud`, 'debian-6.12-cloud', 'x86_64', '6.12.57+deb13-amd64'],
    ]);
  });

  it('a test per cell with the verdict as status: pass PASS, fail FAIL, the lab before any agent boot MISS', () => {
    const cells = d.tests.filter((t) => t.path === 'bootgate.sensor');
    expect(cells.map((t) => [t.id.split('/')[1], t.status])).toEqual([
      ['debian-6.1-generic__sensor-2.1.0__content-290', 'PASS'],
      ['debian-6.1-generic__sensor-2.1.0__content-291', 'FAIL'],
      ['debian-6.12-cloud__sensor-2.1.0__content-290', 'MISS'],
      ['debian-6.12-cloud__sensor-2.1.0__content-291', 'FAIL'],
    ]);
    expect(cells[1]!.misc).toMatchObject({ agent: 'sensor', build: '2.1.0', content: '291', verdict: 'fail', boot_loop: true });
  });

  it('a test per boot and per install: ready PASS, crash or timeout FAIL, with log link, excerpt and time to ready', () => {
    const cellId = `bootgate:${ID}/debian-6.1-generic__sensor-2.1.0__content-291`;
    expect(byId(d, `${cellId}/install`)).toMatchObject({ path: 'bootgate.sensor.install', status: 'PASS', duration: 1.5 });
    expect(byId(d, `${cellId}/baseline-1`)).toMatchObject({ path: 'bootgate.sensor.baseline', status: 'PASS', number: { unit: 's' } });
    const crash = byId(d, `${cellId}/agent-1`);
    expect(crash).toMatchObject({ path: 'bootgate.sensor.boot', status: 'FAIL', log_url: 'https://ci.example.org/runs/r1/cells/debian-6.1-generic__sensor-2.1.0__content-291/agent-1.log' });
    expect(crash.log_excerpt).toContain('BUG: kernel NULL pointer dereference, address: 0000000000000008');
    const timeout = byId(d, `bootgate:${ID}/debian-6.12-cloud__sensor-2.1.0__content-290/baseline-1`);
    expect(timeout.status).toBe('FAIL');
    // A hostile console log path: each of its segments encoded, never a new scheme, query or a way up.
    expect(byId(d, `bootgate:${ID}/debian-6.12-cloud__sensor-2.1.0__content-291/agent-2`).log_url).toBe('https://ci.example.org/runs/r1/cells/debian-6.12-cloud__sensor-2.1.0__content-291/agent-2%20%22%3E%3Cscript%3Ex%3C/script%3E.log');
    const up = run([cell('img', '290', { cycles: [{ ...ok('agent', 1), consoleLog: '../../../etc/passwd?x=1#y' }] })]);
    const upTests = kcidbFromRun(up, { origin: 'bootgate', logBase: 'https://ci.example.org/runs/r1/' }).tests;
    expect(upTests.find((t) => t.id.endsWith('/agent-1'))!.log_url).toBeUndefined();
    expect(upTests.find((t) => t.id.endsWith('/baseline-1'))!.log_url).toBe('https://ci.example.org/runs/r1/cells/img__sensor-2.1.0__content-290/baseline-1.log');
  });

  it('an issue per distinct crash signature, an incident per boot it hit', () => {
    expect(d.issues.map((i) => i.comment).sort()).toEqual([TITLE, 'WARNING in sensor_<b>hook</b> & <script>alert(1)</script>'].sort());
    const loop = d.issues.find((i) => i.comment === TITLE)!;
    expect(loop.id).toMatch(/^bootgate:[0-9a-f]{64}$/);
    expect(loop.misc).toMatchObject({ class: 'null-deref', module: 'sensor', function: 'sensor_parse_channel' });
    expect(d.incidents.filter((i) => i.issue_id === loop.id).map((i) => i.test_id)).toEqual([
      `bootgate:${ID}/debian-6.1-generic__sensor-2.1.0__content-291/agent-1`,
      `bootgate:${ID}/debian-6.1-generic__sensor-2.1.0__content-291/agent-2`,
    ]);
    expect(d.incidents).toHaveLength(3);
  });

  it('the gate decides cell statuses: an allowed crash makes its cell PASS', () => {
    const r = fixtureRun();
    const gate = evaluateGate(r, { ...r.gate!, allow: [{ title: 'WARNING in sensor_<b>hook</b> & <script>alert(1)</script>', reason: 'known', expires: '2099-12-31' }] }, { now: new Date('2026-03-01T00:00:00Z'), policySource: 'test' });
    const g = kcidbFromRun(r, { origin: 'lab_1', gate });
    expect(byId(g, `lab_1:${ID}/debian-6.12-cloud__sensor-2.1.0__content-291`).status).toBe('PASS');
    expect(validKcidb(g)).toEqual([]);
  });

  it('an unfinished run: an interrupted cell with boots is ERROR, one never started MISS; lifecycle steps are tests of their own', () => {
    const id = 'img__sensor-2.1.0__content-290';
    const r: RunResult = run(
      [
        cell('img', '290', {
          steps: [
            { index: 1, action: 'install', ok: true, ms: 900 },
            { index: 2, action: 'update-content', version: '292', ok: false, ms: 300, error: 'no such file' },
          ],
          cycles: [ok('agent', 1, { cell: id })],
          stopped: { cause: 'interrupted', message: 'the run was stopped' },
          verdict: 'error',
        }),
        cell('img2', '290', { status: 'pending', verdict: undefined, baseline: [], cycles: [], install: undefined }),
      ],
      { status: 'interrupted' },
    );
    const e = kcidbFromRun(r, { origin: 'bootgate' });
    expect(validKcidb(e)).toEqual([]);
    expect(e.tests.filter((t) => t.path === 'bootgate.sensor').map((t) => t.status)).toEqual(['ERROR', 'MISS']);
    expect(e.tests.filter((t) => /step-/.test(t.id)).map((t) => [t.path, t.status])).toEqual([
      ['bootgate.sensor.install', 'PASS'],
      ['bootgate.sensor.update-content', 'ERROR'],
    ]);
    // No log base: no log_url (a relative path is no URI); the console log stays in misc.
    expect(e.tests.some((t) => 'log_url' in t)).toBe(false);
    expect(byId(e, `bootgate:${ID}/${id}/agent-1`).misc.console_log).toBe(`cells/${id}/agent-1.log`);
  });

  it('keeps guest text raw (JSON escapes it): the schema holds with controls in titles and excerpts', () => {
    const h = kcidbFromRun(hostileRun(), { origin: 'bootgate' });
    expect(validKcidb(h)).toEqual([]);
    expect(h.issues[0]!.comment).toBe(HOSTILE_TITLE);
  });

  it('cuts an excerpt to KCIDB\u2019s 16384 characters', () => {
    const long = run([cell('img', '291', { verdict: 'fail', cycles: [crashed(1, { cell: 'c', excerpt: 'x'.repeat(20_000) })] })]);
    const l = kcidbFromRun(long, { origin: 'bootgate' });
    expect(validKcidb(l)).toEqual([]);
    expect(l.tests.find((t) => t.log_excerpt)!.log_excerpt).toHaveLength(16384);
  });

  it('the schema is a real check: it refuses an id without its origin and an unknown status', () => {
    const bad = structuredClone(d);
    bad.tests[0]!.id = 'no-origin';
    (bad.tests[1] as { status: string }).status = 'BROKEN';
    expect(validKcidb(bad)).toEqual(['/tests/0/id: must match pattern "^[a-z0-9_]+:.*$"', '/tests/1/status: must be equal to one of the allowed values']);
  });
});

describe('bootgate export --kcidb (the command)', () => {
  const runDir = join(tmp, ID);
  mkdirSync(runDir);
  writeFileSync(join(runDir, 'run.json'), JSON.stringify(fixtureRun()));

  it('writes KCIDB JSON to stdout, or to -o FILE and prints its path', async () => {
    const r = await bootgate(['export', '--kcidb', runDir, '--origin', 'my_lab']);
    expect(r.code, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout) as KcidbData;
    expect(validKcidb(d)).toEqual([]);
    expect(d.checkouts[0]!.id).toBe(`my_lab:${ID}`);
    const file = join(tmp, 'kcidb.json');
    const o = await bootgate(['export', '--kcidb', join(runDir, 'run.json'), '-o', file]);
    expect(o.code, o.stderr).toBe(0);
    expect(o.stdout).toBe(`${file}\n`);
    expect(validKcidb(JSON.parse(readFileSync(file, 'utf8')))).toEqual([]);
  });

  it('bad input: one line naming what is wrong, exit 2', async () => {
    const broken = join(tmp, 'broken');
    mkdirSync(broken);
    writeFileSync(join(broken, 'run.json'), JSON.stringify({ ...fixtureRun(), status: 'exploded' }));
    const cases: [string[], RegExp][] = [
      [['export', '--kcidb', broken], new RegExp(`^bootgate: error: ${join(broken, 'run.json')}: status: not a bootgate.run/v1 file: `)],
      [['export', '--kcidb', join(tmp, 'nope')], /^bootgate: error: .*nope: no such run folder\n$/],
      [['export', runDir], /^bootgate: error: export: say the format: --kcidb/],
      [['export', '--kcidb', runDir, '--origin', 'My-Lab'], /^bootgate: error: --origin: "My-Lab" is no KCIDB origin/],
      [['export', '--kcidb', runDir, '--log-base', 'runs/r1'], /^bootgate: error: --log-base: "runs\/r1" is not an absolute URL/],
      [['export', '--kcidb', runDir, '-o', join(tmp, 'no-dir', 'k.json')], /^bootgate: error: .*k\.json: cannot write the export \(ENOENT/],
    ];
    for (const [args, line] of cases) {
      const r = await bootgate(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.split('\n').filter(Boolean), args.join(' ')).toHaveLength(1);
      expect(r.stderr).toMatch(line);
    }
  });
});
