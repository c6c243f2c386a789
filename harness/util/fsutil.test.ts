import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { readUserFile } from './fsutil.js';

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
});
