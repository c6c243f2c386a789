import { hostname } from 'node:os';
import { join, relative } from 'node:path';
import { expandMatrix } from '../config/matrix.js';
import { planRollout } from '../config/rollout-plan.js';
import { loadSuite } from '../config/suite.js';
import { contentRollout, promotes, rolloutVerdict, type RingPlan, type RingRun } from '../gate/rollout.js';
import type { ContentRollout, RolloutResult } from '../results/rollout-schema.js';
import { makeDirs, unwritableFile, writeFileAtomic } from '../util/fsutil.js';
import { jsonText } from '../util/json-text.js';
import { plural } from '../util/text.js';
import type { RunEventSink } from './events.js';
import { suiteImageNames } from './prepare.js';
import { runId, runSuite, type RunSuiteOptions, type SuiteRun } from './run-suite.js';

export const ROLLOUT_FILE = 'rollout.json';

/** How one ring's run is shown: its events as it goes, then its reports once the gate has spoken. */
export interface RingReporting {
  emit: RunEventSink;
  end(r: SuiteRun): Promise<void>;
}

export interface RolloutOptions extends Pick<RunSuiteOptions, 'resultsDir' | 'cacheDir' | 'root' | 'provider' | 'concurrency' | 'signal'> {
  suiteFile: string;
  /** Reporting for the run of one ring of one content version. */
  ring(content: string, ring: RingPlan): RingReporting;
  /** A line of progress between rings (stderr in the CLI). */
  note(line: string): void;
}

export interface RolloutRun {
  dir: string;
  file: string;
  result: RolloutResult;
}

/**
 * A staged rollout, simulated: for each content version in turn, ring by ring, the ring's cells
 * (its new images x the agent's builds x that content) boot as one run under the suite's gate,
 * soaking for the ring's cycles; the next ring runs only when the gate passed. Each ring's run is
 * a run folder of its own inside the rollout's folder; rollout.json is rewritten after every ring,
 * so a rollout cut short still says how far each content went.
 */
export async function runRollout(o: RolloutOptions): Promise<RolloutRun> {
  const s = await loadSuite(o.suiteFile);
  const { names } = await suiteImageNames(o, s);
  const plan = planRollout(s, names);
  const matrix = expandMatrix(s.suite, names);
  const id = runId(`${s.suite.name}-rollout`);
  const dir = join(o.resultsDir, id);
  await makeDirs(dir);
  const file = join(dir, ROLLOUT_FILE);
  const fleet = plan.rings.reduce((a, r) => a + r.images.reduce((b, i) => b + i.machines, 0), 0);
  const result: RolloutResult = {
    schema: 'bootgate.rollout/v1',
    id,
    suite: { name: s.suite.name, file: relative(o.root, s.file) || s.file, sha256: s.sha256 },
    startedAt: new Date().toISOString(),
    verdict: 'error',
    exitCode: 3,
    fleet,
    contents: [],
  };
  const save = async () => {
    try {
      await writeFileAtomic(file, jsonText(result) + '\n');
    } catch (e) {
      throw unwritableFile(file, ROLLOUT_FILE, e);
    }
  };
  o.note(`rollout of ${plural(plan.contents.length, 'content version')} over ${plural(plan.rings.length, 'ring')} (${plural(fleet, 'machine')}) on ${hostname()}: ${dir}`);
  for (const content of plan.contents) {
    const runs: RingRun[] = [];
    const done = (): ContentRollout => contentRollout(content, plan.rings, runs);
    for (const ring of plan.rings) {
      if (o.signal.aborted) break;
      const images = ring.images.map((i) => i.name);
      const cells = matrix.filter((c) => c.content.version === content && images.includes(c.image)).map((c) => c.id);
      o.note(`content ${content} to ring ${ring.name}: ${plural(images.length, 'image')}, ${plural(ring.images.reduce((a, i) => a + i.machines, 0), 'machine')}, ${plural(ring.soak, 'cycle')} of soak`);
      const rep = o.ring(content, ring);
      const r = await runSuite({ suiteFile: o.suiteFile, resultsDir: dir, cacheDir: o.cacheDir, root: o.root, provider: o.provider, concurrency: o.concurrency, selection: { cells, cycles: ring.soak }, emit: rep.emit, signal: o.signal });
      await rep.end(r);
      runs.push({ verdict: r.gate.verdict, run: relative(dir, r.runDir), ...(r.gate.verdict !== 'pass' && r.gate.reasons[0] ? { reason: r.gate.reasons[0] } : {}) });
      result.contents = [...result.contents.filter((c) => c.content !== content), done()];
      await save();
      if (!promotes(r.gate.verdict)) break;
    }
    const c = done();
    result.contents = [...result.contents.filter((x) => x.content !== content), c];
    o.note(c.reason);
  }
  Object.assign(result, rolloutVerdict(result.contents), { endedAt: new Date().toISOString() });
  await save();
  return { dir, file, result };
}
