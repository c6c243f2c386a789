import type { MachineSpec } from '../provider.js';
import { incomingArgs } from './migration.js';

export interface QemuArgsInput {
  spec: MachineSpec;
  accel: 'kvm' | 'tcg';
  qmpSocket: string;
  sshPort: number;
}

/**
 * The qemu-system-x86_64 command line of a Linux guest. Pure, so it is unit tested.
 * - serial console on stdio: the harness reads every byte from the first one, no socket race;
 * - -nodefaults: no VGA or default NICs to emulate, which matters under TCG;
 * - user networking with restrict=on: the guest reaches nothing but its forwarded SSH port;
 * - pvpanic + panic=pause: a guest panic becomes a GUEST_PANICKED event and the VM waits
 *   for the harness, instead of rebooting before the console is read.
 * A machine restored from a saved state has the same command line, and -incoming.
 */
export function qemuArgs({ spec, accel, qmpSocket, sshPort }: QemuArgsInput): string[] {
  const args = [
    '-name', `bootgate-${spec.name},process=bootgate-${spec.name}`,
    '-machine', 'q35',
    // A smaller translation cache under TCG: with the default one, a warm reboot of the systemd
    // disk took 2.4x the CPU of a cold boot (stale code from the previous boot); 128 MiB: 0.9x.
    '-accel', accel === 'tcg' ? 'tcg,tb-size=128' : accel,
    '-cpu', accel === 'kvm' ? 'host' : 'max',
    '-m', String(spec.memoryMiB),
    '-smp', String(spec.cpus),
    '-nodefaults', '-no-user-config',
    '-display', 'none',
    '-monitor', 'none',
    '-chardev', 'stdio,id=con0,signal=off',
    '-serial', 'chardev:con0',
    '-qmp', `unix:${qmpSocket},server=on,wait=off`,
    '-drive', `file=${spec.disk},if=virtio,format=qcow2,cache=unsafe,discard=unmap`,
    '-netdev', `user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:${sshPort}-:${spec.guestSshPort}`,
    '-device', 'virtio-net-pci,netdev=n0',
    '-device', 'pvpanic',
    '-action', 'panic=pause',
  ];
  // 2^3 ns of guest time per instruction; sleep=off skips idle time instead of waiting for it.
  if (spec.instructionClock && accel === 'tcg') args.push('-icount', 'shift=3,sleep=off');
  // guid=auto: a new generation ID at every QEMU start, so a restored guest sees it changed.
  if (spec.generationId) args.push('-device', 'vmgenid,guid=auto');
  if (spec.restoreFrom) args.push(...incomingArgs(spec.restoreFrom));
  if (spec.boot.kind === 'direct-kernel') {
    args.push('-kernel', spec.boot.kernel);
    if (spec.boot.initrd) args.push('-initrd', spec.boot.initrd);
    args.push('-append', ['console=ttyS0,115200', ...spec.boot.args].join(' '));
  }
  return args;
}
