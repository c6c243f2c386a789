import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSchema, type RunResult } from '../harness/results/schema.js';
import { bootgate, ROOT } from './cli-helpers.js';

function qemuCount(): number {
  try {
    return Number(execFileSync('pgrep', ['-fc', 'process=bootgate-debian-6.1-generic__execsnoop-'], { encoding: 'utf8' }).trim());
  } catch {
    return 0;
  }
}

describe("a third-party eBPF agent, for real: Debian's libbpf-tools execsnoop at boot on the busybox initramfs", () => {
  it('ships execsnoop with its libraries, starts it at every boot, and its BPF programs are attached', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bootgate-execsnoop-'));
    const suite = join(dir, 'execsnoop.yaml');
    writeFileSync(
      suite,
      [
        'name: ebpf-execsnoop',
        'images: [debian-6.1-generic]',
        'agent:',
        '  name: execsnoop',
        '  kind: linux-ebpf',
        '  builds:',
        `    - { version: "0.26", source: ${join(ROOT, 'harness/agents/linux-ebpf/testdata/libbpf-tools-execsnoop')} }`,
        'content:',
        `  - { version: "none", path: ${join(ROOT, 'examples/content/crashers/none.txt')} }`,
        'boot: { baseline: 1, cycles: 2, timeout: 120s }',
        '',
      ].join('\n'),
    );
    const r = await bootgate(['run', suite, '--results', dir]);
    expect(r.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
    expect(r.code, r.stderr + r.stdout.slice(-2000)).toBe(0);
    const runJson = r.stdout.trim().split('\n').at(-1)!;
    expect(existsSync(runJson)).toBe(true);
    const run: RunResult = runSchema.parse(JSON.parse(readFileSync(runJson, 'utf8')));
    const cell = run.cells[0]!;
    expect(cell.verdict, cell.reason).toBe('pass');
    expect(cell.cycles).toHaveLength(2);
    for (const c of cell.cycles) {
      expect(c.booted).toBe(true);
      expect(c.health?.ok, c.health?.output).toBe(true);
      expect(c.health!.output).toMatch(/^execsnoop \(libbpf-tools \S+\) running, pid \d+: [1-9]\d* BPF programs, [1-9]\d* bpf_link\/perf_event fds$/m);
      const log = readFileSync(join(dir, run.id, c.consoleLog), 'utf8');
      expect(log).toMatch(/^execsnoop: execsnoop \(libbpf-tools \S+\) running, pid \d+/m);
    }
    expect(qemuCount()).toBe(0);
  });
});
