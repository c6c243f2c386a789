import { gunzipSync, gzipSync } from 'node:zlib';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** A file of a cell's folder, gzipped and base64'd, as it travels in a job's return value. */
export interface PackedFile {
  /** Relative to the run folder, `/`-separated: `cells/<cell id>/...`. */
  path: string;
  gz: string;
}

/**
 * What one cell's files may weigh in a job's return value, gzipped: console logs gzip about
 * tenfold, so this is some 160 MB of logs; a file past it is left out and named (Redis keeps the
 * value in memory until the job is removed).
 */
export const MAX_PACKED_BYTES = 16 * 2 ** 20;

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else if (e.isFile()) out.push(p);
  }
  return out.sort();
}

/** The files of a cell's folder in a run folder, packed; those past the budget are named in `dropped`. */
export async function packCellFiles(runDir: string, cellId: string, budget = MAX_PACKED_BYTES): Promise<{ files: PackedFile[]; dropped: string[] }> {
  const files: PackedFile[] = [];
  const dropped: string[] = [];
  let used = 0;
  for (const abs of await filesUnder(join(runDir, 'cells', cellId))) {
    const path = relative(runDir, abs).split(sep).join('/');
    const gz = gzipSync(await readFile(abs)).toString('base64');
    if (used + gz.length > budget) {
      dropped.push(path);
      continue;
    }
    used += gz.length;
    files.push({ path, gz });
  }
  return { files, dropped };
}

/** The path a packed file is written to, or undefined when it would land outside the cell's folder (a worker's answer is data, not trusted paths). */
export function unpackTarget(runDir: string, cellId: string, path: string): string | undefined {
  const cellDir = resolve(runDir, 'cells', cellId);
  const target = resolve(runDir, path);
  return target.startsWith(cellDir + sep) ? target : undefined;
}

/** Write packed files into the run folder; returns the paths refused. */
export async function unpackCellFiles(runDir: string, cellId: string, files: PackedFile[]): Promise<string[]> {
  const refused: string[] = [];
  for (const f of files) {
    const target = unpackTarget(runDir, cellId, f.path);
    if (!target) {
      refused.push(f.path);
      continue;
    }
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, gunzipSync(Buffer.from(f.gz, 'base64')));
  }
  return refused;
}
