import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootgate, printedRun, vmCount } from './cli-helpers.js';

/**
 * suites/recovery-rescue.yaml for real, on the full systemd disk: the content 291 boot loop, then
 * a rescue shell (init=/bin/sh) reached only on the serial console, where the lab types the
 * sensor's removal, and a normal boot without the sensor. In the matrix: the systemd disk boots
 * slowly under TCG (4 to 8 minutes for the run).
 */
describe('rescue boot after a boot loop, for real', () => {
  it('removes the sensor from a rescue shell on the console and boots normally without it', async () => {
    const results = mkdtempSync(join(tmpdir(), 'bootgate-rescue-'));
    const r = await bootgate(['run', 'suites/recovery-rescue.yaml', '-j', '1', '--results', results, '--reporter', 'html'], { env: { CI: 'true' } });
    expect(r.code, r.stderr.slice(-3000)).toBe(1);
    const run = printedRun(r);
    const cell = run.cells[0]!;
    expect(cell.bootLoop).toBe(true);
    const [rb] = cell.recovery!.attempts;
    expect(rb).toMatchObject({ method: 'rescue-boot', recovered: true, agentRunning: false });
    expect(rb!.steps.map((s) => [s.what, s.ok])).toEqual([
      ['boot as found', true],
      ['boot with init=/bin/sh (boot entry edited)', true],
      ['agent removed at the console', true],
      ['normal boot', true],
    ]);
    expect(rb!.steps[0]!.detail).toBe('BUG: kernel NULL pointer dereference in sensor_parse_channel');
    expect(rb!.steps[3]!.detail).toBe('agent absent');
    // What the shell printed: the lab's marker, computed by the shell, after the removal.
    const rescueLog = readFileSync(join(results, run.id, rb!.steps[1]!.consoleLog!), 'utf8');
    expect(rescueLog).toContain('bootgate-rescue 42 removed rc=0');
    for (const s of rb!.steps.filter((x) => x.consoleLog)) expect(existsSync(join(results, run.id, s.consoleLog!)), s.consoleLog).toBe(true);
    expect(rb!.ms).toBeGreaterThan(0);
    expect(vmCount(run.id)).toBe(0);
    console.log(`rescue boot on ${cell.image.name}: back without the sensor in ${(rb!.ms! / 1000).toFixed(1)} s from the first crash`);
  });
});
