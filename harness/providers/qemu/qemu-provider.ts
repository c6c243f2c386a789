import { exec, execCapture } from '../../util/exec.js';
import { chooseAccel } from './accel.js';
import { QemuMachine } from './qemu-machine.js';
import { overlayCreateArgs } from './windows-args.js';
import type { HostTool, Machine, MachineSpec, Provider } from '../provider.js';

/** VMs as local qemu-system-x86_64 child processes. */
export class QemuProvider implements Provider {
  readonly name = 'qemu';
  readonly canRestore = true;
  readonly hostTools: readonly HostTool[] = [
    { tool: 'qemu-system-x86_64', pkg: 'qemu-system-x86', why: 'runs the guests' },
    { tool: 'qemu-img', pkg: 'qemu-utils', why: 'copy-on-write overlays' },
  ];
  constructor(private readonly qemu = 'qemu-system-x86_64') {}

  async versions(): Promise<Record<string, string>> {
    const v = (await execCapture(this.qemu, ['--version']).catch(() => ({ stdout: '' }))).stdout.split('\n')[0];
    return v ? { qemu: v } : {};
  }

  async describe(): Promise<string> {
    return (await chooseAccel(this.qemu)).why;
  }

  async createOverlay(base: string, overlay: string, signal?: AbortSignal): Promise<void> {
    // A user's VHDX is named for its format in the image folder (images/user-disk-image.ts).
    await exec('qemu-img', overlayCreateArgs(base, base.endsWith('.vhdx') ? 'vhdx' : 'qcow2', overlay), { signal });
  }

  async start(spec: MachineSpec, signal?: AbortSignal): Promise<Machine> {
    const { accel } = await chooseAccel(this.qemu);
    return QemuMachine.start(spec, accel, this.qemu, signal);
  }
}
