import { randomBytes } from 'node:crypto';
import { availableParallelism, cpus, hostname, totalmem } from 'node:os';
import { rm } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { PreparedBuild } from '../agents/agent.js';
import type { BuiltImage, ImageCatalog } from '../images/catalog.js';
import type { CellPlan } from '../config/matrix.js';
import { loadSuite, type LoadedSuite } from '../config/suite.js';
import { ensureLabKey } from '../guest/lab-keys.js';
import { guestOsFor } from '../guest/registry.js';
import type { Provider } from '../providers/provider.js';
import { createProvider } from '../providers/registry.js';
import type { GateResult } from '../results/gate-schema.js';
import { Journal, type JournalState } from '../results/journal.js';
import { RunStore } from '../results/run-store.js';
import type { CellResult, RunResult } from '../results/schema.js';
import { ConfigError } from '../util/errors.js';
import { bootgateVersion } from '../util/version.js';
import type { CellExecutor } from './cell-executor.js';
import { LocalCellExecutor } from './local-cell-executor.js';
import type { RunEventSink } from './events.js';
import { runPool } from './pool.js';
import { queueUrlOf, redactQueueUrl } from './queue/queue-url.js';
import { needsOf } from './queue/cell-job.js';
import { buildKey, prepareSuite, suiteImageNames, type Prepared } from './prepare.js';
import { changesSince, openForResume, selectionOf } from './resume.js';
import { lockRun } from './run-lock.js';
import { cleanLeftovers, describeLeftovers, findLeftovers } from './leftovers.js';
import { planRun, sharesBaselines, withCycles, type RunPlan, type RunSelection } from './run-plan.js';
import { BaselinePool } from './baseline-pool.js';
import { interleaveByImage } from './run-order.js';
import { recordRunVerdict } from './run-end.js';

export interface RunSuiteOptions {
  /** The suite; when resuming, the one the run recorded is used if this is absent. */
  suiteFile?: string;
  /** A run folder to finish: its finished cells are kept, the others run from their start. */
  resume?: string;
  resultsDir: string;
  cacheDir: string;
  root: string;
  /** The VM backend (--provider); the suite's provider:, else the registry's default, when absent. */
  provider?: Provider;
  concurrency?: number;
  /** Part of the matrix: --cells globs, --shard i/n. */
  selection?: RunSelection;
  /** false: every cell boots its own baselines, whatever the suite says (--no-shared-baselines). */
  sharedBaselines?: boolean;
  /** Run the cells on workers of this Redis queue (`--queue`) instead of here; a resumed run takes the one it recorded when absent. */
  queue?: { url: string; timeoutMs?: number };
  emit: RunEventSink;
  signal: AbortSignal;
}

export interface SuiteRun {
  runDir: string;
  run: RunResult;
  /** The judge's decision under the suite's policy, also in gate.json. */
  gate: GateResult;
  exitCode: number;
}

