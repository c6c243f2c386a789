import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ImageCatalog, type BuiltImage } from './catalog.js';
import { ensureLabKey } from '../guest/lab-keys.js';
import { waitForSsh, type SshTransport } from '../guest/ssh-transport.js';
import { QemuProvider } from '../providers/qemu/qemu-provider.js';
import type { Machine } from '../providers/provider.js';
import { ReadyMarkerScanner, type ReadyMarker } from '../run/ready-marker.js';
import { execCapture } from '../util/exec.js';
import { cacheRoot, projectRoot } from '../util/paths.js';

/**
 * The disk userland for real: mmdebstrap builds debian-6.1-generic-systemd (about a minute; kept
 * per recipe hash in the lab's cache, where `npm run test:matrix` builds it up front for this test
 * and kernel-matrix), then QEMU boots it, the lab logs in over SSH, installs a boot-start module
 * the way agents do and reboots into it.
 */

const NAME = 'debian-6.1-generic-systemd';
const cache = cacheRoot();

async function canBuild(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'not root';
  const r = await execCapture('sh', ['-c', 'command -v mmdebstrap && command -v qemu-system-x86_64 && command -v mkfs.ext4 && command -v qemu-img']);
  return r.code === 0 ? undefined : 'mmdebstrap, qemu-system-x86_64, mkfs.ext4 or qemu-img missing';
}
const skip = await canBuild();
if (skip) console.warn(`build-disk.int.test: skipped (${skip}); \`apt-get install mmdebstrap\` as root to run it`);

