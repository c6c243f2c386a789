import type Docker from 'dockerode';
import { LabError } from '../../util/errors.js';

/** dockerd does not answer: the lab cannot start containers (exit 3, never blamed on the agent). */
export class DockerUnreachableError extends LabError {
  constructor(where: string, options?: { cause?: unknown }) {
    super('DOCKER_UNREACHABLE', `the Docker daemon does not answer at ${where}: is dockerd running? scripts/setup.sh starts one`, options);
  }
}

/** Where dockerode connects: DOCKER_HOST when set (its own parsing), else the local socket. */
export function dockerWhere(): string {
  return process.env.DOCKER_HOST ?? '/var/run/docker.sock';
}

/** A client that answered a ping, or DOCKER_UNREACHABLE. */
export async function connectDocker(): Promise<Docker> {
  // Loaded on first use: a run on the QEMU provider does not pay for dockerode's modules.
  const { default: DockerClient } = await import('dockerode');
  const docker = new DockerClient();
  try {
    await docker.ping();
  } catch (e) {
    throw new DockerUnreachableError(dockerWhere(), { cause: e });
  }
  return docker;
}
