import { evaluateGate } from '../gate/evaluate.js';
import type { GateResult } from '../results/gate-schema.js';
import type { GatePolicy } from '../results/policy-schema.js';
import { writeGate } from '../results/run-files.js';
import type { RunStore } from '../results/run-store.js';

/**
 * The end of a run: the judge, once, under the suite's policy; its verdict into run.json's summary
 * and the whole decision into gate.json, so the two always agree. `bootgate gate` gives the same
 * decision later from the stored run.
 */
export async function recordRunVerdict(store: RunStore, policy: GatePolicy, now = new Date()): Promise<GateResult> {
  const gate = evaluateGate(store.current, policy, { now, policySource: 'run.json' });
  await store.update((r) => {
    r.summary.verdict = gate.verdict;
    r.summary.exitCode = gate.exitCode;
  });
  await writeGate(store.dir, gate);
  return gate;
}
