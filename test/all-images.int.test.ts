import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cellProblems } from '../scripts/all-images-verdicts.js';
import { bootgate, printedRun, ROOT } from './cli-helpers.js';

/**
 * suites/all-images.yaml: the sensor as a module and as eBPF, contents 290 and 291, on every Linux
 * image of the catalog (images added later join it). Every cell is held to the one expectation
 * rule of scripts/all-images-verdicts.ts (290 passes where the agent can load; 291 boot-loops the
 * module and is refused by the verifier everywhere; below 5.17 the eBPF cells fail with the
 * compat fallback recorded), never to a list of verdicts; then the verdict table is written.
 */
describe('the sensor on every Linux image', () => {
  it('every cell as the rule expects, and the verdict table beside the run', async () => {
    const results = mkdtempSync(join(tmpdir(), 'bootgate-all-images-'));
    const r = await bootgate(['run', 'suites/all-images.yaml', '--results', results]);
    // Some cells fail by design (291 everywhere): the run's verdict is fail, never a lab error.
    expect(r.code, r.stderr.slice(-2000)).toBe(1);
    const run = printedRun(r);
    expect(run.cells.length).toBeGreaterThanOrEqual(17 * 4);
    const off = run.cells.map((c) => [c.id, cellProblems(c)] as const).filter(([, p]) => p.length > 0);
    expect(off).toEqual([]);
    const dir = join(results, run.id);
    const out = execFileSync('node', [join(ROOT, 'dist/scripts/all-images-table.js'), dir], { encoding: 'utf8' });
    expect(out).toContain(`${run.cells.length} cells over `);
    expect(readFileSync(join(dir, 'all-images.md'), 'utf8')).toMatch(/\| debian-11-5\.10-generic \| 5\.10\.\S+ \| amd64 \| pass \| fail: boot loop/);
    console.log(out);
  }, 4 * 3_600_000);
});
