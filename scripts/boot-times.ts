import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureLabKey } from '../harness/guest/lab-keys.js';
import { writeBootTime } from '../harness/images/boot-time.js';
import { ImageCatalog } from '../harness/images/catalog.js';
import { chooseAccel } from '../harness/providers/qemu/accel.js';
import { QemuProvider } from '../harness/providers/qemu/qemu-provider.js';
import { cacheRoot, projectRoot } from '../harness/util/paths.js';
import { rawBoot } from './bench/boot-loops.js';

/**
 * `node dist/scripts/boot-times.js [OUT_DIR] [IMAGE...]`: the cost of every built amd64 Linux image
 * (or the named ones): build seconds and size from its manifest, and one cold boot, QEMU's start to
 * the console's ready marker, with the harness's command line (PVH entry where the kernel has one).
 * One image at a time, so boots do not slow each other. Writes boot-times.json and boot-times.md
 * into OUT_DIR (default: the current folder) and records each boot time beside its image, where
 * `bootgate images list --json` shows it. Exit 0, or 3 when an image failed to boot.
 */
const [outDir = '.', ...names] = process.argv.slice(2);
const ac = new AbortController();
process.once('SIGINT', () => ac.abort());

interface Row {
  image: string;
  kernel: string;
  userland: string;
  buildSeconds?: number;
  sizeMiB: number;
  bootSeconds?: number;
  entry: 'pvh' | 'bzimage';
  error?: string;
}

const catalog = new ImageCatalog(projectRoot(), cacheRoot());
const entries = (await catalog.list()).filter(
  (e) => e.manifest && e.loaded.recipe.os === 'linux' && e.loaded.recipe.arch === 'amd64' && (names.length === 0 || names.includes(e.loaded.recipe.name)),
);
const { accel } = await chooseAccel();
const labKey = await ensureLabKey(join(cacheRoot(), 'lab'));
const dir = await mkdtemp(join(tmpdir(), 'bootgate-boot-times-'));
const rows: Row[] = [];
try {
  for (const e of entries) {
    const image = await catalog.ensure(e.loaded.recipe.name, () => {}, ac.signal);
    const entry = image.pvh && 'kernel' in image.pvh ? 'pvh' : 'bzimage';
    const row: Row = {
      image: image.recipe.recipe.name,
      kernel: image.manifest.kernelRelease ?? '-',
      userland: image.recipe.recipe.userland,
      buildSeconds: image.manifest.buildSeconds,
      sizeMiB: Math.round((Object.values(image.manifest.files).reduce((a, f) => a + (f?.size ?? 0), 0) / 2 ** 20) * 10) / 10,
      entry,
    };
    try {
      const ms = await rawBoot({ image, provider: new QemuProvider(), accel, labKey, dir, signal: ac.signal }, entry);
      row.bootSeconds = Math.round(ms / 100) / 10;
      await writeBootTime(image.dir, { seconds: row.bootSeconds, accel, entry, measuredAt: new Date().toISOString() });
    } catch (err) {
      row.error = err instanceof Error ? err.message : String(err);
    }
    rows.push(row);
    process.stdout.write(`${row.image}: build ${row.buildSeconds ?? '?'} s, ${row.sizeMiB} MiB, cold boot to ready ${row.bootSeconds ?? `failed: ${row.error}`} s (${accel}, ${entry})\n`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
const md = [
  `Cold boot to the ready marker, one boot per image, ${accel.toUpperCase()}, one image at a time (${new Date().toISOString()}).`,
  '',
  '| image | kernel | userland | build s | size MiB | cold boot s |',
  '|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.image} | ${r.kernel} | ${r.userland} | ${r.buildSeconds ?? '?'} | ${r.sizeMiB} | ${r.bootSeconds ?? `failed: ${r.error}`} |`),
  '',
].join('\n');
await writeFile(join(outDir, 'boot-times.json'), JSON.stringify({ accel, rows }, null, 2) + '\n');
await writeFile(join(outDir, 'boot-times.md'), md);
process.stdout.write(md);
process.exitCode = rows.some((r) => r.error) ? 3 : 0;
