import { chmod, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LabError } from '../../util/errors.js';
import type { Machine, MachineSpec, Provider } from '../provider.js';
import { chooseAccel } from './accel.js';

/**
 * A booted, ready guest kept for reuse (issue 12: shared baselines): its state as a migration
 * stream, and its disk frozen as it was at that moment. Every machine started from it runs on a
 * fresh overlay of that disk, so any number of them, at once, share one read-only state and disk.
 *
 * Measured against an internal qcow2 snapshot (savevm/loadvm) and cold boots by
 * scripts/bench-baseline-restore.ts: loadvm needs the snapshot in the top image, so a copy of the
 * whole disk and its memory per restore; this needs a qcow2 overlay of a few hundred KiB.
 *
 * A restored guest is the saved boot going on: the same kernel, boot id and uptime, no ready
 * marker on the new console. Callers must not count it as a boot of its own.
 */
export interface SavedState {
  /** The migration stream (read-only). */
  stateFile: string;
  /** The saved machine's disk as it was when saved (read-only): the backing of every restore's overlay. */
  disk: string;
  /** What a machine started from this state must have as the saved one had. */
  key: RestoreKey;
  /** Size of the state stream, bytes. */
  bytes: number;
  /** Host time (ms) the state was saved. */
  savedAt: number;
}

/**
 * What QEMU needs the same on both sides: the machine's devices and memory (else the stream does
 * not load), its clock (QEMU 7.2 loads a state saved with -icount into a machine without it, and
 * the reverse, without a word), and the kernel the guest runs.
 */
export interface RestoreKey {
  accel: 'kvm' | 'tcg';
  memoryMiB: number;
  cpus: number;
  instructionClock: boolean;
  generationId: boolean;
  boot: MachineSpec['boot'];
  guestSshPort: number;
}

export class RestoreMismatchError extends LabError {
  constructor(message: string) {
    super('RESTORE_MISMATCH', message);
  }
}

export function restoreKeyOf(spec: MachineSpec, accel: 'kvm' | 'tcg'): RestoreKey {
  return {
    accel,
    memoryMiB: spec.memoryMiB,
    cpus: spec.cpus,
    // The provider drops -icount under KVM: the key says what the machine really ran with.
    instructionClock: accel === 'tcg' && spec.instructionClock === true,
    generationId: spec.generationId === true,
    boot: spec.boot,
    guestSshPort: spec.guestSshPort,
  };
}

/** The fields of `wanted` that differ from the saved key, each as `field: saved -> wanted`; none when it may be restored. */
export function restoreKeyMismatch(saved: RestoreKey, wanted: RestoreKey): string[] {
  const out: string[] = [];
  for (const k of Object.keys(saved) as (keyof RestoreKey)[]) {
    const a = JSON.stringify(saved[k]);
    const b = JSON.stringify(wanted[k]);
    if (a !== b) out.push(`${k}: ${a} -> ${b}`);
  }
  return out;
}

/**
 * Save a ready machine and retire it: its state goes to `dir`/state.bin, the machine is disposed,
 * and its disk (`spec.disk`, which must lie outside the machine's scratch folder) is frozen
 * read-only as the disk of the state. Close SSH sessions first: a restored guest would otherwise
 * hold their server side open for nothing.
 */
export async function saveMachineState(machine: Machine, spec: MachineSpec, dir: string, signal?: AbortSignal): Promise<SavedState> {
  if (!machine.saveState) throw new LabError('SAVE_UNSUPPORTED', `${machine.id}: this provider cannot save a machine's state`);
  const stateFile = join(dir, 'state.bin');
  await machine.saveState(stateFile, signal);
  const savedAt = Date.now();
  await machine.dispose();
  // Nothing may write the disk again: every restore's overlay reads through to it.
  await chmod(spec.disk, 0o400);
  await chmod(stateFile, 0o400);
  return { stateFile, disk: spec.disk, key: restoreKeyOf(spec, machine.accel), bytes: (await stat(stateFile)).size, savedAt };
}

/**
 * Start a machine from a saved state, on a fresh overlay `overlay` of its disk. The spec is the
 * saved machine's in all that the restore key holds (else RESTORE_MISMATCH, before anything
 * starts); name, scratch folder and the forwarded port are its own.
 */
export async function startFromState(
  provider: Provider,
  saved: SavedState,
  spec: Omit<MachineSpec, 'disk' | 'restoreFrom'>,
  overlay: string,
  signal?: AbortSignal,
): Promise<Machine> {
  const full: MachineSpec = { ...spec, disk: overlay, restoreFrom: saved.stateFile };
  const diff = restoreKeyMismatch(saved.key, restoreKeyOf(full, (await chooseAccel(spec.arch)).accel));
  if (diff.length) throw new RestoreMismatchError(`${spec.name}: the saved state ${saved.stateFile} was saved from another machine (${diff.join('; ')})`);
  await provider.createOverlay(saved.disk, overlay, signal);
  return provider.start(full, signal);
}
