import { existsSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootgate, printedRun, vmCount } from './cli-helpers.js';
import { BootgateProcess, runOf, startWorker } from '../scripts/queue-lab.js';
import { RedisServer } from '../scripts/redis-server.js';

/**
 * The queue for real: Debian's redis-server, two `bootgate worker` processes (-j 1 each) and a
 * `bootgate run --queue`, against a local run of the same suite: the same verdicts, every cell
 * counted once, its console logs in the enqueuer's run folder. The suite is the quickstart cut to
 * one agent boot per cell (test/fixtures/suites/queue-quick.yaml): 3 boots locally, 4 on the queue.
 */
const SUITE = 'test/fixtures/suites/queue-quick.yaml';
let redis: RedisServer;
const workers: BootgateProcess[] = [];

beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  for (const w of workers) await w.stop();
  await redis?.dispose();
});

describe('bootgate run --queue, two workers', () => {
  it('gives the verdicts of a local run, each cell once, its logs here', async () => {
    const results = mkdtempSync(join(tmpdir(), 'bootgate-queue-'));
    const local = await bootgate(['run', SUITE, '--results', results], { env: { CI: 'true' } });
    expect(local.code, local.stderr).toBe(1);
    const localRun = printedRun(local);

    workers.push(startWorker(redis.url), startWorker(redis.url));
    await Promise.all(workers.map((w) => w.waitFor(/ready: .*queues bootgate\.x86_64/, 60_000)));
    const queued = new BootgateProcess(['run', SUITE, '--results', results, '--queue', redis.url]);
    expect(await queued.exited, queued.stderr).toBe(1);
    expect(queued.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
    const { run, cellLines, queueLines } = runOf(queued);

    const verdicts = (r: typeof run) => Object.fromEntries(r.cells.map((c) => [c.id, c.verdict]));
    expect(verdicts(run)).toEqual(verdicts(localRun));
    expect(run.summary).toMatchObject({ cells: 2, pass: 1, fail: 1, error: 0, verdict: 'fail', exitCode: 1 });
    expect(run.queue?.url).toBe(redis.url);
    const bad = run.cells.find((c) => c.content.version === '291')!;
    expect(bad.cycles[0]!.crash).toMatchObject({ class: 'null-deref', function: 'sensor_parse_channel', module: 'sensor' });
    // Each cell once in the journal and the queue log; the two workers shared the cells.
    expect(cellLines.sort()).toEqual(run.cells.map((c) => c.id).sort());
    expect(queueLines.map((l) => l.cell).sort()).toEqual(cellLines.sort());
    expect(new Set(queueLines.map((l) => l.worker)).size).toBe(2);
    // The console logs came back through the queue, into this run's folder.
    const dir = dirname(queued.stdout.trim().split('\n').at(-1)!);
    for (const c of run.cells) for (const cy of [...c.baseline, ...c.cycles]) expect(existsSync(join(dir, cy.consoleLog!)), cy.consoleLog).toBe(true);
    // The live events of the workers reached the enqueuer's view.
    expect(queued.stderr).toMatch(/content-291: agent 1 \(warm\): CRASH: BUG: kernel NULL pointer dereference in sensor_parse_channel/);
    // Workers name VMs after their scratch run of the cell (queue-quick-...): none is left.
    expect(vmCount('queue-quick-')).toBe(0);
  }, 1_200_000);

  it('a worker whose lab fails (no QEMU on its PATH) makes the cell error, never fail', async () => {
    // Only the worker without QEMU may take the job: the working workers of the test before are stopped.
    for (const w of workers.splice(0)) await w.stop();
    // The host's tools, QEMU's left out.
    const bin = mkdtempSync(join(tmpdir(), 'bootgate-noqemu-'));
    for (const dir of ['/usr/local/bin', '/usr/bin', '/bin', '/usr/sbin', '/sbin']) {
      for (const name of existsSync(dir) ? readdirSync(dir) : []) if (!name.startsWith('qemu') && !existsSync(join(bin, name))) symlinkSync(join(dir, name), join(bin, name));
    }
    const w = new BootgateProcess(['worker', '--queue', redis.url, '--capabilities', 'x86_64'], { PATH: bin });
    workers.push(w);
    await w.waitFor(/ready: /, 60_000);
    const results = mkdtempSync(join(tmpdir(), 'bootgate-queue-'));
    // Content 291 crashes the guest on a working lab: here no guest can start, and that is the lab's fault.
    const queued = new BootgateProcess(['run', SUITE, '--results', results, '--queue', redis.url, '--cells', '*content-291']);
    expect(await queued.exited, queued.stderr).toBe(3);
    const { run } = runOf(queued);
    expect(run.cells.map((c) => [c.verdict, c.stopped?.cause])).toEqual([['error', 'lab']]);
    expect(run.summary).toMatchObject({ fail: 0, error: 1, verdict: 'error', exitCode: 3 });
    await w.stop();
    workers.splice(workers.indexOf(w), 1);
  }, 600_000);

  it('refuses a bad queue URL with one line, exit 2', async () => {
    const r = await bootgate(['run', SUITE, '--queue', 'http://127.0.0.1:1']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('bootgate: error: --queue: http is not a Redis URL (expected redis:// or rediss://)');
    const w = await bootgate(['worker', '--queue', 'redis://127.0.0.1:1', '--capabilities', 'gpu']);
    expect(w.code).toBe(2);
    expect(w.stderr).toMatch(/--capabilities: unknown capability gpu/);
  });
});
