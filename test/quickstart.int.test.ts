import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runSchema } from '../harness/results/schema.js';
import { gateSchema, type GateResult } from '../harness/results/gate-schema.js';
import type { KcidbData } from '../harness/report/kcidb.js';
import { bootgate, printedRun, ROOT, vmCount } from './cli-helpers.js';
import { schemaFile, schemaValidator } from './schema-validator.js';


/**
 * One real quickstart run serves every test here, booting being the slow part: with every file
 * reporter, and the NDJSON event stream on stdout (so the run.json path comes last on stderr).
 */
let results = '';
let wall = 0;
let r: Awaited<ReturnType<typeof bootgate>>;
beforeAll(async () => {
  results = mkdtempSync(join(tmpdir(), 'bootgate-qs-'));
  const t0 = Date.now();
  r = await bootgate(['run', 'suites/quickstart.yaml', '--results', results, '--reporter', 'junit,tap', '--reporter', 'markdown,html,json=-'], { env: { CI: 'true' } });
  wall = (Date.now() - t0) / 1000;
});

describe('quickstart suite, for real: QEMU, the Debian 6.1 kernel, the sensor module', () => {
  it('passes content 290 and fails content 291 as a boot loop in sensor_parse_channel', async () => {
    expect(r.stderr).not.toMatch(/\n\s+at .*\.js:\d+/); // no stack trace
    expect(r.code, r.stderr).toBe(1);
    const run = printedRun(r, 'stderr');
    expect(run.status).toBe('finished');
    expect(run.summary).toMatchObject({ cells: 2, pass: 1, fail: 1, error: 0, verdict: 'fail', exitCode: 1 });

    const good = run.cells.find((c) => c.content.version === '290')!;
    const bad = run.cells.find((c) => c.content.version === '291')!;
    expect(good.verdict, good.reason).toBe('pass');
    expect(good.baseline).toHaveLength(1);
    expect(good.cycles).toHaveLength(3);
    // Both cells started from the image's one shared baseline, booted once and saved.
    expect(run.baselines?.map((b) => [b.id, b.cycles.length, b.cycles[0]!.booted, b.state !== undefined])).toEqual([['debian-6.1-generic', 1, true, true]]);
    for (const c of [good, bad]) {
      expect(c.baselineFrom?.id).toBe('debian-6.1-generic');
      expect(c.baseline).toEqual(run.baselines![0]!.cycles);
      expect(c.baselineFrom?.restoreMs).toBeGreaterThan(0);
    }
    // The first agent boot is a warm reboot of the restored guest: a new boot, after the baseline's.
    expect(good.cycles[0]!.kind).toBe('warm');
    // Under TCG the guest's reset ends its QEMU and the same disk boots in a new one (boot.warmReboot auto).
    expect(good.cycles.map((c) => c.restart)).toEqual(Array(3).fill(/^tcg/i.test(run.host.accel) ? 'new-process' : 'reset'));
    expect(good.cycles.every((c) => c.booted && c.health?.ok && /2\.1\.0/.test(c.health.output) && /290/.test(c.health.output))).toBe(true);
    // Every cycle is a new boot: distinct boot ids.
    const ids = [...good.baseline, ...good.cycles].map((c) => c.bootId);
    expect(new Set(ids).size).toBe(4);

    expect(bad.verdict).toBe('fail');
    expect(bad.bootLoop).toBe(true);
    expect(bad.cycles).toHaveLength(2); // stopped once the loop was proven
    for (const c of bad.cycles) {
      expect(c.booted).toBe(false);
      expect(c.crash).toMatchObject({ os: 'linux', source: 'console', class: 'null-deref', function: 'sensor_parse_channel', module: 'sensor' });
      expect(c.crash!.title).toBe('BUG: kernel NULL pointer dereference in sensor_parse_channel');
      const log = readFileSync(join(results, run.id, c.consoleLog), 'utf8');
      expect(log).toMatch(/RIP: 0010:sensor_parse_channel\+0x[0-9a-f]+\/0x[0-9a-f]+ \[sensor\]/);
    }
    expect(bad.reason).toMatch(/^boot loop: BUG: kernel NULL pointer dereference in sensor_parse_channel/);
    expect(run.crashes).toHaveLength(1);
    expect(run.crashes[0]).toMatchObject({ count: 2, module: 'sensor' });
    expect(vmCount(run.id)).toBe(0);
    const cycleSecs = good.cycles.map((c) => (c.readyMs ?? 0) / 1000);
    console.log(`quickstart wall time ${wall.toFixed(1)}s; agent cycle ready times ${cycleSecs.map((s) => s.toFixed(1)).join(', ')}s; baseline (cold) ${((good.baseline[0]!.readyMs ?? 0) / 1000).toFixed(1)}s`);
  });
});

const readGate = (d: string): GateResult => gateSchema.parse(JSON.parse(readFileSync(join(d, 'gate.json'), 'utf8')));
const withoutTime = ({ evaluatedAt: _t, ...g }: GateResult) => g;

