/**
 * `npm run bench:queue` (issue 13): what the Redis queue costs, in one run of the benchmark, on
 * this machine, with a redis-server of its own (AOF on) and real guests.
 *
 * 1. Throughput: the same suite run locally with -j 2 and on the queue by two workers with -j 1
 *    each, in the order local, queue, queue, local (a drift of the host's load falls on both);
 *    every cell boots its own baselines in both (--no-shared-baselines locally: a worker's cell
 *    cannot share another worker's). Ratio = queue cells/s over local cells/s.
 * 2. Queue overhead per cell, from the queue runs' queue.ndjson: enqueue to start (from the later
 *    of the job's enqueueing and the end of that worker's previous cell: waiting for a busy
 *    worker is not overhead) and the worker's result to run.json (the journal line written).
 * 3. A worker killed -9 mid-cell, BENCH_KILLS times (default 5): a one-cell run, its worker killed
 *    once the cell's first guest boots, a second worker started; the run must finish with the cell
 *    counted once (one journal line, one queue line, from the second worker).
 *
 * BENCH_QUEUE_SUITE (default test/fixtures/suites/queue-quick.yaml), BENCH_KILLS, BENCH_ROUNDS (default 1).
 * Figures, and exit 1 when a target is missed: ratio >= 0.95, overhead medians < 100 ms, kills 5/5.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median } from '../harness/util/stats.js';
import { BootgateProcess, runOf, startWorker } from './queue-lab.js';
import { RedisServer } from './redis-server.js';

const SUITE = process.env.BENCH_QUEUE_SUITE ?? 'test/fixtures/suites/queue-quick.yaml';
const KILLS = Number(process.env.BENCH_KILLS ?? 5);
/** Rounds of local, queue, queue, local: on a host shared with other work one round's walls can differ twofold. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);

type QueueLine = ReturnType<typeof runOf>['queueLines'][number];

async function timed(p: BootgateProcess): Promise<{ wallS: number; code: number | null }> {
  const t0 = Date.now();
  const code = await p.exited;
  return { wallS: (Date.now() - t0) / 1000, code };
}

async function main(): Promise<number> {
  const results = await mkdtemp(join(tmpdir(), 'bootgate-bench-queue-'));
  const redis = await RedisServer.start();
  const workers: BootgateProcess[] = [];
  try {
    console.log(`bench:queue: ${SUITE}; redis ${redis.url}; results ${results}`);
    const walls: { mode: string; wallS: number; cells: number; verdicts: string }[] = [];
    const lines: QueueLine[][] = [];
    const local = async () => {
      const p = new BootgateProcess(['run', SUITE, '--results', results, '-j', '2', '--no-shared-baselines']);
      const t = await timed(p);
      const { run } = runOf(p, false);
      walls.push({ mode: 'local -j2', wallS: t.wallS, cells: run.cells.length, verdicts: run.cells.map((c) => c.verdict).join(',') });
      console.log(`local -j 2         ${t.wallS.toFixed(1)} s, exit ${t.code}, ${run.cells.length} cells`);
    };
    const queued = async () => {
      if (!workers.length) {
        workers.push(startWorker(redis.url), startWorker(redis.url));
        await Promise.all(workers.map((w) => w.waitFor(/ready: /, 60_000)));
      }
      const p = new BootgateProcess(['run', SUITE, '--results', results, '--queue', redis.url]);
      const t = await timed(p);
      const { run, queueLines } = runOf(p);
      lines.push(queueLines);
      walls.push({ mode: 'queue 2x-j1', wallS: t.wallS, cells: run.cells.length, verdicts: run.cells.map((c) => c.verdict).join(',') });
      console.log(`queue 2 workers -j1 ${t.wallS.toFixed(1)} s, exit ${t.code}, ${run.cells.length} cells`);
    };
    for (let round = 1; round <= ROUNDS; round++) {
      await local();
      await queued();
      await queued();
      await local();
    }
    for (const w of workers.splice(0)) await w.stop();

    const rate = (mode: string) => {
      const ws = walls.filter((w) => w.mode === mode);
      return ws.reduce((n, w) => n + w.cells, 0) / ws.reduce((n, w) => n + w.wallS, 0);
    };
    const ratio = rate('queue 2x-j1') / rate('local -j2');
    const sameVerdicts = new Set(walls.map((w) => w.verdicts)).size === 1;

    const pickup: number[] = [];
    const back: number[] = [];
    for (const ls of lines) {
      const lastEnd = new Map<string, number>();
      for (const l of [...ls].sort((a, b) => a.startedAt - b.startedAt)) {
        pickup.push(l.startedAt - Math.max(l.enqueuedAt, lastEnd.get(l.worker) ?? 0));
        lastEnd.set(l.worker, l.finishedAt);
        back.push(l.writtenAt - l.finishedAt);
      }
    }

    let killsOk = 0;
    for (let i = 1; i <= KILLS; i++) {
      const a = startWorker(redis.url);
      await a.waitFor(/ready: /, 60_000);
      const p = new BootgateProcess(['run', SUITE, '--results', results, '--queue', redis.url, '--cells', '*content-290']);
      await p.waitFor(/baseline 1\/1 \(cold\): booting/);
      await new Promise((r) => setTimeout(r, 3_000));
      a.kill('SIGKILL');
      await a.exited;
      const b = startWorker(redis.url);
      const t = await timed(p);
      const { run, cellLines, queueLines } = runOf(p);
      const ok = t.code === 0 && run.summary.cells === 1 && run.summary.pending === 0 && cellLines.length === 1 && queueLines.length === 1 && queueLines[0]!.worker.endsWith(`/${b.child.pid}`);
      if (ok) killsOk++;
      console.log(`kill ${i}/${KILLS}: exit ${t.code}, ${t.wallS.toFixed(1)} s, cells ${run.summary.cells} (${run.summary.pass} pass), journal lines ${cellLines.length}, queue lines ${queueLines.length}, ran by ${queueLines[0]?.worker}: ${ok ? 'ok' : 'NOT OK'}`);
      await b.stop();
    }

    const ms = (xs: number[]) => `${median(xs).toFixed(0)} ms (n=${xs.length}, max ${Math.max(...xs).toFixed(0)})`;
    console.log('');
    console.log(`throughput: queue ${rate('queue 2x-j1').toFixed(4)} cells/s, local ${rate('local -j2').toFixed(4)} cells/s, ratio ${ratio.toFixed(3)} (target >= 0.95); same verdicts in every run: ${sameVerdicts}`);
    console.log(`queue overhead per cell, median: enqueue to start ${ms(pickup)}, result to run.json ${ms(back)} (target < 100 ms each)`);
    console.log(`worker killed mid-cell: ${killsOk}/${KILLS} runs finished with the cell counted once`);
    const ok = ratio >= 0.95 && sameVerdicts && median(pickup) < 100 && median(back) < 100 && killsOk === KILLS;
    console.log(ok ? 'bench:queue: every target met' : 'bench:queue: a target was missed');
    return ok ? 0 : 1;
  } finally {
    for (const w of workers) await w.stop();
    await redis.dispose();
  }
}

process.exitCode = await main();
