import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanLeftovers, describeLeftovers, findLeftovers, writeOwner } from './leftovers.js';

const base = mkdtempSync(join(tmpdir(), 'bootgate-leftovers-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('leftovers of runs whose harness died', () => {
  it('are scratch folders whose owner is gone or whose pid was reused, and old ones with no owner', async () => {
    const mine = join(base, 'bootgate-cell-run-a-111111');
    const dead = join(base, 'bootgate-cell-run-b-222222');
    const reused = join(base, 'bootgate-cell-run-c-333333');
    const oldUnowned = join(base, 'bootgate-cell-run-d-444444');
    const newUnowned = join(base, 'bootgate-cell-run-e-555555');
    const other = join(base, 'not-bootgate');
    for (const d of [mine, dead, reused, oldUnowned, newUnowned, other]) mkdirSync(d);
    await writeOwner(mine);
    // A process that has exited: its pid names no one (or someone later, with another start time).
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFileSync(join(dead, 'owner'), `${gone} 12345\n`);
    writeFileSync(join(reused, 'owner'), `${process.pid} 1\n`);
    utimesSync(oldUnowned, new Date(Date.now() - 2 * 3_600_000), new Date(Date.now() - 2 * 3_600_000));
    const l = await findLeftovers(base);
    expect(l.dirs.sort()).toEqual([dead, reused, oldUnowned].sort());
    expect(describeLeftovers({ dirs: l.dirs, vms: [] }, [])).toMatch(/\(run-b, run-c, run-d\): 3 scratch folder\(s\) removed/);
    expect(await cleanLeftovers({ dirs: l.dirs, vms: [] })).toEqual([]);
    for (const d of l.dirs) expect(existsSync(d)).toBe(false);
    expect(existsSync(mine) && existsSync(newUnowned) && existsSync(other)).toBe(true);
    expect(describeLeftovers({ dirs: [], vms: [] }, [])).toBeUndefined();
  });
});
