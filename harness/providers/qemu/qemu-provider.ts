import { exec, execCapture } from '../../util/exec.js';
import { chooseAccel } from './accel.js';
import { ARCH_PROFILES } from './guest-arch.js';
import { QemuMachine } from './qemu-machine.js';
import { overlayCreateArgs } from './windows-args.js';
import type { HostTool, Machine, MachineSpec, Provider } from '../provider.js';

/** VMs as local QEMU child processes: qemu-system-x86_64, or qemu-system-aarch64 for arm64 guests. */
export class QemuProvider implements Provider {
  readonly name = 'qemu';
  readonly canRestore = true;
  readonly hostTools: readonly HostTool[] = [
    { tool: 'qemu-system-x86_64', pkg: 'qemu-system-x86', why: 'runs the guests' },
    { tool: 'qemu-system-aarch64', pkg: 'qemu-system-arm', why: 'runs arm64 guests' },
    { tool: 'qemu-img', pkg: 'qemu-utils', why: 'copy-on-write overlays' },
  ];
  /** qemu: one emulator for every guest, whatever its architecture (tests); default: the architecture's own (guest-arch.ts). */
  constructor(private readonly qemu?: string) {}

  async versions(): Promise<Record<string, string>> {
    const v = (await execCapture(this.qemu ?? ARCH_PROFILES.amd64.qemu, ['--version']).catch(() => ({ stdout: '' }))).stdout.split('\n')[0];
    return v ? { qemu: v } : {};
  }

  async describe(): Promise<string> {
    return (await chooseAccel()).why;
  }

  async createOverlay(base: string, overlay: string, signal?: AbortSignal): Promise<void> {
    // A user's VHDX is named for its format in the image folder (images/user-disk-image.ts).
    await exec('qemu-img', overlayCreateArgs(base, base.endsWith('.vhdx') ? 'vhdx' : 'qcow2', overlay), { signal });
  }

  async start(spec: MachineSpec, signal?: AbortSignal): Promise<Machine> {
    const arch = spec.arch ?? 'amd64';
    const { accel } = await chooseAccel(arch);
    return QemuMachine.start(spec, accel, this.qemu ?? ARCH_PROFILES[arch].qemu, signal);
  }
}
