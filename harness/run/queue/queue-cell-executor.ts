import { Queue, QueueEvents } from 'bullmq';
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CellPlan } from '../../config/matrix.js';
import { judgeCell } from '../../gate/cell-verdict.js';
import type { Journal } from '../../results/journal.js';
import type { RunStore } from '../../results/run-store.js';
import type { GatePolicy } from '../../results/policy-schema.js';
import type { CellResult } from '../../results/schema.js';
import { jsonLine } from '../../util/json-text.js';
import type { CellExecutor } from '../cell-executor.js';
import type { RunEvent, RunEventSink } from '../events.js';
import { forwardedEvent, jobIdOf, queueNameOf, type CellJobData, type CellJobResult, type CellNeeds } from './cell-job.js';
import { unpackCellFiles } from './cell-files.js';
import { redisConnection } from './redis-connection.js';

export interface QueueCellExecutorOptions {
  url: string;
  runId: string;
  runDir: string;
  suite: { file: string; sha256: string };
  cycles?: number;
  policy: GatePolicy;
  needsOf: (cell: CellPlan) => CellNeeds;
  store: RunStore;
  journal: Journal;
  emit: RunEventSink;
  signal: AbortSignal;
  /** A cell no worker started within this long is `error`; undefined: wait for one as long as it takes (said every minute). */
  queueTimeoutMs?: number;
}

/** Kept so that `--resume` finds a finished cell's result after the enqueuer died: a day. */
const KEEP_S = 86_400;
/** Events can be missed across a Redis restart; the job's state is asked this often as well. */
const POLL_MS = 2_000;
/** How long a job may wait before the live view says which worker it waits for. */
const WAITING_NOTICE_MS = 15_000;

/** A completed job's return value as a worker's answer; anything else (another version's worker) is a lab error, not a crash here. */
function answerOf(v: unknown): CellJobResult {
  const r = v as Partial<CellJobResult> | null;
  const ok = r !== null && typeof r === 'object' && typeof r.worker === 'string' && (('cell' in r && typeof r.cell === 'object' && Array.isArray(r.files)) || ('labError' in r && typeof r.labError === 'string'));
  return ok ? (r as CellJobResult) : { worker: '?', startedAt: Date.now(), finishedAt: Date.now(), labError: 'the worker answered in a form this version does not read (workers and the enqueuer need the same checkout)' };
}

interface Waiter {
  settle: () => void;
  started: boolean;
}

/**
 * Cells as BullMQ jobs, one per cell, id = run id + cell id (queue/cell-job.ts): enqueued (or
 * found, when a resume re-attaches), their workers' events forwarded to the run's reporters,
 * and each final result written into this run's folder, store and journal as a local run would.
 * A job is counted by its completion alone, so one that stalled and ran again counts once.
 */
export class QueueCellExecutor implements CellExecutor {
  readonly concurrency = Number.MAX_SAFE_INTEGER;
  private readonly queues = new Map<string, { queue: Queue; events: QueueEvents }>();
  private readonly waiters = new Map<string, Waiter>();

  constructor(private readonly o: QueueCellExecutorOptions) {}

  private async queueOf(name: string): Promise<Queue> {
    let q = this.queues.get(name);
    if (!q) {
      const connection = redisConnection(this.o.url);
      q = { queue: new Queue(name, { connection }), events: new QueueEvents(name, { connection }) };
      this.queues.set(name, q);
      q.events.on('progress', ({ jobId, data }) => this.onProgress(jobId, data));
      q.events.on('active', ({ jobId }) => {
        const w = this.waiters.get(jobId);
        if (w) w.started = true;
      });
      const done = ({ jobId }: { jobId: string }) => this.waiters.get(jobId)?.settle();
      q.events.on('completed', done);
      q.events.on('failed', done);
      // A dropped connection is retried by ioredis; the error is not the run's.
      q.queue.on('error', () => undefined);
      q.events.on('error', () => undefined);
      await q.events.waitUntilReady();
    }
    return q.queue;
  }

  private onProgress(jobId: string, data: unknown): void {
    if (!this.waiters.has(jobId)) return;
    this.waiters.get(jobId)!.started = true;
    const e = data as RunEvent;
    if (e && typeof e === 'object' && forwardedEvent(e)) this.o.emit(e);
  }

