import { execCapture } from '../../util/exec.js';
import { connectDocker } from './docker-client.js';
import { describeReaped, reapContainers } from './reaper.js';

/**
 * For `bootgate doctor`: whether dockerd answers (the docker provider), and its leftover containers
 * reaped. Nothing when Docker is not installed: the provider is optional. Builds nothing.
 */
export async function dockerFacts(): Promise<string[]> {
  const r = await execCapture('sh', ['-c', 'command -v dockerd']).catch(() => ({ code: 1 }));
  if (r.code !== 0) return [];
  try {
    const docker = await connectDocker();
    const v = await docker.version();
    const reaped = describeReaped(await reapContainers(docker));
    return [`ok      dockerd ${v.Version} answers (provider docker)`, reaped ?? 'ok      no leftover bootgate containers'];
  } catch (e) {
    return [`note    provider docker unavailable: ${(e as Error).message}`];
  }
}
