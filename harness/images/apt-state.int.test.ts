import { describe, expect, it } from 'vitest';
import { freshAptState } from './apt-state.js';
import { candidateVersion, concreteKernelPackage, kernelPackageParts } from './debs.js';
import { PackageGoneError } from './package-gone-error.js';
import { cacheRoot } from '../util/paths.js';

// Debian's real archive through the lab's own apt state (lists fetched once a day, about 10 MB a suite).
describe('Debian suites through a lab-private apt state', () => {
  it('resolves bullseye\'s kernel metapackage to a 5.10 kernel, which the host\'s lists do not have', async () => {
    const apt = await freshAptState(cacheRoot(), 'bullseye', 'amd64');
    const pkg = await concreteKernelPackage('linux-image-amd64', undefined, apt);
    expect(pkg).toMatch(/^linux-image-5\.10\.0-\d+-amd64$/);
    expect(await candidateVersion(pkg, undefined, apt)).toMatch(/^5\.10\./);
    await expect(candidateVersion(pkg)).rejects.toThrow(/not in the apt lists/);
  }, 120_000);

  it('a kernel that has left the archive is a lab error naming it and the newest there', async () => {
    const apt = await freshAptState(cacheRoot(), 'bullseye', 'amd64');
    const newest = await concreteKernelPackage('linux-image-amd64', undefined, apt);
    const e = await candidateVersion('linux-image-5.10.0-1-amd64', undefined, apt).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PackageGoneError);
    expect((e as PackageGoneError).exitCode).toBe(3);
    expect((e as PackageGoneError).message).toMatch(new RegExp(`^linux-image-5\\.10\\.0-1-amd64 is not in Debian bullseye \\(amd64\\); the newest there is ${newest.replace(/[.+]/g, '\\$&')} 5\\.10\\.\\d+`));
  }, 120_000);

  it("unstable's kernel comes in parts (image, binary, modules): all of them are fetched", async () => {
    const apt = await freshAptState(cacheRoot(), 'sid', 'amd64');
    const pkg = await concreteKernelPackage('linux-image-amd64', undefined, apt);
    const release = pkg.replace('linux-image-', '');
    const parts = await kernelPackageParts(pkg, undefined, apt);
    expect(parts[0]).toBe(pkg);
    // Before the split this is [pkg] alone; the image's build needs the parts that hold vmlinuz and the modules.
    expect(parts).toContain(`linux-modules-${release}`);
  }, 120_000);
});
