import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gateSchema } from '../harness/results/gate-schema.js';
import type { RunResult } from '../harness/results/schema.js';
import { bootgate, printedRun } from './cli-helpers.js';
import { fixtureRun } from './fixtures/report-run.js';

const base = mkdtempSync(join(tmpdir(), 'bootgate-merge-cli-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** The fixture run cut in two shards, each in its folder with a console log per cell, as two machines would leave them. */
function shards(): string[] {
  const whole = fixtureRun();
  const matrix = whole.cells.map((c) => c.id);
  return [1, 2].map((i) => {
    const cells = whole.cells.filter((_, k) => (k < 2 ? 1 : 2) === i);
    const r: RunResult = { ...whole, id: `fixture-shard-${i}`, cells, host: { ...whole.host, hostname: `lab${i}` }, selection: { matrix, shard: { index: i, total: 2 }, boots: 4 * cells.length } };
    const d = join(base, `shard-${i}`);
    for (const c of cells) {
      mkdirSync(join(d, 'cells', c.id), { recursive: true });
      writeFileSync(join(d, 'cells', c.id, 'agent-1.log'), `console of ${c.id}\n`);
    }
    writeFileSync(join(d, 'run.json'), JSON.stringify(r));
    return d;
  });
}

describe('bootgate merge', () => {
  it('joins two shards into the run and verdict one machine gives, cell files included', async () => {
    const [s1, s2] = shards();
    const results = join(base, 'results');
    const r = await bootgate(['merge', s2!, s1!, '--results', results, '--reporter', 'junit']);
    const whole = fixtureRun();
    expect(r.code, r.stderr).toBe(whole.summary.exitCode);
    const merged = printedRun(r);
    expect(merged.cells.map((c) => c.id)).toEqual(whole.cells.map((c) => c.id));
    expect(merged.summary).toEqual(whole.summary);
    expect(merged.crashes).toEqual(whole.crashes);
    expect(merged.mergedFrom!.map((m) => m.hostname)).toEqual(['lab2', 'lab1']);
    const dir = join(results, merged.id);
    expect(gateSchema.parse(JSON.parse(readFileSync(join(dir, 'gate.json'), 'utf8'))).verdict).toBe(whole.summary.verdict);
    for (const c of whole.cells) expect(readFileSync(join(dir, 'cells', c.id, 'agent-1.log'), 'utf8')).toBe(`console of ${c.id}\n`);
    expect(existsSync(join(dir, 'junit.xml'))).toBe(true);
  });

  it('refuses a lone shard, a shard twice and a non-run in one line, exit 2', async () => {
    const [s1] = shards();
    for (const args of [[s1!], [s1!, s1!], [s1!, join(base, 'nowhere')]]) {
      const r = await bootgate(['merge', ...args, '--results', join(base, 'results-bad')]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/missing|in both|no such run folder/);
    }
    expect(existsSync(join(base, 'results-bad'))).toBe(false);
  });
});
