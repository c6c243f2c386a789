import { ext4Qcow2, kernelImageManifest } from './image-files.js';
import type { AptState } from './apt-state.js';
import { concreteKernelPackage } from './debs.js';
import { copyFile, mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Progress } from './build-initramfs.js';
import type { LoadedRecipe } from './recipe.js';
import type { ImageManifest } from './manifest.js';
import { exec, execCapture } from '../util/exec.js';
import { ConfigError, LabError } from '../util/errors.js';
import { shellQuote } from '../util/shell-quote.js';
import { debianSources } from '../util/debian-archive.js';

/**
 * The "disk" userland: a whole Debian system on one ext4 disk, booted by systemd with OpenSSH,
 * where an agent installs as on a real machine. mmdebstrap makes the root file system (in root
 * mode, so every file keeps its owner), images/disk/customize.sh turns it into a lab machine, and
 * the kernel and the initrd it made are taken out for QEMU's direct kernel boot.
 */

/** What the guest runs besides the essential set and apt; recommends are never installed. */
export const DISK_PACKAGES = ['systemd-sysv', 'udev', 'openssh-server', 'kmod', 'initramfs-tools', 'iproute2', 'procps'];

/** The disk has no partition table: the root is the whole virtio disk. */
export const DISK_KERNEL_ARGS = ['root=/dev/vda', 'rw', 'rootfstype=ext4'];

const MIN_DISK_MIB = 2048;

/** Debian's release names, by the recipe's distro field. */
const SUITES: Record<string, string> = { 'debian-12': 'bookworm', 'debian-13': 'trixie' };

export function debianSuite(distro: string | undefined): string {
  const suite = SUITES[distro ?? 'debian-12'];
  if (!suite) {
    throw new ConfigError('DISTRO_UNSUPPORTED', `distro ${distro} cannot be built as a disk image (known: ${Object.keys(SUITES).join(', ')})`);
  }
  return suite;
}

// Shared with the Docker provider's base image (providers/docker/base-image.ts): one mirror for both.
export { debianSources };

export interface MmdebstrapPlan {
  suite: string;
  packages: string[];
  target: string;
  /** images/disk: customize.sh, rootfs/ and dpkg/. */
  diskDir: string;
}

export function mmdebstrapArgs(p: MmdebstrapPlan): string[] {
  return [
    '--mode=root',
    '--variant=apt',
    '--format=directory',
    // Keep /etc/machine-id as customize.sh writes it (mmdebstrap would empty it): see there.
    '--skip=cleanup/reproducible',
    `--include=${p.packages.join(',')}`,
    // dpkg without an fsync per file: the file system is made from this directory afterwards.
    '--dpkgopt=force-unsafe-io',
    // No manuals or translations, from the first package after the essential set on. (As a
    // --dpkgopt it would make mmdebstrap filter every essential package through a Python script.)
    `--essential-hook=cat ${shellQuote(join(p.diskDir, 'dpkg', '90bootgate-nodoc'))} > "$1/etc/dpkg/dpkg.cfg.d/90bootgate-nodoc"`,
    `--customize-hook=sh ${shellQuote(join(p.diskDir, 'customize.sh'))} "$1"`,
    p.suite,
    p.target,
    ...debianSources(p.suite),
  ];
}

/** `dpkg-query -W -f '${db:Status-Abbrev}\t${Package}\t${Version}\n'` -> installed packages. */
export function parseInstalled(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const [status, name, version] = line.split('\t');
    if (status?.startsWith('ii') && name && version) out[name] = version;
  }
  return out;
}

/** The OpenSSH public key line without its comment: `ssh-ed25519 AAAA...`. */
export function hostKeyLine(pub: string): string {
  const m = /^(ssh-ed25519 [A-Za-z0-9+/=]+)/m.exec(pub.trim());
  if (!m) throw new LabError('IMAGE_HOSTKEY', 'the guest has no ed25519 host key');
  return m[1]!;
}

/** The raw disk: at least 2 GiB, and room for agents and logs whatever the root file system weighs. */
export function diskSizeMiB(usedBytes: number): number {
  const need = Math.ceil((usedBytes * 1.5) / (256 << 20)) * 256 + 512;
  return Math.max(MIN_DISK_MIB, need);
}

