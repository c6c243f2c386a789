import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootgate, printedRun, vmCount } from './cli-helpers.js';

/**
 * suites/recovery.yaml for real: the quickstart's content 291 boot-loops the sensor, then each
 * recovery runs on its own copy of the crashed machine: module_blacklist=sensor on the kernel
 * command line brings it up without the agent; a content rollback to 290 over SSH in that boot,
 * then a normal boot, brings it up with the sensor running content 290; so does booting with
 * sensor.safe_mode=1 (busybox's modprobe passes it from /proc/cmdline), the sensor up without
 * content, before the same rollback.
 */
describe('recovery drills after a boot loop, for real', () => {
  it('recovers the content 291 boot loop by module_blacklist=, by content rollback and in the sensor\'s safe mode, and times each', async () => {
    const results = mkdtempSync(join(tmpdir(), 'bootgate-recover-'));
    const t0 = Date.now();
    const r = await bootgate(['run', 'suites/recovery.yaml', '-j', '1', '--results', results, '--reporter', 'html'], { env: { CI: 'true' } });
    const secs = ((Date.now() - t0) / 1000).toFixed(0);
    expect(r.code, r.stderr.slice(-3000)).toBe(1);
    const run = printedRun(r);
    const cell = run.cells[0]!;
    expect(cell.bootLoop).toBe(true);
    expect(cell.verdict).toBe('fail');
    const rec = cell.recovery!;
    expect(rec).toMatchObject({ trigger: 'boot-loop', content: '290' });
    const [mb, cr, sm] = rec.attempts;

    expect(mb).toMatchObject({ method: 'module-blacklist', recovered: true, agentRunning: false });
    expect(mb!.steps.map((s) => [s.what, s.ok])).toEqual([
      ['boot as found', true],
      ['boot with module_blacklist=sensor (boot entry edited)', true],
      ['agent health check', true],
    ]);
    expect(mb!.steps[0]!.detail).toBe('BUG: kernel NULL pointer dereference in sensor_parse_channel');

    expect(cr).toMatchObject({ method: 'content-rollback', recovered: true, agentRunning: true });
    expect(cr!.steps.map((s) => [s.what, s.ok])).toEqual([
      ['boot as found', true],
      ['boot with module_blacklist=sensor (boot entry edited)', true],
      ['content 290 installed over SSH', true],
      ['normal boot', true],
    ]);
    // The sensor is back, reading the content it was rolled back to.
    expect(cr!.steps[3]!.detail).toMatch(/^2\.1\.0\s+290\s+N$/);

    expect(sm).toMatchObject({ method: 'agent-safe-mode', recovered: true, agentRunning: true });
    expect(sm!.steps.map((s) => [s.what, s.ok])).toEqual([
      ['boot as found', true],
      ['boot with sensor.safe_mode=1 (boot entry edited)', true],
      ['agent health check (safe mode)', true],
      ['content 290 installed over SSH', true],
      ['normal boot', true],
    ]);
    // In safe mode the sensor runs with no content read; after the normal boot, with 290.
    expect(sm!.steps[2]!.detail).toMatch(/^2\.1\.0\s+0\s+Y$/);
    expect(sm!.steps[4]!.detail).toMatch(/^2\.1\.0\s+290\s+N$/);
    for (const a of [mb!, cr!, sm!]) {
      expect(a.ms, a.method).toBeGreaterThan(0);
      for (const s of a.steps.filter((x) => x.consoleLog)) expect(existsSync(join(results, run.id, s.consoleLog!)), s.consoleLog).toBe(true);
    }
    // Rolling back costs a boot more than booting without the agent.
    expect(cr!.ms!).toBeGreaterThan(mb!.ms!);
    expect(readFileSync(join(results, run.id, 'report.html'), 'utf8')).toContain('<h2>Recovery drills</h2>');
    expect(vmCount(run.id)).toBe(0);
    console.log(`recovery drill in ${secs} s on ${cell.image.name}: module_blacklist= ${(mb!.ms! / 1000).toFixed(1)} s (agent off), content rollback to 290 ${(cr!.ms! / 1000).toFixed(1)} s (agent running), safe mode then rollback ${(sm!.ms! / 1000).toFixed(1)} s (agent running)`);
  });
});
