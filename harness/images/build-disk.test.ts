import { describe, expect, it } from 'vitest';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DISK_KERNEL_ARGS,
  DISK_PACKAGES,
  debianSources,
  debianSuite,
  diskSizeMiB,
  hostKeyLine,
  mmdebstrapArgs,
  mountsUnder,
  parseInstalled,
} from './build-disk.js';
import { loadRecipe } from './recipe.js';
import { imageManifestSchema } from './manifest.js';
import { ConfigError, LabError } from '../util/errors.js';

describe('disk image builder helpers', () => {
  it('maps the recipe distro to a Debian suite and refuses unknown ones', () => {
    expect(debianSuite('debian-12')).toBe('bookworm');
    expect(debianSuite(undefined)).toBe('bookworm');
    expect(() => debianSuite('ubuntu-24.04')).toThrow(ConfigError);
  });

  it('uses the release, its updates and its security archive only', () => {
    expect(debianSources('bookworm')).toEqual([
      'deb http://deb.debian.org/debian bookworm main',
      'deb http://deb.debian.org/debian bookworm-updates main',
      'deb http://deb.debian.org/debian-security bookworm-security main',
    ]);
  });

  it('builds the mmdebstrap command line: root mode, apt variant, the packages, the hooks, then suite, target, mirrors', () => {
    const a = mmdebstrapArgs({ suite: 'bookworm', packages: ['linux-image-6.1.0-9-amd64', ...DISK_PACKAGES], target: '/w/rootfs', diskDir: "/repo's/images/disk" });
    expect(a).toContain('--mode=root');
    expect(a).toContain('--variant=apt');
    expect(a).toContain('--format=directory');
    const include = a.find((x) => x.startsWith('--include='))!;
    expect(include.split('=')[1]!.split(',')).toEqual(expect.arrayContaining(['linux-image-6.1.0-9-amd64', 'systemd-sysv', 'openssh-server', 'kmod', 'initramfs-tools', 'iproute2']));
    // The hook paths are quoted for sh, even with a quote in them.
    expect(a.find((x) => x.startsWith('--customize-hook='))).toBe(`--customize-hook=sh '/repo'\\''s/images/disk/customize.sh' "$1"`);
    expect(a.slice(-5)).toEqual(['bookworm', '/w/rootfs', ...debianSources('bookworm')]);
  });

  it('reads installed packages from dpkg-query, skipping removed ones', () => {
    const text = 'ii \tsystemd\t252.39-1~deb12u1\nii \tlinux-image-6.1.0-9-amd64\t6.1.27-1\nrc \told\t1.0\n\n';
    expect(parseInstalled(text)).toEqual({ systemd: '252.39-1~deb12u1', 'linux-image-6.1.0-9-amd64': '6.1.27-1' });
  });

  it('keeps the OpenSSH key line without its comment', () => {
    expect(hostKeyLine('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMiS+/= root@guest\n')).toBe('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMiS+/=');
    expect(() => hostKeyLine('ssh-rsa AAAAB3 root@guest')).toThrow(LabError);
  });

  it('sizes the disk at 2 GiB at least, with room to spare for a large root', () => {
    expect(diskSizeMiB(600 << 20)).toBe(2048);
    const big = diskSizeMiB(2000 * (1 << 20));
    expect(big).toBeGreaterThanOrEqual(3000);
    expect(big % 256).toBe(0);
  });

  it('finds the mounts left below the root, deepest first, and no others', () => {
    const info = [
      '22 1 252:1 / / rw,relatime shared:1 - ext4 /dev/vda rw',
      '90 22 0:5 / /w/rootfs/proc rw - proc proc rw',
      '91 22 0:6 / /w/rootfs/sys rw - sysfs sys ro',
      '92 91 0:7 / /w/rootfs/sys/fs/cgroup rw - cgroup2 cgroup2 rw',
      '93 22 0:8 / /w/rootfs2/proc rw - proc proc rw',
      '94 22 0:9 / /w/root\\040fs/dev rw - tmpfs tmpfs rw',
    ].join('\n');
    expect(mountsUnder(info, '/w/rootfs')).toEqual(['/w/rootfs/sys/fs/cgroup', '/w/rootfs/proc', '/w/rootfs/sys']);
    expect(mountsUnder(info, '/w/root fs/')).toEqual(['/w/root fs/dev']);
  });

  it('carries root=/dev/vda rw in the manifest schema', () => {
    expect(DISK_KERNEL_ARGS.slice(0, 2)).toEqual(['root=/dev/vda', 'rw']);
    const m = {
      schema: 'bootgate.image/v1',
      name: 'x',
      recipeHash: 'h',
      os: 'linux',
      userland: 'disk',
      packages: {},
      kernelArgs: DISK_KERNEL_ARGS,
      files: { disk: { path: 'root.qcow2', sha256: 'a', size: 1 } },
      builtAt: 'now',
      buildSeconds: 1,
    };
    expect(imageManifestSchema.parse(m).kernelArgs).toEqual(DISK_KERNEL_ARGS);
  });
});

describe('disk recipes', () => {
  it('hash every file of images/disk: changing a unit rebuilds the image', async () => {
    const root = await mkdtemp(join(tmpdir(), 'bootgate-recipe-'));
    try {
      await mkdir(join(root, 'images/disk/rootfs/etc'), { recursive: true });
      await writeFile(join(root, 'images/disk/customize.sh'), 'echo 1\n');
      await writeFile(join(root, 'images/disk/rootfs/etc/unit'), 'a\n');
      const recipe = join(root, 'images/d.yaml');
      await writeFile(recipe, 'name: d\nos: linux\nkernel: {package: linux-image-amd64, flavour: generic}\nuserland: disk\n');
      const h1 = (await loadRecipe(root, recipe)).hash;
      await writeFile(join(root, 'images/disk/rootfs/etc/unit'), 'b\n');
      const h2 = (await loadRecipe(root, recipe)).hash;
      expect(h2).not.toBe(h1);
      expect((await loadRecipe(root, recipe)).hash).toBe(h2);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('the systemd recipe of the repository loads as a disk image', async () => {
    const l = await loadRecipe(join(import.meta.dirname, '../..'), join(import.meta.dirname, '../../images/debian-6.1-generic-systemd.yaml'));
    expect(l.recipe).toMatchObject({ name: 'debian-6.1-generic-systemd', userland: 'disk', os: 'linux', kernel: { package: 'linux-image-amd64', series: '6.1', flavour: 'generic' } });
    expect(l.recipe.tags).toEqual(['linux', 'debian', 'generic', 'systemd']);
  });
});
