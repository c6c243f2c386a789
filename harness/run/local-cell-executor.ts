import type { PreparedBuild } from '../agents/agent.js';
import type { CellPlan } from '../config/matrix.js';
import type { LoadedSuite } from '../config/suite.js';
import { suiteAgents } from '../config/suite-schema.js';
import { guestOsFor } from '../guest/registry.js';
import type { Provider } from '../providers/provider.js';
import type { Journal } from '../results/journal.js';
import type { RunStore } from '../results/run-store.js';
import type { BaselinePool } from './baseline-pool.js';
import type { CellExecutor } from './cell-executor.js';
import { CellRunner } from './cell-runner.js';
import type { RunEventSink } from './events.js';
import { buildKey, type Prepared } from './prepare.js';

export interface LocalCellExecutorOptions {
  concurrency: number;
  runDir: string;
  suite: LoadedSuite;
  prepared: Prepared;
  provider: Provider;
  labKey: { privateKey: string; publicKey: string };
  store: RunStore;
  journal: Journal;
  emit: RunEventSink;
  signal: AbortSignal;
  /** The run's shared baselines and the images they serve. */
  baselines?: { pool: BaselinePool; images: Set<string> };
}

/** Cells run in this process by the CellRunner, a lab error retried as the suite's boot.retries says. */
export class LocalCellExecutor implements CellExecutor {
  readonly concurrency: number;
  constructor(private readonly o: LocalCellExecutorOptions) {
    this.concurrency = o.concurrency;
  }

  async run(cell: CellPlan): Promise<void> {
    const { o } = this;
    const s = o.suite;
    const { prepared } = o;
    const image = prepared.images.get(cell.image)!;
    const retries = s.suite.boot.retries;
    // The cell boots once the builds it may install are made (its own, and the others a lifecycle upgrades to).
    const versions = suiteAgents(s.suite).find((a) => a.agent.name === cell.agent)!.agent.builds.map((b) => b.version);
    let built: Map<string, PreparedBuild>;
    try {
      built = new Map(await Promise.all(versions.map(async (v) => [v, await prepared.buildOf(buildKey(cell.agent, v, cell.image))] as const)));
    } catch {
      // A failed build stops the run (run-suite.ts says it); this cell stays pending.
      return;
    }
    if (o.signal.aborted) return;
    const own = built.get(cell.build.version)!;
    if (own.detail) {
      await o.store.update((r) => {
        const c = r.cells.find((x) => x.id === cell.id);
        if (c && !c.agent.artifact) c.agent.artifact = own.detail!.trim();
      });
    }
    for (let attempt = 1; ; attempt++) {
      const runner = new CellRunner({
        runDir: o.runDir,
        plan: cell,
        suite: s,
        image,
        provider: o.provider,
        guest: guestOsFor(image.recipe.recipe.os),
        agent: prepared.agents.get(cell.agent)!,
        build: own,
        content: prepared.contents.get(cell.content.version)!,
        builds: built,
        contents: prepared.contents,
        workloadBinary: prepared.workloadBinary,
        labKey: o.labKey,
        store: o.store,
        journal: o.journal,
        emit: o.emit,
        signal: o.signal,
        attempt,
        retriesLeft: retries - (attempt - 1),
        baselines: o.baselines?.images.has(cell.image) ? o.baselines.pool : undefined,
      });
      await runner.run();
      if (!runner.retrying) break;
    }
  }

  async close(): Promise<void> {
    await this.o.baselines?.pool.dispose();
  }
}
