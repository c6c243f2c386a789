import type { RunResult } from '../harness/results/schema.js';

/** What an A/A run of a benign agent found, per image and in all: every crash and fail is a false alarm. */
export interface AaTally {
  image: string;
  boots: number;
  crashRecords: number;
  falseFails: number;
  /** Cells the lab could not judge (error): no false fail, but no evidence either. */
  errors: number;
  /** The titles of the crash records, for the report. */
  titles: string[];
}

/** Tallies a finished run per image, then the whole run (image `all`), last. */
export function aaTally(run: RunResult): AaTally[] {
  const by = new Map<string, AaTally>();
  const total: AaTally = { image: 'all', boots: 0, crashRecords: 0, falseFails: 0, errors: 0, titles: [] };
  for (const c of run.cells) {
    const t = by.get(c.image.name) ?? { image: c.image.name, boots: 0, crashRecords: 0, falseFails: 0, errors: 0, titles: [] };
    by.set(c.image.name, t);
    for (const y of [...c.baseline, ...c.cycles]) {
      for (const x of [t, total]) {
        x.boots++;
        if (y.crash) {
          x.crashRecords++;
          x.titles.push(y.crash.title);
        }
      }
    }
    for (const x of [t, total]) {
      if (c.verdict === 'fail') x.falseFails++;
      if (c.verdict === 'error') x.errors++;
    }
  }
  return [...by.values(), total];
}
