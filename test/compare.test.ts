import { describe, expect, it } from 'vitest';
import { cellWorkloads, compareLines, compareMarkdown, compareRuns, DEFAULT_COMPARE_POLICY } from '../harness/gate/compare.js';
import { compareSchema } from '../harness/results/compare-schema.js';
import { booted, loopCell, makeRun, noisy, NULL_DEREF, passCell, timedOut, UAF } from './compare-fixtures.js';

const IMG = 'debian-6.1-generic';
const IMG12 = 'debian-6.12-generic';

/** Exec and tcp samples (ns per op) of 10 batches, around the given means. */
const wl = (exec: number, tcp: number, phase: number) => ({ exec: noisy(exec, 10, 0.01, phase), tcp: noisy(tcp, 10, 0.01, phase + 3) });

describe('compareRuns: verdicts and crashes', () => {
  it('pass -> fail is a regression, with the new crash signature (exit 1)', () => {
    const a = makeRun('A', [passCell(IMG, '290'), loopCell(IMG, '291')]);
    const b = makeRun('B', [loopCell(IMG, '290'), loopCell(IMG, '291')]);
    const r = compareRuns(a, b);
    expect(compareSchema.parse(r)).toEqual(r);
    expect(r.verdict).toBe('regression');
    expect(r.exitCode).toBe(1);
    expect(r.matchBy).toBe('image+content+build');
    expect(r.builds).toEqual([{ a: '2.1.0', b: '2.1.0' }]);
    const c290 = r.cells.find((c) => c.content === '290')!;
    expect(c290.verdict).toEqual({ a: 'pass', b: 'fail', change: 'regression' });
    expect(c290.regression).toBe(true);
    expect(c290.crashes.new.map((s) => s.title)).toEqual([NULL_DEREF]);
    expect(c290.bootSuccess).toMatchObject({ a: 1, b: 0, delta: -1, regression: true });
    expect(c290.reasons).toEqual([`verdict pass -> fail: boot loop: ${NULL_DEREF}`, expect.stringMatching(/^new crash: BUG: kernel NULL pointer dereference in sensor_parse_channel \(2 boots, signature [0-9a-f]{12}\)$/), 'boot success 1 -> 0 (5/5 -> 0/2 agent boots)']);
    // 291 failed the same way in both: no regression there.
    const c291 = r.cells.find((c) => c.content === '291')!;
    expect(c291.regression).toBe(false);
    expect(c291.verdict.change).toBe('same');
    expect(c291.crashes.new).toEqual([]);
    // The signature is not new to run A as a whole (291 had it): overall it is not a new crash.
    expect(r.overall.newCrashes).toEqual([]);
    expect(r.overall.verdictChanges).toEqual({ regression: 1, fixed: 0, changed: 0, same: 1 });
    expect(r.reasons[0]).toBe(`${IMG} / 290 / 2.1.0: verdict pass -> fail: boot loop: ${NULL_DEREF}`);
  });

  it('a crash signature only B has is a regression even when the verdict stays fail', () => {
    const a = makeRun('A', [loopCell(IMG, '291')]);
    const b = makeRun('B', [loopCell(IMG, '291', { titles: [NULL_DEREF, UAF] })]);
    const r = compareRuns(a, b);
    expect(r.exitCode).toBe(1);
    const c = r.cells[0]!;
    expect(c.verdict.change).toBe('same');
    expect(c.crashes.new).toEqual([expect.objectContaining({ title: UAF, class: 'kasan', count: 1, cells: [c.ids.b] })]);
    expect(r.overall.newCrashes.map((s) => s.title)).toEqual([UAF]);
    expect(r.reasons).toEqual([expect.stringMatching(/291 \/ 2\.1\.0: new crash: KASAN: slab-use-after-free Read in sensor_exec_probe \(1 boot, signature /)]);
  });

  it('fail -> pass is fixed, not a regression; crashes gone are listed', () => {
    const r = compareRuns(makeRun('A', [loopCell(IMG, '291')]), makeRun('B', [passCell(IMG, '291')]));
    expect(r.exitCode).toBe(0);
    expect(r.cells[0]!.verdict.change).toBe('fixed');
    expect(r.overall.goneCrashes.map((s) => s.title)).toEqual([NULL_DEREF]);
    expect(r.overall.verdictChanges.fixed).toBe(1);
  });

  it('a drop in boot success without a crash (a boot timed out) is a regression; a tolerated drop is not', () => {
    const bCycles = [booted('agent', 1, 4200), timedOut(2), booted('agent', 3, 4210), booted('agent', 4, 4190), booted('agent', 5, 4205)];
    const a = makeRun('A', [passCell(IMG, '290')]);
    const b = makeRun('B', [passCell(IMG, '290', { cycles: bCycles, verdict: 'fail', reason: 'bootSuccess: 4/5 agent cycles booted' })]);
    const r = compareRuns(a, b);
    expect(r.exitCode).toBe(1);
    expect(r.cells[0]!.bootSuccess).toMatchObject({ a: 1, b: 0.8, delta: -0.2, regression: true });
    expect(r.cells[0]!.reasons).toContain('boot success 1 -> 0.8 (5/5 -> 4/5 agent boots)');
    // Verdict and boot success both say so; with a tolerated drop of 0.25 only the verdict remains.
    const tolerant = compareRuns(a, b, { ...DEFAULT_COMPARE_POLICY, bootSuccessDrop: 0.25 });
    expect(tolerant.cells[0]!.bootSuccess.regression).toBe(false);
    expect(tolerant.cells[0]!.reasons).toEqual(['verdict pass -> fail: bootSuccess: 4/5 agent cycles booted']);
  });
});

describe('compareRuns: A/A', () => {
  it('two runs of the same build with the same noise: exit 0, nothing significant', () => {
    const cells = (phase: number) => [
      passCell(IMG, '290', { uptimes: noisy(4200, 8, 0.02, phase), workloads: (i) => wl(7.4e6, 600e3, phase + i * 10) }),
      passCell(IMG12, '290', { uptimes: noisy(5100, 8, 0.02, phase), workloads: (i) => wl(6.9e6, 550e3, phase + i * 10) }),
    ];
    const r = compareRuns(makeRun('A', cells(0)), makeRun('B', cells(5)));
    expect(compareSchema.parse(r)).toEqual(r);
    expect(r.verdict).toBe('no-regression');
    expect(r.exitCode).toBe(0);
    expect(r.mismatches).toEqual([]);
    expect(r.overall.cellsCompared).toBe(2);
    for (const c of r.cells) {
      expect(c.regression).toBe(false);
      expect(c.bootTime.estimate!.significant).toBe(false);
      expect(c.workloads.map((w) => w.name)).toEqual(['exec', 'tcp']);
      for (const w of c.workloads) {
        expect(w.estimate!.significant).toBe(false);
        expect(w.estimate!.nA).toBe(80);
        expect(Math.abs(w.estimate!.pct)).toBeLessThan(1);
      }
    }
    expect(r.overall.workloads.every((w) => !w.regression && !w.estimate!.significant)).toBe(true);
    expect(r.overall.bootSuccess).toMatchObject({ a: 1, b: 1, delta: 0, regression: false });
    expect(r.reasons).toEqual(['no regression in 2 compared cells (builds 2.1.0)']);
  });

  it('is deterministic: the same runs give the same intervals', () => {
    const mk = () => makeRun('A', [passCell(IMG, '290', { uptimes: noisy(4200, 6, 0.05) })]);
    const mkB = () => makeRun('B', [passCell(IMG, '290', { uptimes: noisy(4300, 6, 0.05, 2) })]);
    expect(compareRuns(mk(), mkB()).cells[0]!.bootTime).toEqual(compareRuns(mk(), mkB()).cells[0]!.bootTime);
  });
});

describe('compareRuns: two builds, overhead', () => {
  const runs = (slowdown: number) => {
    const a = makeRun('A', [passCell(IMG, '290', { build: '2.1.0', workloads: (i) => wl(7.4e6, 600e3, i * 10) })]);
    const b = makeRun('B', [passCell(IMG, '290', { build: '2.2.0-slow', workloads: (i) => wl(7.4e6 * (1 + slowdown), 600e3, i * 10 + 4) })]);
    return { a, b };
  };

  it('different builds are matched by image and content, and the pair is reported', () => {
    const { a, b } = runs(0);
    const r = compareRuns(a, b);
    expect(r.matchBy).toBe('image+content');
    expect(r.builds).toEqual([{ a: '2.1.0', b: '2.2.0-slow' }]);
    expect(r.cells[0]!.key).toBe(`${IMG} / 290`);
    expect(r.cells[0]!.builds).toEqual({ a: '2.1.0', b: '2.2.0-slow' });
    expect(r.exitCode).toBe(0);
  });

  it('a significant workload slowdown above the threshold is a regression, with its interval', () => {
    const { a, b } = runs(0.08);
    const r = compareRuns(a, b);
    expect(r.exitCode).toBe(1);
    const exec = r.cells[0]!.workloads.find((w) => w.name === 'exec')!;
    expect(exec.regression).toBe(true);
    expect(exec.estimate!.significant).toBe(true);
    expect(exec.estimate!.pct).toBeCloseTo(8, 0);
    expect(exec.estimate!.ciLow).toBeGreaterThan(1.05);
    expect(exec.estimate!.ciLow).toBeLessThanOrEqual(1.08);
    expect(exec.estimate!.ciHigh).toBeGreaterThanOrEqual(1.08);
    expect(r.cells[0]!.workloads.find((w) => w.name === 'tcp')!.regression).toBe(false);
    expect(r.reasons).toEqual([expect.stringMatching(/^debian-6\.1-generic \/ 290: workload exec \+8(\.\d)?% \(95% CI \+[\d.]+%\.\.\+[\d.]+%\), above 5%$/)]);
  });

  it('a significant slowdown below the threshold is reported, not a regression', () => {
    const { a, b } = runs(0.03);
    const r = compareRuns(a, b);
    const exec = r.cells[0]!.workloads.find((w) => w.name === 'exec')!;
    expect(exec.estimate!.significant).toBe(true);
    expect(exec.regression).toBe(false);
    expect(r.exitCode).toBe(0);
    // A stricter policy makes it one.
    expect(compareRuns(a, b, { ...DEFAULT_COMPARE_POLICY, maxWorkloadOverheadPct: 2 }).exitCode).toBe(1);
  });

  it('a faster B is never a regression', () => {
    const { a, b } = runs(-0.2);
    const r = compareRuns(a, b);
    expect(r.cells[0]!.workloads.find((w) => w.name === 'exec')!.estimate!.significant).toBe(true);
    expect(r.exitCode).toBe(0);
  });

  it('boot time: a significant increase above the threshold is a regression', () => {
    const a = makeRun('A', [passCell(IMG, '290', { uptimes: noisy(4200, 8, 0.01) })]);
    const b = makeRun('B', [passCell(IMG, '290', { uptimes: noisy(4200 * 1.15, 8, 0.01, 3) })]);
    const r = compareRuns(a, b);
    expect(r.cells[0]!.bootTime.regression).toBe(true);
    expect(r.cells[0]!.bootTime.estimate!.pct).toBeCloseTo(15, 0);
    expect(r.exitCode).toBe(1);
    expect(compareRuns(a, b, { ...DEFAULT_COMPARE_POLICY, maxBootTimeIncreasePct: 20 }).exitCode).toBe(0);
  });

  it('too few samples: no estimate, said why', () => {
    const a = makeRun('A', [passCell(IMG, '290', { uptimes: [4200] })]);
    const b = makeRun('B', [passCell(IMG, '290', { uptimes: [4300] })]);
    const r = compareRuns(a, b);
    expect(r.cells[0]!.bootTime).toEqual({ missing: 'needs 2 samples on each side, has 1 and 1', regression: false, threshold: 10 });
    expect(r.cells[0]!.workloads).toEqual([]);
    expect(r.exitCode).toBe(0);
  });
});

describe('compareRuns: what does not line up', () => {
  it('different suites and images are reported, and only the common cells compared', () => {
    const a = makeRun('A', [passCell(IMG, '290'), passCell(IMG12, '290')], { suite: 'nightly' });
    const b = makeRun('B', [passCell(IMG, '290'), passCell('debian-6.1-rt', '290'), passCell(IMG, '292')], { suite: 'release' });
    const r = compareRuns(a, b);
    expect(r.mismatches).toEqual([
      { kind: 'suite', side: 'both', value: 'nightly / release', reason: 'different suites: nightly in A, release in B (only cells that line up are compared)' },
      { kind: 'image', side: 'a', value: IMG12, reason: `image ${IMG12} is only in A` },
      { kind: 'image', side: 'b', value: 'debian-6.1-rt', reason: 'image debian-6.1-rt is only in B' },
      { kind: 'content', side: 'b', value: '292', reason: 'content 292 is only in B' },
    ]);
    expect(r.cells.map((c) => c.key)).toEqual([`${IMG} / 290 / 2.1.0`]);
    expect(r.exitCode).toBe(0);
    expect(compareLines(r).join('\n')).toMatch(/not lined up: image debian-6\.1-rt is only in B/);
  });

  it('a cell missing on one side while its image and content exist is reported as a cell', () => {
    const a = makeRun('A', [passCell(IMG, '290'), passCell(IMG12, '291'), passCell(IMG12, '290')]);
    const b = makeRun('B', [passCell(IMG, '290'), passCell(IMG, '291'), passCell(IMG12, '290')]);
    const r = compareRuns(a, b);
    expect(r.mismatches.map((m) => m.reason)).toEqual([`cell ${IMG12} / 291 / 2.1.0 is only in A`, `cell ${IMG} / 291 / 2.1.0 is only in B`]);
    expect(r.overall.cellsCompared).toBe(2);
  });

  it('the same suite edited between runs, and another accelerator, are noted', () => {
    const r = compareRuns(makeRun('A', [passCell(IMG, '290')]), makeRun('B', [passCell(IMG, '290')], { suiteSha: 'b'.repeat(64), accel: 'kvm' }));
    expect(r.mismatches.map((m) => m.kind)).toEqual(['suite', 'host']);
    expect(r.mismatches[1]!.reason).toBe('A ran under tcg, B under kvm: timings are not comparable across accelerators');
  });

  it('several builds on a side that do not pair up are reported, the common build compared', () => {
    const a = makeRun('A', [passCell(IMG, '290', { build: '2.1.0' }), passCell(IMG, '290', { build: '2.0.0' }), passCell(IMG, '290', { build: '1.9.0' })]);
    const b = makeRun('B', [passCell(IMG, '290', { build: '2.1.0' }), passCell(IMG, '290', { build: '2.2.0' })]);
    const r = compareRuns(a, b);
    expect(r.builds).toEqual([{ a: '2.1.0', b: '2.1.0' }]);
    expect(r.mismatches.map((m) => `${m.kind}:${m.side}:${m.value}`)).toEqual(['build:a:1.9.0', 'build:a:2.0.0', 'build:b:2.2.0']);
    expect(r.cells).toHaveLength(1);
  });

  it('nothing lines up: inconclusive, exit 3', () => {
    const r = compareRuns(makeRun('A', [passCell(IMG, '290')], { suite: 'x' }), makeRun('B', [passCell(IMG12, '291')], { suite: 'y' }));
    expect(r.verdict).toBe('inconclusive');
    expect(r.exitCode).toBe(3);
    expect(r.cells).toEqual([]);
    expect(r.reasons[0]).toMatch(/^nothing lines up between the runs: different suites: x in A, y in B/);
  });

  it("B's lab error is not compared; when it is the only cell, exit 3", () => {
    const labErr = passCell(IMG, '290', { verdict: 'error', reason: 'lab error: QEMU exited 1' });
    const r = compareRuns(makeRun('A', [passCell(IMG, '290')]), makeRun('B', [labErr]));
    expect(r.cells[0]!.status).toBe('inconclusive');
    expect(r.cells[0]!.reasons).toEqual(["B's cell is a lab error: lab error: QEMU exited 1"]);
    expect(r.exitCode).toBe(3);
    // Next to a compared cell, it is said and the comparison stands.
    const r2 = compareRuns(makeRun('A', [passCell(IMG, '290'), passCell(IMG12, '290')]), makeRun('B', [labErr, passCell(IMG12, '290')]));
    expect(r2.exitCode).toBe(0);
    expect(r2.reasons[1]).toMatch(/^1 cell not compared: debian-6\.1-generic \/ 290 \/ 2\.1\.0: B's cell is a lab error/);
  });
});

describe('cellWorkloads: the accessor of per-cell workload samples', () => {
  it('reads arrays per phase and { a, b } pairs, pooled over cycles; absent means empty', () => {
    const cell = passCell(IMG, '290', { cycles: [booted('agent', 1, 4000, { exec: [1, 2], open: { a: [5], b: [6, 7] } }), booted('agent', 2, 4000, { exec: [3] })] });
    cell.baseline = [booted('baseline', 1, 3900, { exec: [0.5] })];
    const m = cellWorkloads(cell);
    expect(Object.fromEntries(m)).toEqual({ exec: { agent: [1, 2, 3], baseline: [0.5] }, open: { agent: [6, 7], baseline: [5] } });
    expect(cellWorkloads(passCell(IMG, '290')).size).toBe(0);
  });
});

describe('compareMarkdown', () => {
  it('a pull request comment: verdict, the cell table with intervals, regressions, new crashes, what was not compared', () => {
    const a = makeRun('A', [passCell(IMG, '290', { workloads: (i) => wl(7.4e6, 600e3, i * 10) }), passCell(IMG12, '290')]);
    const b = makeRun('B', [loopCell(IMG, '290', { titles: [`${UAF} | pipe`, `${UAF} | pipe`] }), passCell('debian-6.1-rt', '290')]);
    const md = compareMarkdown(compareRuns(a, b));
    expect(md).toMatch(/^### ❌ bootgate compare: regression\n/);
    expect(md).toContain('| cell | verdict A → B | boot success | boot time Δ (95% CI) | exec Δ (95% CI) | tcp Δ (95% CI) |');
    expect(md).toContain(`| ❌ ${IMG} / 290 / 2.1.0 | **pass → fail** | **5/5 → 0/2** | n/a | n/a | n/a |`);
    expect(md).toContain('**New crash signatures in B**');
    expect(md).toContain('KASAN: slab-use-after-free Read in sensor_exec_probe \\| pipe');
    expect(md).toContain('- image debian-6.12-generic is only in A');
    expect(md).toContain('bootgate.compare/v1');

    const ok = compareMarkdown(compareRuns(makeRun('A', [passCell(IMG, '290')]), makeRun('B', [passCell(IMG, '290', { uptimes: noisy(4200, 5, 0.01, 2) })])));
    expect(ok).toMatch(/^### ✅ bootgate compare: no regression\n/);
    expect(ok).toMatch(/\| ✅ debian-6\.1-generic \/ 290 \/ 2\.1\.0 \| pass → pass \| 5\/5 → 5\/5 \| [+-]?[\d.]+% \([+-]?[\d.]+%\.\.[+-]?[\d.]+%\) ~ \|/);
  });
});
