/**
 * `npm run bench:restore` (issue 12, shared baselines): how fast, and how correctly, a cell could
 * start from a booted, ready guest instead of booting its own baseline. Figures, not assertions:
 * the machine is shared and noisy, so every figure is a ratio to (a) within one run, the methods
 * interleaved round by round.
 *   (a) cold boot to ready (marker, SSH, boot id), as a cell boots today;
 *   (b) internal qcow2 snapshot: savevm once, then -loadvm on a copy of that qcow2 per restore;
 *   (c) migration stream: stop + migrate to a file once, the disk frozen as the backing of a fresh
 *       overlay per restore (providers/qemu/snapshot-restore.ts);
 *   (d) overlay of the disk of a guest that powered off cleanly: a cold boot again.
 * Then what each gives: uptime, boot id, random numbers, clock, two restores at once, the console,
 * a crash after restore; and what -icount does to both kinds of saved state.
 * BENCH_ROUNDS=N changes the rounds (default 5).
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { bootSchema } from '../harness/config/suite-schema.js';
import { bootDetectorFor } from '../harness/detect/registry.js';
import { ensureLabKey } from '../harness/guest/lab-keys.js';
import { ImageCatalog } from '../harness/images/catalog.js';
import { chooseAccel } from '../harness/providers/qemu/accel.js';
import { finishIncoming, incomingArgs } from '../harness/providers/qemu/migration.js';
import { QemuProvider } from '../harness/providers/qemu/qemu-provider.js';
import { RestoreMismatchError, saveMachineState, type SavedState } from '../harness/providers/qemu/snapshot-restore.js';
import type { MachineSpec } from '../harness/providers/provider.js';
import { bootSourceOf, kernelArgsOf } from '../harness/run/cell-vm.js';
import { median } from '../harness/util/stats.js';
import { cacheRoot, projectRoot } from '../harness/util/paths.js';
import { coldBoot, fromInternalSnapshot, fromStream, rawQemu, sh, snapshotSource, type BenchCtx, type Live } from './restore-bench-guests.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const IMAGE = 'debian-6.1-generic';
const TAG = 'baseline';

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const yn = (b: boolean) => (b ? 'yes' : 'no');
const sha = async (f: string) => createHash('sha256').update(await readFile(f)).digest('hex');

async function until(pred: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await pred()) return true;
    await sleep(100);
  }
  return pred();
}

/**
 * What a restored (or booted) guest says about itself: uptime, boot, a random number, its clock
 * behind the host's, and behind it again once set from the emulated RTC (`hwclock -s`).
 */
async function facts(g: Live): Promise<{ uptime: number; bootId: string; uuid: string; clockBehindS: number; afterHwclockS: number }> {
  const out = await sh(g, "cut -d' ' -f1 /proc/uptime; cat /proc/sys/kernel/random/boot_id; cat /proc/sys/kernel/random/uuid; date +%s; hwclock -s -u && date +%s");
  const [up, bootId, uuid, date, fixed] = out.split('\n');
  const behind = (d: string | undefined) => Math.round(Date.now() / 1000 - Number(d));
  return { uptime: Number(up), bootId: bootId!, uuid: uuid!, clockBehindS: behind(date), afterHwclockS: behind(fixed) };
}

/** Two of a kind at once: each writes its own file and must read back its own and no other; then the console, then a crash in one. */
async function pairChecks(label: string, start: (name: string) => Promise<Live>, lines: string[]): Promise<void> {
  const id = label.replace(/\W/g, '');
  const pair = await Promise.all([start(`${id}-p1`), start(`${id}-p2`)]);
  try {
    for (const g of pair) await sh(g, `echo ${g.name} > /var/lib/bench-pair-${g.name}; sync`);
    const seen = await Promise.all(pair.map((g) => sh(g, 'cat /var/lib/bench-pair-* 2>/dev/null')));
    lines.push(`${label} two at once keep their disks apart: ${yn(seen.every((t, i) => t === pair[i]!.name))} (${seen.map((t) => JSON.stringify(t)).join(', ')})`);
    const [g1, g2] = pair as [Live, Live];
    await sh(g1, `echo bench-console-${g1.name} > /dev/console`);
    lines.push(`${label} console works after start: ${yn(await until(() => g1.console().includes(`bench-console-${g1.name}`), 10_000))}`);
    const before = g1.console().length;
    void g1.ssh.exec('echo 1 > /proc/sys/kernel/sysrq; echo c > /proc/sysrq-trigger', { timeoutMs: 10_000 }).catch(() => undefined);
    const paused = await until(() => g1.panicked(), 60_000);
    await sleep(500);
    const detector = bootDetectorFor('linux');
    const records = [...detector.push(g1.console().slice(before)), ...detector.end()];
    lines.push(`${label} crash after start seen: panic event ${yn(paused)}, console parser: ${records[0] ? records[0].title : 'nothing'}`);
    lines.push(`${label} the other one still answers after that crash: ${yn((await sh(g2, 'echo alive').catch(() => '')) === 'alive')}`);
  } finally {
    await Promise.all(pair.map((g) => g.dispose()));
    await Promise.all(pair.map((g) => rm(g.disk, { force: true })));
  }
}

