import type { CellResult, RunResult } from './schema.js';

/** Each distinct crash signature once, with its count, where it hit, and the first excerpt. */
export function groupCrashes(cells: CellResult[]): RunResult['crashes'] {
  const groups = new Map<string, RunResult['crashes'][number]>();
  // A shared baseline's boots are copied into every cell that used it: counted once, at the first.
  const sharedSeen = new Set<string>();
  for (const cell of cells) {
    for (const c of [...cell.baseline, ...cell.cycles]) {
      if (!c.crash) continue;
      if (c.phase === 'baseline' && cell.baselineFrom) {
        const k = `${cell.baselineFrom.id}\0${c.index}`;
        if (sharedSeen.has(k)) continue;
        sharedSeen.add(k);
      }
      let g = groups.get(c.crash.signature);
      if (!g) {
        g = { signature: c.crash.signature, title: c.crash.title, class: c.crash.class, module: c.crash.module, count: 0, hits: [], excerpt: c.crash.excerpt };
        groups.set(c.crash.signature, g);
      }
      g.count++;
      g.hits.push({ cell: cell.id, phase: c.phase, cycle: c.index });
    }
  }
  return [...groups.values()].sort((a, b) => b.count - a.count);
}
