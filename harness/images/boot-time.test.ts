import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BOOT_TIME, readBootTime, writeBootTime } from './boot-time.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('boot-time.json beside an image', () => {
  it('reads back what was written; nothing, or a malformed file, is no boot time', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bootgate-boot-time-'));
    dirs.push(dir);
    expect(await readBootTime(dir)).toBeUndefined();
    const t = { seconds: 14.1, accel: 'tcg' as const, entry: 'pvh' as const, measuredAt: '2026-11-30T01:29:34.952Z' };
    await writeBootTime(dir, t);
    expect(await readBootTime(dir)).toEqual(t);
    await writeFile(join(dir, BOOT_TIME), '{"seconds":"fast"}');
    expect(await readBootTime(dir)).toBeUndefined();
    await writeFile(join(dir, BOOT_TIME), 'not json');
    expect(await readBootTime(dir)).toBeUndefined();
  });
});