const root = projectRoot();
const image = await new ImageCatalog(root, cacheRoot()).ensure(IMAGE, (m) => console.log(`  image: ${m}`));
const key = await ensureLabKey(join(cacheRoot(), 'lab'));
const { accel } = await chooseAccel();
const provider = new QemuProvider();
const dir = await mkdtemp(join(tmpdir(), 'bootgate-bench-restore-'));
await chmod(dir, 0o700);
const boot = bootSourceOf(image, kernelArgsOf(image, bootSchema.parse({}), key.publicKey));
const r = image.recipe.recipe;
const ctx: BenchCtx = {
  dir, provider, accel, image, key,
  // Every machine has the generation ID device, so that restores reseed their RNG; (a) and (d) too, for the same hardware.
  spec: (name, disk, extra) => ({ name: `bench-restore.${name}`, workDir: join(dir, `vm-${name}`), disk, boot, memoryMiB: r.memoryMiB, cpus: r.cpus, guestSshPort: 22, generationId: true, ...extra }),
};
const base = join(image.dir, image.manifest.files.disk.path);
const checks: string[] = [];
console.log(`== baseline restore: ${IMAGE}, ${accel}, ${(await provider.versions()).qemu}, ${r.cpus} vCPU, ${r.memoryMiB} MiB, ${ROUNDS} rounds`);

