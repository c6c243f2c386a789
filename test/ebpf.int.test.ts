import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootgate, printedRun } from './cli-helpers.js';

function qemuCount(): number {
  try {
    return Number(execFileSync('pgrep', ['-fc', 'process=bootgate-debian-6.1-generic__sensor-ebpf-'], { encoding: 'utf8' }).trim());
  } catch {
    return 0; // pgrep exits 1 when nothing matches
  }
}

describe('ebpf-sensor suite, for real: QEMU, the Debian 6.1 kernel, the eBPF sensor and its verifier', () => {
  it('passes content 290; content 291 is refused by the verifier: every boot succeeds, the agent is unhealthy, the cell fails', async () => {
    const results = mkdtempSync(join(tmpdir(), 'bootgate-ebpf-'));
    const t0 = Date.now();
    const r = await bootgate(['run', 'suites/ebpf-sensor.yaml', '--results', results]);
    const wall = (Date.now() - t0) / 1000;
    expect(r.stderr).not.toMatch(/\n\s+at .*\.js:\d+/); // no stack trace
    expect(r.code, r.stderr + r.stdout.slice(-2000)).toBe(1);
    const run = printedRun(r);
    expect(run.status).toBe('finished');
    expect(run.summary).toMatchObject({ cells: 2, pass: 1, fail: 1, error: 0, verdict: 'fail', exitCode: 1 });

    const good = run.cells.find((c) => c.content.version === '290')!;
    const bad = run.cells.find((c) => c.content.version === '291')!;
    for (const c of [good, bad]) {
      expect(c.agent).toMatchObject({ name: 'sensor-ebpf', kind: 'linux-ebpf', build: '2.1.0' });
      expect(c.install?.ok, c.install?.error).toBe(true);
      expect(c.baseline).toHaveLength(1);
    }

    // 290: loaded, attached, counting; health shows the build and the content it runs.
    expect(good.verdict, good.reason).toBe('pass');
    expect(good.cycles).toHaveLength(3);
    for (const c of good.cycles) {
      expect(c.booted).toBe(true);
      expect(c.crash).toBeUndefined();
      expect(c.health?.ok, c.health?.output).toBe(true);
      expect(c.health!.output).toMatch(/^version 2\.1\.0$/m);
      expect(c.health!.output).toMatch(/^content_version 290$/m);
      expect(c.health!.output).toMatch(/^attached tp_btf\/sched_process_exec link \d+ prog \d+ \(sensor_exec\)$/m);
      expect(Number(/^execs (\d+)$/m.exec(c.health!.output)?.[1])).toBeGreaterThan(0);
      const log = readFileSync(join(results, run.id, c.consoleLog), 'utf8');
      expect(log).toMatch(/sensor-ebpf: loaded version 2\.1\.0 content 290 fields 21/);
    }
    const ids = [...good.baseline, ...good.cycles].map((c) => c.bootId);
    expect(new Set(ids).size).toBe(4);

    // 291: the machine boots on every cycle; no crash anywhere; the agent is refused, unhealthy.
    expect(bad.verdict).toBe('fail');
    expect(bad.bootLoop).toBeFalsy();
    expect(bad.cycles).toHaveLength(3);
    for (const c of bad.cycles) {
      expect(c.booted, c.error).toBe(true);
      expect(c.crash).toBeUndefined();
      expect(c.outcome).toBe('unhealthy');
      expect(c.health?.ok).toBe(false);
      expect(c.health!.output).toMatch(/^sensor-ebpf: refused content 291: verifier rejected the program$/m);
      expect(c.health!.output).toMatch(/^sensor-ebpf: verifier: invalid access to map value, value_size=2720 off=\d+ size=\d+$/m);
      expect(c.health!.output).toMatch(/input 21 of the 20 .*rules on field 21: ipc-pipe/);
      const log = readFileSync(join(results, run.id, c.consoleLog), 'utf8');
      expect(log).toMatch(/^sensor-ebpf: verifier: .*call bpf_strncmp/m);
      expect(log).toMatch(/^sensor-ebpf: verifier: invalid access to map value, value_size=2720 off=\d+ size=\d+$/m);
      expect(log).toMatch(/^sensor-ebpf: verifier: processed \d+ insns/m);
      expect(log).toMatch(/^sensor-ebpf: refused content 291: verifier rejected the program$/m);
      expect(log).toMatch(/bootgate-ready boot_id=/);
      expect(log).not.toMatch(/Kernel panic|BUG: kernel/);
    }
    expect(bad.reason).toMatch(/^agentHealth: /);
    expect(bad.rules?.find((x) => x.rule === 'bootSuccess')?.outcome).toBe('pass');
    expect(bad.rules?.find((x) => x.rule === 'maxCrashes')?.outcome).toBe('pass');
    expect(bad.rules?.find((x) => x.rule === 'agentHealth')).toMatchObject({ outcome: 'fail', actual: 3 });
    expect(run.crashes).toHaveLength(0);
    expect(qemuCount()).toBe(0);
    console.log(`ebpf-sensor wall time ${wall.toFixed(1)}s; 291 health: ${bad.cycles[0]!.health!.output.split('\n')[0]}`);
  });
});
