import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packCellFiles, unpackCellFiles } from './cell-files.js';

describe("a cell's files through the queue", () => {
  it('come back byte for byte under the same paths; past the budget they are named, not sent', async () => {
    const from = await mkdtemp(join(tmpdir(), 'bootgate-pack-'));
    await mkdir(join(from, 'cells/c/attempt-2'), { recursive: true });
    await writeFile(join(from, 'cells/c/agent-1.log'), 'BUG: kernel NULL pointer dereference\n'.repeat(1000));
    await writeFile(join(from, 'cells/c/attempt-2/baseline-1.log'), Buffer.from([0, 255, 10, 13]));
    await writeFile(join(from, 'cells/other.log'), 'not this cell');
    const { files, dropped } = await packCellFiles(from, 'c');
    expect(files.map((f) => f.path)).toEqual(['cells/c/agent-1.log', 'cells/c/attempt-2/baseline-1.log']);
    expect(dropped).toEqual([]);
    const to = await mkdtemp(join(tmpdir(), 'bootgate-unpack-'));
    expect(await unpackCellFiles(to, 'c', [...files, { path: 'cells/d/x.log', gz: files[0]!.gz }])).toEqual(['cells/d/x.log']);
    expect(await readFile(join(to, 'cells/c/agent-1.log'), 'utf8')).toBe(await readFile(join(from, 'cells/c/agent-1.log'), 'utf8'));
    expect([...(await readFile(join(to, 'cells/c/attempt-2/baseline-1.log')))]).toEqual([0, 255, 10, 13]);
    const small = await packCellFiles(from, 'c', files[0]!.gz.length);
    expect(small.files.map((f) => f.path)).toEqual(['cells/c/agent-1.log']);
    expect(small.dropped).toEqual(['cells/c/attempt-2/baseline-1.log']);
  });
});
