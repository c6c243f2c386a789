import { setTimeout as sleep } from 'node:timers/promises';
import { AbortedError, LabError } from '../../util/errors.js';
import { shellQuote } from '../../util/shell-quote.js';
import type { QmpClient } from './qmp-client.js';

/**
 * A machine's whole state (RAM and devices, not its disk) to a file and back, as a QEMU migration
 * stream. QEMU 7.2 has no `file:` transport (8.2 adds it), so the stream goes through `exec:cat`.
 */
export class MigrationError extends LabError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MIGRATION', message, options);
  }
}

/** `exec:` runs its text with /bin/sh -c: the path is quoted, whatever it holds. */
export function incomingArgs(stateFile: string): string[] {
  return ['-incoming', `exec:cat ${shellQuote(stateFile)}`];
}

const POLL_MS = 25;

/**
 * Stop the guest and write its state to `stateFile`. The guest is stopped first so the stream is
 * one pass and matches the disk exactly as it is left: QEMU flushes and releases the disk when the
 * migration completes, and the machine stays stopped (status postmigrate) until it is quit.
 */
export async function migrateToFile(qmp: QmpClient, stateFile: string, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
  await qmp.execute('stop');
  await qmp.execute('migrate', { uri: `exec:cat > ${shellQuote(stateFile)}` });
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  for (;;) {
    if (opts.signal?.aborted) throw new AbortedError('saving the machine state aborted');
    const s = await qmp.execute<{ status?: string; 'error-desc'?: string }>('query-migrate');
    if (s.status === 'completed') return;
    if (s.status === 'failed' || s.status === 'cancelled') throw new MigrationError(`saving the machine state to ${stateFile} ${s.status}: ${s['error-desc'] ?? 'no reason given'}`);
    if (Date.now() > deadline) throw new MigrationError(`saving the machine state to ${stateFile} did not finish in time (status ${s.status ?? 'none'})`);
    await sleep(POLL_MS);
  }
}

/**
 * Wait until a machine started with incomingArgs has loaded its state, then run it. The source was
 * stopped when saved, so the loaded machine waits paused for `cont`. A stream QEMU cannot load
 * makes QEMU 7.2 exit: the caller races this against the process's exit.
 */
export async function finishIncoming(qmp: QmpClient, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  for (;;) {
    if (opts.signal?.aborted) throw new AbortedError('restoring the machine state aborted');
    const s = await qmp.execute<{ status: string; running: boolean }>('query-status');
    if (s.running) return;
    if (s.status !== 'inmigrate') {
      if (s.status !== 'paused') throw new MigrationError(`restoring the machine state left it ${s.status}`);
      await qmp.execute('cont');
      return;
    }
    if (Date.now() > deadline) throw new MigrationError('restoring the machine state did not finish in time');
    await sleep(POLL_MS);
  }
}
