import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootgate, printedRun } from './cli-helpers.js';

/**
 * The quickstart on arm64 (suites/quickstart-arm64.yaml): the sensor module cross-built against
 * Debian 12's arm64 headers for 6.1 and 6.12, booted with qemu-system-aarch64 (virt, TCG here).
 * The verdicts are the amd64 quickstart's: 290 passes, 291 boot-loops with a NULL dereference in
 * sensor_parse_channel, read from arm64's own oops (`Unable to handle kernel NULL pointer
 * dereference`, `pc : sensor_parse_channel+... [sensor]`).
 */
describe('quickstart on arm64, 6.1 and 6.12', () => {
  it('290 passes and 291 boot-loops in sensor_parse_channel on both kernels', async () => {
    const results = mkdtempSync(join(tmpdir(), 'bootgate-qs-arm64-'));
    const r = await bootgate(['run', 'suites/quickstart-arm64.yaml', '--results', results], { env: { CI: 'true' } });
    expect(r.code, r.stderr.slice(-2000)).toBe(1);
    const run = printedRun(r);
    expect(run.summary).toMatchObject({ cells: 4, pass: 2, fail: 2, error: 0, verdict: 'fail' });
    for (const c of run.cells) {
      expect(c.image.kernelRelease, c.id).toMatch(/-arm64$/);
      expect(c.image.entry, c.id).toBe('image');
      if (c.content.version === '290') {
        expect(c.verdict, `${c.id}: ${c.reason}`).toBe('pass');
        expect(c.cycles.every((y) => y.booted && y.health?.ok && /2\.1\.0/.test(y.health.output) && /290/.test(y.health.output)), c.id).toBe(true);
      } else {
        expect(c, c.id).toMatchObject({ verdict: 'fail', bootLoop: true });
        for (const y of c.cycles) {
          expect(y.booted).toBe(false);
          expect(y.crash, c.id).toMatchObject({ class: 'null-deref', function: 'sensor_parse_channel', module: 'sensor', title: 'BUG: unable to handle kernel NULL pointer dereference in sensor_parse_channel' });
        }
      }
    }
  }, 3_600_000);
});
