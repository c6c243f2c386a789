import type { CellResult } from '../../results/schema.js';
import type { RunEvent } from '../events.js';
import type { PackedFile } from './cell-files.js';

/** What a worker host must have for a cell: capabilities (all of them) and memory. */
export interface CellNeeds {
  /** Sorted: an architecture (x86_64, arm64), and `windows` for a Windows image. */
  caps: string[];
  memoryMiB: number;
}

/** A cell as a job: everything a worker with the same checkout needs to run it as the enqueuer planned. */
export interface CellJobData {
  v: 1;
  runId: string;
  cellId: string;
  /** The suite, relative to the checkout's root, and its sha256: a worker refuses another file. */
  suite: { file: string; sha256: string };
  /** A rollout ring's number of boot cycles, when the run has one. */
  cycles?: number;
  needs: CellNeeds;
  /** ms since the epoch, on the enqueuer's clock. */
  enqueuedAt: number;
}

/** A worker's answer: the cell record and its files, or why its lab could not run the cell (then the cell is `error`). */
export type CellJobResult = { worker: string; startedAt: number; finishedAt: number } & ({ cell: CellResult; files: PackedFile[]; dropped?: string[] } | { labError: string });

/**
 * The job id of a cell: run id and cell id, so enqueuing the same cell of the same run twice (a
 * resume) finds the job that is there. BullMQ refuses `:` in custom ids; `/` is in neither id
 * (both are file names).
 */
export const jobIdOf = (runId: string, cellId: string) => `${runId}/${cellId}`;

/**
 * One queue per set of capabilities a cell needs: a worker listens on the queues of the sets it
 * covers, so it is only ever offered cells it can boot. Memory is checked when a job is taken.
 */
export const queueNameOf = (caps: string[]) => `bootgate.${[...caps].sort().join('.')}`;

/**
 * What a cell of an image needs: the emulator of its architecture (x86_64 for amd64 images, arm64 for
 * arm64 ones, which an x86 host runs under TCG when its worker names arm64 too), and windows for Windows.
 */
export function needsOf(image: { os: 'linux' | 'windows'; memoryMiB: number; arch?: 'amd64' | 'arm64' }): CellNeeds {
  const arch = image.arch === 'arm64' ? 'arm64' : 'x86_64';
  return { caps: (image.os === 'windows' ? ['windows', arch] : [arch]).sort(), memoryMiB: image.memoryMiB };
}

/** The queues a worker with these capabilities serves: every set of needs they cover (one architecture each). */
export function queuesServed(caps: string[]): string[] {
  const arches = caps.filter((c) => c === 'x86_64' || c === 'arm64');
  const names: string[] = [];
  for (const arch of arches) {
    names.push(queueNameOf([arch]));
    if (caps.includes('windows')) names.push(queueNameOf([arch, 'windows']));
  }
  return names;
}

/** The run events a worker forwards to the enqueuer: a cell's own. Its run-start, prepare lines and run-end are its scratch run's; its cell-end is the enqueuer's to say once the record is stored. */
export function forwardedEvent(e: RunEvent): boolean {
  return e.type === 'cell-start' || e.type === 'cycle-start' || e.type === 'cycle-end' || e.type === 'install' || e.type === 'cell-retry';
}
