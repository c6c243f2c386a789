import { availableParallelism } from 'node:os';
import type Docker from 'dockerode';
import { exec } from '../../util/exec.js';
import { ConfigError } from '../../util/errors.js';
import type { HostTool, Machine, MachineSpec, Provider } from '../provider.js';
import { chooseAccel } from '../qemu/accel.js';
import { ensureBaseImage } from './base-image.js';
import { connectDocker } from './docker-client.js';
import { DockerMachine } from './docker-machine.js';
import { thisOwner } from './owner.js';
import type { Owner } from './labels.js';
import { describeReaped, reapContainers } from './reaper.js';

interface Ready {
  docker: Docker;
  image: string;
  owner: Owner;
}

/**
 * VMs as QEMU processes in Docker containers (dockerode), one container per machine, made from a
 * locally built base image (base-image.ts). The accelerator is the host's: /dev/kvm is passed in
 * where a KVM guest really starts on this host (accel.ts), else TCG.
 */
export class DockerProvider implements Provider {
  readonly name = 'docker';
  /** Saved states go through `exec:cat` inside the container, into the cell's mounted scratch folder. */
  readonly canRestore = true;
  readonly hostTools: readonly HostTool[] = [
    { tool: 'dockerd', pkg: 'docker.io', why: 'runs the guests\' QEMU in containers' },
    { tool: 'qemu-img', pkg: 'qemu-utils', why: 'copy-on-write overlays (made on the host)' },
    { tool: 'mmdebstrap', pkg: 'mmdebstrap', why: 'builds the containers\' base image (once)' },
  ];
  private ready?: Promise<Ready>;

  /** dockerd answers, leftovers are reaped and the base image is there; said through `progress` once. */
  prepare(progress: (line: string) => void = () => undefined, signal?: AbortSignal): Promise<Ready> {
    this.ready ??= (async () => {
      const docker = await connectDocker();
      const reaped = describeReaped(await reapContainers(docker));
      if (reaped) progress(reaped);
      return { docker, image: await ensureBaseImage(docker, progress, signal), owner: await thisOwner() };
    })();
    // A failed preparation (dockerd down, a build error) is tried again by the next caller.
    this.ready.catch(() => (this.ready = undefined));
    return this.ready;
  }

  async versions(): Promise<Record<string, string>> {
    const { docker, image } = await this.prepare();
    const v = (await docker.version().catch(() => undefined))?.Version;
    return { ...(v ? { docker: v } : {}), dockerImage: image };
  }

  async describe(): Promise<string> {
    return `${(await chooseAccel()).why}, QEMU in Docker containers`;
  }

  /** On the host: a qcow2 header that names its backing file, not worth a container start (about half a second). */
  async createOverlay(base: string, overlay: string, signal?: AbortSignal): Promise<void> {
    await exec('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', base, overlay], { signal });
  }

  /** Its base image holds qemu-system-x86 alone. */
  readonly arches = ['amd64'] as const;

  async start(spec: MachineSpec, signal?: AbortSignal): Promise<Machine> {
    // The base image holds qemu-system-x86 alone: refused before a container is made, not a QEMU error inside one.
    if ((spec.arch ?? 'amd64') !== 'amd64') throw new ConfigError('DOCKER_ARCH_UNSUPPORTED', `${spec.name}: the docker provider runs amd64 guests only (its base image has qemu-system-x86); run ${spec.arch} images with the qemu provider`);
    const { docker, image, owner } = await this.prepare(undefined, signal);
    const { accel } = await chooseAccel();
    return DockerMachine.start({ docker, image, spec, accel, owner, hostCpus: availableParallelism(), signal });
  }
}
