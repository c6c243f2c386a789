import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../util/errors.js';
import {
  checkUserDisk,
  resolveWindowsProfile,
  sniffDiskFormat,
  userDiskRecipeFields,
  windowsProfileProblems,
  windowsProfileSchema,
} from './windows-profile.js';
import { z } from 'zod';
import { rejection } from '../../test/rejection.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bootgate-userdisk-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A small fake image: the magic, then filler. */
async function fake(name: string, head: Buffer, size = 4096): Promise<string> {
  const b = Buffer.alloc(size);
  head.copy(b);
  const p = join(dir, name);
  await writeFile(p, b);
  return p;
}

const qcow2Head = (version: number) => {
  const h = Buffer.alloc(8);
  Buffer.from([0x51, 0x46, 0x49, 0xfb]).copy(h);
  h.writeUInt32BE(version, 4);
  return h;
};

describe('windowsProfileSchema', () => {
  it('reads the example profile and fills defaults', () => {
    const p = windowsProfileSchema.parse({ version: 11, tpm: true, secureBoot: false });
    expect(p).toEqual({ version: 11, tpm: true, secureBoot: false, nic: 'e1000e', diskBus: 'sata', sshUser: 'Administrator' });
  });

  it('turns the TPM on by default for Windows 11 only', () => {
    expect(resolveWindowsProfile(windowsProfileSchema.parse({ version: 11 })).tpm).toBe(true);
    expect(resolveWindowsProfile(windowsProfileSchema.parse({ version: 10 })).tpm).toBe(false);
    expect(resolveWindowsProfile(windowsProfileSchema.parse({ version: 11, tpm: false })).tpm).toBe(false);
    expect(resolveWindowsProfile(windowsProfileSchema.parse({ version: 'server-2022' })).tpm).toBe(false);
  });

  it('rejects unknown versions and unknown keys', () => {
    expect(windowsProfileSchema.safeParse({ version: 12 }).success).toBe(false);
    expect(windowsProfileSchema.safeParse({ version: '11' }).success).toBe(false);
    expect(windowsProfileSchema.safeParse({ version: 11, tmp: true }).success).toBe(false);
    expect(windowsProfileSchema.safeParse({ version: 11, nic: 'rtl8139' }).success).toBe(false);
  });

  it('extends a recipe object with disk and windows', () => {
    const recipe = z.object({ name: z.string() }).strict().extend(userDiskRecipeFields);
    const r = recipe.parse({ name: 'win11', disk: '/srv/win11.qcow2', windows: { version: 11 } });
    expect(r.disk).toBe('/srv/win11.qcow2');
    expect(r.windows?.diskBus).toBe('sata');
  });

  it('names machine sizes below the minimum', () => {
    const p = windowsProfileSchema.parse({ version: 11 });
    expect(windowsProfileProblems(p, { memoryMiB: 512, cpus: 1 })).toEqual([
      "memoryMiB 512 is below Windows 11's minimum of 4096",
      'Windows 11 needs at least 2 CPUs (cpus: 1)',
    ]);
    expect(windowsProfileProblems(p, { memoryMiB: 4096, cpus: 2 })).toEqual([]);
  });
});

