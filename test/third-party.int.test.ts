import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cacheRoot } from '../harness/util/paths.js';
import { bootgate, printedRun, ROOT } from './cli-helpers.js';

function qemuCount(): number {
  try {
    return Number(execFileSync('pgrep', ['-fc', 'process=bootgate-third-party-'], { encoding: 'utf8' }).trim());
  } catch {
    return 0;
  }
}

/**
 * suites/third-party.yaml as a user runs it: Debian's libbpf-tools execsnoop (eBPF, with its
 * shared libraries, on the busybox initramfs) and the kernel's own test_bpf module taken from
 * each image's kernel package, on 6.1 and 6.12, each started at every boot.
 */
describe('agents no one here wrote, for real: execsnoop and in-tree test_bpf at boot on 6.1 and 6.12', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bootgate-third-party-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs suites/third-party.yaml green: every boot healthy, test_bpf from the kernel package with 0 failures', async () => {
    const r = await bootgate(['run', join(ROOT, 'suites/third-party.yaml'), '--results', dir]);
    expect(r.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
    expect(r.code, r.stderr + r.stdout.slice(-2000)).toBe(0);
    const run = printedRun(r);
    expect(run.cells.map((c) => c.id).sort()).toEqual(
      [
        'debian-6.1-generic__execsnoop-0.26__content-none',
        'debian-6.1-generic__test_bpf-in-tree__content-none',
        'debian-6.12-generic__execsnoop-0.26__content-none',
        'debian-6.12-generic__test_bpf-in-tree__content-none',
      ].sort(),
    );
    for (const cell of run.cells) {
      expect(cell.verdict, `${cell.id}: ${cell.reason}`).toBe('pass');
      expect(cell.cycles).toHaveLength(2);
      for (const c of cell.cycles) {
        expect(c.booted).toBe(true);
        expect(c.health?.ok, c.health?.output).toBe(true);
        if (cell.agent.name === 'execsnoop') {
          expect(c.health!.output).toMatch(/^execsnoop \(libbpf-tools \S+\) running, pid \d+: [1-9]\d* BPF programs, [1-9]\d* bpf_link\/perf_event fds$/m);
          const log = readFileSync(join(dir, run.id, c.consoleLog), 'utf8');
          expect(log).toMatch(/^execsnoop: execsnoop \(libbpf-tools \S+\) running, pid \d+/m);
        } else {
          // The kernel's own summary lines: hundreds of tests run at load, none failed.
          expect(c.health!.output).toMatch(/test_bpf: Summary: [1-9]\d{2,} PASSED, 0 FAILED/);
          expect(c.health!.output).toMatch(/test_bpf: test_tail_calls: Summary: \d+ PASSED, 0 FAILED/);
        }
      }
      if (cell.agent.name === 'test_bpf') {
        expect(cell.agent.artifact).toMatch(new RegExp(`^in-tree from linux-image-${cell.image.kernelRelease!.replace(/[+.]/g, '\\$&')} \\S+: ${cell.image.kernelRelease!.replace(/[+.]/g, '\\$&')} `));
      }
    }
    expect(qemuCount()).toBe(0);
  });

  it('refuses a prebuilt folder without a module for the image kernel, naming the suite line, before any VM', async () => {
    // A vendor folder with a module for another kernel only: test_bpf of some cached kernel
    // package, filed under a release the image does not run.
    const cache = join(cacheRoot(), 'in-tree');
    const pkgDir = readdirSync(cache).find((d) => d.startsWith('linux-image-6.1.'));
    expect(pkgDir, 'the suite above cached the 6.1 test_bpf').toBeDefined();
    const vendor = join(dir, 'vendor-build');
    mkdirSync(join(vendor, '5.10.0-99-amd64'), { recursive: true });
    copyFileSync(join(cache, pkgDir!, 'test_bpf', 'test_bpf.ko'), join(vendor, '5.10.0-99-amd64', 'test_bpf.ko'));
    const suite = join(dir, 'prebuilt.yaml');
    writeFileSync(
      suite,
      [
        'name: prebuilt',
        'images: [debian-6.1-generic]',
        'agent:',
        '  name: test_bpf',
        '  kind: linux-kmod',
        '  builds:',
        `    - { version: "1.0", source: ${vendor} }`,
        'content:',
        `  - { version: none, path: ${join(ROOT, 'examples/content/crashers/none.txt')} }`,
        'allowOutside: true',
        '',
      ].join('\n'),
    );
    const r = await bootgate(['run', suite, '--results', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(
      new RegExp(`^bootgate: error: ${suite.replace(/[.]/g, '\\.')}:7: agent\\.builds\\[0\\]: debian-6\\.1-generic: build 1\\.0 has no test_bpf\\.ko for kernel 6\\.1\\.0-\\d+-amd64 in ${vendor.replace(/[.]/g, '\\.')} \\(it has: 5\\.10\\.0-99-amd64\\)$`),
    );
    expect(readdirSync(dir).filter((d) => d.startsWith('prebuilt-'))).toEqual([]);
  });
});
