/**
 * The recipe side of Windows guests. bootgate cannot build Windows images (no media, no licence):
 * a recipe with `userland: user-disk` points at a disk the user prepared (docs/windows-guests.md)
 * and says how to boot it:
 *
 *   # images/win11-23h2.yaml
 *   name: win11-23h2
 *   os: windows
 *   userland: user-disk
 *   disk: /srv/images/win11-23h2.qcow2      # or a .vhdx; relative paths are relative to the recipe
 *   memoryMiB: 4096
 *   cpus: 2
 *   windows: { version: 11, tpm: true, secureBoot: false }
 *
 * The disk is never written: every cell boots a qcow2 overlay on it.
 */
import { open, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../util/errors.js';

export const WINDOWS_VERSIONS = [10, 11, 'server-2016', 'server-2019', 'server-2022', 'server-2025'] as const;
export type WindowsVersion = (typeof WINDOWS_VERSIONS)[number];

export const windowsProfileSchema = z
  .object({
    /** 10, 11, or a server release ("server-2022"). */
    version: z.union([z.literal(10), z.literal(11), z.enum(['server-2016', 'server-2019', 'server-2022', 'server-2025'])]),
    /** A TPM 2.0 (swtpm). Default: on for Windows 11 and Server 2025, off otherwise. */
    tpm: z.boolean().optional(),
    /**
     * Secure Boot firmware with Microsoft's keys enrolled. Off by default: test-signed drivers
     * (`bcdedit /set testsigning on`) do not load with Secure Boot on.
     */
    secureBoot: z.boolean().default(false),
    /** e1000e has an inbox driver; virtio needs virtio-win's netkvm in the image. */
    nic: z.enum(['e1000e', 'virtio']).default('e1000e'),
    /** sata (AHCI) has an inbox driver; virtio needs virtio-win's viostor in the image. */
    diskBus: z.enum(['sata', 'virtio']).default('sata'),
    /** The administrator account the lab key is authorised for. */
    sshUser: z.string().min(1).default('Administrator'),
    /** The guest's SSH host key (`ssh-ed25519 AAAA...`), pinned; learned at first connect when absent. */
    hostKey: z.string().optional(),
  })
  .strict();
export type WindowsProfileInput = z.input<typeof windowsProfileSchema>;
export type WindowsProfile = z.output<typeof windowsProfileSchema>;
export type ResolvedWindowsProfile = WindowsProfile & { tpm: boolean };

/**
 * The fields a `user-disk` recipe adds, for recipeSchema.extend(userDiskRecipeFields). The
 * recipe-level rule (os: windows needs `windows:`, user-disk needs `disk:`) belongs to the recipe
 * schema's own refinement.
 */
export const userDiskRecipeFields = {
  disk: z.string().min(1, 'the path of your disk image (qcow2 or VHDX)').optional(),
  windows: windowsProfileSchema.optional(),
};

/** Fills the defaults that depend on the version. */
export function resolveWindowsProfile(p: WindowsProfile): ResolvedWindowsProfile {
  return { ...p, tpm: p.tpm ?? (p.version === 11 || p.version === 'server-2025') };
}

/** Microsoft's minimum memory per version, in MiB (Windows 11: 4 GB; 10 and servers: 2 GB for 64-bit with a desktop). */
export function minimumMemoryMiB(version: WindowsVersion): number {
  return version === 11 ? 4096 : 2048;
}

/** Problems of a recipe's machine size for this profile, as messages (empty when fine). */
export function windowsProfileProblems(p: WindowsProfile, machine: { memoryMiB: number; cpus: number }): string[] {
  const out: string[] = [];
  const min = minimumMemoryMiB(p.version);
  if (machine.memoryMiB < min) out.push(`memoryMiB ${machine.memoryMiB} is below Windows ${p.version}'s minimum of ${min}`);
  if (p.version === 11 && machine.cpus < 2) out.push(`Windows 11 needs at least 2 CPUs (cpus: ${machine.cpus})`);
  return out;
}

// ---- the user's disk ---------------------------------------------------------------------------

export type UserDiskFormat = 'qcow2' | 'vhdx';

export interface UserDisk {
  /** Absolute path. */
  path: string;
  format: UserDiskFormat;
  /** Size of the image file (not of the virtual disk). */
  fileBytes: number;
  /** qcow2 header version (2 or 3). */
  qcow2Version?: number;
}

/** Magic numbers: qcow2 "QFI\xfb" (then a big-endian version), VHDX file type identifier "vhdxfile". */
export const QCOW2_MAGIC = Buffer.from([0x51, 0x46, 0x49, 0xfb]);
export const VHDX_MAGIC = Buffer.from('vhdxfile', 'latin1');

export type DiskSniff =
  | { format: UserDiskFormat; qcow2Version?: number }
  | { format: undefined; looksLike?: string; hint: string };

/** What the first bytes of a disk image say it is. Pure. `head` should hold at least 1 KiB. */
export function sniffDiskFormat(head: Buffer): DiskSniff {
  if (head.length >= 8 && head.subarray(0, 4).equals(QCOW2_MAGIC)) {
    return { format: 'qcow2', qcow2Version: head.readUInt32BE(4) };
  }
  if (head.length >= 8 && head.subarray(0, 8).equals(VHDX_MAGIC)) return { format: 'vhdx' };
  const convert = (fmt: string) => `convert it: qemu-img convert -p -f ${fmt} -O qcow2 IN OUT.qcow2`;
  if (head.length >= 8 && head.toString('latin1', 0, 8) === 'conectix') {
    return { format: undefined, looksLike: 'a dynamic VHD (Virtual PC / Hyper-V generation 1)', hint: convert('vpc') };
  }
  if (head.length >= 4 && head.toString('latin1', 0, 4) === 'KDMV') {
    return { format: undefined, looksLike: 'a VMware VMDK', hint: convert('vmdk') };
  }
  if (head.toString('latin1', 0, 21) === '# Disk DescriptorFile') {
    return { format: undefined, looksLike: 'a VMware VMDK descriptor', hint: convert('vmdk') };
  }
  if (head.length >= 0x44 && head.readUInt32LE(0x40) === 0xbeda107f) {
    return { format: undefined, looksLike: 'a VirtualBox VDI', hint: convert('vdi') };
  }
  if (head.length >= 520 && head.toString('latin1', 512, 520) === 'EFI PART') {
    return { format: undefined, looksLike: 'a raw disk (GPT)', hint: convert('raw') };
  }
  if (head.length >= 512 && head[510] === 0x55 && head[511] === 0xaa) {
    return { format: undefined, looksLike: 'a raw disk (MBR), or a fixed VHD', hint: convert('raw') + ' (a fixed VHD: -f vpc)' };
  }
  return { format: undefined, hint: 'bootgate boots qcow2 or VHDX images (qemu-img convert -O qcow2 makes one)' };
}

export interface CheckUserDiskOptions {
  /** Resolve a relative path against this folder (the recipe's). */
  relativeTo?: string;
  /** The recipe file and field, for the error's `file:line: field:` prefix. */
  file?: string;
  line?: number;
  field?: string;
}

/**
 * Checks that the user's disk exists and is qcow2 or VHDX by its magic number. Fails with
 * ConfigError USER_DISK_MISSING (no such file, not a file, unreadable) or USER_DISK_FORMAT
 * (empty, another format, an unsupported qcow2 version). `~/` is the user's home.
 */
export async function checkUserDisk(path: string, opts: CheckUserDiskOptions = {}): Promise<UserDisk> {
  const where = { file: opts.file, line: opts.line, field: opts.field ?? 'disk' };
  const expanded = path.startsWith('~/') ? resolve(homedir(), path.slice(2)) : path;
  const abs = isAbsolute(expanded) ? expanded : resolve(opts.relativeTo ?? (opts.file ? dirname(opts.file) : process.cwd()), expanded);
  const shown = abs === path ? path : `${path} (${abs})`;

  let size: number;
  try {
    const st = await stat(abs);
    if (!st.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'ENOTFILE' });
    size = st.size;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'does not exist' : code === 'ENOTFILE' ? 'is not a file' : code === 'EACCES' ? 'cannot be read (permission denied)' : `cannot be read (${(e as Error).message})`;
    throw new ConfigError('USER_DISK_MISSING', `disk image ${shown} ${why}`, where, { cause: e });
  }
  if (size === 0) throw new ConfigError('USER_DISK_FORMAT', `disk image ${shown} is empty`, where);

  const head = Buffer.alloc(Math.min(size, 1024));
  try {
    const fh = await open(abs, 'r');
    try {
      await fh.read(head, 0, head.length, 0);
    } finally {
      await fh.close();
    }
  } catch (e) {
    throw new ConfigError('USER_DISK_MISSING', `disk image ${shown} cannot be read (${(e as Error).message})`, where, { cause: e });
  }

  const sniff = sniffDiskFormat(head);
  if (sniff.format === undefined) {
    const what = sniff.looksLike ? `is ${sniff.looksLike}, not qcow2 or VHDX` : 'is neither qcow2 (magic QFI\\xfb) nor VHDX (magic "vhdxfile")';
    throw new ConfigError('USER_DISK_FORMAT', `disk image ${shown} ${what}: ${sniff.hint}`, where);
  }
  if (sniff.format === 'qcow2') {
    if (sniff.qcow2Version !== 2 && sniff.qcow2Version !== 3) {
      throw new ConfigError('USER_DISK_FORMAT', `disk image ${shown} is qcow2 version ${sniff.qcow2Version}; QEMU reads versions 2 and 3`, where);
    }
    return { path: abs, format: 'qcow2', fileBytes: size, qcow2Version: sniff.qcow2Version };
  }
  return { path: abs, format: 'vhdx', fileBytes: size };
}
