import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { userDiskManifest } from './user-disk-image.js';
import { buildDiskImage } from './build-disk.js';
import { buildInitramfsImage, type Progress } from './build-initramfs.js';
import { freshAptState } from './apt-state.js';
import { IMAGE_DIR_MODE, restrictToOwner, SECRET_FILE_MODE } from './image-files.js';
import { MANIFEST, readManifest, type ImageManifest } from './manifest.js';
import { loadAllRecipes, type LoadedRecipe } from './recipe.js';
import { ensurePvhKernel } from './pvh-kernel.js';
import { AbortedError, ConfigError, LabError } from '../util/errors.js';
import { sha256File, writeFileAtomic } from '../util/fsutil.js';

/** The PVH kernel's file name in an image's folder. */
const PVH_KERNEL = 'vmlinux.pvh';

/** Files smaller than this are checksummed every time an image is used. */
const CHECKSUM_LIMIT = 64 << 20;

export interface CatalogEntry {
  loaded: LoadedRecipe;
  dir: string;
  manifest?: ImageManifest;
}

export interface BuiltImage {
  recipe: LoadedRecipe;
  dir: string;
  manifest: ImageManifest;
  /**
   * The image's kernel unpacked to an ELF that QEMU starts at its PVH entry (images/pvh-kernel.ts),
   * or why there is none; derived from the kernel file, so kept beside it rather than in the manifest.
   */
  pvh?: { kernel: string } | { why: string };
}

/** Images are kept by name and recipe hash: a changed recipe gets a new folder, never a stale one. */
export class ImageCatalog {
  constructor(
    readonly root: string,
    readonly cache: string,
  ) {}

  imagesDir(): string {
    return join(this.cache, 'images');
  }

  dirOf(l: LoadedRecipe): string {
    return join(this.imagesDir(), `${l.recipe.name}-${l.hash}`);
  }

  async list(): Promise<CatalogEntry[]> {
    const recipes = await loadAllRecipes(this.root);
    return Promise.all(
      recipes.map(async (loaded) => {
        const dir = this.dirOf(loaded);
        const manifest = await readManifest(dir);
        return { loaded, dir, manifest: manifest?.recipeHash === loaded.hash ? manifest : undefined };
      }),
    );
  }

  async find(name: string): Promise<CatalogEntry> {
    const all = await this.list();
    const e = all.find((x) => x.loaded.recipe.name === name);
    if (!e) {
      throw new ConfigError('UNKNOWN_IMAGE', `unknown image ${name} (known: ${all.map((x) => x.loaded.recipe.name).join(', ') || 'none'})`);
    }
    return e;
  }

  /**
   * The image, built first if the cache has no complete and intact copy of this recipe.
   * Sizes are always checked; checksums for files under CHECKSUM_LIMIT (kernels and
   * initramfs: a few MB), so a corrupted entry is rebuilt rather than booted.
   */
  async ensure(name: string, progress: Progress, signal?: AbortSignal): Promise<BuiltImage> {
    const e = await this.find(name);
    if (e.manifest) {
      const problems = await this.verify(e, CHECKSUM_LIMIT);
      if (problems.length === 0) {
        // Caches from before images were owner-only: tightened in place (they hold the host private key).
        await this.restrict(e.dir, e.manifest);
        return this.withPvh({ recipe: e.loaded, dir: e.dir, manifest: e.manifest }, signal);
      }
      progress(`cached copy is damaged (${problems.join('; ')}): rebuilding`);
    }
    return this.build(e.loaded, progress, signal);
  }

  /** The image with its PVH kernel, unpacked once beside its bzImage; a kernel without a PVH entry keeps booting as a bzImage. */
  private async withPvh(img: BuiltImage, signal?: AbortSignal): Promise<BuiltImage> {
    const k = img.manifest.files.kernel;
    if (!k) return img;
    // PVH is an x86 entry point; an arm64 kernel is an Image that QEMU's -kernel starts as it is.
    if (img.recipe.recipe.arch !== 'amd64') return { ...img, pvh: { why: `PVH is an x86 entry point: an ${img.recipe.recipe.arch} kernel boots as its Image` } };
    try {
      return { ...img, pvh: { kernel: await ensurePvhKernel(join(img.dir, k.path), join(img.dir, PVH_KERNEL), signal) } };
    } catch (e) {
      if (e instanceof AbortedError) throw e;
      return { ...img, pvh: { why: e instanceof Error ? e.message : String(e) } };
    }
  }

  /** Remove an image's cached copies (every recipe hash of that name). */
  async remove(name: string): Promise<string[]> {
    await this.find(name);
    const names = await readdir(this.imagesDir()).catch(() => [] as string[]);
    const gone = names.filter((n) => n.startsWith(`${name}-`) && /^[0-9a-f]{16}(\.partial-\d+)?$/.test(n.slice(name.length + 1)));
    for (const n of gone) await rm(join(this.imagesDir(), n), { recursive: true, force: true });
    return gone;
  }

