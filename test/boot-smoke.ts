import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import { bootSchema } from '../harness/config/suite-schema.js';
import { ensureLabKey } from '../harness/guest/lab-keys.js';
import { waitForSsh } from '../harness/guest/ssh-transport.js';
import type { BuiltImage } from '../harness/images/catalog.js';
import { QemuProvider } from '../harness/providers/qemu/qemu-provider.js';
import { bootSourceOf, kernelArgsOf } from '../harness/run/cell-vm.js';
import { ReadyMarkerScanner } from '../harness/run/ready-marker.js';
import { cacheRoot } from '../harness/util/paths.js';

const MACHINE: Record<string, string> = { amd64: 'x86_64', arm64: 'aarch64' };

/**
 * One image booted once (qemu-system-x86_64 or qemu-system-aarch64, TCG here) to its ready marker,
 * reached over SSH with its pinned host key, running the kernel its manifest names on a CPU of its
 * architecture. Returns the seconds to the ready marker. Shared by the boot smoke tests (arm64,
 * kernels of other Debian suites).
 */
export async function bootImageToSsh(image: BuiltImage): Promise<number> {
  const provider = new QemuProvider();
  const name = image.recipe.recipe.name;
  const key = await ensureLabKey(join(cacheRoot(), 'lab'));
  const dir = await mkdtemp(join(tmpdir(), 'bootgate-smoke-'));
  try {
    const disk = join(dir, 'disk.qcow2');
    await provider.createOverlay(join(image.dir, image.manifest.files.disk.path), disk);
    const r = image.recipe.recipe;
    const t0 = Date.now();
    const m = await provider.start({
      name: `smoke.${name}`, workDir: join(dir, 'vm'), disk, memoryMiB: r.memoryMiB, cpus: r.cpus, arch: r.arch, guestSshPort: 22,
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
      // arm64 under TCG on a loaded x86 host, or a systemd disk: generous (up to 10 minutes).
      for (let i = 0; i < 6000 && !ready; i++) await sleep(100);
      expect(ready, `no ready marker on the console of ${name}: ${text.slice(-1500)}`).toBe(true);
      const readyS = (Date.now() - t0) / 1000;
      // On arm64 the ready marker came over the PL011 (console=ttyAMA0): the only serial port the virt machine has.
      const t = await waitForSsh({ host: m.ssh.host, port: m.ssh.port, username: 'root', privateKey: key.privateKey, hostKey: { expected: image.manifest.hostKey }, deadlineMs: 120_000, readyTimeoutMs: 20_000 });
      try {
        const u = await t.exec('uname -r; uname -m', { timeoutMs: 60_000 });
        expect(u.stdout.trim().split('\n')).toEqual([image.manifest.kernelRelease, MACHINE[image.recipe.recipe.arch]]);
      } finally {
        await t.close();
      }
      console.log(`${name}: ${image.manifest.kernelRelease} ready in ${readyS.toFixed(1)} s (${m.accel})`);
      return readyS;
    } finally {
      await m.dispose();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
