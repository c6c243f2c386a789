import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { LABEL } from '../harness/providers/docker/labels.js';
import { bootgate, printedRun } from './cli-helpers.js';

/**
 * The kernel matrix on the docker provider: every Linux image, each VM's QEMU in a container, with
 * the verdicts the QEMU provider gives (test/kernel-matrix.int.test.ts), and no container left.
 */
describe('kernel matrix on the docker provider, for real', () => {
  it('content 290 passes and content 291 boot-loops in sensor_parse_channel on every image', async () => {
    const results = mkdtempSync(join(tmpdir(), 'bootgate-km-docker-'));
    const t0 = Date.now();
    const r = await bootgate(['run', 'suites/kernel-matrix.yaml', '--provider', 'docker', '--results', results]);
    expect(r.code, r.stderr.slice(-3000)).toBe(1);
    const run = printedRun(r);
    expect(run.host.provider).toBe('docker');
    expect(run.cells.length).toBeGreaterThanOrEqual(14);
    for (const c of run.cells) {
      if (c.content.version === '290') {
        expect(c.verdict, `${c.id}: ${c.reason}`).toBe('pass');
      } else {
        expect(c.verdict, c.id).toBe('fail');
        expect(c.bootLoop, c.id).toBe(true);
        expect(c.cycles[0]!.crash).toMatchObject({ class: 'null-deref', function: 'sensor_parse_channel', module: 'sensor' });
      }
    }
    expect(await new Docker().listContainers({ all: true, filters: { label: [`${LABEL.run}=${run.id}`] } })).toEqual([]);
    console.log(`kernel matrix on docker in ${((Date.now() - t0) / 1000).toFixed(0)} s: ${run.summary.pass} pass, ${run.summary.fail} fail`);
  });
});
