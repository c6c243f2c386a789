import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { loadYaml, type LoadedYaml } from '../util/yaml.js';
import { ConfigError } from '../util/errors.js';
import { userDiskRecipeFields } from './windows-profile.js';

export const recipeSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, 'image names are lower case letters, digits, dots and dashes'),
    os: z.enum(['linux', 'windows']),
    /** What `distro=debian-13` selects: the distribution the image's kernel (and, on a disk, its userland) comes from. */
    distro: z.string().optional(),
    /**
     * The Debian suite the kernel packages come from (bullseye, trixie, sid, bookworm-backports),
     * read through a lab-private apt state (images/apt-state.ts). Left out: the host's apt lists,
     * as the Debian 12 recipes always did.
     */
    suite: z.string().regex(/^[a-z]+(-backports)?$/, 'a Debian suite such as bullseye, trixie, sid or bookworm-backports').optional(),
    /** The guest's architecture: amd64 (qemu-system-x86_64) or arm64 (qemu-system-aarch64, virt machine; initramfs images only). */
    arch: z.enum(['amd64', 'arm64']).default('amd64'),
    kernel: z
      .object({
        package: z.string(),
        /** The kernel series (6.1, 6.12): what suites select on with kernel>=6.12. */
        series: z.string().regex(/^\d+\.\d+$/, 'a kernel series such as "6.1"').optional(),
        flavour: z.enum(['generic', 'cloud', 'rt']),
      })
      .strict()
      .optional(),
    userland: z.enum(['initramfs', 'disk', 'user-disk']),
    tags: z.array(z.string()).default([]),
    memoryMiB: z.number().int().min(128).default(512),
    cpus: z.number().int().min(1).default(1),
    // A user-disk recipe points at the user's own image (Windows): see docs/windows-guests.md.
    ...userDiskRecipeFields,
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.userland === 'user-disk' && !r.disk) ctx.addIssue({ code: 'custom', path: ['disk'], message: 'a user-disk image needs disk: the path of your qcow2 or VHDX image' });
    if (r.os === 'windows' && !r.windows) ctx.addIssue({ code: 'custom', path: ['windows'], message: 'a Windows image needs windows: { version: 10 | 11 | server-2019 | ... }' });
    if (r.arch !== 'amd64' && r.userland === 'disk') ctx.addIssue({ code: 'custom', path: ['arch'], message: `${r.arch} images are built with userland: initramfs only (the systemd disk is amd64)` });
    if (r.suite && r.userland === 'user-disk') ctx.addIssue({ code: 'custom', path: ['suite'], message: 'a user disk is not built from Debian packages: suite: does not apply' });
    if (r.os === 'linux' && !r.kernel && r.userland !== 'user-disk') ctx.addIssue({ code: 'custom', path: ['kernel'], message: 'a Linux image built here needs kernel: { package, series, flavour }' });
  });
export type Recipe = z.infer<typeof recipeSchema>;

export interface LoadedRecipe {
  recipe: Recipe;
  file: string;
  /** Hash of the recipe and of the builder files it uses: the cache key. */
  hash: string;
}

/** Where recipes live: the repository's images/ folder. */
export function recipesDir(root: string): string {
  return join(root, 'images');
}

/** Files whose change must rebuild every image of a userland. */
async function builderInputs(root: string, recipe: Recipe): Promise<string[]> {
  if (recipe.userland === 'initramfs') return [join(root, 'images', 'initramfs', 'init.sh')];
  if (recipe.userland === 'disk') return filesUnder(join(root, 'images', 'disk'));
  return [];
}

/** Every file below dir, in a stable order. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? e.path, e.name))
    .sort();
}

/** Bumped when the builder's own logic changes in a way that alters its output. */
export const BUILDER_REVISION = 2;

export async function loadRecipe(root: string, file: string): Promise<LoadedRecipe> {
  const loaded: LoadedYaml<Recipe> = await loadYaml(file, recipeSchema);
  const expected = basename(file).replace(/\.ya?ml$/, '');
  if (loaded.value.name !== expected) {
    throw new ConfigError('RECIPE_NAME', `name must match the file name (${expected})`, { file, line: loaded.lineOf(['name']), field: 'name' });
  }
  const h = createHash('sha256').update(`rev ${BUILDER_REVISION}\n`).update(loaded.text);
  for (const f of await builderInputs(root, loaded.value)) h.update(await readFile(f));
  return { recipe: loaded.value, file, hash: h.digest('hex').slice(0, 16) };
}

export async function loadAllRecipes(root: string): Promise<LoadedRecipe[]> {
  const dir = recipesDir(root);
  const files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  return Promise.all(files.map((f) => loadRecipe(root, join(dir, f))));
}
