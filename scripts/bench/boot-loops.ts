/**
 * The two sides every boot figure of `npm run bench` compares: a raw QEMU process with the
 * harness's own command line, read to the image's ready marker and killed; and the harness's
 * cell VM, whose cycle is what a run pays: boot, SSH, boot id, a health command, and (warm) the
 * reboot that starts the next one.
 */
import { spawn } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { bootSchema, type BootPolicy } from '../../harness/config/suite-schema.js';
import type { BuiltImage } from '../../harness/images/catalog.js';
import { guestOsFor } from '../../harness/guest/registry.js';
import type { LabKey } from '../../harness/guest/lab-keys.js';
import { freeLoopbackPort } from '../../harness/providers/qemu/free-port.js';
import { qemuArgs } from '../../harness/providers/qemu/qemu-args.js';
import type { MachineSpec, Provider } from '../../harness/providers/provider.js';
import { bootSourceOf, CellVm, kernelArgsOf, type StartKind } from '../../harness/run/cell-vm.js';
import type { WarmRestart } from '../../harness/run/warm-reboot.js';

const MARK = 'bootgate-ready';

export type Entry = BootPolicy['kernelEntry'];

/** The boot policy of the benchmark: no soak or settle (those are policy, not cost), a long timeout for a loaded host. */
export function benchBoot(entry: Entry, warmReboot: BootPolicy['warmReboot'] = 'auto'): BootPolicy {
  return bootSchema.parse({ soak: '0s', settle: '0s', timeout: '300s', kernelEntry: entry, warmReboot });
}

export interface LoopContext {
  image: BuiltImage;
  provider: Provider;
  accel: 'kvm' | 'tcg';
  labKey: LabKey;
  dir: string;
  signal: AbortSignal;
}

let serial = 0;

/**
 * A raw QEMU boot of the image, the harness's command line (with another -cpu when given), to
 * the ready marker: ms from spawn. `stop` kills it before then (it rejects).
 */
export async function rawBoot(x: LoopContext, entry: Entry, cpu?: string, stop?: AbortSignal): Promise<number> {
  const id = `raw-${++serial}`;
  const workDir = join(x.dir, id);
  await mkdir(workDir, { recursive: true });
  const disk = join(workDir, 'disk.qcow2');
  await x.provider.createOverlay(join(x.image.dir, x.image.manifest.files.disk.path), disk, x.signal);
  const spec: MachineSpec = {
    name: id,
    workDir,
    disk,
    boot: bootSourceOf(x.image, kernelArgsOf(x.image, benchBoot(entry), x.labKey.publicKey), entry),
    memoryMiB: x.image.recipe.recipe.memoryMiB,
    cpus: x.image.recipe.recipe.cpus,
    guestSshPort: 22,
  };
  const port = await freeLoopbackPort();
  const t0 = performance.now();
  const args = qemuArgs({ spec, accel: x.accel, qmpSocket: join(workDir, 'qmp.sock'), sshPort: port });
  if (cpu) args[args.indexOf('-cpu') + 1] = cpu;
  const child = spawn('qemu-system-x86_64', args, { stdio: ['pipe', 'pipe', 'ignore'] });
  try {
    return await new Promise<number>((resolve, reject) => {
      let tail = '';
      let ms: number | undefined;
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        tail = (tail + d).slice(-200);
        if (ms === undefined && tail.includes(MARK)) {
          ms = performance.now() - t0;
          child.kill('SIGKILL');
        }
      });
      const kill = () => child.kill('SIGKILL');
      for (const sig of [x.signal, stop]) sig?.addEventListener('abort', kill, { once: true });
      child.once('exit', (c) => {
        for (const sig of [x.signal, stop]) sig?.removeEventListener('abort', kill);
        if (ms !== undefined) resolve(ms);
        else reject(new Error(stop?.aborted || x.signal.aborted ? 'raw QEMU stopped' : `raw QEMU exited ${c} before the ready marker`));
      });
      if (stop?.aborted || x.signal.aborted) kill();
    });
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/** One harness cycle, split where its time goes. */
export interface CycleSample {
  kind: 'cold' | 'warm';
  /** From the VM start (cold) or the reboot request (warm) to the health command's answer. */
  totalMs: number;
  /** From the start of the boot to the console's ready marker. */
  markerMs: number;
  /** From the marker to an SSH session whose boot id matches the console's. */
  sshMs: number;
  /** The health command (`cat /proc/uptime`, as a suite's simplest health is). */
  healthMs: number;
  /** For warm cycles: from the reboot request to the guest's reset (QMP RESET), or to the new QEMU process's start. */
  rebootMs?: number;
  /** For warm cycles: how the reboot was carried out. */
  restart?: WarmRestart;
}

/** A harness cell VM that boots again and again: cold first, then warm reboots, each timed. */
export class HarnessLoop {
  private readonly vm: CellVm;
  private booted = false;
  private n = 0;

  constructor(
    private readonly x: LoopContext,
    entry: Entry,
    private readonly name: string,
    warmReboot: BootPolicy['warmReboot'] = 'auto',
  ) {
    this.vm = new CellVm({
      runDir: x.dir,
      cellId: name,
      workDir: join(x.dir, name),
      image: x.image,
      provider: x.provider,
      guest: guestOsFor('linux'),
      boot: benchBoot(entry, warmReboot),
      labKey: x.labKey,
      signal: x.signal,
    });
  }

  async cycle(kind: 'cold' | 'warm'): Promise<CycleSample> {
    if (!this.booted) {
      await mkdir(join(this.x.dir, this.name), { recursive: true });
      await this.vm.createOverlay();
    }
    const how: StartKind = kind === 'warm' && this.booted ? 'warm-guest' : 'cold';
    let healthMs = 0;
    let sshAt = 0;
    let resetAt: number | undefined;
    const off = this.vm.machine?.onEvent((e) => {
      if (e.type === 'reset' && resetAt === undefined) resetAt = e.at;
    });
    const t0 = Date.now();
    const obs = await this.vm.boot(how, `${this.name}-${++this.n}.log`, async (ssh, sig) => {
      sshAt = Date.now();
      const h0 = performance.now();
      const r = await ssh.exec('cat /proc/uptime', { timeoutMs: 30_000, signal: sig });
      healthMs = performance.now() - h0;
      return { health: { ok: r.code === 0, output: r.stdout } };
    });
    const end = Date.now();
    off?.();
    if (!obs.booted || obs.markerAt === undefined) throw new Error(`${this.name}: ${how} boot failed: ${obs.outcome} ${obs.error ?? ''}`);
    this.booted = true;
    // A warm boot starts at the guest's reset; the reboot request before it is part of the cycle.
    // A warm boot in a new process (boot.warmReboot) starts with that process.
    const bootStart = how === 'warm-guest' && obs.restart !== 'new-process' ? (resetAt ?? t0) : this.vm.machine!.startedAt;
    return {
      kind,
      totalMs: end - t0,
      markerMs: obs.markerAt,
      sshMs: Math.max(0, sshAt - bootStart - obs.markerAt),
      healthMs,
      ...(how === 'warm-guest' ? { rebootMs: bootStart - t0, ...(obs.restart ? { restart: obs.restart } : {}) } : {}),
    };
  }

  async dispose(): Promise<void> {
    await this.vm.dispose();
  }
}
