import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { bootSchema } from '../harness/config/suite-schema.js';
import { ensureLabKey } from '../harness/guest/lab-keys.js';
import { waitForSsh } from '../harness/guest/ssh-transport.js';
import { ImageCatalog } from '../harness/images/catalog.js';
import { QemuProvider } from '../harness/providers/qemu/qemu-provider.js';
import { bootSourceOf, kernelArgsOf } from '../harness/run/cell-vm.js';
import { ReadyMarkerScanner } from '../harness/run/ready-marker.js';
import { cacheRoot, projectRoot } from '../harness/util/paths.js';

/**
 * Boot smoke of the arm64 images (issue 18): each built from Debian's arm64 packages, booted once
 * with qemu-system-aarch64 (virt machine, TCG here) to its ready marker, reached over SSH with its
 * pinned host key, running the kernel its manifest names on an aarch64 CPU. ARM64_IMAGES=a,b narrows.
 */
const ARM64_IMAGES = [
  'debian-6.1-generic-arm64', 'debian-6.1-cloud-arm64', 'debian-6.1-rt-arm64',
  'debian-6.12-generic-arm64', 'debian-6.12-cloud-arm64', 'debian-6.12-rt-arm64',
];
const wanted = process.env.ARM64_IMAGES?.split(',').filter(Boolean) ?? ARM64_IMAGES;

const provider = new QemuProvider();
const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe('arm64 images: each boots to its ready marker under qemu-system-aarch64', () => {
  for (const name of wanted) {
    it(name, async () => {
      const image = await new ImageCatalog(projectRoot(), cacheRoot()).ensure(name, () => undefined);
      const key = await ensureLabKey(join(cacheRoot(), 'lab'));
      const dir = await mkdtemp(join(tmpdir(), 'bootgate-arm64-'));
      dirs.push(dir);
      const disk = join(dir, 'disk.qcow2');
      await provider.createOverlay(join(image.dir, image.manifest.files.disk.path), disk);
      const r = image.recipe.recipe;
      const t0 = Date.now();
      const m = await provider.start({
        name: `arm64.${name}`, workDir: join(dir, 'vm'), disk, memoryMiB: r.memoryMiB, cpus: r.cpus, arch: r.arch, guestSshPort: 22,
        boot: bootSourceOf(image, kernelArgsOf(image, bootSchema.parse({}), key.publicKey)),
      });
      try {
        let text = '';
        const scanner = new ReadyMarkerScanner();
        let ready = false;
        m.onConsole((c) => {
          text += c;
          ready ||= !!scanner.push(c);
        });
        // arm64 under TCG on a loaded x86 host: generous (up to 10 minutes).
        for (let i = 0; i < 6000 && !ready; i++) await sleep(100);
        expect(ready, `no ready marker on the console of ${name}: ${text.slice(-1500)}`).toBe(true);
        const readyS = (Date.now() - t0) / 1000;
        const t = await waitForSsh({ host: m.ssh.host, port: m.ssh.port, username: 'root', privateKey: key.privateKey, hostKey: { expected: image.manifest.hostKey }, deadlineMs: 120_000, readyTimeoutMs: 20_000 });
        try {
          const u = await t.exec('uname -r; uname -m', { timeoutMs: 60_000 });
          expect(u.stdout.trim().split('\n')).toEqual([image.manifest.kernelRelease, 'aarch64']);
        } finally {
          await t.close();
        }
        console.log(`${name}: ${image.manifest.kernelRelease} ready in ${readyS.toFixed(1)} s (${m.accel})`);
      } finally {
        await m.dispose();
      }
    }, 1_200_000);
  }
});
