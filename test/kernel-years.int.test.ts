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
 * Boot smoke of the kernels from other Debian suites (issue 18): each image built from its
 * suite's archive, booted once to its ready marker (initramfs, or Debian 13's systemd disk), reached over SSH with its
 * pinned host key, and running the kernel its manifest names. KERNEL_YEARS_IMAGES=a,b narrows.
 */
const KERNEL_YEARS_IMAGES = [
  'debian-11-5.10-cloud', 'debian-11-5.10-generic', 'debian-11-5.10-rt',
  'debian-13-6.12-cloud', 'debian-13-6.12-generic', 'debian-13-6.12-rt',
  'debian-sid-cloud', 'debian-sid-generic', 'debian-sid-rt',
  'debian-13-6.12-generic-systemd',
];
const wanted = process.env.KERNEL_YEARS_IMAGES?.split(',').filter(Boolean) ?? KERNEL_YEARS_IMAGES;

const provider = new QemuProvider();
const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe('kernels across five years: each boots to its ready marker', () => {
  for (const name of wanted) {
    it(name, async () => {
      const image = await new ImageCatalog(projectRoot(), cacheRoot()).ensure(name, () => undefined);
      const key = await ensureLabKey(join(cacheRoot(), 'lab'));
      const dir = await mkdtemp(join(tmpdir(), 'bootgate-years-'));
      dirs.push(dir);
      const disk = join(dir, 'disk.qcow2');
      await provider.createOverlay(join(image.dir, image.manifest.files.disk.path), disk);
      const r = image.recipe.recipe;
      const t0 = Date.now();
      const m = await provider.start({
        name: `years.${name}`, workDir: join(dir, 'vm'), disk, memoryMiB: r.memoryMiB, cpus: r.cpus, guestSshPort: 22,
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
        // The systemd disk takes a minute or two under TCG; the initramfs images 15-20 s.
        for (let i = 0; i < 4800 && !ready; i++) await sleep(100);
        expect(ready, `no ready marker on the console of ${name}: ${text.slice(-1500)}`).toBe(true);
        const readyS = (Date.now() - t0) / 1000;
        const t = await waitForSsh({ host: m.ssh.host, port: m.ssh.port, username: 'root', privateKey: key.privateKey, hostKey: { expected: image.manifest.hostKey }, deadlineMs: 120_000, readyTimeoutMs: 20_000 });
        try {
          const u = await t.exec('uname -r', { timeoutMs: 30_000 });
          expect(u.stdout.trim()).toBe(image.manifest.kernelRelease);
        } finally {
          await t.close();
        }
        console.log(`${name}: ${image.manifest.kernelRelease} ready in ${readyS.toFixed(1)} s (TCG, PVH: ${image.pvh && 'kernel' in image.pvh ? 'yes' : 'no'})`);
      } finally {
        await m.dispose();
      }
    }, 900_000);
  }
});
