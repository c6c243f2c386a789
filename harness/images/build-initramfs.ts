import { ext4Qcow2, kernelImageManifest, restrictToOwner } from './image-files.js';
import type { AptState } from './apt-state.js';
import { concreteKernelPackage, kernelPackageParts } from './debs.js';
import { chmod, copyFile, cp, mkdir, readFile, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { aptDownload, candidateVersion, debExtract } from './debs.js';
import { sharedLibClosure } from './elf-deps.js';
import { USERLAND_ARCHES } from './userland-arch.js';
import { decompressModule } from './module-file.js';
import { loadOrder, parseModulesDep, moduleName } from './module-order.js';
import type { LoadedRecipe } from './recipe.js';
import type { ImageManifest } from './manifest.js';
import { exec } from '../util/exec.js';
import { LabError } from '../util/errors.js';

export type Progress = (step: string) => void;

/** Drivers the guest needs to reach its state disk and network: the build fails without them. */
const BOOT_MODULES = ['virtio_pci', 'virtio_blk', 'virtio_net', 'ext4'];
/** Taken when the flavour has them (the cloud kernel has no pvpanic): a panic is still seen on the console. */
// 5.10 has one pvpanic module; later kernels split it into pvpanic_mmio and pvpanic_pci.
const OPTIONAL_MODULES = ['pvpanic', 'crc32c_generic', 'crc32c_intel', 'pvpanic_mmio', 'pvpanic_pci'];
const USERLAND_PACKAGES = ['busybox-static', 'dropbear-bin', 'libc6', 'libcrypt1', 'libtomcrypt1', 'libtommath1', 'libgmp10', 'zlib1g'];
const STATE_DISK_MIB = 512;


/** Whether a kernel release (6.12.118+deb13-amd64) is of a series (6.12). Pure. */
export function releaseInSeries(release: string, series: string): boolean {
  return release.startsWith(`${series}.`) || release.startsWith(`${series}-`);
}

/**
 * Build the kernel + busybox/dropbear initramfs + state disk of one recipe into outDir. The
 * kernel comes from `apt` (the recipe's suite) when given, else the host's lists; the userland
 * is always Debian 12's busybox and dropbear: a lab tool, the same in every image, of the host's
 * lists for amd64 and of `userlandApt` (bookworm of the image's arch) for another architecture.
 */
export async function buildInitramfsImage(
  loaded: LoadedRecipe,
  outDir: string,
  work: string,
  progress: Progress,
  signal?: AbortSignal,
  apt?: AptState,
  /** The shared .deb cache by sha256 (deb-cache.ts), when the caller keeps one. */
  debCache?: string,
  /** Debian 12 of the image's architecture, when it is not the host's (arm64): where busybox and dropbear come from. */
  userlandApt?: AptState,
): Promise<ImageManifest> {
  const t0 = Date.now();
  const { recipe } = loaded;
  if (!recipe.kernel) throw new LabError('RECIPE_NO_KERNEL', `${recipe.name}: an initramfs image needs a kernel`);

  progress('resolving packages');
  const kernelPkg = await concreteKernelPackage(recipe.kernel.package, signal, apt);
  const versions: Record<string, string> = {};
  versions[kernelPkg] = await candidateVersion(kernelPkg, signal, apt);
  const kernelPkgs = await kernelPackageParts(kernelPkg, signal, apt);
  for (const p of kernelPkgs.slice(1)) versions[p] = await candidateVersion(p, signal, apt);
  for (const p of USERLAND_PACKAGES) versions[p] = await candidateVersion(p, signal, userlandApt);
  const pkgs = [...kernelPkgs, ...USERLAND_PACKAGES];
  const ua = USERLAND_ARCHES[recipe.arch];

  progress(`downloading ${pkgs.length} packages (${kernelPkg} ${versions[kernelPkg]}${apt ? ` from ${apt}` : ''})`);
  const debs = [
    ...(await aptDownload(kernelPkgs.map((p) => `${p}=${versions[p]}`), join(work, 'debs-kernel'), signal, apt, debCache)),
    ...(await aptDownload(USERLAND_PACKAGES.map((p) => `${p}=${versions[p]}`), join(work, 'debs'), signal, userlandApt, debCache)),
  ];
  const pkgRoot = join(work, 'pkgroot');
  progress('unpacking packages');
  for (const d of debs) await debExtract(d, pkgRoot, signal);
  // The host key is made by running dropbearkey here: for a guest of another architecture, the
  // host's own build of the same Debian 12 dropbear does it (no emulator needed).
  const toolRoot = userlandApt ? join(work, 'toolroot') : pkgRoot;
  if (userlandApt) {
    const hostPkgs = [];
    for (const p of USERLAND_PACKAGES) hostPkgs.push(`${p}=${await candidateVersion(p, signal)}`);
    for (const d of await aptDownload(hostPkgs, join(work, 'debs-host'), signal, undefined, debCache)) await debExtract(d, toolRoot, signal);
  }

  const releases = await readdir(join(pkgRoot, 'lib/modules')).catch(() => readdir(join(pkgRoot, 'usr/lib/modules')));
  const release = releases[0];
  if (!release) throw new LabError('IMAGE_NO_KERNEL', `${kernelPkg} has no lib/modules/<release>`);
  // A suite's metapackage moves on (sid's newest kernel): the recipe's series must say so, or selection lies.
  if (recipe.kernel.series && !releaseInSeries(release, recipe.kernel.series)) {
    throw new LabError('IMAGE_SERIES_MOVED', `${recipe.name}: ${recipe.kernel.package} is now kernel ${release}, not series ${recipe.kernel.series}: update kernel.series in ${loaded.file}`);
  }
  // Debian 12 ships modules under lib/, later releases under usr/lib/ (merged /usr).
  const base = (await stat(join(pkgRoot, 'lib/modules', release)).catch(() => undefined)) ? pkgRoot : join(pkgRoot, 'usr');
  const modRoot = join(base, 'lib/modules', release);

  progress(`indexing modules of ${release}`);
  await exec('depmod', ['-b', base, release], { signal });
  const builtin = new Set(
    (await readFile(join(modRoot, 'modules.builtin'), 'utf8').catch(() => '')).split('\n').filter(Boolean).map(moduleName),
  );
  const deps = parseModulesDep(await readFile(join(modRoot, 'modules.dep'), 'utf8'));
  const available = new Set([...deps.keys()].map(moduleName));
  const wanted = [...BOOT_MODULES, ...OPTIONAL_MODULES.filter((m) => available.has(m))].filter((m) => !builtin.has(m));
  const order = loadOrder(deps, wanted);

  progress(`staging initramfs (${order.length} modules)`);
  const st = join(work, 'staging');
  for (const d of ['bin', 'sbin', 'etc/dropbear', 'proc', 'sys', 'dev', 'root', 'tmp', 'run', `lib/modules/${release}`]) {
    await mkdir(join(st, d), { recursive: true });
  }
  await copyFile(join(pkgRoot, 'bin/busybox'), join(st, 'bin/busybox'));
  await copyFile(join(loaded.file, '..', 'initramfs', 'init.sh'), join(st, 'init'));
  await chmod(join(st, 'init'), 0o755);
  await copyFile(join(pkgRoot, 'usr/sbin/dropbear'), join(st, 'sbin/dropbear'));
  for (const lib of await sharedLibClosure(pkgRoot, ['usr/sbin/dropbear'], signal)) {
    await mkdir(join(st, dirname(lib)), { recursive: true });
    await cp(join(pkgRoot, lib), join(st, lib), { dereference: true });
  }
  // The dynamic loader, at the path the binaries ask for, and in its multiarch folder.
  await mkdir(join(st, dirname(ua.interp)), { recursive: true });
  await cp(join(pkgRoot, ua.loader), join(st, ua.interp), { dereference: true });
  await mkdir(join(st, dirname(ua.loader)), { recursive: true });
  await symlink(`/${ua.interp}`, join(st, ua.loader)).catch(() => undefined);

  const loadList: string[] = [];
  for (const path of order) {
    const dest = path.replace(/\.ko\.(xz|zst|gz)$/, '.ko');
    await mkdir(join(st, 'lib/modules', release, dirname(dest)), { recursive: true });
    await decompressModule(join(modRoot, path), join(st, 'lib/modules', release, dest), signal);
    loadList.push(dest);
  }
  await writeFile(join(st, 'lib/modules', release, 'bootgate.load'), loadList.join('\n') + '\n');
  for (const f of ['modules.builtin', 'modules.order', 'modules.builtin.modinfo']) {
    await copyFile(join(modRoot, f), join(st, 'lib/modules', release, f)).catch(() => undefined);
  }
  await writeFile(join(st, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  await writeFile(join(st, 'etc/group'), 'root:x:0:\n');
  await writeFile(join(st, 'etc/shells'), '/bin/sh\n');
  await writeFile(join(st, 'etc/hostname'), `${recipe.name}\n`);

  progress('generating the guest host key');
  const host = USERLAND_ARCHES.amd64;
  const loader = join(toolRoot, host.loader);
  const libPath = [join(toolRoot, 'lib', host.triplet), join(toolRoot, 'usr/lib', host.triplet)].join(':');
  const hostKeyFile = join(st, 'etc/dropbear/dropbear_ed25519_host_key');
  await exec(loader, ['--library-path', libPath, join(toolRoot, 'usr/bin/dropbearkey'), '-t', 'ed25519', '-f', hostKeyFile], { signal });
  const pub = await exec(loader, ['--library-path', libPath, join(toolRoot, 'usr/bin/dropbearkey'), '-y', '-f', hostKeyFile], { signal });
  const hostKeyLine = /^(ssh-ed25519 \S+)/m.exec(pub.stdout)?.[1];
  if (!hostKeyLine) throw new LabError('IMAGE_HOSTKEY', 'dropbearkey printed no public key');

  progress('packing initramfs');
  await mkdir(outDir, { recursive: true });
  const initrd = join(outDir, 'initramfs.cpio.gz');
  // It holds the guest's host private key: created owner-only (umask), not made so afterwards.
  await exec('sh', ['-c', 'umask 077 && cd "$1" && find . | sort | cpio -o -H newc -R 0:0 --quiet | gzip -6 > "$2"', 'sh', st, initrd], { signal });
  await restrictToOwner(initrd);
  const kernel = join(outDir, 'vmlinuz');
  // Up to Debian 13 the kernel is /boot/vmlinuz-<release>; unstable's moved beside its modules.
  const inBoot = (await readdir(join(pkgRoot, 'boot')).catch(() => [] as string[])).find((f) => f.startsWith('vmlinuz-'));
  const vmlinuz = inBoot ? join(pkgRoot, 'boot', inBoot) : join(modRoot, 'vmlinuz');
  if (!inBoot && !(await stat(vmlinuz).catch(() => undefined))) throw new LabError('IMAGE_NO_KERNEL', `${kernelPkg} has no boot/vmlinuz-* nor lib/modules/${release}/vmlinuz`);
  await copyFile(vmlinuz, kernel);

  progress(`making the ${STATE_DISK_MIB} MiB state disk`);
  const disk = join(outDir, 'state.qcow2');
  await ext4Qcow2({ work, out: disk, sizeMiB: STATE_DISK_MIB, label: 'bootgate-state', signal });
  return kernelImageManifest({
    loaded,
    outDir,
    files: { kernel: 'vmlinuz', initrd: 'initramfs.cpio.gz', disk: 'state.qcow2' },
    kernelRelease: release,
    kernelPackage: kernelPkg,
    packages: versions,
    hostKey: hostKeyLine,
    startedAt: t0,
  });
}
