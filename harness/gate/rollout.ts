import type { ContentRollout, RolloutRing } from '../results/rollout-schema.js';
import type { GateVerdict } from '../results/gate-schema.js';
import { plural } from '../util/text.js';

/** A ring as planned: the images new to it, each with the machines it stands for, and its soak. */
export interface RingPlan {
  name: string;
  images: { name: string; machines: number }[];
  soak: number;
}

/** What the gate said of a ring's run. */
export interface RingRun {
  verdict: GateVerdict;
  /** The run folder, relative to the rollout folder. */
  run: string;
  reason?: string;
}

/** A ring's content goes on to the next ring only when the gate passed its run: a fail or an inconclusive run holds it. */
export const promotes = (v: GateVerdict): boolean => v === 'pass';

export const ringMachines = (r: Pick<RingPlan, 'images'>): number => r.images.reduce((a, i) => a + i.machines, 0);

const machines = (n: number) => plural(n, 'machine');

/**
 * One content version's rollout from the rings that ran, in order: every ring before the last
 * one that ran passed (the runner promotes only then). The blast radius counts every machine that
 * received the content, the stopping ring's included: they took it before the gate said no.
 */
export function contentRollout(content: string, plans: RingPlan[], runs: RingRun[]): ContentRollout {
  if (runs.length > plans.length) throw new RangeError(`${runs.length} ring runs for ${plans.length} rings`);
  const early = runs.slice(0, -1).findIndex((r) => !promotes(r.verdict));
  if (early >= 0) throw new RangeError(`ring ${plans[early]!.name} did not pass, yet the next ring ran`);
  const rings: RolloutRing[] = plans.map((p, i) => {
    const r = runs[i];
    const status = !r ? 'not-reached' : r.verdict === 'pass' ? 'passed' : r.verdict === 'fail' ? 'failed' : 'error';
    return { name: p.name, images: p.images, machines: ringMachines(p), soak: p.soak, status, ...(r ? { run: r.run } : {}), ...(r?.reason ? { reason: r.reason } : {}) };
  });
  const blastRadius = rings.filter((r) => r.status !== 'not-reached').reduce((a, r) => a + r.machines, 0);
  const spared = rings.filter((r) => r.status === 'not-reached').reduce((a, r) => a + r.machines, 0);
  const stop = rings.find((r) => r.status === 'failed' || r.status === 'error');
  if (!stop) {
    const complete = runs.length === plans.length;
    return {
      content,
      outcome: complete ? 'promoted' : 'error',
      ...(complete ? {} : { stoppedAt: plans[runs.length]!.name }),
      blastRadius,
      spared,
      reason: complete
        ? `content ${content} passed every ring and reached all ${machines(blastRadius)}`
        : `content ${content} stopped before ring ${plans[runs.length]!.name}: the rollout was interrupted (${machines(spared)} not reached)`,
      rings,
    };
  }
  const reached = rings.indexOf(stop);
  const later = rings.slice(reached + 1);
  const held = later.length ? `; held back from ${later.map((r) => `${r.name} (${machines(r.machines)})`).join(', ')}` : '';
  const why = stop.status === 'failed' ? 'failed the gate' : 'was inconclusive (the lab failed)';
  return {
    content,
    outcome: stop.status === 'failed' ? 'stopped' : 'error',
    stoppedAt: stop.name,
    blastRadius,
    spared,
    reason: `content ${content} stopped at ring ${stop.name}, which ${why}${stop.reason ? ` (${stop.reason})` : ''}: ${machines(blastRadius)} received it${held}`,
    rings,
  };
}

/** The rollout's verdict: fail when a ring failed the gate for any content (the agent is at fault), else error when any was inconclusive, else pass. */
export function rolloutVerdict(contents: ContentRollout[]): { verdict: GateVerdict; exitCode: 0 | 1 | 3 } {
  if (contents.some((c) => c.outcome === 'stopped')) return { verdict: 'fail', exitCode: 1 };
  if (contents.length === 0 || contents.some((c) => c.outcome === 'error')) return { verdict: 'error', exitCode: 3 };
  return { verdict: 'pass', exitCode: 0 };
}
