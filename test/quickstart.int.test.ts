import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSchema, type RunResult } from '../harness/results/schema.js';
import { bootgate } from './cli-helpers.js';

function qemuCount(): number {
  try {
    return Number(execFileSync('pgrep', ['-fc', 'process=bootgate-'], { encoding: 'utf8' }).trim());
  } catch {
    return 0; // pgrep exits 1 when nothing matches
  }
}

describe('quickstart suite, for real: QEMU, the Debian 6.1 kernel, the sensor module', () => {
  it('passes content 290 and fails content 291 as a boot loop in sensor_parse_channel', async () => {
    const results = mkdtempSync(join(tmpdir(), 'bootgate-qs-'));
    const t0 = Date.now();
    const r = await bootgate(['run', 'suites/quickstart.yaml', '--results', results]);
    const wall = (Date.now() - t0) / 1000;
    expect(r.stderr).not.toMatch(/\n\s+at .*\.js:\d+/); // no stack trace
    expect(r.code, r.stderr).toBe(1);
    const runJson = r.stdout.trim().split('\n').at(-1)!;
    expect(existsSync(runJson)).toBe(true);
    const run: RunResult = runSchema.parse(JSON.parse(readFileSync(runJson, 'utf8')));
    expect(run.status).toBe('finished');
    expect(run.summary).toMatchObject({ cells: 2, pass: 1, fail: 1, error: 0, verdict: 'fail', exitCode: 1 });

    const good = run.cells.find((c) => c.content.version === '290')!;
    const bad = run.cells.find((c) => c.content.version === '291')!;
    expect(good.verdict, good.reason).toBe('pass');
    expect(good.baseline).toHaveLength(1);
    expect(good.cycles).toHaveLength(3);
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
    expect(qemuCount()).toBe(0);
    const cycleSecs = good.cycles.map((c) => (c.readyMs ?? 0) / 1000);
    console.log(`quickstart wall time ${wall.toFixed(1)}s; agent cycle ready times ${cycleSecs.map((s) => s.toFixed(1)).join(', ')}s; baseline (cold) ${((good.baseline[0]!.readyMs ?? 0) / 1000).toFixed(1)}s`);
  });
});
