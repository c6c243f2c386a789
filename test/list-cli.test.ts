import { describe, expect, it } from 'vitest';
import { bootgate } from './cli-helpers.js';

/** `run --list` reads the suite and the image catalog only: these tests boot and build nothing. */
describe('bootgate run --list, --cells, --shard', () => {
  it('lists every cell with its boots, and the total', async () => {
    const r = await bootgate(['run', 'suites/kernel-matrix.yaml', '--list']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^CELL\s+BOOTS$/);
    const cells = lines.slice(1, -1);
    expect(cells.length).toBeGreaterThan(4);
    expect(lines.at(-1)).toBe(`${cells.length} cells, ${cells.length * 3} boots`);
  });

  it('shards cover the cells once, and --cells narrows before the split', async () => {
    const all = JSON.parse((await bootgate(['run', 'suites/kernel-matrix.yaml', '--list', '--json'])).stdout) as { cells: { id: string }[]; boots: number };
    const parts = await Promise.all([1, 2, 3].map((i) => bootgate(['run', 'suites/kernel-matrix.yaml', '--list', '--json', '--shard', `${i}/3`])));
    const shards = parts.map((p) => JSON.parse(p.stdout) as { cells: { id: string }[]; boots: number });
    expect(shards.flatMap((s) => s.cells.map((c) => c.id))).toEqual(all.cells.map((c) => c.id));
    expect(shards.reduce((n, s) => n + s.boots, 0)).toBe(all.boots);
    const narrowed = JSON.parse((await bootgate(['run', 'suites/kernel-matrix.yaml', '--list', '--json', '--cells', '*-rt__*,*content-290'])).stdout) as { cells: { id: string }[] };
    expect(narrowed.cells.length).toBeGreaterThan(0);
    for (const c of narrowed.cells) expect(c.id).toMatch(/-rt__|content-290$/);
  });

  it('refuses a bad slice and a glob that matches nothing, exit 2, one line', async () => {
    for (const args of [['--shard', '0/2'], ['--shard', 'half'], ['--cells', 'no-such-*']]) {
      const r = await bootgate(['run', 'suites/kernel-matrix.yaml', '--list', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
    }
  });

  it('runs nothing, and says so, for a shard with no cells', async () => {
    const r = await bootgate(['run', 'suites/quickstart.yaml', '--shard', '3/3', '--results', '/nonexistent/never-written']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/shard 3\/3 has no cells; nothing to run/);
  });
});
