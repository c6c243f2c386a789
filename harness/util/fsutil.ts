import { createHash } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { access, mkdir, open, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ConfigError } from './errors.js';

/** Write then rename: a reader sees the old file or the new one, never half of one. */
export async function writeFileAtomic(path: string, data: string | Buffer): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (e) {
    // Nothing half-written left behind (renaming onto a directory fails after the write).
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/**
 * `mkdir -p` that cannot spin: Node's recursive mkdir loops forever where a parent exists but
 * refuses children (under /proc). Walks up to the nearest existing folder, then creates each
 * level once; errors are the file system's (ENOENT, ENOTDIR, EACCES...).
 */
export async function makeDirs(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let d = resolve(dir); ; d = dirname(d)) {
    const st = await stat(d).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    if (st) {
      if (!st.isDirectory()) throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${dir}'`), { code: 'ENOTDIR', path: d });
      break;
    }
    missing.push(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing.reverse()) {
    await mkdir(d).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
  }
}

/** Whether something is at path (any error counts as no: the caller then reports what it needed). */
export function pathExists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * sha256 of a regular file. Opened non-blocking and checked after the open: a path swapped for a
 * FIFO or a device since it was validated fails at once instead of hanging or never ending.
 */
export async function sha256File(path: string): Promise<string> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const kind = notRegularFile(await fh.stat());
    if (kind) throw new ConfigError('FILE_UNREADABLE', `is a ${kind}, not a file`, { file: path });
    const h = createHash('sha256');
    for await (const d of fh.createReadStream({ autoClose: false })) h.update(d as Buffer);
    return h.digest('hex');
  } finally {
    await fh.close();
  }
}

/** Why a file the user named (a suite, a policy, a run.json, evidence) cannot be read: a ConfigError, exit 2. */
export function unreadableFile(file: string, e: unknown): ConfigError {
  const code = (e as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a file' : `cannot read (${code})`;
  return new ConfigError('FILE_UNREADABLE', why, { file }, { cause: e });
}

const ERRNO_WORDS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a folder',
  EACCES: 'permission denied',
  EPERM: 'not permitted',
  EROFS: 'read-only file system',
  ENAMETOOLONG: 'name too long',
};

/** Why a file the user named (a --markdown target, a run folder's gate.json) cannot be written: a ConfigError, exit 2. */
export function unwritableFile(file: string, what: string, e: unknown): ConfigError {
  const code = (e as NodeJS.ErrnoException).code;
  const why = code ? `${code}${ERRNO_WORDS[code] ? `: ${ERRNO_WORDS[code]}` : ''}` : (e as Error).message;
  return new ConfigError('FILE_UNWRITABLE', `cannot write ${what} (${why})`, { file }, { cause: e });
}

/** What a non-regular file is, for messages; undefined for a regular file. */
export function notRegularFile(st: Stats): string | undefined {
  if (st.isFile()) return undefined;
  if (st.isDirectory()) return 'directory';
  if (st.isFIFO()) return 'FIFO (named pipe)';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice()) return 'character device';
  if (st.isBlockDevice()) return 'block device';
  return 'special file';
}

/**
 * The text of a file the user named; unreadable is their mistake, not the lab's (unreadableFile).
 * Only regular files: a FIFO or a device would block the open or never end (/dev/zero), so the
 * kind is checked with stat first, which opens nothing.
 */
export async function readUserFile(file: string): Promise<string> {
  const st = await stat(file).catch((e: unknown) => {
    throw unreadableFile(file, e);
  });
  const kind = notRegularFile(st);
  if (kind) throw new ConfigError('FILE_UNREADABLE', `is a ${kind}, not a file`, { file });
  let fh;
  try {
    // O_NONBLOCK: were the file swapped for a FIFO after the stat, the open still returns at once.
    fh = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
    const now = notRegularFile(await fh.stat());
    if (now) throw new ConfigError('FILE_UNREADABLE', `is a ${now}, not a file`, { file });
    return await fh.readFile('utf8');
  } catch (e) {
    throw e instanceof ConfigError ? e : unreadableFile(file, e);
  } finally {
    await fh?.close();
  }
}
