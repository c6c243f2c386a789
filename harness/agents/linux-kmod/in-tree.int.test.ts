import { copyFile, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { candidateVersion } from '../../images/debs.js';
import { ConfigError } from '../../util/errors.js';
import { currentDebianKernelRelease } from './headers.js';
import { fetchInTreeModule } from './in-tree.js';
import { readModinfo } from './modinfo.js';
import { findPrebuiltModule, isSourceFolder } from './prebuilt.js';

/**
 * Real modules from Debian's current 6.1 kernel package (about 70 MB, downloaded once per
 * version, only the needed modules kept): the in-tree path, and the same .ko files laid out as
 * a vendor's prebuilt folder, right and wrong.
 */
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const cacheDir = join(process.env.BOOTGATE_CACHE_DIR ?? join(tmpdir(), 'bootgate-cache'), 'in-tree');

describe('linux-kmod modules taken as built (integration: apt)', () => {
  let release: string;
  let pkg: string;
  let version: string;
  let work: string;
  beforeAll(async () => {
    release = await currentDebianKernelRelease();
    pkg = `linux-image-${release}`;
    version = await candidateVersion(pkg);
    work = await mkdtemp(join(tmpdir(), 'bootgate-int-prebuilt-'));
  });
  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('takes test_bpf from the kernel package, checked against the kernel, then from the cache', async () => {
    const m = await fetchInTreeModule({ module: 'test_bpf', kernelPackage: pkg, packageVersion: version, kernelRelease: release, cacheDir });
    expect(m.deps).toEqual([]);
    expect(m.vermagic.split(' ')[0]).toBe(release);
    const info = readModinfo(await readFile(m.ko));
    expect(info.name).toEqual(['test_bpf']);
    expect(info.intree).toEqual(['Y']);
    const again = await fetchInTreeModule({ module: 'test_bpf', kernelPackage: pkg, packageVersion: version, kernelRelease: release, cacheDir });
    expect(again).toEqual(m);
  });

  it('brings the modules a module depends on (virtio_net needs net_failover, which needs failover)', async () => {
    const m = await fetchInTreeModule({ module: 'virtio-net', kernelPackage: pkg, packageVersion: version, kernelRelease: release, cacheDir });
    expect(m.ko.endsWith('/virtio_net.ko')).toBe(true);
    const names = m.deps.map((d) => d.slice(d.lastIndexOf('/') + 1));
    // failover only through net_failover: the closure, not just the first level.
    expect(names).toEqual(expect.arrayContaining(['failover.ko', 'net_failover.ko']));
    expect(readModinfo(await readFile(m.ko)).depends?.[0]?.split(',')).not.toContain('failover');
    for (const d of m.deps) expect((await stat(d)).size).toBeGreaterThan(1000);
  });

  it('says so when the kernel package has no such module', async () => {
    const e = await fetchInTreeModule({ module: 'no_such_module', kernelPackage: pkg, packageVersion: version, kernelRelease: release, cacheDir }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).code).toBe('KMOD_NOT_IN_TREE');
  });

  it('picks a prebuilt module by kernel release and refuses a missing or mismatched one', async () => {
    const m = await fetchInTreeModule({ module: 'test_bpf', kernelPackage: pkg, packageVersion: version, kernelRelease: release, cacheDir });
    const folder = join(work, 'vendor-build');
    await mkdir(join(folder, release), { recursive: true });
    await copyFile(m.ko, join(folder, release, 'test_bpf.ko'));
    expect(await isSourceFolder(folder)).toBe(false);
    expect(await isSourceFolder(join(repo, 'examples/agents/sensor-kmod'))).toBe(true);

    const ok = await findPrebuiltModule(folder, 'test_bpf', release, '1.0');
    expect(ok.ko).toBe(join(folder, release, 'test_bpf.ko'));

    const other = '6.12.117+deb12-amd64';
    const missing = await findPrebuiltModule(folder, 'test_bpf', other, '1.0').catch((x: unknown) => x);
    expect((missing as ConfigError).code).toBe('KMOD_NO_PREBUILT');
    expect((missing as ConfigError).message).toBe(`build 1.0 has no test_bpf.ko for kernel ${other} in ${folder} (it has: ${release})`);

    // The 6.1 module filed under the 6.12 release: caught by its vermagic, not loaded and skipped.
    await mkdir(join(folder, other), { recursive: true });
    await copyFile(m.ko, join(folder, other, 'test_bpf.ko'));
    const wrong = await findPrebuiltModule(folder, 'test_bpf', other, '1.0').catch((x: unknown) => x);
    expect((wrong as ConfigError).code).toBe('KMOD_VERMAGIC_MISMATCH');
    expect((wrong as ConfigError).message).toContain(`was built for kernel ${release}`);
  });
});
