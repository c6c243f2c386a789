import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSchema } from '../harness/results/schema.js';
import { bootgate } from './cli-helpers.js';

describe('lifecycle steps, each followed by a real reboot', () => {
  it('install 290, update to 292, roll back to 290, upgrade to 2.2.0-slow, uninstall: the guest reflects each step', async () => {
    const results = mkdtempSync(join(tmpdir(), 'bootgate-life-'));
    const r = await bootgate(['run', 'suites/lifecycle.yaml', '--results', results]);
    expect(r.code, r.stderr).toBe(0);
    const run = runSchema.parse(JSON.parse(readFileSync(r.stdout.trim().split('\n').at(-1)!, 'utf8')));
    const cell = run.cells[0]!;
    expect(cell.verdict, cell.reason).toBe('pass');
    expect(cell.steps?.map((s) => [s.action, s.version, s.ok])).toEqual([
      ['install', undefined, true],
      ['update-content', '292', true],
      ['rollback-content', undefined, true],
      ['upgrade', '2.2.0-slow', true],
      ['uninstall', undefined, true],
    ]);
    expect(cell.cycles.map((c) => c.step)).toEqual([1, 2, 3, 4, 5]);
    // The sensor prints its version and the content it loaded at this boot.
    const seen = cell.cycles.slice(0, 4).map((c) => c.health?.output.split(/\s+/).join(' '));
    expect(seen).toEqual(['2.1.0 290', '2.1.0 292', '2.1.0 290', '2.2.0-slow 290']);
    expect(cell.cycles[4]!.health).toEqual({ ok: true, output: 'absent after uninstall' });
    expect(new Set(cell.cycles.map((c) => c.bootId)).size).toBe(5);
  });
});
