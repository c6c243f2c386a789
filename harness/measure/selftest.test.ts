import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GuestOs } from '../guest/guest-os.js';
import { ExecTimeoutError } from '../guest/ssh-transport.js';
import type { ExecOpts, ExecResult, GuestTransport } from '../guest/transport.js';
import { MAX_SELFTEST_POINTS, selftestLine, selftestSchema } from '../results/selftest-record.js';
import { LabError } from '../util/errors.js';
import { execCapture } from '../util/exec.js';
import { MAX_SELFTEST_OUTPUT, runSelftest, selftestOf, selftestRecord, type SelftestExit } from './selftest.js';
import { readTap } from './tap.js';

const EXIT0: SelftestExit = { code: 0, ms: 12 };
/** The TAP a real shell prints for a script (dash, as busybox sh in the guests). */
const sh = async (script: string) => (await execCapture('sh', ['-c', script])).stdout;

describe('a self-test of node:test (real TAP 13: subtests, TODO, SKIP, YAML diagnostics)', () => {
  let dir: string;
  let tap: string;
  let code: number | null;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bootgate-selftest-'));
    const file = join(dir, 'agent.test.mjs');
    await writeFile(
      file,
      [
        "import test from 'node:test';",
        "import assert from 'node:assert';",
        "test('module loaded', () => {});",
        "test('counter', async (t) => {",
        "  await t.test('reads', () => {});",
        "  await t.test('below limit', () => assert.strictEqual(3, 2, 'counter 3 over 2'));",
        '});',
        "test('rules reload', { todo: 'not written' }, () => { throw new Error('x'); });",
        "test('tpm', { skip: 'no TPM in this guest' }, () => {});",
      ].join('\n'),
    );
    const r = await execCapture(process.execPath, ['--test', '--test-reporter=tap', file], { cwd: dir });
    tap = r.stdout;
    code = r.code;
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('records every point, subtests with their parents, directives with their reasons', () => {
    expect(tap).toMatch(/^TAP version 13/);
    const rec = selftestRecord(readTap(tap), { code, ms: 500 });
    expect(rec.points).toEqual([
      { number: 1, ok: true, description: 'module loaded' },
      { number: 1, ok: true, description: 'counter > reads', depth: 1 },
      { number: 2, ok: false, description: 'counter > below limit', depth: 1, message: expect.stringMatching(/^counter 3 over 2/) },
      { number: 2, ok: false, description: 'counter', message: '1 subtest failed' },
      { number: 3, ok: false, description: 'rules reload', directive: 'todo', reason: 'not written', message: 'x' },
      { number: 4, ok: true, description: 'tpm', directive: 'skip', reason: 'no TPM in this guest' },
    ]);
    expect(rec.plan).toEqual({ start: 1, end: 4 });
    expect(rec.summary).toEqual({ count: 4, pass: 1, fail: 1, todo: 1, skip: 1 });
  });

  it('is not ok: the failing points (here and in the subtest) and the exit are named; the TODO one is not', () => {
    const rec = selftestRecord(readTap(tap), { code, ms: 500 });
    expect(code).toBe(1);
    expect(rec.ok).toBe(false);
    expect(rec.problems[0]).toBe('exited 1');
    expect(rec.problems.filter((p) => p.startsWith('not ok'))).toEqual([expect.stringMatching(/^not ok 2 - counter > below limit: counter 3 over 2/), 'not ok 2 - counter: 1 subtest failed']);
    expect(rec.problems.join('\n')).not.toMatch(/rules reload/);
    expect(selftestLine(rec)).toMatch(/^self-test failed: exited 1 \(and 2 more\)$/);
    expect(() => selftestSchema.parse(rec)).not.toThrow();
  });
});