/** Mount points at or below dir in a /proc/self/mountinfo text, deepest first. */
export function mountsUnder(mountinfo: string, dir: string): string[] {
  const root = dir.replace(/\/+$/, '');
  const points = mountinfo
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => !!p)
    .map((p) => p.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === root || p.startsWith(`${root}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** A killed mmdebstrap may leave /proc, /sys or /dev mounted in the root: unmount before removing it. */
async function unmountUnder(dir: string): Promise<void> {
  const info = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  for (const p of mountsUnder(info, resolve(dir))) await execCapture('umount', ['--lazy', p]);
}

async function requireMmdebstrap(signal?: AbortSignal): Promise<void> {
  try {
    await execCapture('mmdebstrap', ['--version'], { signal });
  } catch (e) {
    if ((e as LabError).code === 'HOST_TOOL_MISSING') {
      throw new LabError('HOST_TOOL_MISSING', 'mmdebstrap is not installed on this host: disk images need it (apt-get install mmdebstrap)', { cause: e });
    }
    throw e;
  }
}


/** Build the kernel, initrd and root disk of one recipe with the disk userland into outDir. */
export async function buildDiskImage(
  loaded: LoadedRecipe,
  outDir: string,
  work: string,
  progress: Progress,
  signal?: AbortSignal,
  /** The lab's apt state of the recipe's suite, when it is not the host's (the kernel metapackage is resolved there). */
  apt?: AptState,
): Promise<ImageManifest> {
  const t0 = Date.now();
  const { recipe } = loaded;
  if (!recipe.kernel) throw new LabError('RECIPE_NO_KERNEL', `${recipe.name}: a disk image needs a kernel`);
  const suite = recipe.suite ?? debianSuite(recipe.distro);
  await requireMmdebstrap(signal);
  if (process.getuid?.() !== 0) {
    throw new LabError('IMAGE_NEEDS_ROOT', `${recipe.name}: building a disk image needs root (mmdebstrap keeps the owners of the guest's files only as root)`);
  }

  progress('resolving packages');
  const kernelPkg = await concreteKernelPackage(recipe.kernel.package, signal, apt);
  const rootfs = join(work, 'rootfs');
  const diskDir = join(loaded.file, '..', 'disk');
  const packages = [kernelPkg, ...DISK_PACKAGES];

  progress(`bootstrapping Debian ${suite} with mmdebstrap (${kernelPkg}, ${DISK_PACKAGES.join(' ')})`);
  await mkdir(work, { recursive: true });
  try {
    await exec('mmdebstrap', mmdebstrapArgs({ suite, packages, target: rootfs, diskDir }), {
      signal,
      // INITRD=No: the kernel package makes no initrd; customize.sh makes one, with bootgate's configuration.
      env: { ...process.env, BOOTGATE_HOSTNAME: recipe.name, DEBIAN_FRONTEND: 'noninteractive', INITRD: 'No' },
    });
  } finally {
    await unmountUnder(rootfs);
  }

  const releases = (await readdir(join(rootfs, 'lib/modules'))).filter((r) => !r.startsWith('.'));
  const release = releases.find((r) => kernelPkg.endsWith(r)) ?? releases[0];
  if (!release) throw new LabError('IMAGE_NO_KERNEL', `${kernelPkg} installed no lib/modules/<release>`);
  const installed = parseInstalled(
    (await exec('dpkg-query', [`--admindir=${join(rootfs, 'var/lib/dpkg')}`, '-W', '-f', '${db:Status-Abbrev}\t${Package}\t${Version}\n'], { signal }))
      .stdout,
  );
  if (!installed[kernelPkg]) throw new LabError('IMAGE_NO_KERNEL', `${kernelPkg} is not installed in the image`);
  const hostKey = hostKeyLine(await readFile(join(rootfs, 'etc/ssh/ssh_host_ed25519_key.pub'), 'utf8'));

  progress('taking out the kernel and initrd');
  await mkdir(outDir, { recursive: true });
  const kernel = join(outDir, 'vmlinuz');
  const initrd = join(outDir, 'initrd.img');
  await copyFile(join(rootfs, 'boot', `vmlinuz-${release}`), kernel);
  await copyFile(join(rootfs, 'boot', `initrd.img-${release}`), initrd).catch((e: unknown) => {
    throw new LabError('IMAGE_NO_INITRD', `initramfs-tools made no initrd for ${release} in the image`, { cause: e });
  });

  const used = Number((await exec('du', ['-sxb', rootfs], { signal })).stdout.split(/\s/)[0]);
  const sizeMiB = diskSizeMiB(used);
  progress(`making the ${sizeMiB} MiB root disk (${Math.round(used / (1 << 20))} MiB of files)`);
  const disk = join(outDir, 'root.qcow2');
  await ext4Qcow2({ work, out: disk, sizeMiB, label: 'bootgate-root', fromDir: rootfs, reservedPct: 1, signal });
  await rm(rootfs, { recursive: true, force: true });
  return kernelImageManifest({
    loaded,
    outDir,
    files: { kernel: 'vmlinuz', initrd: 'initrd.img', disk: 'root.qcow2' },
    kernelRelease: release,
    kernelPackage: kernelPkg,
    kernelArgs: DISK_KERNEL_ARGS,
    packages: installed,
    hostKey,
    startedAt: t0,
  });
}
