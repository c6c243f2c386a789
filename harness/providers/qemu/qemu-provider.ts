import { exec } from '../../util/exec.js';
import { chooseAccel } from './accel.js';
import { QemuMachine } from './qemu-machine.js';
import type { Machine, MachineSpec, Provider } from '../provider.js';

/** VMs as local qemu-system-x86_64 child processes. */
export class QemuProvider implements Provider {
  readonly name = 'qemu';
  constructor(private readonly qemu = 'qemu-system-x86_64') {}

  async describe(): Promise<string> {
    return (await chooseAccel(this.qemu)).why;
  }

  async createOverlay(base: string, overlay: string, signal?: AbortSignal): Promise<void> {
    await exec('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', base, overlay], { signal });
  }

  async start(spec: MachineSpec, signal?: AbortSignal): Promise<Machine> {
    const { accel } = await chooseAccel(this.qemu);
    return QemuMachine.start(spec, accel, this.qemu, signal);
  }
}
