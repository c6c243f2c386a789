import type { MachineSpec } from '../provider.js';
import { ARCH_PROFILES } from './guest-arch.js';
import { incomingArgs } from './migration.js';

export interface QemuArgsInput {
  spec: MachineSpec;
  accel: 'kvm' | 'tcg';
  qmpSocket: string;
  sshPort: number;
}

/**
 * The QEMU command line of a Linux guest (qemu-system-x86_64, or qemu-system-aarch64 for arm64:
 * guest-arch.ts). Pure, so it is unit tested.
 * - serial console on stdio: the harness reads every byte from the first one, no socket race;
 * - -nodefaults: no VGA or default NICs to emulate, which matters under TCG;
 * - user networking with restrict=on: the guest reaches nothing but its forwarded SSH port;
 * - pvpanic + panic=pause: a guest panic becomes a GUEST_PANICKED event and the VM waits
 *   for the harness, instead of rebooting before the console is read.
 * A machine restored from a saved state has the same command line, and -incoming.
 */
export function qemuArgs({ spec, accel, qmpSocket, sshPort }: QemuArgsInput): string[] {
  const arch = spec.arch ?? 'amd64';
  const p = ARCH_PROFILES[arch];
  const args = [
    '-name', `bootgate-${spec.name},process=bootgate-${spec.name}`,
    // gic-version=max: GICv3 under TCG, the host's own interrupt controller under KVM.
    '-machine', arch === 'arm64' ? `${p.machine},gic-version=max` : p.machine,
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
    ...diskArgs(arch, spec.disk),
    '-netdev', `user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:${sshPort}-:${spec.guestSshPort}`,
    '-device', 'virtio-net-pci,netdev=n0',
    '-device', p.pvpanic,
    '-action', 'panic=pause',
  ];
  // 2^3 ns of guest time per instruction; sleep=off skips idle time instead of waiting for it.
  if (spec.instructionClock && accel === 'tcg') args.push('-icount', 'shift=3,sleep=off');
  // guid=auto: a new generation ID at every QEMU start, so a restored guest sees it changed.
  // The generation ID is an ACPI device: x86 only (an arm64 guest booted from a device tree has no ACPI).
  if (spec.generationId && arch === 'amd64') args.push('-device', 'vmgenid,guid=auto');
  if (spec.restoreFrom) args.push(...incomingArgs(spec.restoreFrom));
  if (spec.boot.kind === 'direct-kernel') {
    args.push('-kernel', spec.boot.kernel);
    if (spec.boot.initrd) args.push('-initrd', spec.boot.initrd);
    args.push('-append', [`console=${p.console},115200`, ...spec.boot.args].join(' '));
  }
  return args;
}

/** The state disk as a virtio block device: if=virtio on q35 (as always); on virt named as a PCI device, so it is not virtio-mmio. */
function diskArgs(arch: 'amd64' | 'arm64', disk: string): string[] {
  if (arch === 'amd64') return ['-drive', `file=${disk},if=virtio,format=qcow2,cache=unsafe,discard=unmap`];
  return ['-drive', `file=${disk},if=none,id=d0,format=qcow2,cache=unsafe,discard=unmap`, '-device', 'virtio-blk-pci,drive=d0'];
}
