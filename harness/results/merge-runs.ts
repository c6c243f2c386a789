import type { CellResult, RunResult } from './schema.js';
import { ConfigError } from '../util/errors.js';

export interface ShardRun {
  run: RunResult;
  /** Where it was read from, for messages. */
  dir: string;
}

const shardName = (r: RunResult) => (r.selection?.shard ? ` (shard ${r.selection.shard.index}/${r.selection.shard.total})` : '');

/**
 * One run from the runs of one suite's shards: the cells in the suite's matrix order, the crash
 * groups and counts recomputed from them by the store, the verdict left to the judge. Refused
 * (exit 2, naming the runs) when the runs are of different suites or suite versions, overlap, are
 * still running, or leave cells of the matrix out: a merge either equals what one machine would
 * have run or is not made.
 */
export function mergeRuns(parts: ShardRun[], id: string, now: Date): RunResult {
  if (parts.length === 0) throw new ConfigError('USAGE', 'merge needs at least one run folder');
  const first = parts[0]!;
  for (const p of parts) {
    if (p.run.suite.name !== first.run.suite.name || p.run.suite.sha256 !== first.run.suite.sha256) {
      throw new ConfigError('MERGE_SUITE', `${p.dir} ran suite ${p.run.suite.name} (sha256 ${p.run.suite.sha256.slice(0, 12)}), ${first.dir} ran ${first.run.suite.name} (sha256 ${first.run.suite.sha256.slice(0, 12)}): only shards of one suite version merge`, { file: p.dir });
    }
    if (!p.run.selection || !p.run.gate) throw new ConfigError('MERGE_OLD_RUN', `${p.dir} records no cell selection (a run from before shards): rerun it with --shard`, { file: p.dir });
    if (p.run.status === 'running') throw new ConfigError('MERGE_RUNNING', `${p.dir} is still running, or its harness was killed: wait for it, or resume it`, { file: p.dir });
  }
  const matrix = first.run.selection!.matrix;
  for (const p of parts) {
    const m = p.run.selection!.matrix;
    if (m.length !== matrix.length || m.some((c, i) => c !== matrix[i])) {
      throw new ConfigError('MERGE_MATRIX', `${p.dir} and ${first.dir} expanded the suite to different cells (other images in the catalog?): they do not merge`, { file: p.dir });
    }
  }
  const byId = new Map<string, { cell: CellResult; dir: string }>();
  for (const p of parts) {
    for (const cell of p.run.cells) {
      const seen = byId.get(cell.id);
      if (seen) throw new ConfigError('MERGE_OVERLAP', `cell ${cell.id} is in both ${seen.dir} and ${p.dir}${shardName(p.run)}: merge each shard once`, { file: p.dir });
      byId.set(cell.id, { cell, dir: p.dir });
    }
  }
  const missing = matrix.filter((c) => !byId.has(c));
  if (missing.length) {
    const total = first.run.selection!.shard?.total;
    const have = new Set(parts.map((p) => p.run.selection!.shard?.index));
    const absent = total ? Array.from({ length: total }, (_, i) => i + 1).filter((i) => !have.has(i)) : [];
    const hint = absent.length ? `: shard${absent.length > 1 ? 's' : ''} ${absent.map((i) => `${i}/${total}`).join(', ')} missing` : '';
    throw new ConfigError('MERGE_INCOMPLETE', `${missing.length} of ${matrix.length} cells of suite ${first.run.suite.name} are in none of the runs (first: ${missing[0]})${hint}`, {});
  }
  const runs = parts.map((p) => p.run);
  const started = runs.map((r) => r.startedAt).sort()[0]!;
  const ends = runs.map((r) => r.endedAt);
  const interrupted = runs.some((r) => r.status === 'interrupted');
  return {
    ...first.run,
    id,
    status: interrupted ? 'interrupted' : 'finished',
    startedAt: started,
    ...(ends.every((e) => e !== undefined) ? { endedAt: (ends as string[]).sort().at(-1)! } : { endedAt: now.toISOString() }),
    cells: matrix.map((c) => byId.get(c)!.cell),
    summary: { cells: 0, pass: 0, fail: 0, error: 0, pending: 0 },
    crashes: [],
    selection: { matrix, boots: runs.reduce((n, r) => n + (r.selection!.boots ?? 0), 0) },
    mergedFrom: runs.map((r) => ({ id: r.id, hostname: r.host.hostname, startedAt: r.startedAt, ...(r.endedAt ? { endedAt: r.endedAt } : {}), cells: r.cells.length, ...(r.selection!.shard ? { shard: r.selection!.shard } : {}) })),
  };
}
