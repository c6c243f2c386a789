import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, ROOT, bootgate, vmCount } from './cli-helpers.js';
import { runSchema } from '../harness/results/schema.js';

/** Scratch folders of one run: the harness names them after the run. */
const scratchDirs = (runId: string) => readdirSync(tmpdir()).filter((d) => d.startsWith(`bootgate-cell-${runId}-`)).length;

function suite(extra: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'bootgate-clean-'));
  mkdirSync(join(dir, 'suites'));
  const f = join(dir, 'suites', 'one.yaml');
  writeFileSync(
    f,
    `name: one
images: [debian-6.1-generic]
agent:
  name: sensor
  kind: linux-kmod
  builds:
    - { version: "2.1.0", source: ${ROOT}/examples/agents/sensor-kmod }
content:
  - { version: "290", path: ${ROOT}/examples/content/channel-290.txt }
allowOutside: true
${extra}
`,
  );
  return f;
}

describe('every exit path stops the VM and removes its files', () => {
  it('Ctrl-C: exit 3, run.json says interrupted, nothing left running', async () => {
    const results = mkdtempSync(join(tmpdir(), 'bootgate-res-'));
    const child = spawn(process.execPath, [BIN, 'run', suite('boot: { baseline: 1, cycles: 5 }'), '--results', results], { cwd: ROOT });
    let err = '';
    const code = await new Promise<number | null>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        // Interrupt in the middle of an agent cycle: after install, while the guest reboots.
        if (/install done/.test(err) && !child.killed) child.kill('SIGINT');
      });
      child.on('close', resolve);
    });
    expect(code, err).toBe(3);
    expect(err).toMatch(/SIGINT: stopping VMs and saving results/);
    const runDir = readdirSync(results)[0]!;
    expect(vmCount(runDir)).toBe(0);
    expect(scratchDirs(runDir)).toBe(0);
    const run = runSchema.parse(JSON.parse(readFileSync(join(results, runDir, 'run.json'), 'utf8')));
    expect(run.status).toBe('interrupted');
    expect(run.cells[0]!.verdict).toBe('error');
    expect(run.cells[0]!.reason).toMatch(/^interrupted/);
    expect(run.cells[0]!.baseline).toHaveLength(1); // what finished is kept
    expect(run.cells[0]!.baseline[0]!.booted).toBe(true);
  });

  it('a boot timeout: the cycle is recorded, the cell is inconclusive (baseline), exit 3, no VM left', async () => {
    const results = mkdtempSync(join(tmpdir(), 'bootgate-res-'));
    const r = await bootgate(['run', suite('boot: { baseline: 1, cycles: 1, timeout: 1s }'), '--results', results]);
    expect(r.code, r.stderr).toBe(3);
    const run = runSchema.parse(JSON.parse(readFileSync(r.stdout.trim(), 'utf8')));
    const b = run.cells[0]!.baseline[0]!;
    expect(b).toMatchObject({ booted: false, outcome: 'timeout' });
    expect(b.crash?.class).toBe('boot-timeout');
    expect(run.cells[0]!.reason).toMatch(/baseline boot 1 without the agent failed/);
    // An error is retried once by default (boot.retries): the same timeout again, both attempts kept.
    expect(run.cells[0]!.attempt).toBe(2);
    expect(run.cells[0]!.attempts?.map((a) => [a.attempt, a.verdict, a.baseline[0]?.outcome])).toEqual([[1, 'error', 'timeout']]);
    expect(vmCount(run.id)).toBe(0);
  });

  it('QEMU killed mid-boot: a lab error, retried; the verdict is the second attempt\'s and run.json keeps both', async () => {
    const results = mkdtempSync(join(tmpdir(), 'bootgate-res-'));
    const child = spawn(process.execPath, [BIN, 'run', suite('boot: { baseline: 1, cycles: 1 }'), '--results', results], { cwd: ROOT });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    // The first VM of the run, killed as the lab would lose it (OOM killer, host reboot of a worker).
    let killed: string | undefined;
    for (let i = 0; i < 600 && !killed; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const runId = readdirSync(results)[0];
      if (!runId || vmCount(runId) === 0) continue;
      const pid = execFileSync('pgrep', ['-f', `process=bootgate-${runId}`], { encoding: 'utf8' }).trim().split('\n')[0]!;
      process.kill(Number(pid), 'SIGKILL');
      killed = pid;
    }
    expect(killed, 'a VM of the run was seen and killed').toBeDefined();
    const code = await closed;
    expect(code, err).toBe(0);
    expect(err).toMatch(/lab error .*running it again, attempt 2/);
    const run = runSchema.parse(JSON.parse(readFileSync(out.trim(), 'utf8')));
    const c = run.cells[0]!;
    expect(c.verdict).toBe('pass');
    expect(c.attempt).toBe(2);
    expect(c.attempts).toHaveLength(1);
    expect(c.attempts![0]).toMatchObject({ attempt: 1, verdict: 'error' });
    expect(c.attempts![0]!.baseline[0]?.outcome).toBe('lab-error');
    expect(c.baseline[0]!.consoleLog).toBe(`cells/${c.id}/attempt-2/baseline-1.log`);
    expect(readFileSync(join(results, run.id, c.baseline[0]!.consoleLog), 'utf8')).toMatch(/^bootgate-ready boot_id=[0-9a-f-]{36} /m); // the guest's own console (loglevel=5 may print no kernel line at all)
    expect(run.summary).toMatchObject({ pass: 1, error: 0, verdict: 'pass' });
    expect(vmCount(run.id)).toBe(0);
    expect(scratchDirs(run.id)).toBe(0);
  });

  it('kill -9 of the harness: its VMs die with it, and the next doctor removes its scratch folders', async () => {
    const results = mkdtempSync(join(tmpdir(), 'bootgate-res-'));
    const child = spawn(process.execPath, [BIN, 'run', suite('boot: { baseline: 1, cycles: 3 }'), '--results', results], { cwd: ROOT, stdio: 'ignore' });
    let runId: string | undefined;
    for (let i = 0; i < 600 && !(runId && vmCount(runId) > 0); i++) {
      await new Promise((r) => setTimeout(r, 100));
      runId = readdirSync(results)[0];
    }
    expect(runId && vmCount(runId), 'a VM of the run is up').toBeGreaterThan(0);
    const closed = new Promise((resolve) => child.on('close', resolve));
    child.kill('SIGKILL');
    await closed;
    // The parent-death signal: the kernel kills the VM as its parent goes, no hook of ours runs.
    for (let i = 0; i < 50 && vmCount(runId!) > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(vmCount(runId!)).toBe(0);
    expect(scratchDirs(runId!)).toBe(1);
    const d = await bootgate(['doctor']);
    expect(d.stdout).toMatch(new RegExp(`leftovers of earlier runs whose harness died \\(${runId}[,)].*1 scratch folder\\(s\\) removed`));
    expect(scratchDirs(runId!)).toBe(0);
    const again = await bootgate(['doctor']);
    expect(again.stdout).toMatch(/no leftovers of earlier runs/);
  });
});
