import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { makeDirs, readUserFile, sha256File, writeFileAtomic } from './fsutil.js';

describe('readUserFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bootgate-fsutil-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads UTF-8 text', async () => {
    await writeFile(join(dir, 'a.yaml'), 'name: é\n');
    expect(await readUserFile(join(dir, 'a.yaml'))).toBe('name: é\n');
  });
  it('a missing file or a folder is the user\'s mistake: ConfigError FILE_UNREADABLE naming the file', async () => {
    for (const [file, message] of [[join(dir, 'nope.yaml'), 'no such file'], [dir, 'is a directory, not a file']] as const) {
      const e = await readUserFile(file).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ConfigError);
      expect(e).toMatchObject({ code: 'FILE_UNREADABLE', message, file, exitCode: 2 });
    }
  });
  it('refuses a FIFO or a device without opening it (opening a FIFO blocks, /dev/zero never ends)', async () => {
    const fifo = join(dir, 'suite.fifo');
    execFileSync('mkfifo', [fifo]);
    for (const [file, message] of [[fifo, 'is a FIFO (named pipe), not a file'], ['/dev/zero', 'is a character device, not a file']] as const) {
      const e = await readUserFile(file).catch((x: unknown) => x);
      expect(e).toMatchObject({ code: 'FILE_UNREADABLE', message, file, exitCode: 2 });
    }
  }, 5000);
  it('sha256File hashes a regular file and refuses a FIFO or a device at once', async () => {
    await writeFile(join(dir, 'h.txt'), 'abc');
    expect(await sha256File(join(dir, 'h.txt'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    await expect(sha256File(join(dir, 'suite.fifo'))).rejects.toMatchObject({ code: 'FILE_UNREADABLE', message: 'is a FIFO (named pipe), not a file' });
    await expect(sha256File('/dev/zero')).rejects.toMatchObject({ message: 'is a character device, not a file' });
  }, 5000);
});

describe('makeDirs and writeFileAtomic', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bootgate-fsutil-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('makeDirs creates the missing levels, and fails at once where mkdir -p in Node spins (/proc)', async () => {
    await makeDirs(join(dir, 'a/b/c'));
    expect((await stat(join(dir, 'a/b/c'))).isDirectory()).toBe(true);
    await makeDirs(join(dir, 'a/b/c'));
    await expect(makeDirs('/proc/bootgate-nope/x')).rejects.toMatchObject({ code: 'ENOENT' });
    await writeFile(join(dir, 'f'), '');
    await expect(makeDirs(join(dir, 'f/g'))).rejects.toMatchObject({ code: 'ENOTDIR' });
  }, 5000);
  it('writeFileAtomic onto a directory fails and leaves no temporary file', async () => {
    await mkdir(join(dir, 'gate.json'));
    await expect(writeFileAtomic(join(dir, 'gate.json'), '{}')).rejects.toMatchObject({ code: 'EISDIR' });
    expect((await readdir(dir)).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });
});