  async run(cell: CellPlan): Promise<void> {
    const { o } = this;
    const needs = o.needsOf(cell);
    const jobId = jobIdOf(o.runId, cell.id);
    const queue = await this.queueOf(queueNameOf(needs.caps));
    const data: CellJobData = { v: 1, runId: o.runId, cellId: cell.id, suite: o.suite, ...(o.cycles ? { cycles: o.cycles } : {}), needs, enqueuedAt: Date.now() };
    let job = await queue.getJob(jobId);
    let state = job ? await job.getState() : undefined;
    // A failed job (a worker's own crash, or stalled too often) is tried again in this run; a finished one is taken as it is.
    if (job && state === 'failed') {
      await job.remove();
      job = undefined;
    }
    if (!job) {
      await queue.add('cell', data, { jobId, removeOnComplete: { age: KEEP_S }, removeOnFail: { age: KEEP_S }, attempts: 1 });
      state = 'waiting';
    }
    const t0 = Date.now();
    const waiter: Waiter = { settle: () => undefined, started: state === 'active' };
    this.waiters.set(jobId, waiter);
    let lastNotice = t0;
    const onAbort = () => waiter.settle();
    o.signal.addEventListener('abort', onAbort, { once: true });
    try {
      while (!o.signal.aborted) {
        const j = await queue.getJob(jobId);
        const st = j ? await j.getState() : 'unknown';
        if (j && st === 'completed') return await this.record(cell, answerOf(j.returnvalue), j.timestamp, j.finishedOn);
        if (!j || st === 'failed' || st === 'unknown') return await this.record(cell, { worker: '?', startedAt: Date.now(), finishedAt: Date.now(), labError: j?.failedReason ? `the job failed: ${j.failedReason}` : 'the job disappeared from the queue' }, t0);
        if (st === 'active') waiter.started = true;
        if (!waiter.started && st !== 'active') {
          const waited = Date.now() - t0;
          if (o.queueTimeoutMs !== undefined && waited > o.queueTimeoutMs) {
            await j.remove().catch(() => undefined);
            return await this.record(cell, { worker: '-', startedAt: Date.now(), finishedAt: Date.now(), labError: `no worker with ${needs.caps.join(',')} and ${needs.memoryMiB} MiB took it within ${Math.round(o.queueTimeoutMs / 1000)} s` }, t0);
          }
          if (waited > WAITING_NOTICE_MS && Date.now() - lastNotice >= WAITING_NOTICE_MS) {
            lastNotice = Date.now();
            o.emit({ type: 'prepare', message: `${cell.id}: waiting for a worker with ${needs.caps.join(',')} and ${needs.memoryMiB} MiB (${Math.round(waited / 1000)} s)` });
          }
        }
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, POLL_MS);
          waiter.settle = () => {
            clearTimeout(t);
            resolve();
          };
        });
      }
    } finally {
      o.signal.removeEventListener('abort', onAbort);
      this.waiters.delete(jobId);
    }
  }

  /** The worker's answer into this run: files, then the record (store and journal), then the reporters hear of it. */
  private async record(plan: CellPlan, r: CellJobResult, enqueuedAt: number, finishedOn?: number): Promise<void> {
    const { o } = this;
    const notes: string[] = [];
    let result!: CellResult;
    if ('cell' in r) {
      const refused = await unpackCellFiles(o.runDir, plan.id, r.files);
      if (refused.length) notes.push(`files outside the cell's folder refused: ${refused.join(', ')}`);
      if (r.dropped?.length) notes.push(`files too large for the queue, left on the worker: ${r.dropped.join(', ')}`);
    }
    await o.store.update((run) => {
      const i = run.cells.findIndex((c) => c.id === plan.id);
      if (i < 0) return;
      const planned = run.cells[i]!;
      if ('cell' in r) {
        // The worker's record, under this run's plan of the cell (the same image, build and content by the suite's sha256).
        run.cells[i] = { ...r.cell, id: planned.id, image: planned.image, agent: planned.agent, content: planned.content };
      } else {
        const c: CellResult = { ...planned, status: 'done', startedAt: new Date(r.startedAt).toISOString(), endedAt: new Date(r.finishedAt).toISOString(), baseline: [], cycles: [], stopped: { cause: 'lab', message: `worker ${r.worker}: ${r.labError}` } };
        const j = judgeCell(c, o.policy);
        c.verdict = j.verdict;
        c.reason = j.reason;
        c.rules = j.rules;
        run.cells[i] = c;
      }
      result = structuredClone(run.cells[i]!);
    });
    if (!result) return;
    await o.journal.append({ type: 'cell', cell: result });
    const writtenAt = Date.now();
    for (const n of notes) o.emit({ type: 'prepare', message: `${plan.id}: ${n}` });
    o.emit({ type: 'cell-end', cell: result });
    // Who ran the cell, and what the queue cost it: enqueue to start, result to run.json.
    await appendFile(
      join(o.runDir, 'queue.ndjson'),
      jsonLine({ cell: plan.id, job: jobIdOf(o.runId, plan.id), worker: r.worker, enqueuedAt, startedAt: r.startedAt, finishedAt: r.finishedAt, ...(finishedOn ? { completedAt: finishedOn } : {}), writtenAt }) + '\n',
    );
  }

  async close(): Promise<void> {
    for (const { queue, events } of this.queues.values()) {
      await events.close().catch(() => undefined);
      await queue.close().catch(() => undefined);
    }
  }
}