try {
  // Sources: one boot each, then saved (b, c) or powered off (d).
  const srcB = await snapshotSource(ctx, 'src-b', base);
  const factsB = await facts(srcB);
  await srcB.ssh.close();
  let t = Date.now();
  const hmp = await srcB.qmp.execute<string>('human-monitor-command', { 'command-line': `savevm ${TAG}` });
  if (hmp.trim()) throw new Error(`savevm: ${hmp.trim()}`);
  const savevmMs = Date.now() - t;
  const info = await srcB.qmp.execute<string>('human-monitor-command', { 'command-line': 'info snapshots' });
  await srcB.dispose();
  await chmod(srcB.disk, 0o400);
  console.log(`(b) source ready in ${s(srcB.readyMs)}; savevm ${s(savevmMs)}; ${info.trim().split('\n').pop()!.replace(/\s+/g, ' ')}`);

  const srcC = await coldBoot(ctx, 'src-c', base);
  const factsC = await facts(srcC);
  await srcC.ssh.close();
  t = Date.now();
  await mkdir(join(dir, 'c-state'));
  const saved = await saveMachineState(srcC.machine, srcC.spec, join(dir, 'c-state'));
  await srcC.dispose();
  console.log(`(c) source ready in ${s(srcC.readyMs)}; stop + migrate to file ${s(Date.now() - t)}; stream ${(saved.bytes / 2 ** 20).toFixed(1)} MiB`);

  const srcD = await coldBoot(ctx, 'src-d', base);
  await sh(srcD, 'echo before-shutdown > /var/lib/bench-d-mark; sync');
  void srcD.ssh.exec('sync; poweroff -f', { timeoutMs: 10_000 }).catch(() => undefined);
  const off = await until(() => !srcD.machine.running, 60_000);
  await srcD.dispose();
  await chmod(srcD.disk, 0o400);
  console.log(`(d) source ready in ${s(srcD.readyMs)}; powered off by itself: ${yn(off)}`);

  const ms = { a: [] as number[], b: [] as number[], c: [] as number[], d: [] as number[] };
  const prep = { b: [] as number[], c: [] as number[] };
  const seen = { b: [] as Awaited<ReturnType<typeof facts>>[], c: [] as Awaited<ReturnType<typeof facts>>[], d: [] as Awaited<ReturnType<typeof facts>>[] };
  let dMark = true;
  for (let i = 1; i <= ROUNDS; i++) {
    const a = await coldBoot(ctx, `a${i}`, base);
    ms.a.push(a.readyMs);
    await a.dispose();
    const b = await fromInternalSnapshot(ctx, `b${i}`, srcB.disk, TAG);
    ms.b.push(b.readyMs);
    prep.b.push(b.prepMs);
    seen.b.push(await facts(b));
    await b.dispose();
    await rm(b.disk, { force: true });
    const c = await fromStream(ctx, `c${i}`, saved);
    ms.c.push(c.readyMs);
    prep.c.push(c.prepMs);
    seen.c.push(await facts(c));
    await c.dispose();
    const d = await coldBoot(ctx, `d${i}`, srcD.disk);
    ms.d.push(d.readyMs);
    seen.d.push(await facts(d));
    dMark &&= (await sh(d, 'cat /var/lib/bench-d-mark')) === 'before-shutdown';
    await d.dispose();
    console.log(`  round ${i}: (a) ${s(a.readyMs)}  (b) ${s(b.readyMs)} (copy ${s(b.prepMs)})  (c) ${s(c.readyMs)}  (d) ${s(d.readyMs)}`);
  }

  const ma = median(ms.a);
  console.log('\nmethod                                          median to SSH   ratio to (a)');
  const row = (name: string, xs: number[], note = '') => console.log(`${name.padEnd(48)}${s(median(xs)).padStart(9)}      ${(median(xs) / ma).toFixed(3)}${note}`);
  row('(a) cold boot (marker, SSH, boot id)', ms.a);
  row('(b) savevm, -loadvm on a copy (copy included)', ms.b, `   copy of ${s(median(prep.b))} per restore`);
  row('(c) migration stream, fresh overlay', ms.c, `   overlay and set-up ${s(median(prep.c))}`);
  row('(d) overlay after a clean shutdown', ms.d);

  for (const [label, src, xs] of [['(b)', factsB, seen.b], ['(c)', factsC, seen.c]] as const) {
    checks.push(`${label} uptime continues after restore (not reset): ${yn(xs.every((f) => f.uptime >= src.uptime))} (saved at ${src.uptime} s, restored ${xs.map((f) => f.uptime).join(', ')} s)`);
    checks.push(`${label} boot_id the same in every restore, and the saved boot's: ${yn(xs.every((f) => f.bootId === src.bootId))}`);
    checks.push(`${label} random numbers differ between restores (VM generation ID on): ${yn(new Set(xs.map((f) => f.uuid)).size === xs.length)}`);
    checks.push(`${label} guest clock behind the host after restore: ${xs.map((f) => f.clockBehindS).join(', ')} s (the saved boot's clock, stopped while saved); after \`hwclock -s\`: ${xs.map((f) => f.afterHwclockS).join(', ')} s`);
  }
  checks.push(`(d) a new boot each time (boot_id differs, uptime from 0): ${yn(new Set(seen.d.map((f) => f.bootId)).size === seen.d.length)}; the disk written before shutdown is there: ${yn(dMark)}`);

  // Two at once from one saved state, the console, a crash: and the saved disks never change.
  const before = { b: await sha(srcB.disk), c: await sha(saved.disk), d: await sha(srcD.disk) };
  await pairChecks('(b)', (n) => fromInternalSnapshot(ctx, n, srcB.disk, TAG), checks);
  await pairChecks('(c)', (n) => fromStream(ctx, n, saved), checks);
  await pairChecks('(d)', (n) => coldBoot(ctx, n, srcD.disk), checks);
  checks.push(`saved disks unchanged after all restores: (b) ${yn(before.b === (await sha(srcB.disk)))}, (c) ${yn(before.c === (await sha(saved.disk)))}, (d) ${yn(before.d === (await sha(srcD.disk)))}`);

  await probes(checks);
} finally {
  console.log('\n== correctness');
  for (const l of checks) console.log(l);
  await rm(dir, { recursive: true, force: true });
}

