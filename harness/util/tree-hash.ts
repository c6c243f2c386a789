import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

/** sha256 over the names and bytes of every file below dir, in a stable order. */
export async function treeHash(dir: string): Promise<string> {
  const h = createHash('sha256');
  const walk = async (d: string): Promise<void> => {
    const entries = (await readdir(d, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) h.update(`${relative(dir, p)}\0`).update(await readFile(p)).update('\0');
    }
  };
  await walk(dir);
  return h.digest('hex');
}
