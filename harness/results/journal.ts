import { open, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { runSchema, cellSchema, cycleSchema, sharedBaselineSchema, type CellResult, type CycleResult, type RunResult, type SharedBaselineResult } from './schema.js';
import { z } from 'zod';
import { jsonLine } from '../util/json-text.js';

export const JOURNAL_FILE = 'journal.ndjson';

/**
 * One line of a run's journal. The first is the run as it started (every cell pending); then
 * each finished boot cycle, each finished cell (its final state: the only lines a resume trusts
 * for results), each resume, and the end.
 */
export const journalEntrySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('run'), run: runSchema }),
  z.object({ type: z.literal('cycle'), cell: z.string(), cycle: cycleSchema }),
  z.object({ type: z.literal('cell'), cell: cellSchema }),
  z.object({ type: z.literal('baseline'), baseline: sharedBaselineSchema }),
  z.object({ type: z.literal('resume'), at: z.string(), pid: z.number().int() }),
  z.object({ type: z.literal('end'), status: z.enum(['finished', 'interrupted']), at: z.string() }),
]);
export type JournalEntry = z.infer<typeof journalEntrySchema>;

/**
 * results/<run>/journal.ndjson: append-only, one JSON line per event, each fsync'd before the
 * event is reported, so a harness killed at any point (kill -9 included) leaves every finished
 * cell on disk, and at most its last line torn.
 */
export class Journal {
  private chain: Promise<void> = Promise.resolve();

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
  ) {}

  static async open(runDir: string): Promise<Journal> {
    const path = join(runDir, JOURNAL_FILE);
    return new Journal(path, await open(path, 'a'));
  }

  /** Resolves once the line is on disk. Appends are serialized: lines never interleave. */
  append(entry: JournalEntry): Promise<void> {
    const line = jsonLine(entry) + '\n';
    this.chain = this.chain.then(async () => {
      await this.fh.appendFile(line);
      await this.fh.datasync();
    });
    return this.chain;
  }

  async close(): Promise<void> {
    await this.chain.catch(() => undefined);
    await this.fh.close();
  }
}

export interface JournalState {
  /** The run as it started. */
  run: RunResult;
  /** Cells that finished, by id: the last line of each wins (a retried cell is journaled once, at its end). */
  done: Map<string, CellResult>;
  cycles: { cell: string; cycle: CycleResult }[];
  /** Shared baselines that finished, by id. */
  baselines: Map<string, SharedBaselineResult>;
  ended?: 'finished' | 'interrupted';
  resumes: number;
  /** A last line cut short by the kill: dropped, and said. */
  torn?: string;
}

export class JournalError extends Error {
  constructor(
    readonly code: 'NO_JOURNAL' | 'JOURNAL_CORRUPT',
    message: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

/** Read a journal back; a torn last line is dropped (it is what a kill mid-write leaves), anything else malformed is an error naming its line. */
export async function readJournal(runDir: string): Promise<JournalState> {
  const path = join(runDir, JOURNAL_FILE);
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) throw new JournalError('NO_JOURNAL', `no ${JOURNAL_FILE}: not a run folder, or a run from before journals`);
  const lines = text.split('\n');
  const last = lines.pop()!; // '' when the file ends with a newline, as every complete write does
  const state: Partial<JournalState> & Pick<JournalState, 'done' | 'cycles' | 'baselines' | 'resumes'> = { done: new Map(), cycles: [], baselines: new Map(), resumes: 0 };
  if (last !== '') state.torn = last.length > 80 ? `${last.slice(0, 80)}...` : last;
  for (const [i, l] of lines.entries()) {
    let entry: JournalEntry;
    try {
      entry = journalEntrySchema.parse(JSON.parse(l));
    } catch (e) {
      throw new JournalError('JOURNAL_CORRUPT', `line ${i + 1} is not a journal entry: ${(e as Error).message.split('\n')[0]}`, i + 1);
    }
    if (i === 0 && entry.type !== 'run') throw new JournalError('JOURNAL_CORRUPT', 'line 1 is not the run\'s start', 1);
    switch (entry.type) {
      case 'run':
        if (i !== 0) throw new JournalError('JOURNAL_CORRUPT', `line ${i + 1}: a second run start`, i + 1);
        state.run = entry.run;
        break;
      case 'cycle':
        state.cycles.push({ cell: entry.cell, cycle: entry.cycle });
        break;
      case 'cell':
        state.done.set(entry.cell.id, entry.cell);
        break;
      case 'baseline':
        state.baselines.set(entry.baseline.id, entry.baseline);
        break;
      case 'resume':
        state.resumes++;
        delete state.ended;
        break;
      case 'end':
        state.ended = entry.status;
        break;
    }
  }
  if (!state.run) throw new JournalError('JOURNAL_CORRUPT', 'the journal is empty: the run had not started');
  return state as JournalState;
}
