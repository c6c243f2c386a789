import { stat } from 'node:fs/promises';
import { JournalError, readJournal, type JournalState } from '../results/journal.js';
import type { CellResult, RunResult } from '../results/schema.js';
import { ConfigError } from '../util/errors.js';
import type { RunSelection } from './run-plan.js';

/** The journal of a run to resume: refused (exit 2, one line) for a folder that is not a run, and for a finished run. */
export async function openForResume(runDir: string): Promise<JournalState> {
  const st = await stat(runDir).catch(() => undefined);
  if (!st?.isDirectory()) throw new ConfigError('NOT_A_RUN', st ? 'not a run folder' : 'no such run folder', { file: runDir });
  let state: JournalState;
  try {
    state = await readJournal(runDir);
  } catch (e) {
    if (e instanceof JournalError) throw new ConfigError(e.code === 'NO_JOURNAL' ? 'NOT_A_RUN' : 'JOURNAL_CORRUPT', e.message, { file: `${runDir}/journal.ndjson`, line: e.line }, { cause: e });
    throw e;
  }
  if (state.ended === 'finished') throw new ConfigError('RUN_FINISHED', 'this run finished: there is nothing to resume (`bootgate report` shows it; `bootgate run SUITE` starts a new one)', { file: runDir });
  return state;
}

/** The --cells and --shard a run was started with: a resume takes the same part of the suite. */
export function selectionOf(run: RunResult): RunSelection {
  return { ...(run.selection?.cells ? { cells: run.selection.cells } : {}), ...(run.selection?.shard ? { shard: run.selection.shard } : {}), ...(run.selection?.cycles ? { cycles: run.selection.cycles } : {}) };
}

/**
 * What differs between the run as it started and what the lab would run now, cell by cell:
 * the image (recipe hash), the agent build (its artifact) and the content (sha256). A resumed
 * run must be the run that was started, or its verdict would mix two builds.
 */
export function changesSince(started: CellResult[], now: CellResult[]): string[] {
  const out: string[] = [];
  const ids = (cs: CellResult[]) => cs.map((c) => c.id).join('\n');
  if (ids(started) !== ids(now)) {
    const was = new Set(started.map((c) => c.id));
    const is = new Set(now.map((c) => c.id));
    const gone = started.filter((c) => !is.has(c.id)).map((c) => c.id);
    const added = now.filter((c) => !was.has(c.id)).map((c) => c.id);
    out.push(`the cells changed${gone.length ? `: ${gone[0]}${gone.length > 1 ? ` and ${gone.length - 1} more` : ''} no longer planned` : ''}${added.length ? `; ${added[0]}${added.length > 1 ? ` and ${added.length - 1} more` : ''} newly planned` : ''}`);
    return out;
  }
  for (const [i, a] of started.entries()) {
    const b = now[i]!;
    if (a.image.recipeHash !== b.image.recipeHash) out.push(`image ${a.image.name} was rebuilt from another recipe (${a.image.recipeHash?.slice(0, 12)} -> ${b.image.recipeHash?.slice(0, 12)})`);
    // A cell that had not started when the run stopped has no build recorded yet (builds run beside the boots).
    if (a.agent.artifact !== undefined && a.agent.artifact !== (b.agent.artifact ?? '')) out.push(`build ${a.agent.name} ${a.agent.build} for ${a.image.name} changed (${a.agent.artifact ?? 'none'} -> ${b.agent.artifact ?? 'none'})`);
    if (a.content.sha256 !== b.content.sha256) out.push(`content ${a.content.version} changed (sha256 ${a.content.sha256?.slice(0, 12)} -> ${b.content.sha256?.slice(0, 12)})`);
  }
  return [...new Set(out)];
}
