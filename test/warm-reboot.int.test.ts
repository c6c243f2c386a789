import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bootSchema } from '../harness/config/suite-schema.js';
import { ensureLabKey } from '../harness/guest/lab-keys.js';
import { guestOsFor } from '../harness/guest/registry.js';
import { ImageCatalog } from '../harness/images/catalog.js';
import { chooseAccel } from '../harness/providers/qemu/accel.js';
import { QemuProvider } from '../harness/providers/qemu/qemu-provider.js';
import { CellVm } from '../harness/run/cell-vm.js';
import { cacheRoot, projectRoot } from '../harness/util/paths.js';

/**
 * A guest's own reboot, carried out both ways (boot.warmReboot) on a real QEMU: in a new process
 * (auto under TCG) and reset in place. Either way the guest runs its reboot path, the disk keeps
 * what the last boot wrote, and the next boot is a new one (its boot id).
 */
const dirs: string[] = [];
const vms: CellVm[] = [];
afterAll(async () => {
  await Promise.all(vms.map((v) => v.dispose()));
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function cell(warmReboot: 'auto' | 'reset'): Promise<CellVm> {
  const image = await new ImageCatalog(projectRoot(), cacheRoot()).ensure('debian-6.1-generic', () => undefined);
  const dir = await mkdtemp(join(tmpdir(), 'bootgate-warm-'));
  dirs.push(dir);
  await mkdir(join(dir, 'c'), { recursive: true });
  const vm = new CellVm({
    runDir: dir,
    cellId: 'c',
    workDir: join(dir, 'c'),
    image,
    provider: new QemuProvider(),
    guest: guestOsFor('linux'),
    boot: bootSchema.parse({ soak: '0s', settle: '0s', timeout: '300s', warmReboot }),
    labKey: await ensureLabKey(join(cacheRoot(), 'lab')),
    signal: AbortSignal.timeout(600_000),
  });
  vms.push(vm);
  await vm.createOverlay();
  return vm;
}

/** Boots and runs `cmd` once ready: its output, the boot's observation and the machine it ran on. */
async function bootRun(vm: CellVm, how: 'cold' | 'warm-guest', log: string, cmd: string) {
  let out = '';
  const obs = await vm.boot(how, log, async (ssh, signal) => {
    out = (await ssh.exec(cmd, { timeoutMs: 30_000, signal })).stdout.trim();
    return { health: { ok: true, output: out } };
  });
  return { obs, out, machine: vm.machine };
}

describe('warm reboot', () => {
  it('auto under TCG: the guest reboots itself, the same disk boots in a new QEMU process', async () => {
    const { accel } = await chooseAccel();
    const vm = await cell('auto');
    const first = await bootRun(vm, 'cold', 'b1.log', 'echo kept > /var/lib/bootgate-warm-mark; sync; cat /proc/sys/kernel/random/boot_id');
    expect(first.obs.outcome).toBe('ready');
    const second = await bootRun(vm, 'warm-guest', 'b2.log', 'cat /var/lib/bootgate-warm-mark; cat /proc/sys/kernel/random/boot_id');
    expect(second.obs.outcome).toBe('ready');
    const [mark, bootId] = second.out.split('\n');
    expect(mark).toBe('kept');
    expect(bootId).not.toBe(first.out);
    expect(second.obs.marker?.bootId).toBe(bootId);
    expect(second.obs.restart).toBe(accel === 'tcg' ? 'new-process' : 'reset');
    if (accel === 'tcg') expect(second.machine).not.toBe(first.machine);
  });

  it('reset: the guest reboots itself in the same QEMU process', async () => {
    const vm = await cell('reset');
    const first = await bootRun(vm, 'cold', 'b1.log', 'echo kept > /var/lib/bootgate-warm-mark; sync; cat /proc/sys/kernel/random/boot_id');
    const second = await bootRun(vm, 'warm-guest', 'b2.log', 'cat /var/lib/bootgate-warm-mark; cat /proc/sys/kernel/random/boot_id');
    expect(second.obs.outcome).toBe('ready');
    expect(second.obs.restart).toBe('reset');
    expect(second.machine).toBe(first.machine);
    expect(second.out.split('\n')[0]).toBe('kept');
    expect(second.out.split('\n')[1]).not.toBe(first.out);
  });
});
