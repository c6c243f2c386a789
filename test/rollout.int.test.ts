import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rolloutSchema } from '../harness/results/rollout-schema.js';
import { runSchema } from '../harness/results/schema.js';
import { bootgate } from './cli-helpers.js';

/**
 * suites/rollout.yaml for real: content 290 then 291, three rings over six Debian kernels, one
 * cycle of soak per ring. 290 passes every ring and reaches the whole fleet; 291 crashes the
 * sensor in the canary ring, and the early and broad rings never receive it.
 */
describe('staged rollout over the kernel images', () => {
  it('promotes 290 to the last ring and stops 291 at the canary ring, with its blast radius', async () => {
    const results = mkdtempSync(join(tmpdir(), 'bootgate-rollout-'));
    const t0 = Date.now();
    const r = await bootgate(['rollout', 'suites/rollout.yaml', '-j', '1', '--results', results]);
    const secs = ((Date.now() - t0) / 1000).toFixed(0);
    expect(r.code, r.stderr.slice(-3000)).toBe(1);
    const file = r.stdout.trim().split('\n').at(-1)!;
    const roll = rolloutSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
    expect(roll.verdict).toBe('fail');
    expect(roll.fleet).toBe(1200 + 800 + 30000 + 25000 + 4000 + 3000);

    const [c290, c291] = roll.contents;
    expect(c290).toMatchObject({ content: '290', outcome: 'promoted', blastRadius: roll.fleet, spared: 0 });
    expect(c290!.rings.map((x) => [x.name, x.status, x.images.length])).toEqual([
      ['canary', 'passed', 2],
      ['early', 'passed', 2],
      ['broad', 'passed', 2],
    ]);
    expect(c291).toMatchObject({ content: '291', outcome: 'stopped', stoppedAt: 'canary', blastRadius: 2000, spared: 62000 });
    expect(c291!.rings.map((x) => x.status)).toEqual(['failed', 'not-reached', 'not-reached']);
    expect(c291!.rings[2]).toMatchObject({ name: 'broad', machines: 7000 });
    expect(c291!.reason).toMatch(/held back from early \(55000 machines\), broad \(7000 machines\)/);

    // Each ring that ran is a run of its own: its new images x that content, one cycle of soak.
    for (const c of roll.contents) {
      for (const ring of c.rings.filter((x) => x.run)) {
        const run = runSchema.parse(JSON.parse(readFileSync(join(file, '..', ring.run!, 'run.json'), 'utf8')));
        expect(run.cells.map((x) => x.image.name)).toEqual(ring.images.map((i) => i.name));
        expect(new Set(run.cells.map((x) => x.content.version))).toEqual(new Set([c.content]));
        expect(run.selection?.cycles).toBe(1);
        for (const cell of run.cells) {
          expect(cell.cycles.length, cell.id).toBe(1);
          if (c.content === '291') expect(cell.cycles[0]!.crash, cell.id).toMatchObject({ function: 'sensor_parse_channel', module: 'sensor' });
          else expect(cell.verdict, `${cell.id}: ${cell.reason}`).toBe('pass');
        }
      }
    }
    expect(r.stderr).toMatch(/content 291: stopped at ring canary/);
    console.log(`rollout in ${secs} s:\n${r.stderr.split('\n').filter((l) => /^(content|  |rollout verdict)/.test(l)).join('\n')}\n${JSON.stringify(c291, null, 1)}`);
  });
});
