import { join } from 'node:path';
import type { MachineSpec } from '../provider.js';
import { LabError } from '../../util/errors.js';
import { qemuArgs } from './qemu-args.js';
import { startSwtpm, type SwtpmProcess } from './swtpm.js';
import { prepareWindowsFirmware, windowsQemuArgs } from './windows-args.js';

export interface PreparedArgs {
  args: string[];
  /** Helper processes the machine owns (swtpm): stopped when it is disposed. */
  helpers: SwtpmProcess[];
}

/**
 * The command line for a spec's boot source: direct kernel boot (Linux, qemu-args.ts), or UEFI
 * firmware with the Windows profile (windows-args.ts): its own copy of the OVMF variable store and,
 * when asked, a TPM from swtpm, both in the machine's scratch folder.
 */
export async function prepareMachineArgs(i: { spec: MachineSpec; accel: 'kvm' | 'tcg'; qmpSocket: string; sshPort: number; signal?: AbortSignal }): Promise<PreparedArgs> {
  const { spec } = i;
  if (spec.boot.kind === 'direct-kernel') return { args: qemuArgs(i), helpers: [] };
  // Not measured with UEFI firmware and a TPM (swtpm keeps state of its own): refused, not guessed.
  if (spec.restoreFrom) throw new LabError('RESTORE_UNSUPPORTED', `${spec.name}: starting from a saved state is supported for direct kernel boots only`);
  const firmware = await prepareWindowsFirmware(spec.workDir, spec.boot.secureBoot ?? false);
  const helpers: SwtpmProcess[] = [];
  if (spec.boot.tpm) {
    const dir = join(spec.workDir, 'tpm');
    helpers.push(await startSwtpm({ stateDir: dir, ctrlSocket: join(dir, 'swtpm.sock'), signal: i.signal }));
  }
  const args = windowsQemuArgs({ ...i, firmware, tpmSocket: helpers[0]?.socket, diskFormat: 'qcow2', secureBoot: spec.boot.secureBoot, nic: spec.boot.nic, diskBus: spec.boot.diskBus });
  return { args, helpers };
}