/** Without the VM generation ID device; and with -icount (workload suites) on one side only. */
async function probes(lines: string[]): Promise<void> {
  // Random numbers without a VM generation ID: two restores of one state.
  const src = await coldBoot(ctx, 'src-nogen', base, { generationId: false });
  await src.ssh.close();
  await mkdir(join(dir, 'nogen-state'));
  const st = await saveMachineState(src.machine, src.spec, join(dir, 'nogen-state'));
  await src.dispose();
  const u: string[] = [];
  for (const n of ['nogen-1', 'nogen-2']) {
    const g = await fromStream(ctx, n, st, { generationId: false });
    u.push((await facts(g)).uuid);
    await g.dispose();
  }
  // Not every time: the kernel reseeds on its own schedule, and whether that falls between the restore and the read varies.
  lines.push(`(c) without a VM generation ID, two restores drew the same random numbers this time: ${yn(u[0] === u[1])} (${u.join(', ')})`);

  // -icount: a stream saved with it, restored with it, and without it behind the module's back.
  const ic: Partial<MachineSpec> = { instructionClock: true };
  const si = await coldBoot(ctx, 'src-icount', base, ic);
  const fi = await facts(si);
  await si.ssh.close();
  await mkdir(join(dir, 'icount-state'));
  const sti = await saveMachineState(si.machine, si.spec, join(dir, 'icount-state'));
  await si.dispose();
  const gi = await fromStream(ctx, 'icount-1', sti, ic);
  const fr = await facts(gi);
  await gi.dispose();
  lines.push(`(c) -icount on both sides: SSH answers ${s(gi.readyMs)}, uptime continues ${yn(fr.uptime >= fi.uptime)} (${fi.uptime} -> ${fr.uptime} s)`);
  const refused = await fromStream(ctx, 'icount-0', sti).then(
    async (g) => (await g.dispose(), 'no'),
    (e: unknown) => (e instanceof RestoreMismatchError ? `yes (${e.code})` : `error: ${(e as Error).message}`),
  );
  lines.push(`(c) the module refuses a restore without the -icount the state was saved with: ${refused}`);
  lines.push(`(c) QEMU itself loads it without -icount: ${await rawStreamLoads(sti)}`);

  // savevm with -icount, loadvm with and without it.
  const sb = await snapshotSource(ctx, 'src-icount-b', base, ic);
  await sb.ssh.close();
  const out = await sb.qmp.execute<string>('human-monitor-command', { 'command-line': `savevm ${TAG}` });
  await sb.dispose();
  for (const [label, extra] of [['with', ic], ['without', {}]] as const) {
    const g = await fromInternalSnapshotWith(sb.disk, `icount-b-${label}`, extra).catch((e: Error) => e);
    lines.push(`(b) savevm under -icount (${out.trim() || 'ok'}), -loadvm ${label} it: ${g instanceof Error ? `fails: ${g.message}` : `SSH answers in ${s(g.readyMs)}`}`);
    if (!(g instanceof Error)) await g.dispose();
  }
}

/** A stream saved under -icount, loaded by a raw QEMU without it: does QEMU notice? */
async function rawStreamLoads(st: SavedState): Promise<string> {
  const overlay = join(dir, 'icount-raw.qcow2');
  await provider.createOverlay(st.disk, overlay);
  const q = await rawQemu(ctx.spec('icount-raw', overlay), accel, incomingArgs(st.stateFile)).catch((e: Error) => e);
  if (q instanceof Error) return `no: ${q.message}`;
  try {
    await finishIncoming(q.qmp, { timeoutMs: 60_000 });
    return 'yes, without a word';
  } catch (e) {
    return `no: ${(e as Error).message}`;
  } finally {
    await q.stop();
  }
}

async function fromInternalSnapshotWith(disk: string, name: string, extra: Partial<MachineSpec>): Promise<Live> {
  const c2: BenchCtx = { ...ctx, spec: (n, d, e) => ctx.spec(n, d, { ...extra, ...e }) };
  return fromInternalSnapshot(c2, name, disk, TAG);
}
