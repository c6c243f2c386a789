import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../util/fsutil.js';
import { jsonText } from '../util/json-text.js';

/**
 * The cold boot time of a built image, to its ready marker, as last measured
 * (`node dist/scripts/boot-times.js`): kept beside the image's manifest, not in it, since it is a
 * measurement of this host rather than part of the build; `bootgate images list --json` shows it.
 */
export const BOOT_TIME = 'boot-time.json';

export const bootTimeSchema = z.object({
  /** From QEMU's start to the console's ready marker. */
  seconds: z.number(),
  accel: z.enum(['kvm', 'tcg']),
  /** How the kernel was started: at its PVH entry or as a bzImage. */
  entry: z.enum(['pvh', 'bzimage']),
  measuredAt: z.string(),
});
export type BootTime = z.infer<typeof bootTimeSchema>;

/** The recorded boot time of the image in dir; undefined when none was measured (or the file is unreadable). */
export async function readBootTime(dir: string): Promise<BootTime | undefined> {
  try {
    const r = bootTimeSchema.safeParse(JSON.parse(await readFile(join(dir, BOOT_TIME), 'utf8')));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

export async function writeBootTime(dir: string, t: BootTime): Promise<void> {
  await writeFileAtomic(join(dir, BOOT_TIME), jsonText(t));
}
