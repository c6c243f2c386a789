import { randomBytes } from 'node:crypto';
import { availableParallelism, cpus, hostname, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import type { PreparedBuild } from '../agents/agent.js';
import { expandMatrix } from '../config/matrix.js';
import { loadSuite } from '../config/suite.js';
import { suiteAgents } from '../config/suite-schema.js';
import { ensureLabKey } from '../guest/lab-keys.js';
import { guestOsFor } from '../guest/registry.js';
import type { Provider } from '../providers/provider.js';
import { createProvider } from '../providers/registry.js';
import type { GateResult } from '../results/gate-schema.js';
import { RunStore } from '../results/run-store.js';
import type { CellResult, RunResult } from '../results/schema.js';
import { bootgateVersion } from '../util/version.js';
import { CellRunner } from './cell-runner.js';
import type { RunEventSink } from './events.js';
import { runPool } from './pool.js';
import { buildKey, prepareSuite } from './prepare.js';
import { recordRunVerdict } from './run-end.js';

export interface RunSuiteOptions {
  suiteFile: string;
  resultsDir: string;
  cacheDir: string;
  root: string;
  /** The VM backend; the registry's default when absent. */
  provider?: Provider;
  concurrency?: number;
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

function runId(suite: string): string {
  const t = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${suite}-${t}-${randomBytes(2).toString('hex')}`;
}

const artifactOf = (b: PreparedBuild | undefined): { artifact?: string } => (b?.detail ? { artifact: b.detail.trim() } : {});

/**
 * Run a suite end to end: prepare everything, run the cells, then ask the judge (gate/) for the
 * run's verdict and write gate.json. Reporting is the caller's: it follows `emit` and gets the
 * finished run back.
 */
export async function runSuite(o: RunSuiteOptions): Promise<SuiteRun> {
  const s = await loadSuite(o.suiteFile);
  const provider = o.provider ?? createProvider()!;
  const prepared = await prepareSuite({ ...o, progress: (m) => o.emit({ type: 'prepare', message: m }) }, s);
  const labKey = await ensureLabKey(join(o.cacheDir, 'lab'));
  const plans = expandMatrix(s.suite, prepared.names);
  const id = runId(s.suite.name);
  const runDir = join(o.resultsDir, id);
  const accel = await provider.describe();

  const cells: CellResult[] = plans.map((p) => {
    const img = prepared.images.get(p.image)!;
    return {
      id: p.id,
      image: { name: p.image, kernelRelease: img.manifest.kernelRelease, recipeHash: img.manifest.recipeHash },
      agent: { name: p.agent, kind: prepared.agents.get(p.agent)!.kind, build: p.build.version, ...artifactOf(prepared.builds.get(buildKey(p.agent, p.build.version, p.image))) },
      content: { version: p.content.version, sha256: prepared.contents.get(p.content.version)!.sha256 },
      status: 'pending',
      baseline: [],
      cycles: [],
    };
  });
  const store = new RunStore(runDir, {
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
  });
  await store.init();
  const bootsPerCell = s.suite.boot.baseline + s.suite.boot.cycles * (s.suite.lifecycle?.length ?? 1);
  o.emit({ type: 'run-start', suite: s.suite.name, runId: id, runDir, cells: cells.length, accel, bootsPerCell });

  const limit = o.concurrency ?? s.suite.concurrency ?? Math.max(1, availableParallelism());
  await runPool(
    plans,
    limit,
    async (plan) => {
      const image = prepared.images.get(plan.image)!;
      await new CellRunner({
        runDir,
        plan,
        suite: s,
        image,
        provider,
        guest: guestOsFor(image.recipe.recipe.os),
        agent: prepared.agents.get(plan.agent)!,
        build: prepared.builds.get(buildKey(plan.agent, plan.build.version, plan.image))!,
        content: prepared.contents.get(plan.content.version)!,
        builds: new Map(suiteAgents(s.suite).find((x) => x.agent.name === plan.agent)!.agent.builds.map((b) => [b.version, prepared.builds.get(buildKey(plan.agent, b.version, plan.image))!])),
        contents: prepared.contents,
        workloadBinary: prepared.workloadBinary,
        labKey,
        store,
        emit: o.emit,
        signal: o.signal,
      }).run();
    },
    o.signal,
  );
  await store.update((r) => {
    r.status = o.signal.aborted ? 'interrupted' : 'finished';
    r.endedAt = new Date().toISOString();
  });
  const gate = await recordRunVerdict(store, s.suite.gate);
  o.emit({ type: 'run-end', runDir, verdict: gate.verdict, exitCode: gate.exitCode });
  return { runDir, run: store.current, gate, exitCode: gate.exitCode };
}
