import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

const fileEntry = z.object({ path: z.string(), sha256: z.string(), size: z.number() });

/** Written last into an image's cache folder: its presence means the build completed. */
export const imageManifestSchema = z.object({
  schema: z.literal('bootgate.image/v1'),
  name: z.string(),
  recipeHash: z.string(),
  os: z.enum(['linux', 'windows']),
  userland: z.string(),
  flavour: z.string().optional(),
  kernelRelease: z.string().optional(),
  kernelPackage: z.string().optional(),
  packages: z.record(z.string(), z.string()),
  /**
   * The guest's SSH host key (OpenSSH line), pinned for every connection. Every Linux image built
   * here has one; a cached Linux image without it is damaged and rebuilt (catalog verify). Optional
   * in the schema so that such a manifest is read, and its image rebuilt, rather than ignored.
   */
  hostKey: z.string().optional(),
  /** Kernel arguments the image itself needs (the disk userland's root=/dev/vda rw), appended after the lab's. */
  kernelArgs: z.array(z.string()).optional(),
  files: z.object({ kernel: fileEntry.optional(), initrd: fileEntry.optional(), disk: fileEntry }),
  builtAt: z.string(),
  buildSeconds: z.number(),
});
export type ImageManifest = z.infer<typeof imageManifestSchema>;

export const MANIFEST = 'manifest.json';

export async function readManifest(dir: string): Promise<ImageManifest | undefined> {
  try {
    return imageManifestSchema.parse(JSON.parse(await readFile(join(dir, MANIFEST), 'utf8')));
  } catch {
    return undefined;
  }
}