describe('checkUserDisk with small fake files', () => {
  it('accepts qcow2 (v2 and v3) by its magic', async () => {
    const p = await fake('a.qcow2', qcow2Head(3));
    expect(await checkUserDisk(p)).toEqual({ path: p, format: 'qcow2', fileBytes: 4096, qcow2Version: 3 });
    expect((await checkUserDisk(await fake('b.qcow2', qcow2Head(2)))).qcow2Version).toBe(2);
  });

  it('accepts VHDX by its file type identifier, whatever the extension', async () => {
    const p = await fake('disk.img', Buffer.from('vhdxfile', 'latin1'));
    expect(await checkUserDisk(p)).toMatchObject({ format: 'vhdx', fileBytes: 4096 });
  });

  it('fails with USER_DISK_MISSING for a missing file, with the recipe location', async () => {
    const e = await rejection<ConfigError>(checkUserDisk('nope.qcow2', { file: join(dir, 'images', 'win11.yaml'), line: 5 }));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.code).toBe('USER_DISK_MISSING');
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain(join(dir, 'images', 'nope.qcow2'));
    expect(e.message).toMatch(/does not exist/);
    expect(e.toString()).toMatch(/win11\.yaml:5: disk: disk image nope\.qcow2/);
  });

  it('fails with USER_DISK_MISSING for a folder', async () => {
    await mkdir(join(dir, 'folder.qcow2'));
    const e = await rejection<ConfigError>(checkUserDisk(join(dir, 'folder.qcow2')));
    expect(e.code).toBe('USER_DISK_MISSING');
    expect(e.message).toMatch(/is not a file/);
  });

  it.skipIf(process.getuid?.() === 0)('fails with USER_DISK_MISSING for an unreadable file', async () => {
    const p = await fake('locked.qcow2', qcow2Head(3));
    await chmod(p, 0o000);
    const e = await rejection<ConfigError>(checkUserDisk(p));
    expect(e.code).toBe('USER_DISK_MISSING');
    expect(e.message).toMatch(/permission denied/);
  });

  it('resolves relative paths against the recipe folder', async () => {
    await mkdir(join(dir, 'rel'), { recursive: true });
    await fake('rel/w.qcow2', qcow2Head(3));
    expect((await checkUserDisk('w.qcow2', { relativeTo: join(dir, 'rel') })).path).toBe(join(dir, 'rel', 'w.qcow2'));
  });

  it('fails with USER_DISK_FORMAT for an empty file, garbage, and an unknown qcow2 version', async () => {
    await writeFile(join(dir, 'empty.qcow2'), '');
    expect((await rejection<ConfigError>(checkUserDisk(join(dir, 'empty.qcow2')))).message).toMatch(/is empty/);
    const g = await rejection<ConfigError>(checkUserDisk(await fake('garbage.qcow2', Buffer.from('hello world'))));
    expect(g.code).toBe('USER_DISK_FORMAT');
    expect(g.message).toMatch(/neither qcow2 .* nor VHDX/);
    const v = await rejection<ConfigError>(checkUserDisk(await fake('v9.qcow2', qcow2Head(9))));
    expect(v.code).toBe('USER_DISK_FORMAT');
    expect(v.message).toMatch(/qcow2 version 9/);
  });

  it('names other formats and says how to convert them', async () => {
    const vhd = await rejection<ConfigError>(checkUserDisk(await fake('old.vhd', Buffer.from('conectix', 'latin1'))));
    expect(vhd.message).toMatch(/dynamic VHD.*qemu-img convert -p -f vpc -O qcow2/);
    const mbr = Buffer.alloc(512);
    mbr[510] = 0x55;
    mbr[511] = 0xaa;
    const raw = await rejection<ConfigError>(checkUserDisk(await fake('raw.img', mbr)));
    expect(raw.code).toBe('USER_DISK_FORMAT');
    expect(raw.message).toMatch(/raw disk \(MBR\)/);
  });
});

const haveQemuImg = spawnSync('sh', ['-c', 'command -v qemu-img']).status === 0;

describe.skipIf(!haveQemuImg)('checkUserDisk with files made by qemu-img', () => {
  const make = (name: string, fmt: string) => {
    const p = join(dir, name);
    const r = spawnSync('qemu-img', ['create', '-q', '-f', fmt, p, '8M']);
    expect(r.status, r.stderr.toString()).toBe(0);
    return p;
  };
  it('accepts real qcow2 and VHDX images', async () => {
    expect(await checkUserDisk(make('real.qcow2', 'qcow2'))).toMatchObject({ format: 'qcow2', qcow2Version: 3 });
    expect(await checkUserDisk(make('real.vhdx', 'vhdx'))).toMatchObject({ format: 'vhdx' });
  });
  it('rejects real VHD, VMDK and VDI images by name', async () => {
    expect((await rejection<ConfigError>(checkUserDisk(make('real.vhd', 'vpc')))).message).toMatch(/dynamic VHD/);
    expect((await rejection<ConfigError>(checkUserDisk(make('real.vmdk', 'vmdk')))).message).toMatch(/VMware VMDK/);
    expect((await rejection<ConfigError>(checkUserDisk(make('real.vdi', 'vdi')))).message).toMatch(/VirtualBox VDI/);
  });
});

describe('sniffDiskFormat', () => {
  it('needs the whole magic', () => {
    expect(sniffDiskFormat(Buffer.from([0x51, 0x46, 0x49])).format).toBeUndefined();
    expect(sniffDiskFormat(Buffer.from('vhdxfil', 'latin1')).format).toBeUndefined();
  });
});
