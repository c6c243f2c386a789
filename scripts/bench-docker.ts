/**
 * `npm run bench:docker` (issue 13): what running each VM's QEMU in a Docker container costs. Cold
 * boot cycles on the same image with the QEMU provider and the docker provider, interleaved in one
 * run (q d d q, q d d q, ...: drift of a shared host falls on both alike), each cycle timed from
 * the overlay to SSH answering (ready) and on to the machine disposed (whole cycle: the container's
 * creation and removal included). Target: QEMU's cycle time / docker's >= 0.95, with its 95%
 * interval (bootstrap of the ratio of medians). BENCH_ROUNDS=N changes the rounds (default 4: 8
 * boots each).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootSchema } from '../harness/config/suite-schema.js';
import { ensureLabKey } from '../harness/guest/lab-keys.js';
import { ImageCatalog } from '../harness/images/catalog.js';
import { DockerProvider } from '../harness/providers/docker/docker-provider.js';
import type { Provider } from '../harness/providers/provider.js';
import { chooseAccel } from '../harness/providers/qemu/accel.js';
import { QemuProvider } from '../harness/providers/qemu/qemu-provider.js';
import { bootSourceOf, kernelArgsOf } from '../harness/run/cell-vm.js';
import { median, ratioOfMedians } from '../harness/util/stats.js';
import { cacheRoot, projectRoot } from '../harness/util/paths.js';
import { coldBoot, type BenchCtx } from './restore-bench-guests.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const IMAGE = 'debian-6.1-generic';

const image = await new ImageCatalog(projectRoot(), cacheRoot()).ensure(IMAGE, (m) => console.log(`  image: ${m}`));
const key = await ensureLabKey(join(cacheRoot(), 'lab'));
const { accel } = await chooseAccel();
const dir = await mkdtemp(join(tmpdir(), 'bootgate-bench-docker-'));
const boot = bootSourceOf(image, kernelArgsOf(image, bootSchema.parse({}), key.publicKey));
const r = image.recipe.recipe;
const qemu = new QemuProvider();
const docker = new DockerProvider();
const { image: dockerImage } = await docker.prepare((l) => console.log(`  ${l}`));
const ctxOf = (provider: Provider): BenchCtx => ({
  dir, provider, accel, image, key,
  spec: (name, disk) => ({ name: `bench-docker.${name}`, workDir: join(dir, name, 'vm'), disk, boot, memoryMiB: r.memoryMiB, cpus: r.cpus, guestSshPort: 22 }),
});
const providers = { qemu: ctxOf(qemu), docker: ctxOf(docker) };
type Name = keyof typeof providers;
const times: Record<Name, { ready: number[]; cycle: number[] }> = { qemu: { ready: [], cycle: [] }, docker: { ready: [], cycle: [] } };

console.log(`== docker vs qemu provider: ${IMAGE}, ${accel}, ${(await qemu.versions()).qemu}, image ${dockerImage}, ${r.cpus} vCPU, ${r.memoryMiB} MiB, ${ROUNDS} rounds of 2 boots each`);
let i = 0;
try {
  for (let round = 1; round <= ROUNDS; round++) {
    const order: Name[] = round % 2 ? ['qemu', 'docker', 'docker', 'qemu'] : ['docker', 'qemu', 'qemu', 'docker'];
    for (const name of order) {
      i++;
      const t0 = Date.now();
      const g = await coldBoot(providers[name], `${name}-${i}`, join(image.dir, image.manifest.files.disk.path));
      await g.dispose();
      await rm(g.disk, { force: true });
      const cycle = Date.now() - t0;
      times[name].ready.push(g.readyMs);
      times[name].cycle.push(cycle);
      console.log(`round ${round} ${name.padEnd(6)} ready ${(g.readyMs / 1000).toFixed(2)} s, whole cycle ${(cycle / 1000).toFixed(2)} s`);
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
for (const what of ['ready', 'cycle'] as const) {
  const d = times.docker[what];
  const q = times.qemu[what];
  const est = ratioOfMedians(d, q)!;
  console.log(
    `${what === 'ready' ? 'overlay to SSH' : 'whole boot cycle'}: median qemu ${(median(q) / 1000).toFixed(2)} s, docker ${(median(d) / 1000).toFixed(2)} s (n = ${q.length} + ${d.length}); ` +
      `qemu/docker ${est.ratio.toFixed(3)} [95% ${est.ciLow.toFixed(3)}, ${est.ciHigh.toFixed(3)}]${what === 'cycle' ? ` target >= 0.95: ${est.ratio >= 0.95 ? 'met' : 'NOT met'}` : ''}`,
  );
}
