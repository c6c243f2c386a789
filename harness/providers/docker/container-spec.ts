import type Docker from 'dockerode';
import type { Bind } from './mounts.js';

/**
 * What QEMU needs beyond the guest's RAM: its own code and heap, and under TCG the translation
 * cache (tb-size=128 in qemu-args.ts). A container at the guest's size alone would be OOM-killed.
 */
export const QEMU_OVERHEAD_MIB = 384;

/**
 * The QEMU provider's arguments without the process title (`-name NAME,process=...`): in a
 * container the labels name the run and machine, and a title-based scan for orphaned VMs (the
 * QEMU provider's leftovers, in any bootgate version on the host) would take a QEMU whose parent
 * is containerd-shim, not a harness, for an orphan and kill it: seen here when two labs shared
 * the host.
 */
export function containerQemuArgs(args: readonly string[]): string[] {
  return args.map((a, i) => (args[i - 1] === '-name' ? a.replace(/,process=[^,]*/, '') : a));
}

export interface ContainerInput {
  image: string;
  /** The qemu-system-x86_64 arguments, exactly as the QEMU provider would run them. */
  args: string[];
  binds: Bind[];
  accel: 'kvm' | 'tcg';
  memoryMiB: number;
  cpus: number;
  /** CPUs on this Docker host: Docker refuses a CPU limit above it. */
  hostCpus: number;
  labels: Record<string, string>;
}

/**
 * The create options of one machine's container. Pure, so it is unit tested.
 * - the host's network: QEMU's user-mode hostfwd binds 127.0.0.1 of the host, nothing is
 *   published, and the guest still reaches nothing (restrict=on);
 * - stdin kept open, no TTY: the serial console is QEMU's stdio, read through the attach stream
 *   (multiplexed stdout/stderr) and typed on through its stdin, as with a local process;
 * - /dev/kvm only when the machine runs under KVM;
 * - the limits: the guest's vCPUs plus one for QEMU's main loop (within the host's), its RAM plus
 *   QEMU's overhead, and no swap beyond it.
 */
export function containerOptions(i: ContainerInput): Docker.ContainerCreateOptions {
  const memory = (i.memoryMiB + QEMU_OVERHEAD_MIB) * 2 ** 20;
  const cpus = Math.min(i.cpus + 1, Math.max(1, i.hostCpus));
  return {
    Image: i.image,
    Entrypoint: ['/usr/bin/qemu-system-x86_64'],
    // An imported root file system has no ENV: `exec:cat` (saved states) needs a PATH.
    Env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'],
    Cmd: containerQemuArgs(i.args),
    Labels: i.labels,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: true,
    StdinOnce: false,
    Tty: false,
    HostConfig: {
      NetworkMode: 'host',
      Mounts: i.binds.map((b) => ({ Type: 'bind' as const, Source: b.dir, Target: b.dir, ReadOnly: b.readOnly })),
      Devices: i.accel === 'kvm' ? [{ PathOnHost: '/dev/kvm', PathInContainer: '/dev/kvm', CgroupPermissions: 'rwm' }] : [],
      Memory: memory,
      MemorySwap: memory,
      NanoCpus: Math.round(cpus * 1e9),
      // The harness removes its containers (dispose, the reaper): an exit code is read first.
      AutoRemove: false,
      RestartPolicy: { Name: 'no' },
      LogConfig: { Type: 'none', Config: {} },
    },
  };
}
