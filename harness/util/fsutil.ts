import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, readFile, rename, writeFile } from 'node:fs/promises';
import { ConfigError } from './errors.js';

/** Write then rename: a reader sees the old file or the new one, never half of one. */
export async function writeFileAtomic(path: string, data: string | Buffer): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

/** Whether something is at path (any error counts as no: the caller then reports what it needed). */
export function pathExists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (d) => h.update(d))
      .on('end', () => resolve(h.digest('hex')))
      .on('error', reject);
  });
}

/** Why a file the user named (a suite, a policy, a run.json, evidence) cannot be read: a ConfigError, exit 2. */
export function unreadableFile(file: string, e: unknown): ConfigError {
  const code = (e as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a file' : `cannot read (${code})`;
  return new ConfigError('FILE_UNREADABLE', why, { file }, { cause: e });
}

/** The text of a file the user named; unreadable is their mistake, not the lab's (unreadableFile). */
export async function readUserFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw unreadableFile(file, e);
  }
}
