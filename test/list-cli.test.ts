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
    // Two boots per cell after install, and one shared baseline boot per image (boot.sharedBaseline).
    const images = new Set(cells.map((l) => l.split('__')[0]));
    expect(images.size).toBeGreaterThan(1);
    expect(lines.at(-1)).toBe(`${cells.length} cells, ${cells.length * 2 + images.size} boots (${images.size} shared baseline boots among them, once per image)`);
    for (const l of cells) expect(l).toMatch(/\s2$/);
    // Without shared baselines every cell boots its own.
    const own = await bootgate(['run', 'suites/kernel-matrix.yaml', '--list', '--no-shared-baselines']);
    expect(own.stdout.trim().split('\n').at(-1)).toBe(`${cells.length} cells, ${cells.length * 3} boots`);
  });

  it('shards cover the cells once, and --cells narrows before the split', async () => {
    type Listing = { cells: { id: string; image: string }[]; boots: number };
    const all = JSON.parse((await bootgate(['run', 'suites/kernel-matrix.yaml', '--list', '--json'])).stdout) as Listing;
    const parts = await Promise.all([1, 2, 3].map((i) => bootgate(['run', 'suites/kernel-matrix.yaml', '--list', '--json', '--shard', `${i}/3`])));
    const shards = parts.map((p) => JSON.parse(p.stdout) as Listing);
    expect(shards.flatMap((s) => s.cells.map((c) => c.id))).toEqual(all.cells.map((c) => c.id));
    // An image split between shards boots its shared baseline in each of them.
    const splitExtra = [...new Set(all.cells.map((c) => c.image))].reduce((n, img) => n + shards.filter((s) => s.cells.some((c) => c.image === img)).length - 1, 0);
    expect(shards.reduce((n, s) => n + s.boots, 0)).toBe(all.boots + splitExtra);
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

/** `images list` with selectors reads recipes only (a fresh machine lists unbuilt images too). */
describe('bootgate images list SELECTOR...', () => {
  type Row = { name: string; arch: string; distro: string; os: string };
  const list = async (...sel: string[]) => {
    const r = await bootgate(['images', 'list', '--json', ...sel]);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Row[];
  };

  it('selects as a suite does: arch, distro, kernel series, globs; several selectors are a union', async () => {
    const all = await list();
    expect(all.length).toBeGreaterThanOrEqual(20);
    const arm = await list('arch=arm64');
    expect(arm.length).toBeGreaterThan(0);
    expect(arm.every((r) => r.arch === 'arm64')).toBe(true);
    expect(arm.length).toBe(all.filter((r) => r.arch === 'arm64').length);
    const d13 = await list('distro=debian-13');
    expect(d13.length).toBeGreaterThan(0);
    expect(d13.every((r) => r.distro === 'debian-13')).toBe(true);
    const old = await list('kernel<6.0');
    const recent = await list('kernel>=6.12');
    expect(old.length).toBeGreaterThan(0);
    expect(recent.length).toBeGreaterThan(0);
    expect(old.filter((r) => recent.some((x) => x.name === r.name))).toEqual([]);
    const both = await list('kernel<6.0', 'arch=arm64');
    expect(both.map((r) => r.name).sort()).toEqual([...old, ...arm].map((r) => r.name).sort());
    expect((await list('debian-sid-*')).every((r) => r.name.startsWith('debian-sid-'))).toBe(true);
  });

  it('refuses a condition it cannot read: exit 2, one line naming it', async () => {
    const r = await bootgate(['images', 'list', 'colour=red']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('"colour=red"');
  });
});