export function runId(suite: string): string {
  const t = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${suite}-${t}-${randomBytes(2).toString('hex')}`;
}

/** Images of an architecture the provider does not run: refused before anything is built (exit 2), naming them. */
async function refuseForeignArches(provider: Provider, images: Iterable<string>, catalog: ImageCatalog, where: { file: string; line?: number; field: string }): Promise<void> {
  if (!provider.arches) return;
  const foreign: string[] = [];
  for (const name of images) {
    const arch = (await catalog.find(name)).loaded.recipe.arch;
    if (!provider.arches.includes(arch)) foreign.push(`${name} (${arch})`);
  }
  if (foreign.length) throw new ConfigError('PROVIDER_ARCH', `the ${provider.name} provider runs ${provider.arches.join(', ')} guests only, not ${foreign.join(', ')}: run them with the qemu provider`, where);
}

/** How a cell's kernel starts, as bootSourceOf (run/cell-vm.ts) will start it. */
function kernelEntryOf(img: BuiltImage, wanted: 'pvh' | 'bzimage'): 'pvh' | 'bzimage' | 'image' | 'uefi' {
  if (!img.manifest.files.kernel) return 'uefi';
  if (img.recipe.recipe.arch === 'arm64') return 'image';
  return wanted === 'pvh' && img.pvh && 'kernel' in img.pvh ? 'pvh' : 'bzimage';
}

const artifactOf = (b: PreparedBuild | undefined): { artifact?: string } => (b?.detail ? { artifact: b.detail.trim() } : {});

/**
 * Run a suite end to end: prepare everything, run the cells, then ask the judge (gate/) for the
 * run's verdict and write gate.json. Reporting is the caller's: it follows `emit` and gets the
 * finished run back.
 */
export async function runSuite(o: RunSuiteOptions): Promise<SuiteRun> {
  const resumed = o.resume ? await openForResume(o.resume) : undefined;
  const release = o.resume ? await lockRun(o.resume) : undefined;
  try {
    return await runLocked(o, resumed, release);
  } catch (e) {
    await release?.();
    throw e;
  }
}

async function runLocked(o: RunSuiteOptions, resumed: JournalState | undefined, lockRelease: (() => Promise<void>) | undefined): Promise<SuiteRun> {
  const suiteFile = o.suiteFile ?? resolve(o.root, resumed!.run.suite.file);
  const selection = resumed ? selectionOf(resumed.run) : o.selection;
  const loaded = await loadSuite(suiteFile);
  // A rollout ring soaks for its own number of cycles: the cells boot as the selection says.
  const s = { ...loaded, suite: withCycles(loaded.suite, selection?.cycles) };
  if (resumed && s.sha256 !== resumed.run.suite.sha256) {
    throw new ConfigError('RESUME_CHANGED', `the suite file changed since the run started (sha256 ${resumed.run.suite.sha256.slice(0, 12)} -> ${s.sha256.slice(0, 12)}): a resume finishes the run that was planned; start a new run instead`, { file: s.file });
  }
  if (resumed?.torn) o.emit({ type: 'prepare', message: `the journal's last line was cut short by the kill and is dropped: ${resumed.torn}` });
  // What runs killed earlier left behind is said and removed before this one adds its own.
  const left = await findLeftovers();
  const leftLine = describeLeftovers(left, await cleanLeftovers(left));
  if (leftLine) o.emit({ type: 'prepare', message: leftLine });
  // --provider, else the suite's provider: (a name the schema checked), else the default.
  const provider = o.provider ?? createProvider(s.suite.provider)!;
  // On a queue each cell runs alone on some worker, booting its own baselines.
  const queueUrl = queueUrlOf(o.queue?.url, resumed?.run.queue?.url);
  const sharedBaselines = queueUrl ? false : o.sharedBaselines;
  const { names, catalog } = await suiteImageNames(o, s);
  // Only what the selected cells use is built: a shard does not build another shard's images.
  const plan = planRun(s.suite, names, selection, sharesBaselines(s.suite, sharedBaselines));
  if (!queueUrl) await refuseForeignArches(provider, plan.images, catalog, { file: s.file, line: s.lineOf(['images']), field: 'images' });
  // The provider's own set-up (dockerd, its base image) belongs to where the VMs run: a worker does its own.
  if (!queueUrl) await provider.prepare?.((m) => o.emit({ type: 'prepare', message: m }), o.signal);
  // Cells boot while the builds they do not need yet are made: not when resuming (a resume checks every
  // build against the run's) nor on a queue (the enqueuer records every build, workers make their own).
  const deferBuilds = !resumed && !queueUrl;
  const prepared = await prepareSuite({ ...o, progress: (m) => o.emit({ type: 'prepare', message: m }), deferBuilds }, s, plan.images, catalog);
  const labKey = await ensureLabKey(join(o.cacheDir, 'lab'));
  for (const [name, img] of prepared.images) {
    if (s.suite.boot.kernelEntry === 'pvh' && img.recipe.recipe.arch === 'amd64' && img.pvh && 'why' in img.pvh) o.emit({ type: 'prepare', message: `image ${name} boots its bzImage: ${img.pvh.why}` });
  }
  const id = resumed ? resumed.run.id : runId(s.suite.name);
  const runDir = resumed ? resolve(o.resume!) : join(o.resultsDir, id);
  const accel = await provider.describe();

  const planned: CellResult[] = plan.cells.map((p) => {
    const img = prepared.images.get(p.image)!;
    return {
      id: p.id,
      image: { name: p.image, kernelRelease: img.manifest.kernelRelease, recipeHash: img.manifest.recipeHash, entry: kernelEntryOf(img, s.suite.boot.kernelEntry) },
      agent: { name: p.agent, kind: prepared.agents.get(p.agent)!.kind, build: p.build.version, ...artifactOf(prepared.builds.get(buildKey(p.agent, p.build.version, p.image))) },
      content: { version: p.content.version, sha256: prepared.contents.get(p.content.version)!.sha256 },
      status: 'pending',
      ...(p.repeat ? { repeat: p.repeat } : {}),
      baseline: [],
      cycles: [],
    };
  });
  if (resumed) {
    const changed = changesSince(resumed.run.cells, planned);
    if (changed.length) throw new ConfigError('RESUME_CHANGED', `${changed.join('; ')} since the run started: a resume finishes the run that was planned; start a new run instead`, { file: runDir });
  }
  // A resumed run keeps every cell that finished as it was; the others start again from nothing.
  const cells = resumed ? planned.map((c) => resumed.done.get(c.id) ?? c) : planned;
  const plans = plan.cells.filter((p) => !resumed?.done.has(p.id));
  const baselines = resumed ? [...resumed.baselines.values()] : [];
  const started: RunResult = resumed
    ? { ...resumed.run, status: 'running', cells, ...(baselines.length ? { baselines } : {}), summary: { cells: cells.length, pass: 0, fail: 0, error: 0, pending: 0 } }
    : {
        schema: 'bootgate.run/v1',
        id,
        status: 'running',
        suite: { name: s.suite.name, file: relative(o.root, s.file) || s.file, sha256: s.sha256 },
        host: { hostname: hostname(), platform: `${process.platform}-${process.arch}`, cpus: cpus().length, memoryMiB: Math.round(totalmem() / 2 ** 20), provider: provider.name, accel },
        versions: { bootgate: bootgateVersion(), node: process.version, ...(await provider.versions()) },
        startedAt: new Date().toISOString(),
        summary: { cells: cells.length, pass: 0, fail: 0, error: 0, pending: cells.length },
        cells,
        crashes: [],
        gate: s.suite.gate,
        ...(queueUrl ? { queue: { url: redactQueueUrl(queueUrl) } } : {}),
        selection: { matrix: plan.matrix.map((c) => c.id), ...(selection?.cells?.length ? { cells: selection.cells } : {}), ...(selection?.shard ? { shard: selection.shard } : {}), ...(selection?.cycles ? { cycles: selection.cycles } : {}), boots: plan.boots },
      };
  delete started.endedAt;
  const store = new RunStore(runDir, started);
  await store.init();
  const release = lockRelease ?? (await lockRun(runDir));
  const journal = await Journal.open(runDir);
  try {
    if (resumed) {
      await journal.append({ type: 'resume', at: new Date().toISOString(), pid: process.pid });
      // An unfinished cell's files are from a start that no longer counts.
      for (const p of plans) await rm(join(runDir, 'cells', p.id), { recursive: true, force: true });
    } else {
      await journal.append({ type: 'run', run: store.current });
    }
    return await runCells({ o, s, store, journal, plans, plan, prepared, provider, labKey, runDir, id, accel, queueUrl, resumedDone: resumed?.done.size });
  } finally {
    await journal.close();
    await release();
  }
}

