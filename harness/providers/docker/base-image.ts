import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import type Docker from 'dockerode';
import { suiteSources } from '../../util/debian-archive.js';
import { AbortedError, LabError } from '../../util/errors.js';

/**
 * The image every machine's container is made from: a Debian root file system with QEMU and the
 * firmware the lab's machines boot, built here (mmdebstrap, then `docker import`), no registry.
 * Its tag is a hash of its recipe, so a changed recipe is a new image and an old one is reused as is.
 */
export interface BaseImageRecipe {
  suite: string;
  /** qemu-system-x86 (and, by its dependencies, SeaBIOS and the NIC option ROMs), OVMF for UEFI guests. */
  packages: string[];
  /** The image's repository (default bootgate/qemu); not part of its hash, so the QEMU image's tag is what it was. */
  repo?: string;
  /** apt options for mmdebstrap (`--aptopt`); hashed only when given, for the same reason. */
  aptOptions?: string[];
}

export const BASE_IMAGE_RECIPE: BaseImageRecipe = { suite: 'bookworm', packages: ['qemu-system-x86', 'ovmf'] };
export const BASE_IMAGE_REPO = 'bootgate/qemu';

export class BaseImageError extends LabError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DOCKER_BASE_IMAGE', message, options);
  }
}

/** `bootgate/qemu:<12 hex of the recipe's hash>`. */
export function baseImageTag(r: BaseImageRecipe = BASE_IMAGE_RECIPE): string {
  const h = createHash('sha256').update(JSON.stringify({ suite: r.suite, packages: [...r.packages].sort(), sources: suiteSources(r.suite), ...(r.aptOptions ? { aptOptions: r.aptOptions } : {}) })).digest('hex');
  return `${r.repo ?? BASE_IMAGE_REPO}:${h.slice(0, 12)}`;
}

/** mmdebstrap's arguments: a tar of the root file system on stdout, without manuals or translations. */
export function baseImageMmdebstrapArgs(r: BaseImageRecipe = BASE_IMAGE_RECIPE): string[] {
  return [
    '--mode=root',
    '--variant=apt',
    '--format=tar',
    `--include=${r.packages.join(',')}`,
    ...(r.aptOptions ?? []).map((o) => `--aptopt=${o}`),
    '--dpkgopt=path-exclude=/usr/share/doc/*',
    '--dpkgopt=path-exclude=/usr/share/man/*',
    '--dpkgopt=path-exclude=/usr/share/locale/*',
    r.suite,
    '-',
    ...suiteSources(r.suite),
  ];
}

async function imageExists(docker: Docker, tag: string): Promise<boolean> {
  try {
    await docker.getImage(tag).inspect();
    return true;
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return false;
    throw new BaseImageError(`cannot ask dockerd about ${tag}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * The base image's tag, built first when dockerd does not have it (a few minutes: the packages are
 * downloaded), with mmdebstrap's progress lines.
 */
export async function ensureBaseImage(docker: Docker, progress: (line: string) => void, signal?: AbortSignal, recipe: BaseImageRecipe = BASE_IMAGE_RECIPE): Promise<string> {
  const tag = baseImageTag(recipe);
  if (await imageExists(docker, tag)) return tag;
  progress(`docker: building the base image ${tag} (${recipe.packages.join(', ')} from Debian ${recipe.suite}; once per recipe)`);
  const child = spawn('mmdebstrap', baseImageMmdebstrapArgs(recipe), { stdio: ['ignore', 'pipe', 'pipe'] });
  const onAbort = () => child.kill('SIGTERM');
  signal?.addEventListener('abort', onAbort, { once: true });
  const tail: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (l) => {
    tail.push(l);
    if (tail.length > 8) tail.shift();
    if (/^I: /.test(l)) progress(`docker: base image: ${l.slice(3)}`);
  });
  const exited = new Promise<number>((resolve, reject) => {
    child.once('error', (e: NodeJS.ErrnoException) => reject(new BaseImageError(e.code === 'ENOENT' ? 'mmdebstrap is not installed (Debian package mmdebstrap): it builds the Docker provider\'s base image' : `cannot start mmdebstrap: ${e.message}`, { cause: e })));
    child.once('close', (code) => resolve(code ?? 1));
  });
  try {
    const [repo, version] = tag.split(':');
    const imported = docker.importImage(child.stdout!, { repo, tag: version }).then(
      (res) =>
        new Promise<void>((resolve, reject) =>
          docker.modem.followProgress(res, (err: Error | null, out: { error?: string }[]) => {
            const bad = err?.message ?? out.find((o) => o.error)?.error;
            if (bad) reject(new BaseImageError(`docker import of ${tag} failed: ${bad}`));
            else resolve();
          }),
        ),
    );
    const code = await exited;
    if (signal?.aborted || code !== 0) {
      // dockerd imports whatever part of the tar arrived, even nothing: an image under this tag
      // now would be taken as built next time.
      await imported.catch(() => undefined);
      await docker.getImage(tag).remove({ force: true }).catch(() => undefined);
    }
    if (signal?.aborted) throw new AbortedError('building the Docker base image aborted');
    if (code !== 0) throw new BaseImageError(`mmdebstrap exited with ${code} building ${tag}:\n${tail.join('\n')}`);
    await imported;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (!(await imageExists(docker, tag))) throw new BaseImageError(`docker import finished but ${tag} is not there`);
  progress(`docker: base image ${tag} built`);
  return tag;
}
