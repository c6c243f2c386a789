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
    for (let attempt = 1; ; attempt++) {
      const runner = new CellRunner({
        runDir: o.runDir,
        plan: cell,
        suite: s,
        image,
        provider: o.provider,
        guest: guestOsFor(image.recipe.recipe.os),
        agent: prepared.agents.get(cell.agent)!,
        build: prepared.builds.get(buildKey(cell.agent, cell.build.version, cell.image))!,
        content: prepared.contents.get(cell.content.version)!,
        builds: new Map(suiteAgents(s.suite).find((a) => a.agent.name === cell.agent)!.agent.builds.map((b) => [b.version, prepared.builds.get(buildKey(cell.agent, b.version, cell.image))!])),
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
