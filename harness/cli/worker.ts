import { Command } from 'commander';
import { hostname, totalmem } from 'node:os';
import { createProvider } from '../providers/registry.js';
import { defaultCapabilities, parseCapabilities } from '../run/queue/capabilities.js';
import { CellWorker } from '../run/queue/cell-worker.js';
import { parseQueueUrl, redactQueueUrl } from '../run/queue/queue-url.js';
import { ConfigError } from '../util/errors.js';
import { parseDuration } from '../util/duration.js';
import { printable } from '../util/printable.js';
import { cacheRoot, projectRoot } from '../util/paths.js';
import { parseConcurrency } from './concurrency-option.js';

export interface WorkerCommandOptions {
  queue?: string;
  capabilities?: string;
  concurrency?: number;
  memory?: string;
  provider: string;
}

function parseMemory(v: string | undefined): number {
  if (v === undefined) return Math.max(512, Math.floor(totalmem() / 2 ** 20) - 512);
  const n = Number(v);
  if (!Number.isInteger(n) || n < 128) throw new ConfigError('USAGE', `--memory takes MiB, a whole number >= 128, not ${v}`, { field: '--memory' });
  return n;
}

/**
 * `bootgate worker --queue URL`: a lab host of a fleet. Takes the cells it can run from the
 * queue until stopped (SIGINT/SIGTERM: the cells it was running go back on the queue); exit 0
 * then, 2 on bad options.
 */
export async function workerCommandRun(o: WorkerCommandOptions, signal: AbortSignal, err: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  if (!o.queue) throw new ConfigError('USAGE', 'which queue? `bootgate worker --queue redis://HOST:PORT`', { field: '--queue' });
  const url = parseQueueUrl(o.queue);
  const provider = createProvider(o.provider);
  if (!provider) throw new ConfigError('USAGE', `unknown provider ${JSON.stringify(o.provider)}`, { field: '--provider' });
  const caps = o.capabilities !== undefined ? parseCapabilities(o.capabilities) : defaultCapabilities(process.arch, await provider.describe());
  const memoryMiB = parseMemory(o.memory);
  const name = `${hostname()}/${process.pid}`;
  const log = (l: string) => err(`[${new Date().toISOString().slice(11, 19)}] worker ${name}: ${printable(l)}\n`);
  const worker = new CellWorker({ url, caps, memoryMiB, concurrency: o.concurrency ?? 1, root: projectRoot(), cacheDir: cacheRoot(), provider, name, log, signal });
  log(`connecting to ${redactQueueUrl(url)}`);
  const queues = await worker.start();
  log(`ready: ${caps.join(',')}, ${memoryMiB} MiB, -j ${o.concurrency ?? 1}, provider ${provider.name}; queues ${queues.join(', ')}`);
  await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
  log('stopping: cells running go back on the queue');
  await worker.close();
  return 0;
}

export function workerCommand(setCode: (c: number) => void, signal: () => AbortSignal): Command {
  return new Command('worker')
    .description('take cells from a Redis queue (bootgate run --queue) and run them here, until stopped; exit 0, 2 on bad options')
    .option('--queue <url>', 'the Redis queue: redis://HOST:PORT[/DB] (rediss:// for TLS)')
    .option('--capabilities <list>', 'what this host offers: kvm, x86_64, arm64, windows, comma-separated (default: the host architecture, and kvm when a KVM guest starts)')
    .option('-j, --concurrency <n>', 'cells at once (default 1)', parseConcurrency)
    .option('--memory <MiB>', 'guest memory for this worker\'s cells at once (default: the host\'s less 512 MiB)')
    .option('--provider <name>', 'VM backend', 'qemu')
    .action(async (o: WorkerCommandOptions) => {
      setCode(await workerCommandRun(o, signal()));
    });
}

export { parseQueueUrl } from '../run/queue/queue-url.js';

/** `--queue-timeout 30m`: a duration of the suite grammar, at least 1 s. */
export function parseQueueTimeout(v: string): number {
  const ms = parseDuration(v);
  if (ms === undefined || ms < 1000) throw new ConfigError('USAGE', `--queue-timeout takes a duration of 1 s or more (90s, 30m, 2h), not ${v}`, { field: '--queue-timeout' });
  return ms;
}
