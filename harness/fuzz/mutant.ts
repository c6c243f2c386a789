import { contentLines } from './content-lines.js';
import { applyEdits, type Edit } from './edits.js';
import { MUTATOR_WEIGHTS } from './mutators.js';
import { Prng } from './prng.js';
import type { ContentTemplate } from './template-schema.js';

export interface Seed {
  /** The content version it came from (or its file name). */
  version: string;
  text: string;
}

/** A mutant: a seed and the edits that make it. */
export interface Mutant {
  index: number;
  seed: string;
  mutators: string[];
  edits: Edit[];
  text: string;
}

/** How many edits a mutant stacks: mostly one, so that an early refusal hides few later changes. */
const EDIT_COUNTS = [
  { item: 1, weight: 5 },
  { item: 2, weight: 3 },
  { item: 3, weight: 2 },
];

/**
 * Mutant `index` of a run seeded with `seed`: a seed content picked, then one to three template-
 * guided (or blind) edits. The same (seed, index) gives the same mutant, whatever came before it.
 */
export function makeMutant(seeds: readonly Seed[], template: ContentTemplate, seed: number, index: number): Mutant {
  const rng = Prng.forMutant(seed, index);
  const s = rng.pick(seeds);
  const lines = contentLines(s.text, template);
  const want = rng.weighted(EDIT_COUNTS);
  const edits: Edit[] = [];
  const mutators: string[] = [];
  for (let tries = 0; edits.length < want && tries < want * 8; tries++) {
    const mu = rng.weighted(MUTATOR_WEIGHTS);
    const e = mu.mutate({ lines, seedLength: s.text.length, rng });
    if (!e) continue;
    edits.push(e);
    mutators.push(mu.name);
  }
  return { index, seed: s.version, mutators, edits, text: applyEdits(s.text, edits) };
}