describe('quickstart for real, with every file reporter, then the gate again', () => {
  it('writes gate.json and the reports at the end; bootgate gate gives the same verdict', async () => {
    expect(r.code, r.stderr).toBe(1);
    const runDir = dirname(r.stderr.trim().split('\n').at(-1)!);
    const run = runSchema.parse(JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')));
    expect(run.gate).toEqual({ bootSuccess: 1, maxCrashes: 0, maxBootOverheadPct: 10, minCycles: 1, overheadBound: 'upper' });

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
    for (const xsd of ['junit.xsd', 'jenkins-junit-10.xsd'].map((f) => new URL(`./fixtures/${f}`, import.meta.url).pathname)) {
      expect(() => execFileSync('xmllint', ['--noout', '--schema', xsd, join(runDir, 'junit.xml')], { stdio: 'pipe' }), xsd).not.toThrow();
    }
    expect(readFileSync(join(runDir, 'summary.md'), 'utf8')).toContain('| debian-6.1-generic | ✅ pass 3/3 | ❌ fail 0/2 boot loop |');
    const html = readFileSync(join(runDir, 'report.html'), 'utf8');
    expect(html).toContain('<strong>BUG: kernel NULL pointer dereference in sensor_parse_channel</strong>');
    expect(html).toContain('href="./cells/debian-6.1-generic__sensor-2.1.0__content-291/agent-1.log"');

    const again = await bootgate(['gate', runDir]);
    expect(again.code).toBe(1);
    expect(withoutTime(readGate(runDir))).toEqual(withoutTime(atEnd));
  });
});

describe('quickstart for real: the event stream and the KCIDB export', () => {
  it('stdout is the NDJSON stream alone: every line fits schemas/events.schema.json and tells the run as it went', () => {
    expect(r.code, r.stderr).toBe(1);
    const validLine = schemaValidator(schemaFile(join(ROOT, 'schemas/events.schema.json')));
    const lines = r.stdout.split('\n');
    expect(lines.pop()).toBe(''); // every line ends with a newline
    const events = lines.map((l) => JSON.parse(l) as Record<string, unknown> & { type: string });
    for (const e of events) expect(validLine(e), JSON.stringify(e)).toEqual([]);
    const types = events.map((e) => e.type);
    expect(types.filter((t) => t !== 'prepare')[0]).toBe('run-start');
    expect(types.at(-1)).toBe('run-end');
    const runDir = dirname(r.stderr.trim().split('\n').at(-1)!);
    // One shared baseline boot for the image, then 3 agent boots per cell.
    expect(events.find((e) => e.type === 'run-start')).toMatchObject({ suite: 'quickstart', runDir, cells: 2, bootsPerCell: 3, expectedBoots: 7 });
    // The shared baseline's boot; 290: 3 agent boots; 291: the 2 crashes of its boot loop.
    expect(types.filter((t) => t === 'boot-start')).toHaveLength(6);
    expect(events.filter((e) => e.type === 'boot-start' && e.baseline)).toEqual([expect.objectContaining({ cell: 'baseline:debian-6.1-generic', baseline: 'debian-6.1-generic', phase: 'baseline', cycle: 1, kind: 'cold' })]);
    const ends = events.filter((e) => e.type === 'boot-end');
    expect(ends.map((e) => e.outcome).sort()).toEqual(['crash', 'crash', 'ready', 'ready', 'ready', 'ready']);
    const crashes = events.filter((e) => e.type === 'crash');
    expect(crashes.map((e) => (e.crash as { title: string }).title)).toEqual(Array(2).fill('BUG: kernel NULL pointer dereference in sensor_parse_channel'));
    // A crash line follows the end of its boot.
    for (const c of crashes) expect(events[events.indexOf(c) - 1]).toMatchObject({ type: 'boot-end', cell: c.cell, cycle: c.cycle, outcome: 'crash' });
    expect(events.filter((e) => e.type === 'cell-end').map((e) => [e.content, e.verdict]).sort()).toEqual([
      ['290', 'pass'],
      ['291', 'fail'],
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'run-end', runDir, verdict: 'fail', exitCode: 1 });
    const at = events.map((e) => Date.parse(e.at as string));
    expect(at.every((t, i) => i === 0 || t >= at[i - 1]!)).toBe(true);
  });

  it("bootgate export --kcidb of the real run fits KCIDB's schema: the crash is one issue with two incidents", async () => {
    const runDir = dirname(r.stderr.trim().split('\n').at(-1)!);
    const x = await bootgate(['export', '--kcidb', runDir]);
    expect(x.code, x.stderr).toBe(0);
    const d = JSON.parse(x.stdout) as KcidbData;
    expect(schemaValidator(schemaFile(join(ROOT, 'test/fixtures/kcidb/kcidb.v04_05.schema.json')))(d)).toEqual([]);
    expect(d.builds.map((b) => [b.config_name, b.architecture])).toEqual([['debian-6.1-generic', 'x86_64']]);
    expect(d.tests.filter((t) => t.path === 'bootgate.sensor').map((t) => t.status).sort()).toEqual(['FAIL', 'PASS']);
    expect(d.tests.filter((t) => t.path === 'bootgate.sensor.boot').map((t) => t.status).sort()).toEqual(['FAIL', 'FAIL', 'PASS', 'PASS', 'PASS']);
    expect(d.issues.map((i) => i.comment)).toEqual(['BUG: kernel NULL pointer dereference in sensor_parse_channel']);
    expect(d.incidents).toHaveLength(2);
  });
});
