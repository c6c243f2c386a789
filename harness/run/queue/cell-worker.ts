import { DelayedError, Worker, type Job } from 'bullmq';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import type { Provider } from '../../providers/provider.js';
import { sha256File } from '../../util/fsutil.js';
import type { RunEvent } from '../events.js';
import { runSuite } from '../run-suite.js';
import { forwardedEvent, queuesServed, type CellJobData, type CellJobResult } from './cell-job.js';
import { packCellFiles } from './cell-files.js';
import { redisConnection } from './redis-connection.js';

export interface CellWorkerOptions {
  url: string;
  /** What this host offers (queue/capabilities.ts): it serves the queues of the needs they cover. */
  caps: string[];
  /** Guest memory this host gives its cells at once. */
  memoryMiB: number;
  /** Cells at once (-j). */
  concurrency: number;
  /** The checkout the jobs' suite paths are relative to: the enqueuer's, on a shared or identical tree. */
  root: string;
  cacheDir: string;
  provider: Provider;
  /** This worker, in results and log lines: host/pid. */
  name: string;
  log: (line: string) => void;
  signal: AbortSignal;
}

/**
 * How soon a job whose worker died is taken again: the lock a worker renews every 10 s lapses after
 * 20 s, and the stalled-job check runs every 10 s; a job stalled three times is failed (the
 * enqueuer then records the cell as `error`).
 */
export const STALL = { lockDuration: 20_000, stalledInterval: 10_000, maxStalledCount: 3 } as const;

/**
 * `bootgate worker`: takes cell jobs its host can run, runs each as a run of that one cell (the
 * same prepare, CellRunner and retries as a local run; its own baselines) in a scratch folder, and
 * answers with the cell record and its files. A lab that cannot run the cell answers `labError`
 * (the cell is `error`, never `fail`); a worker stopped mid-cell puts the job back.
 */
export class CellWorker {
  private readonly workers: Worker[] = [];
  private active = 0;
  private memoryInUse = 0;

  constructor(private readonly o: CellWorkerOptions) {}

  /** The queues served; resolves once every one is connected. */
  async start(): Promise<string[]> {
    const names = queuesServed(this.o.caps);
    for (const name of names) {
      const w = new Worker<CellJobData, CellJobResult>(name, (job, token) => this.process(job, token), { connection: redisConnection(this.o.url), concurrency: this.o.concurrency, ...STALL });
      w.on('error', (e) => this.o.log(`queue ${name}: ${e.message}`));
      this.workers.push(w);
      await w.waitUntilReady();
    }
    return names;
  }

  /** Stop taking jobs; cells running are interrupted by the signal and put back on the queue. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
  }

  /** One -j across the queues served: past it, the other queues' workers stop fetching until a cell ends. */
  private async hold(delta: 1 | -1): Promise<void> {
    this.active += delta;
    if (this.workers.length < 2) return;
    if (this.active >= this.o.concurrency) await Promise.all(this.workers.map((w) => w.pause(true)));
    else for (const w of this.workers) if (w.isPaused()) w.resume();
  }

  private async process(job: Job<CellJobData, CellJobResult>, token?: string): Promise<CellJobResult> {
    const d = job.data;
    const o = this.o;
    if (this.memoryInUse + d.needs.memoryMiB > o.memoryMiB || o.signal.aborted) {
      // Not now, or not here: back to the queue for this worker later or another now.
      await job.moveToDelayed(Date.now() + 1_000, token);
      throw new DelayedError();
    }
    this.memoryInUse += d.needs.memoryMiB;
    await this.hold(1);
    const startedAt = Date.now();
    const scratch = await mkdtemp(join(tmpdir(), 'bootgate-worker-'));
    try {
      o.log(`${d.cellId}: started (run ${d.runId}, job ${job.id})`);
      const result = await this.runCell(job, scratch, startedAt);
      if (o.signal.aborted) {
        o.log(`${d.cellId}: interrupted; back on the queue`);
        await job.moveToDelayed(Date.now(), token);
        throw new DelayedError();
      }
      o.log(`${d.cellId}: ${'cell' in result ? `${result.cell.verdict}: ${result.cell.reason ?? ''}` : `lab error: ${result.labError}`}`);
      return result;
    } finally {
      this.memoryInUse -= d.needs.memoryMiB;
      await this.hold(-1);
      await rm(scratch, { recursive: true, force: true });
    }
  }

  private async runCell(job: Job<CellJobData, CellJobResult>, scratch: string, startedAt: number): Promise<CellJobResult> {
    const d = job.data;
    const o = this.o;
    const labError = (m: string): CellJobResult => ({ worker: o.name, startedAt, finishedAt: Date.now(), labError: m });
    const suiteFile = resolve(o.root, d.suite.file);
    if (!suiteFile.startsWith(resolve(o.root) + sep)) return labError(`the suite ${d.suite.file} lies outside this worker's checkout`);
    const sha = await sha256File(suiteFile).catch(() => undefined);
    if (sha === undefined) return labError(`no suite ${d.suite.file} in this worker's checkout (${o.root})`);
    if (sha !== d.suite.sha256) return labError(`the suite ${d.suite.file} differs in this worker's checkout (sha256 ${sha.slice(0, 12)}, the run's ${d.suite.sha256.slice(0, 12)}): workers need the enqueuer's checkout`);
    const emit = (e: RunEvent) => {
      if (forwardedEvent(e)) job.updateProgress(e as unknown as object).catch(() => undefined);
      else if (e.type === 'prepare') o.log(`${d.cellId}: ${e.message}`);
    };
    try {
      const r = await runSuite({ suiteFile, resultsDir: scratch, cacheDir: o.cacheDir, root: o.root, provider: o.provider, concurrency: 1, selection: { cells: [d.cellId], ...(d.cycles ? { cycles: d.cycles } : {}) }, sharedBaselines: false, emit, signal: o.signal });
      const cell = r.run.cells.find((c) => c.id === d.cellId);
      if (!cell) return labError(`the suite has no cell ${d.cellId} here`);
      const { files, dropped } = await packCellFiles(r.runDir, d.cellId);
      return { worker: o.name, startedAt, finishedAt: Date.now(), cell, files, ...(dropped.length ? { dropped } : {}) };
    } catch (e) {
      return labError(e instanceof Error ? e.message : String(e));
    }
  }
}
