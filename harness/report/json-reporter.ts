import { closeSync, openSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RunEvent } from '../run/events.js';
import { unwritableFile } from '../util/fsutil.js';
import { jsonLine } from '../util/json-text.js';
import { eventLines } from './event-lines.js';
import type { Reporter } from './reporter.js';

/** The stream's file in the run folder when `--reporter json` names no target. */
export const EVENTS_FILE = 'events.ndjson';

/**
 * The run as an NDJSON event stream (bootgate.events/v1), one line per event as it happens, for
 * dashboards and CI that follow a run without polling run.json. Target: a file (created or
 * truncated when the reporter is made, so a bad path stops the run before anything boots), `-`
 * for standard output, or none: events.ndjson in the run folder, opened when the run folder is
 * known (run-start). Lines go to the file with write(2) as each event happens: no buffer to flush,
 * a reader tailing the file sees every finished line.
 */
export class JsonEventsReporter implements Reporter {
  readonly name = 'json';
  private fd?: number;
  private file?: string;
  /** Lines from before the run folder exists (prepare), written once it does. */
  private readonly early: string[] = [];

  constructor(
    private readonly target?: string,
    private readonly stdout: (text: string) => void = (t) => process.stdout.write(t),
    private readonly now: () => Date = () => new Date(),
  ) {
    if (target !== undefined && target !== '-') this.open(resolve(target));
  }

  onEvent(e: RunEvent): void {
    const text = eventLines(e, this.now())
      .map((l) => jsonLine(l) + '\n')
      .join('');
    if (this.target === '-') return this.stdout(text);
    if (this.fd === undefined && e.type === 'run-start') {
      this.open(join(e.runDir, EVENTS_FILE));
      for (const t of this.early.splice(0)) this.write(t);
    }
    if (this.fd === undefined) this.early.push(text);
    else this.write(text);
  }

  async onEnd(): Promise<string[]> {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    return this.file ? [this.file] : [];
  }

  private open(file: string): void {
    try {
      this.fd = openSync(file, 'w');
    } catch (e) {
      throw unwritableFile(file, 'the event stream', e);
    }
    this.file = file;
  }

  private write(text: string): void {
    const buf = Buffer.from(text);
    for (let off = 0; off < buf.length; ) off += writeSync(this.fd!, buf, off);
  }
}
