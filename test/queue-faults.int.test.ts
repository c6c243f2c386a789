import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vmCount } from './cli-helpers.js';
import { BootgateProcess, runOf, startWorker } from '../scripts/queue-lab.js';
import { RedisServer } from '../scripts/redis-server.js';

/**
 * Faults of a fleet, for real (real redis-server, real workers, real guests): a worker killed
 * with -9 mid-cell, whose job BullMQ finds stalled and hands to another worker, the cell counted
 * once; and Redis restarted mid-run (AOF on), which workers and the enqueuer ride out.
 */
const SUITE = 'test/fixtures/suites/queue-quick.yaml';
let redis: RedisServer;
const procs: BootgateProcess[] = [];

beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  for (const p of procs) p.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
  await redis?.dispose();
});

const results = () => mkdtempSync(join(tmpdir(), 'bootgate-queue-faults-'));
const track = (p: BootgateProcess) => (procs.push(p), p);

describe('queue faults', () => {
  it('a worker killed mid-cell: the job is run again by another worker and counted once', async () => {
    const a = track(startWorker(redis.url));
    await a.waitFor(/ready: /, 60_000);
    const run = track(new BootgateProcess(['run', SUITE, '--results', results(), '--queue', redis.url, '--cells', '*content-290']));
    // Mid-cell: the worker booted the cell's baseline guest.
    await run.waitFor(/content-290: baseline 1\/1 \(cold\): booting/);
    await new Promise((r) => setTimeout(r, 3_000));
    a.kill('SIGKILL');
    await a.exited;
    const b = track(startWorker(redis.url));
    expect(await run.exited, run.stderr).toBe(0);
    const { run: r, cellLines, queueLines } = runOf(run);
    expect(r.summary).toMatchObject({ cells: 1, pass: 1, error: 0 });
    expect(cellLines).toHaveLength(1);
    expect(queueLines).toHaveLength(1);
    expect(queueLines[0]!.worker).toMatch(new RegExp(`/${b.child.pid}$`));
    // The killed worker's VM went with it (parent-death signal), the second worker's at its cell's end.
    expect(vmCount('queue-quick-')).toBe(0);
    await b.stop();
  }, 1_200_000);

  it('the enqueuer killed: --resume re-attaches to the jobs running, enqueuing nothing again', async () => {
    const w = track(startWorker(redis.url));
    await w.waitFor(/ready: /, 60_000);
    const first = track(new BootgateProcess(['run', SUITE, '--results', results(), '--queue', redis.url]));
    await first.waitFor(/baseline 1\/1 \(cold\): booting/);
    first.kill('SIGKILL');
    await first.exited;
    const runDir = /results in (\S+)/.exec(first.stderr)![1]!;
    const resumed = track(new BootgateProcess(['run', '--resume', runDir]));
    expect(await resumed.exited, resumed.stderr).toBe(1);
    const { run: r, cellLines } = runOf(resumed);
    expect(r.summary).toMatchObject({ cells: 2, pass: 1, fail: 1, error: 0 });
    expect(cellLines.sort()).toEqual(r.cells.map((c) => c.id).sort());
    // Each cell was started once by the worker: the resume waited for the running job and took the other's result.
    for (const c of r.cells) expect(w.stderr.split('\n').filter((l) => l.includes(`${c.id}: started`)), c.id).toHaveLength(1);
    await w.stop();
  }, 1_200_000);

  it('Redis restarted mid-run: the run finishes, each cell once', async () => {
    const w = track(startWorker(redis.url));
    await w.waitFor(/ready: /, 60_000);
    const run = track(new BootgateProcess(['run', SUITE, '--results', results(), '--queue', redis.url]));
    await run.waitFor(/baseline 1\/1 \(cold\): booting/);
    await redis.restart(2_000);
    expect(await run.exited, run.stderr).toBe(1);
    const { run: r, cellLines } = runOf(run);
    expect(r.summary).toMatchObject({ cells: 2, pass: 1, fail: 1, error: 0 });
    expect(cellLines.sort()).toEqual(r.cells.map((c) => c.id).sort());
    await w.stop();
  }, 1_200_000);
});