describe.skipIf(!!skip)('disk userland image (mmdebstrap, systemd, OpenSSH)', () => {
  const catalog = new ImageCatalog(projectRoot(), cache);
  let image: BuiltImage;
  let work: string;
  let machine: Machine | undefined;
  let ssh: SshTransport | undefined;

  afterAll(async () => {
    await ssh?.close();
    await machine?.dispose();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('builds through the catalog: kernel, initrd, qcow2 root disk and a complete manifest', async () => {
    const t0 = Date.now();
    image = await catalog.ensure(NAME, () => undefined);
    const secs = (Date.now() - t0) / 1000;
    // Older builds of this recipe in the shared cache: removed (never another recipe's, nor a build in progress).
    const current = (await catalog.find(NAME)).dir;
    for (const d of await catalog.stale()) {
      const base = d.split('/').at(-1)!;
      if (d !== current && /^debian-6\.1-generic-systemd-[0-9a-f]{16}$/.test(base)) await rm(d, { recursive: true, force: true });
    }

    const m = image.manifest;
    expect(m).toMatchObject({ name: NAME, userland: 'disk', os: 'linux', flavour: 'generic', recipeHash: image.recipe.hash });
    expect(m.kernelRelease).toMatch(/^6\.1\.0-\d+-amd64$/);
    expect(m.kernelPackage).toBe(`linux-image-${m.kernelRelease}`);
    for (const p of ['systemd', 'systemd-sysv', 'udev', 'openssh-server', 'kmod', 'initramfs-tools', 'iproute2', m.kernelPackage!]) {
      expect(m.packages[p], p).toMatch(/^\S+$/);
    }
    expect(m.packages['dbus']).toBeUndefined(); // no recommends
    expect(m.hostKey).toMatch(/^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5[A-Za-z0-9+/=]+$/);
    expect(m.kernelArgs).toEqual(expect.arrayContaining(['root=/dev/vda', 'rw']));
    expect(m.files).toMatchObject({ kernel: { path: 'vmlinuz' }, initrd: { path: 'initrd.img' }, disk: { path: 'root.qcow2' } });
    expect(await catalog.verify({ loaded: image.recipe, dir: image.dir, manifest: m })).toEqual([]);
    expect((await readdir(image.dir)).sort()).toEqual(['initrd.img', 'manifest.json', 'root.qcow2', 'vmlinuz']);

    const info = JSON.parse(execFileSync('qemu-img', ['info', '--output=json', join(image.dir, 'root.qcow2')], { encoding: 'utf8' })) as {
      format: string;
      'virtual-size': number;
    };
    expect(info.format).toBe('qcow2');
    expect(info['virtual-size']).toBeGreaterThanOrEqual(2 << 30);
    // The initrd can mount the root: virtio and ext4 drivers are in it.
    const listing = execFileSync('sh', ['-c', 'zcat "$1" | cpio -t --quiet', 'sh', join(image.dir, 'initrd.img')], { encoding: 'utf8', maxBuffer: 64 << 20 });
    for (const ko of ['virtio_blk.ko', 'virtio_pci.ko', 'ext4.ko']) expect(listing).toContain(ko);
    const size = (await stat(join(image.dir, 'root.qcow2'))).size;
    console.log(`${NAME}: ${m.kernelRelease}, ${Object.keys(m.packages).length} packages, disk ${(size / 2 ** 20).toFixed(0)} MiB; ensure() took ${secs.toFixed(1)}s (build ${m.buildSeconds}s)`);
  });

  it('boots under QEMU to the ready marker, takes the lab key, runs systemd and sshd, and loads a boot-start module after a reboot', async () => {
    expect(image, 'the build test ran first').toBeDefined();
    work = await mkdtemp(join(tmpdir(), 'bootgate-int-disk-'));
    const key = await ensureLabKey(join(work, 'lab'));
    const provider = new QemuProvider();
    const overlay = join(work, 'disk.qcow2');
    await provider.createOverlay(join(image.dir, image.manifest.files.disk.path), overlay);

    let consoleText = '';
    const markers: ReadyMarker[] = [];
    const scanner = new ReadyMarkerScanner();
    const t0 = Date.now();
    machine = await provider.start({
      name: 'disk-int',
      workDir: join(work, 'vm'),
      disk: overlay,
      boot: {
        kind: 'direct-kernel',
        kernel: join(image.dir, image.manifest.files.kernel!.path),
        initrd: join(image.dir, image.manifest.files.initrd!.path),
        // What cell-runner passes, then what the image itself needs.
        args: ['loglevel=5', 'panic=-1', 'oops=panic', `bootgate.authkey=${key.publicKey.split(/\s+/)[1]}`, ...(image.manifest.kernelArgs ?? [])],
      },
      memoryMiB: image.recipe.recipe.memoryMiB,
      cpus: image.recipe.recipe.cpus,
      guestSshPort: 22,
    });
    machine.onConsole((chunk) => {
      consoleText += chunk;
      const mk = scanner.push(chunk);
      if (mk) markers.push(mk);
    });
    const waitMarker = async (n: number, timeoutMs: number) => {
      const end = Date.now() + timeoutMs;
      while (markers.length < n) {
        if (!machine!.running) throw new Error(`QEMU exited before ready marker ${n}:\n${consoleText.slice(-3000)}`);
        if (Date.now() > end) throw new Error(`no ready marker ${n} in ${timeoutMs / 1000}s:\n${consoleText.slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      return markers[n - 1]!;
    };
    const connect = () =>
      waitForSsh({
        host: machine!.ssh.host,
        port: machine!.ssh.port,
        username: 'root',
        privateKey: key.privateKey,
        hostKey: { expected: image.manifest.hostKey },
        deadlineMs: 60_000,
      });
    const run = async (cmd: string) => {
      const r = await ssh!.exec(cmd, { timeoutMs: 120_000 });
      return { code: r.code, out: r.stdout.trim(), err: r.stderr.trim() };
    };

    const first = await waitMarker(1, 420_000);
    const coldSecs = (Date.now() - t0) / 1000;
    expect(consoleText).toMatch(/bootgate-phase init uptime=[\d.]+/);
    ssh = await connect(); // the pinned host key is the one in the manifest
    expect((await run('cat /proc/sys/kernel/random/boot_id')).out).toBe(first.bootId);
    expect((await run('systemctl is-system-running --wait')).out).toBe('running');
    expect((await run('cat /root/.ssh/authorized_keys')).out).toContain(key.publicKey.split(/\s+/)[1]);
    expect((await run('uname -r')).out).toBe(image.manifest.kernelRelease);
    expect((await run('findmnt -no SOURCE,FSTYPE /')).out).toMatch(/^\/dev\/vda\s+ext4$/);
    expect((await run('sshd -T | grep -E "^(permitrootlogin|passwordauthentication) "')).out.split('\n').sort()).toEqual([
      'passwordauthentication no',
      'permitrootlogin without-password',
    ]);
    expect((await run('ip -4 -o addr show')).out).toMatch(/ (en\w+|eth0)\s+inet 10\.0\.2\.15\/24 /);
    // A boot-start module, installed the way the linux-kmod agent does: modules-load.d, then a reboot.
    expect((await run('test -d /sys/module/dummy')).code).not.toBe(0);
    expect((await run('mkdir -p /etc/modules-load.d && echo dummy > /etc/modules-load.d/bootgate-int.conf && depmod -a && sync')).code).toBe(0);

    // The harness's warm reboot.
    const t1 = Date.now();
    void ssh.exec('sync; reboot -f', { timeoutMs: 10_000 }).catch(() => undefined);
    const second = await waitMarker(2, 420_000);
    const warmSecs = (Date.now() - t1) / 1000;
    expect(second.bootId).not.toBe(first.bootId);
    await ssh.close();
    ssh = await connect();
    expect((await run('cat /proc/sys/kernel/random/boot_id')).out).toBe(second.bootId);
    expect((await run('test -d /sys/module/dummy && echo loaded')).out).toBe('loaded');
    expect(consoleText).toContain('bootgate-phase agent-load module=dummy');
    console.log(`${NAME}: ready marker after ${coldSecs.toFixed(1)}s cold (guest uptime ${first.uptimeMs! / 1000}s), ${warmSecs.toFixed(1)}s after a warm reboot (uptime ${second.uptimeMs! / 1000}s), on ${machine.accel}`);
  });
});