describe('selftestRecord: TAP from a shell script', () => {
  it('all ok, with a plan and exit 0: ok', async () => {
    const rec = selftestRecord(readTap(await sh('echo "TAP version 14"; echo 1..2; echo "ok 1 - sensor loaded"; echo "ok 2 - counter 1 # SKIP first boot"')), EXIT0);
    expect(rec).toMatchObject({ ok: true, problems: [], summary: { count: 2, pass: 1, skip: 1, fail: 0, todo: 0 }, exitCode: 0 });
    expect(selftestLine(rec)).toBe('self-test ok: 1/2 points passed, 1 skipped');
  });

  it('not ok # TODO does not fail; not ok does', async () => {
    expect(selftestRecord(readTap(await sh('echo 1..1; echo "not ok 1 - rules reload # TODO not yet"')), EXIT0).ok).toBe(true);
    const rec = selftestRecord(readTap(await sh('echo 1..2; echo "ok 1 - a"; echo "not ok 2 - counter below 3"; echo "  ---"; echo "  message: counter is 2"; echo "  ..."')), EXIT0);
    expect(rec.ok).toBe(false);
    expect(rec.problems).toEqual(['not ok 2 - counter below 3: counter is 2']);
  });

  it('a bail out fails it and is kept, with the points before it', async () => {
    const rec = selftestRecord(readTap(await sh('echo 1..3; echo "ok 1 - a"; echo "Bail out! /dev/sensor gone"; echo "ok 2 - never read"')), EXIT0);
    expect(rec).toMatchObject({ ok: false, bailout: '/dev/sensor gone', problems: ['Bail out! /dev/sensor gone'] });
    expect(rec.points.map((p) => p.description)).toEqual(['a']);
    expect(selftestRecord(readTap('1..1\nBail out!\n'), EXIT0).problems).toEqual(['Bail out!']);
  });

  it('a plan not met, a missing plan, points past the plan, or no TAP at all fail it', async () => {
    expect(selftestRecord(readTap(await sh('echo 1..3; echo "ok 1"; echo "ok 2"')), EXIT0).problems).toEqual(['the plan 1..3 announced 3 test point(s), 2 arrived']);
    expect(selftestRecord(readTap('ok 1 - a\nok 2 - b\n'), EXIT0).problems).toEqual(['no plan line (1..N) was printed']);
    expect(selftestRecord(readTap('1..1\nok 1 - a\nok 2 - b\n'), EXIT0).problems).toEqual([expect.stringMatching(/^id greater than plan end/)]);
    expect(selftestRecord(readTap(await sh('echo "sh: selftest: not found" >&2; exit 127')), { code: 127, ms: 3, stderr: 'sh: selftest: not found\n' })).toMatchObject({
      ok: false,
      problems: ['exited 127', 'no TAP: no plan and no test point'],
      stderr: 'sh: selftest: not found',
    });
    expect(selftestRecord(readTap(''), EXIT0).problems).toEqual(['no TAP: no plan and no test point']);
  });

  it('a skip-all plan (1..0 # SKIP) is ok with no points', () => {
    const rec = selftestRecord(readTap('1..0 # SKIP no sensor device\n'), EXIT0);
    expect(rec).toMatchObject({ ok: true, points: [], plan: { start: 1, end: 0, comment: 'SKIP no sensor device' } });
  });

  it('a non-zero exit or a timeout fails TAP that is all ok', () => {
    const tap = readTap('1..1\nok 1 - a\n');
    expect(selftestRecord(tap, { code: 2, ms: 5 }).problems).toEqual(['exited 2']);
    expect(selftestRecord(tap, { code: null, signal: 'SIGKILL', ms: 5 }).problems).toEqual(['ended by SIGKILL without an exit status']);
    expect(selftestRecord(tap, { code: null, timedOut: true, ms: 60_000 })).toMatchObject({ ok: false, timedOut: true, problems: ['did not finish within 60 s'] });
  });

  it('garbage lines around and between the TAP (a console, a shell) are passed over', () => {
    const text = '[    3.1] sensor: loaded\r\nTAP version 14\r\n1..2\r\nrandom noise\r\nok 1 - a\r\n\u0007beep\r\nok 2 - b\r\nbootgate-ready boot_id=x\r\n';
    const rec = selftestRecord(readTap(text), EXIT0);
    expect(rec).toMatchObject({ ok: true, summary: { count: 2, pass: 2 } });
  });

  it('a subtest whose own plan is not met fails it, though its parent says ok', () => {
    const rec = selftestRecord(readTap('TAP version 14\n1..1\n# Subtest: sub\n    1..2\n    ok 1 - x\nok 1 - sub\n'), EXIT0);
    expect(rec.ok).toBe(false);
    expect(rec.problems).toEqual(['subtest sub: the plan 1..2 announced 2 test point(s), 1 arrived']);
  });
});

