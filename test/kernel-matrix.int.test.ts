import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSchema, type RunResult } from '../harness/results/schema.js';
import { bootgate } from './cli-helpers.js';

/** Every Debian 12 image the lab builds boots, runs the sensor with good content, and crashes where it should. */
let single: RunResult | undefined;

describe('kernel matrix: every Debian 12 image, for real', () => {
  it('content 290 passes and content 291 boot-loops in sensor_parse_channel on every image', async () => {
    const list = await bootgate(['images', 'list', '--json']);
    const linux = (JSON.parse(list.stdout) as { name: string; os: string; distro: string; arch: string }[]).filter((i) => i.os === 'linux' && i.distro === 'debian-12' && i.arch === 'amd64').map((i) => i.name);
    expect(linux.length).toBeGreaterThanOrEqual(7);

    const results = mkdtempSync(join(tmpdir(), 'bootgate-km-'));
    const t0 = Date.now();
    const r = await bootgate(['run', 'suites/kernel-matrix.yaml', '--results', results]);
    expect(r.code, r.stderr.slice(-3000)).toBe(1);
    const run = runSchema.parse(JSON.parse(readFileSync(r.stdout.trim().split('\n').at(-1)!, 'utf8')));
    single = run;
    expect(new Set(run.cells.map((c) => c.image.name))).toEqual(new Set(linux));
    const rows: string[] = [];
    for (const c of run.cells) {
      const b = c.baseline[0];
      rows.push(`${c.image.name.padEnd(28)} ${(c.image.kernelRelease ?? '').padEnd(28)} content ${c.content.version} ${String(c.verdict).padEnd(5)} baseline ready ${((b?.readyMs ?? 0) / 1000).toFixed(1)} s`);
      if (c.content.version === '290') {
        expect(c.verdict, `${c.id}: ${c.reason}`).toBe('pass');
      } else {
        expect(c.verdict, c.id).toBe('fail');
        expect(c.bootLoop, c.id).toBe(true);
        expect(c.cycles[0]!.crash).toMatchObject({ class: 'null-deref', function: 'sensor_parse_channel', module: 'sensor' });
      }
    }
    console.log(`kernel matrix in ${((Date.now() - t0) / 1000).toFixed(0)} s:\n${rows.join('\n')}`);
  });

  it('two shards on two "machines", merged, give the single machine\'s cells and verdict', async () => {
    expect(single, 'the single-machine run above').toBeDefined();
    const results = mkdtempSync(join(tmpdir(), 'bootgate-km-shards-'));
    const dirs: string[] = [];
    const t0 = Date.now();
    for (const i of [1, 2]) {
      const r = await bootgate(['run', 'suites/kernel-matrix.yaml', '--shard', `${i}/2`, '--results', results]);
      expect([0, 1], r.stderr.slice(-3000)).toContain(r.code);
      dirs.push(join(r.stdout.trim().split('\n').at(-1)!, '..'));
    }
    const m = await bootgate(['merge', ...dirs, '--results', results]);
    const merged = runSchema.parse(JSON.parse(readFileSync(m.stdout.trim().split('\n').at(-1)!, 'utf8')));
    expect(m.code, m.stderr).toBe(single!.summary.exitCode);
    expect(merged.summary.verdict).toBe(single!.summary.verdict);
    expect(merged.cells.map((c) => [c.id, c.verdict, c.bootLoop ?? false])).toEqual(single!.cells.map((c) => [c.id, c.verdict, c.bootLoop ?? false]));
    expect(merged.crashes.map((g) => [g.signature, g.count])).toEqual(single!.crashes.map((g) => [g.signature, g.count]));
    console.log(`kernel matrix as 2 shards + merge in ${((Date.now() - t0) / 1000).toFixed(0)} s: ${merged.summary.pass} pass, ${merged.summary.fail} fail, verdict ${merged.summary.verdict}`);
  });
});
