import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectDocker } from '../../providers/docker/docker-client.js';
import { ensureBaseImage } from '../../providers/docker/base-image.js';
import { AbortedError, LabError } from '../../util/errors.js';
import type { MakeRunner } from './build.js';

/** The repository of build-environment images: one tag per (suite, compiler). */
export const KBUILD_IMAGE_REPO = 'bootgate/kbuild';

/** What a build environment holds: the kernel's compiler, make, the C library's headers, libelf and pahole. */
export function kbuildPackages(cc: string): string[] {
  // libelf-dev: objtool, run on every object, links libelf (libelf1 or libelf1t64, by suite);
  // dwarves: pahole, which kbuild of kernels with BTF asks for.
  return [cc, 'make', 'libc6-dev', 'libelf-dev', 'dwarves'];
}

export class KbuildContainerError extends LabError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('KBUILD_CONTAINER', message, options);
  }
}

/**
 * make in a container of the kernel's own Debian suite (mmdebstrap, `docker import`, built once
 * per suite and compiler): Debian 11's kernels want gcc-10, which this host lacks, and the kbuild
 * binaries of Debian 13 and unstable (fixdep, modpost) need a newer glibc than the host's. The
 * headers tree is mounted read-only and the scratch folder read-write at their host paths, so the
 * build's paths and messages are the same as on the host; no network.
 */
export function containerMake(o: { suite: string; headersRoot: string; progress?: (s: string) => void }): MakeRunner {
  return async (args, { scratch, cc, signal }) => {
    const docker = await connectDocker();
    const image = await ensureBaseImage(docker, (l) => o.progress?.(l.replace(/^docker: base image/, `kbuild ${o.suite}`)), signal, {
      suite: o.suite,
      packages: kbuildPackages(cc),
      repo: KBUILD_IMAGE_REPO,
      // The archive reached here may serve a Release file past its Valid-Until (unstable's lasts a
      // week): still signed and checked, only its freshness is not.
      aptOptions: ['Acquire::Check-Valid-Until "false"'],
    });
    let out = '';
    let err = '';
    const stdout = new PassThrough().setEncoding('utf8').on('data', (d: string) => (out = (out + d).slice(-(4 << 20))));
    const stderr = new PassThrough().setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-(4 << 20))));
    const container = await docker.createContainer({
      Image: image,
      Cmd: ['make', ...args],
      Env: ['LC_ALL=C', 'LANG=C'],
      WorkingDir: scratch,
      User: `${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`,
      Labels: { 'bootgate.kbuild': o.suite },
      NetworkDisabled: true,
      HostConfig: { Binds: [`${o.headersRoot}:${o.headersRoot}:ro`, `${scratch}:${scratch}`], NetworkMode: 'none', AutoRemove: false },
    });
    const onAbort = () => void container.kill().catch(() => undefined);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const stream = await container.attach({ stream: true, stdout: true, stderr: true });
      docker.modem.demuxStream(stream, stdout, stderr);
      await container.start();
      const { StatusCode } = (await container.wait()) as { StatusCode: number };
      // The attached stream may still hold the last lines when wait() answers.
      await Promise.race([new Promise((r) => stream.once('end', r)), sleep(2000)]);
      if (signal?.aborted) throw new AbortedError('module build aborted');
      return { code: StatusCode, stdout: out, stderr: err };
    } catch (e) {
      if (e instanceof AbortedError) throw e;
      throw new KbuildContainerError(`make in the ${o.suite} build container (${image}) failed to run: ${(e as Error).message}`, { cause: e });
    } finally {
      signal?.removeEventListener('abort', onAbort);
      await container.remove({ force: true }).catch(() => undefined);
    }
  };
}