  async build(loaded: LoadedRecipe, progress: Progress, signal?: AbortSignal): Promise<BuiltImage> {
    const dir = this.dirOf(loaded);
    const work = `${dir}.partial-${process.pid}`;
    await mkdir(this.imagesDir(), { recursive: true, mode: IMAGE_DIR_MODE });
    await rm(work, { recursive: true, force: true });
    // Owner-only from the start: the build stages the guest's host private key in here.
    await mkdir(work, { mode: IMAGE_DIR_MODE });
    const out = join(work, 'out');
    try {
      let manifest: ImageManifest;
      if (loaded.recipe.userland === 'user-disk') {
        // Nothing to build: the user's own disk, checked where it is and linked (user-disk-image.ts).
        manifest = await userDiskManifest(loaded, out, Date.now());
      } else if (loaded.recipe.userland === 'initramfs') {
        const { suite, arch } = loaded.recipe;
        if (suite) progress(`reading Debian ${suite} (${arch}) through the lab's own apt state`);
        // Another architecture than the host's always goes through its own apt state: the host's lists hold amd64 alone.
        const kernelSuite = suite ?? (arch === 'amd64' ? undefined : 'bookworm');
        const apt = kernelSuite ? await freshAptState(this.cache, kernelSuite, arch, signal) : undefined;
        const userlandApt = arch === 'amd64' ? undefined : await freshAptState(this.cache, 'bookworm', arch, signal);
        manifest = await buildInitramfsImage(loaded, out, work, progress, signal, apt, join(this.cache, 'debs'), userlandApt);
      } else if (loaded.recipe.userland === 'disk') {
        const { suite, arch } = loaded.recipe;
        const apt = suite ? await freshAptState(this.cache, suite, arch, signal) : undefined;
        manifest = await buildDiskImage(loaded, out, work, progress, signal, apt);
      } else {
        throw new ConfigError('USERLAND_UNSUPPORTED', `${loaded.recipe.name}: userland ${loaded.recipe.userland} cannot be built yet`, { file: loaded.file });
      }
      // The manifest is written last and the folder renamed into place: a killed build leaves
      // only a .partial folder, which is never mistaken for an image.
      await this.restrict(out, manifest);
      await writeFileAtomic(join(out, MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
      await rm(dir, { recursive: true, force: true });
      await rename(out, dir);
      return this.withPvh({ recipe: loaded, dir, manifest }, signal);
    } catch (e) {
      if (e instanceof ConfigError && e.code === 'PACKAGE_NOT_FOUND' && !e.file) {
        const text = await readFile(loaded.file, 'utf8');
        const line = text.split('\n').findIndex((l) => /^\s*package:|package:/.test(l)) + 1 || undefined;
        throw new ConfigError(e.code, e.message, { file: loaded.file, line, field: 'kernel.package' }, { cause: e });
      }
      if ((e as NodeJS.ErrnoException).code === 'ENOSPC') {
        throw new LabError('NO_DISK_SPACE', `no disk space left in ${this.imagesDir()} while building ${loaded.recipe.name}`, { cause: e });
      }
      throw e;
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  /** The image folder and its files owner-only: the initramfs or root disk holds the guest's host private key. */
  private async restrict(dir: string, manifest: ImageManifest): Promise<void> {
    await restrictToOwner(dir, IMAGE_DIR_MODE);
    // A user's disk is linked, not copied: its permissions are the user's.
    if (manifest.userland === 'user-disk') return;
    for (const f of Object.values(manifest.files)) if (f) await restrictToOwner(join(dir, f.path), SECRET_FILE_MODE);
  }

  /** Checksums of the cached files against the manifest: names each file that differs. */
  async verify(e: CatalogEntry, checksumBelow = Infinity): Promise<string[]> {
    if (!e.manifest) return ['not built'];
    const problems: string[] = [];
    // Without a pinned host key any guest key would be taken: a Linux image built here always has one.
    if (e.manifest.os === 'linux' && !e.manifest.hostKey) problems.push(`${MANIFEST}: no hostKey (the guest's SSH host key, pinned for every connection)`);
    for (const f of Object.values(e.manifest.files)) {
      if (!f) continue;
      const p = join(e.dir, f.path);
      const st = await stat(p).catch(() => undefined);
      if (!st) problems.push(`${f.path}: missing`);
      else if (st.size !== f.size) problems.push(`${f.path}: size ${st.size}, expected ${f.size}`);
      else if (f.size < checksumBelow && (await sha256File(p)) !== f.sha256) problems.push(`${f.path}: checksum differs`);
    }
    return problems;
  }

  /** Leftover folders of other recipe hashes and of killed builds. */
  async stale(): Promise<string[]> {
    const keep = new Set((await this.list()).map((e) => e.dir));
    const names = await readdir(this.imagesDir()).catch(() => [] as string[]);
    return names.map((n) => join(this.imagesDir(), n)).filter((d) => !keep.has(d));
  }
}
