import { realpathSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, stat, writeFile, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { ImageCatalog } from './catalog.js';
import { MANIFEST, type ImageManifest } from './manifest.js';
import { sha256File } from '../util/fsutil.js';
import { ConfigError } from '../util/errors.js';

const ROOT = new URL('../..', import.meta.url).pathname;
let root: string;
let cache: string;

const recipe = (name: string, pkg: string) => `name: ${name}
os: linux
kernel: { package: ${pkg}, series: "6.1", flavour: generic }
userland: initramfs
`;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'bootgate-cat-'));
  cache = join(root, 'cache');
  await mkdir(join(root, 'images', 'initramfs'), { recursive: true });
  await cp(join(ROOT, 'images', 'initramfs', 'init.sh'), join(root, 'images', 'initramfs', 'init.sh'));
});

/** Pretend a build happened: files and a manifest with their real checksums. */
async function fakeBuilt(c: ImageCatalog, name: string, o: { hostKey?: string } = { hostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMiS' }): Promise<string> {
  const e = await c.find(name);
  await mkdir(e.dir, { recursive: true });
  const files: Record<string, { path: string; sha256: string; size: number }> = {};
  for (const [k, f] of [['kernel', 'vmlinuz'], ['initrd', 'initramfs.cpio.gz'], ['disk', 'state.qcow2']] as const) {
    await writeFile(join(e.dir, f), `${k} bytes`);
    files[k] = { path: f, sha256: await sha256File(join(e.dir, f)), size: `${k} bytes`.length };
  }
  const m: ImageManifest = { schema: 'bootgate.image/v1', name, recipeHash: e.loaded.hash, os: 'linux', userland: 'initramfs', packages: {}, ...(o.hostKey ? { hostKey: o.hostKey } : {}), files: files as ImageManifest['files'], builtAt: '', buildSeconds: 0 };
  await writeFile(join(e.dir, MANIFEST), JSON.stringify(m));
  return e.dir;
}

describe('ImageCatalog', () => {
  it('keys the cache by recipe hash: a changed recipe is not built', async () => {
    await writeFile(join(root, 'images', 'a.yaml'), recipe('a', 'linux-image-amd64'));
    const c = new ImageCatalog(root, cache);
    await fakeBuilt(c, 'a');
    expect((await c.find('a')).manifest).toBeDefined();
    await writeFile(join(root, 'images', 'a.yaml'), recipe('a', 'linux-image-cloud-amd64'));
    expect((await c.find('a')).manifest).toBeUndefined();
    expect(await c.stale()).toHaveLength(1);
  });

  it('verify names a damaged or missing file', async () => {
    await writeFile(join(root, 'images', 'a.yaml'), recipe('a', 'linux-image-amd64'));
    const c = new ImageCatalog(root, cache);
    const dir = await fakeBuilt(c, 'a');
    expect(await c.verify(await c.find('a'))).toEqual([]);
    await writeFile(join(dir, 'vmlinuz'), 'kernel bytez');
    await writeFile(join(dir, 'state.qcow2'), 'short');
    expect(await c.verify(await c.find('a'))).toEqual(['vmlinuz: checksum differs', 'state.qcow2: size 5, expected 10']);
  });

  it('a Linux image whose manifest pins no host key is damaged (any guest key would be taken): rebuilt', async () => {
    await writeFile(join(root, 'images', 'a.yaml'), recipe('a', 'linux-image-amd64'));
    const c = new ImageCatalog(root, cache);
    await fakeBuilt(c, 'a', {});
    expect(await c.verify(await c.find('a'))).toEqual(["manifest.json: no hostKey (the guest's SSH host key, pinned for every connection)"]);
  });

  it('a cached image is made owner-only when used: its initramfs or disk holds the guest host private key', async () => {
    await writeFile(join(root, 'images', 'a.yaml'), recipe('a', 'linux-image-amd64'));
    const c = new ImageCatalog(root, cache);
    const dir = await fakeBuilt(c, 'a');
    for (const f of ['vmlinuz', 'initramfs.cpio.gz', 'state.qcow2']) await chmod(join(dir, f), 0o644);
    await chmod(dir, 0o755);
    await c.ensure('a', () => undefined);
    for (const f of ['vmlinuz', 'initramfs.cpio.gz', 'state.qcow2']) expect((await stat(join(dir, f))).mode & 0o777, f).toBe(0o600);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });

  it('an unknown image is a configuration error naming the known ones', async () => {
    await writeFile(join(root, 'images', 'a.yaml'), recipe('a', 'linux-image-amd64'));
    const e = await new ImageCatalog(root, cache).find('zzz').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as Error).message).toBe('unknown image zzz (known: a)');
  });

  it('a kernel package that does not exist fails the build cleanly, leaving nothing half-written', async () => {
    await writeFile(join(root, 'images', 'b.yaml'), recipe('b', 'linux-image-6.99.0-1-amd64'));
    const c = new ImageCatalog(root, cache);
    const e = await c.ensure('b', () => undefined).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).code).toBe('PACKAGE_NOT_FOUND');
    expect((e as ConfigError).toString()).toMatch(/b\.yaml:3: kernel\.package: Debian package linux-image-6\.99\.0-1-amd64 is not in the apt lists/);
    expect(await readdir(join(cache, 'images'))).toEqual([]);
  });

  it('a recipe whose name differs from its file is refused with file and line', async () => {
    await writeFile(join(root, 'images', 'c.yaml'), recipe('d', 'linux-image-amd64'));
    const e = await new ImageCatalog(root, cache).list().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).toString()).toMatch(/c\.yaml:1: name: name must match the file name \(c\)/);
  });

  it('a Windows recipe points at the user own disk: missing, wrong format, or valid and then a catalog entry linking it', async () => {
    const win = (disk: string, extra = '') => `name: win11\nos: windows\nuserland: user-disk\ndisk: ${disk}\n${extra}`;
    await writeFile(join(root, 'images', 'win11.yaml'), win('win11.qcow2', 'windows: { version: 11 }\nmemoryMiB: 4096\ncpus: 2\n'));
    const c = new ImageCatalog(root, cache);
    let e = await c.ensure('win11', () => undefined).catch((x: unknown) => x as ConfigError);
    expect((e as ConfigError).code).toBe('USER_DISK_MISSING');
    expect((e as ConfigError).toString()).toMatch(/win11\.yaml: disk: /);
    await writeFile(join(root, 'images', 'win11.qcow2'), 'not a disk image at all');
    e = await c.ensure('win11', () => undefined).catch((x: unknown) => x as ConfigError);
    expect((e as ConfigError).code).toBe('USER_DISK_FORMAT');
    await writeFile(join(root, 'images', 'win11.qcow2'), Buffer.concat([Buffer.from([0x51, 0x46, 0x49, 0xfb, 0, 0, 0, 3]), Buffer.alloc(504)]));
    const img = await c.ensure('win11', () => undefined);
    // Nothing built: a link to the user's disk, its size and checksum; no kernel, so it boots UEFI.
    expect(img.manifest).toMatchObject({ os: 'windows', userland: 'user-disk', files: { disk: { path: 'disk.qcow2', size: 512 } } });
    expect(img.manifest.files.kernel).toBeUndefined();
    expect(realpathSync(join(img.dir, 'disk.qcow2'))).toBe(realpathSync(join(root, 'images', 'win11.qcow2')));
    // A disk changed under the lab is noticed (size), and the entry made again.
    await writeFile(join(root, 'images', 'win11.qcow2'), Buffer.concat([Buffer.from([0x51, 0x46, 0x49, 0xfb, 0, 0, 0, 3]), Buffer.alloc(1016)]));
    expect(await c.verify((await c.list()).find((x) => x.loaded.recipe.name === 'win11')!)).toEqual(['disk.qcow2: size 1024, expected 512']);
    expect((await c.ensure('win11', () => undefined)).manifest.files.disk.size).toBe(1024);
    await writeFile(join(root, 'images', 'win11.yaml'), win('win11.qcow2'));
    const s = await new ImageCatalog(root, cache).list().catch((x: unknown) => x as ConfigError);
    expect((s as ConfigError).toString()).toMatch(/win11\.yaml:1: windows: a Windows image needs windows:/);
  });
});