describe('selftestRecord: hostile TAP', () => {
  it('keeps at most MAX_SELFTEST_POINTS points and says how many were dropped and how many of those failed', () => {
    const n = MAX_SELFTEST_POINTS + 500;
    const lines = [`1..${n}`];
    for (let i = 1; i <= n; i++) lines.push(`${i % 100 === 0 ? 'not ok' : 'ok'} ${i} - p${i}`);
    const rec = selftestOf(lines.join('\n'), EXIT0);
    expect(rec.points).toHaveLength(MAX_SELFTEST_POINTS);
    expect(selftestRecord(readTap(lines.join('\n')), EXIT0).points).toHaveLength(MAX_SELFTEST_POINTS);
    expect(rec.dropped).toBe(500);
    expect(rec.summary).toMatchObject({ count: n, fail: 15 });
    // 10 failing points kept and named, then a line for the 5 among those dropped, within the cap of problems.
    expect(rec.problems.slice(0, 10)).toEqual(Array.from({ length: 10 }, (_, i) => `not ok ${(i + 1) * 100} - p${(i + 1) * 100}`));
    expect(rec.problems[10]).toBe('5 more failing point(s) among the 500 not kept');
  });

  it('lists at most 20 problems, then how many more', () => {
    const lines = ['1..30', ...Array.from({ length: 30 }, (_, i) => `not ok ${i + 1} - f${i + 1}`)];
    const rec = selftestRecord(readTap(lines.join('\n')), EXIT0);
    expect(rec.problems).toHaveLength(21);
    expect(rec.problems[20]).toBe('and 10 more');
  });

  it('keeps control characters raw (views make them printable), bounds long descriptions, never throws', () => {
    const long = 'x'.repeat(100_000);
    const text = `1..2\nnot ok 1 - \u001b[2J\u001b]0;pwned\u0007 # todo \u0000\nnot ok 2 - ${long}\n  ---\n  message: [unclosed\n  ...\n`;
    const rec = selftestRecord(readTap(text), EXIT0);
    expect(rec.points[0]!.description).toContain('\u001b[2J');
    expect(rec.points[1]!.description.length).toBeLessThanOrEqual(500);
    expect(rec.ok).toBe(false);
    for (const junk of ['\u0000\u0001\u0002', '1..99999999999999999999', '#'.repeat(10_000), 'ok 1 - a {\n'.repeat(200), 'TAP version 99\n1..-1\nok -1\n']) {
      expect(() => selftestOf(junk, EXIT0)).not.toThrow();
    }
  });

  it('nesting deeper than 20 subtests is passed over, quickly (tap-parser recurses per level)', () => {
    const t0 = Date.now();
    const rec = selftestOf(`1..1\n${'    '.repeat(5000)}ok 1 - deep\nok 1 - top\n`, EXIT0);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(rec).toMatchObject({ ok: true, points: [{ description: 'top' }] });
  });

  it('output past 1 MiB is not read, and fails the self-test, cut at a line end', () => {
    const line = 'ok 1 - a point with a long description to fill the output quickly\n';
    const big = `1..1\n${line}${'# filler\n'.repeat(Math.ceil(MAX_SELFTEST_OUTPUT / 9))}`;
    const rec = selftestOf(big, EXIT0);
    expect(rec.ok).toBe(false);
    expect(rec.problems).toEqual([expect.stringMatching(/^printed more than 1 MiB: \d+ bytes past it were not read$/)]);
    expect(rec.points).toHaveLength(1);
  });
});

describe('runSelftest', () => {
  /** A guest whose commands run in this host's shell, timing out as the SSH transport does: the self-test path without a VM. */
  const hostGuest = {
    name: 'linux',
    runCommand: (_t: GuestTransport, command: string, o: Pick<ExecOpts, 'timeoutMs'>) =>
      new Promise<ExecResult>((resolve, reject) => {
        const child = spawn('sh', ['-c', command]);
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new ExecTimeoutError(command, o.timeoutMs!, { stdout, stderr }));
        }, o.timeoutMs);
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve({ code, stdout, stderr });
        });
      }),
  } as unknown as GuestOs;
  const t = {} as GuestTransport;

  it('records what the command printed and how it exited', async () => {
    const rec = await runSelftest(t, hostGuest, { command: 'echo 1..1; echo "not ok 1 - counter"; echo oops >&2; exit 3', timeoutMs: 10_000 });
    expect(rec).toMatchObject({ ok: false, exitCode: 3, problems: ['exited 3', 'not ok 1 - counter'], stderr: 'oops' });
  });

  it('a timeout fails the self-test and keeps the points printed before it', async () => {
    const rec = await runSelftest(t, hostGuest, { command: 'echo 1..2; echo "ok 1 - fast"; sleep 5; echo "ok 2 - slow"', timeoutMs: 500 });
    expect(rec).toMatchObject({ ok: false, timedOut: true, exitCode: null, ms: 500 });
    expect(rec.points.map((p) => p.description)).toEqual(['fast']);
    expect(rec.problems[0]).toBe('did not finish within 500 ms');
  });

  it('a lost connection is no self-test result: it rejects (the boot watcher looks for a crash)', async () => {
    const lost = { ...hostGuest, runCommand: () => Promise.reject(new LabError('CONNECTION_LOST', 'gone')) } as GuestOs;
    await expect(runSelftest(t, lost, { command: 'true', timeoutMs: 1000 })).rejects.toMatchObject({ code: 'CONNECTION_LOST' });
  });
});