interface CellsContext {
  o: RunSuiteOptions;
  s: LoadedSuite;
  store: RunStore;
  journal: Journal;
  plans: CellPlan[];
  plan: RunPlan;
  prepared: Prepared;
  provider: Provider;
  labKey: { privateKey: string; publicKey: string };
  runDir: string;
  id: string;
  accel: string;
  /** The Redis queue whose workers run the cells; undefined: they run here. */
  queueUrl?: string;
  resumedDone?: number;
}

/** The cells left to run, then the judge; the journal's last line says how the run ended. */
async function runCells(x: CellsContext): Promise<SuiteRun> {
  const { o, s, store, journal, plans, plan, prepared, provider, labKey, runDir, id, accel, queueUrl } = x;
  const bootsPerCell = plan.cost.perCell;
  o.emit({ type: 'run-start', suite: s.suite.name, runId: id, runDir, cells: store.current.cells.length, accel, bootsPerCell, boots: plan.boots, ...(plan.cells.length !== plans.length ? { resumedDone: plan.cells.length - plans.length } : {}), ...(store.current.selection?.shard ? { shard: store.current.selection.shard } : {}) });

  const limit = o.concurrency ?? s.suite.concurrency ?? Math.max(1, availableParallelism());
  // A build that fails while cells run stops the run as the user's Ctrl-C would, and is then said.
  const stop = new AbortController();
  const onAbort = () => stop.abort(o.signal.reason);
  if (o.signal.aborted) stop.abort(o.signal.reason);
  o.signal.addEventListener('abort', onAbort, { once: true });
  let buildFailure: unknown;
  prepared.buildsDone.catch((e) => {
    // Builds stopped by the user's Ctrl-C are part of the interruption, not a failure of their own.
    if (o.signal.aborted) return;
    buildFailure = e;
    stop.abort(e);
  });
  const signal = stop.signal;
  x = { ...x, o: { ...o, signal } };
  const pool = queueUrl ? undefined : sharedBaselinePool(x);
  const executor: CellExecutor = queueUrl
    ? new (await import('./queue/queue-cell-executor.js')).QueueCellExecutor({
        url: queueUrl,
        runId: id,
        runDir,
        suite: { file: store.current.suite.file, sha256: s.sha256 },
        ...(store.current.selection?.cycles ? { cycles: store.current.selection.cycles } : {}),
        policy: s.suite.gate,
        needsOf: (cell) => needsOf(prepared.images.get(cell.image)!.recipe.recipe),
        store,
        journal,
        emit: o.emit,
        signal,
        queueTimeoutMs: o.queue?.timeoutMs,
      })
    : new LocalCellExecutor({ concurrency: limit, runDir, suite: s, prepared, provider, labKey, store, journal, emit: o.emit, signal, baselines: pool });
  try {
    await runPool(pool ? interleaveByImage(plans) : plans, executor.concurrency, (cell) => executor.run(cell), signal);
    // Nothing is left running behind the run: a build no cell waited for is finished (or failed) first.
    if (!signal.aborted) await prepared.buildsDone.catch(() => undefined);
  } finally {
    await executor.close();
    o.signal.removeEventListener('abort', onAbort);
  }
  await store.update((r) => {
    r.status = signal.aborted ? 'interrupted' : 'finished';
    r.endedAt = new Date().toISOString();
  });
  const gate = await recordRunVerdict(store, s.suite.gate);
  await journal.append({ type: 'end', status: store.current.status === 'finished' ? 'finished' : 'interrupted', at: new Date().toISOString() });
  o.emit({ type: 'run-end', runDir, verdict: gate.verdict, exitCode: gate.exitCode });
  // Everything finished is kept and can be resumed; the build's error is what the run ends with.
  if (buildFailure !== undefined) throw buildFailure;
  return { runDir, run: store.current, gate, exitCode: gate.exitCode };
}

/**
 * The run's shared baselines, for the images they pay off on: two or more cells left to run, a
 * kernel booted directly (a saved state restores only such machines) and a provider that can.
 */
function sharedBaselinePool(x: CellsContext): { pool: BaselinePool; images: Set<string> } | undefined {
  const { o, s, plans, prepared, provider } = x;
  if (!sharesBaselines(s.suite, o.sharedBaselines) || !provider.canRestore) return undefined;
  const count = new Map<string, number>();
  for (const p of plans) count.set(p.image, (count.get(p.image) ?? 0) + 1);
  const images = new Set([...count].filter(([name, n]) => n >= 2 && prepared.images.get(name)!.manifest.files.kernel).map(([name]) => name));
  if (!images.size) return undefined;
  const pool = new BaselinePool({
    runDir: x.runDir,
    provider,
    boot: s.suite.boot,
    labKey: x.labKey,
    instructionClock: s.suite.workloads?.instructionClock,
    guestOf: (image) => guestOsFor(image.recipe.recipe.os),
    store: x.store,
    journal: x.journal,
    emit: o.emit,
    signal: o.signal,
  });
  return { pool, images };
}
